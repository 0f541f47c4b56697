"""The architecture docs name real places: every package path they cite exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("archive", "recorder", "transcribe", "api", "retention", "tests", "bench", "docs")
# `archive/seal/sealer.py`, `api/compose/`, `archive/evidence/report.py` (`Check`, ...)
CITED = re.compile(rf"`((?:{'|'.join(PACKAGES)})/[A-Za-z0-9_./]*)`")


def cited_paths(doc: Path) -> list[str]:
    return sorted(set(CITED.findall(doc.read_text(encoding="utf-8"))))


@pytest.mark.parametrize("doc", ["README.md", "docs/architecture.md"])
def test_every_cited_path_exists(doc: str) -> None:
    cited = cited_paths(ROOT / doc)
    assert cited, f"{doc} cites no path of this code"
    missing = [p for p in cited if not (ROOT / p).exists()]
    assert missing == [], f"{doc} cites paths that do not exist: {missing}"


def test_the_architecture_names_every_archive_subpackage() -> None:
    text = (ROOT / "docs/architecture.md").read_text(encoding="utf-8")
    subpackages = sorted(p.name for p in (ROOT / "archive").iterdir()
                         if (p / "__init__.py").exists())
    unnamed = [name for name in subpackages if f"`archive/{name}/`" not in text]
    assert unnamed == [], f"docs/architecture.md does not describe archive/{unnamed}"
