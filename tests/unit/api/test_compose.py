"""Only api.compose may import the sibling capabilities: the contract must name every other
api module, or a new one would escape it."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import api

CONTRACT = "api composes siblings only in api.compose"


def test_the_compose_contract_covers_every_other_api_module() -> None:
    pyproject = Path(__file__).resolve().parents[3] / "pyproject.toml"
    contracts = tomllib.loads(pyproject.read_text())["tool"]["importlinter"]["contracts"]
    (contract,) = [c for c in contracts if c["name"] == CONTRACT]
    modules = {f"api.{m.name}" for m in pkgutil.iter_modules(api.__path__)}
    assert "api.compose" in modules
    assert set(contract["source_modules"]) == modules - {"api.compose"}
    assert {"transcribe", "retention"} <= set(contract["forbidden_modules"])
