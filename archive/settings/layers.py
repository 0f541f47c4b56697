"""Where settings come from, and the one error for a fault in any of them.

A layer is what one source gives: keyword arguments, environment variables, or one TOML file
(or one table of it). Layers merge highest first; a value that fails validation is reported
with the file (or variable) and key it came from, as a ConfigurationError.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsError

from archive.evidence.errors import ConfigurationError

ENV_PREFIX = "AIDREC_"
CONFIG_ENV = "AIDREC_CONFIG"
LOCAL_CONFIG_NAME = "local.toml"
# Each package names its settings class here; its table in the config file is its own.
SECTIONS_GROUP = "aidrec.settings"

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Layer:
    """The values one source gives; `name` is the variable prefix or the file's path."""

    kind: Literal["argument", "env", "file"]
    values: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""
    table: str | None = None  # the file's table these values are, None: its top level

    def where(self, loc: Loc) -> str:
        """The variable, or the file and key, that gave the value at `loc`."""
        if self.kind == "argument":
            return f"argument {_dotted(loc)}"
        if self.kind == "env":
            return f"environment variable {self.name}{'__'.join(map(str, loc)).upper()}"
        key = (self.table, *loc) if self.table else loc
        return f"config file {self.name}, key {_dotted(key)}"

    def describe(self) -> str:
        if self.kind == "file":
            return f"config file {self.name}" + (f" [{self.table}]" if self.table else "")
        return f"environment variables {self.name}*" if self.kind == "env" else "arguments"

    def depth(self, loc: Loc) -> int | None:
        """How many parts of `loc` this layer spells out; None if it gives nothing there."""
        node: Any = self.values
        for depth, part in enumerate(loc):
            if not isinstance(node, Mapping):
                return depth  # a whole list or value was given here
            if part not in node:
                return None
            node = node[part]
        return len(loc)


def section_names() -> frozenset[str]:
    """The tables of the config file that belong to other packages' settings."""
    return frozenset(ep.name for ep in entry_points(group=SECTIONS_GROUP))


def file_layers(home: Path, explicit: Path | None, section: str | None) -> list[Layer]:
    """The files a package's settings are read from, highest first.

    The archive (`section` None) reads the top level of the explicit file, then
    `home/local.toml`; a package reads table `[section]` of the explicit file, then its own
    file: the one `AIDREC_<SECTION>_CONFIG` names, or else `home/<section>.toml`.
    """
    layers: list[Layer] = []
    if explicit is not None:
        layers.append(file_layer(explicit, table=section))
    if section is None:
        own = home / LOCAL_CONFIG_NAME
    else:
        env = f"{ENV_PREFIX}{section.upper()}_CONFIG"
        own = explicit_file(None, env=env) or home / f"{section}.toml"
    if own.exists():
        layers.append(file_layer(own))
    return layers


def explicit_file(named: Path | None, *, env: str) -> Path | None:
    """`named` (from --config), else the file the variable `env` names; it must exist.

    Raises:
        ConfigurationError: reason no_config.
    """
    source = ""
    if named is None and os.environ.get(env):
        named, source = Path(os.environ[env]), f" (named by {env})"
    if named is None:
        return None
    if not named.is_file():
        raise ConfigurationError(f"config file {named} does not exist{source}",
                                 reason="no_config")
    return named.resolve()


def file_layer(path: Path, *, table: str | None = None) -> Layer:
    """One file's values: its top level without the other packages' tables, or one table.

    Raises:
        ConfigurationError: reason bad_toml (unreadable, not TOML) or bad_config (not a table).
    """
    try:
        with path.open("rb") as stream:
            values = tomllib.load(stream)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"config file {path}: not valid TOML: {exc}",
                                 reason="bad_toml") from exc
    except OSError as exc:
        raise ConfigurationError(f"config file {path}: cannot read it: {exc.strerror}",
                                 reason="bad_toml") from exc
    if table is None:
        theirs = section_names()
        values = {k: v for k, v in values.items() if not (k in theirs and isinstance(v, dict))}
    else:
        values = values.get(table, {})
        if not isinstance(values, dict):
            raise ConfigurationError(f"config file {path}, key {table}: expected a table",
                                     reason="bad_config")
    return Layer("file", values, name=str(path), table=table)


def env_layer(model: type[BaseModel], prefix: str) -> Layer:
    """The variables `<prefix><KEY>` (nested keys joined by `__`) of `model`'s fields.

    Raises:
        ConfigurationError: reason bad_config when a structured value is not JSON.
    """
    # The source only looks up the model's fields; it does not need a BaseSettings.
    source = EnvSettingsSource(cast("type[BaseSettings]", model), env_prefix=prefix,
                               env_nested_delimiter="__", case_sensitive=False)
    try:
        values = source()
    except SettingsError as exc:
        raise ConfigurationError(f"environment variables {prefix}*: {exc}",
                                 reason="bad_config") from exc
    return Layer("env", values, name=prefix)


def build(model: type[M], layers: Sequence[Layer], *, label: str) -> M:
    """`model` from the layers merged, highest first.

    Raises:
        ConfigurationError: reason bad_config, naming the file (or variable) and key of each
            unknown key and bad value.
    """
    merged: dict[str, Any] = {}
    for layer in reversed(layers):
        _update(merged, layer.values)
    try:
        return model.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(_problem(error, layers, label) for error in exc.errors())
        raise ConfigurationError(problems, reason="bad_config") from exc


def _problem(error: ErrorDetails, layers: Sequence[Layer], label: str) -> str:
    message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
    loc = tuple(error["loc"])
    for layer in layers:
        depth = layer.depth(loc) if loc else None
        if depth is not None:
            return f"{layer.where(loc[:depth] if layer.kind == 'env' else loc)}: {message}"
    given = [layer.describe() for layer in layers if layer.values]
    return f"{label} (from {', '.join(given) or 'defaults'}): {message}"


def _update(into: dict[str, Any], values: Mapping[str, Any]) -> None:
    for key, value in values.items():
        if isinstance(value, Mapping):
            if not isinstance(into.get(key), dict):
                into[key] = {}
            _update(into[key], value)
        else:
            into[key] = value


def _dotted(loc: Loc) -> str:
    return ".".join(map(str, loc))
