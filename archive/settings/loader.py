"""The one way any package's settings are loaded: the same sources, order and errors.

Highest first: keyword arguments, environment variables, the explicit config file
(`--config` or `AIDREC_CONFIG`), the file in the home, then defaults. The archive's settings
are `AIDREC_<KEY>`, the file's top level and `$AIDREC_HOME/local.toml`; a package's section
is `AIDREC_<SECTION>__<KEY>`, the file's table `[<section>]` and `$AIDREC_HOME/<section>.toml`
(or the file `AIDREC_<SECTION>_CONFIG` names). Nested keys are joined by `__` in variables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel

from archive.settings.layers import (
    CONFIG_ENV,
    ENV_PREFIX,
    Layer,
    build,
    env_layer,
    explicit_file,
    file_layers,
)
from archive.settings.models import STRICT, Settings


class Section(BaseModel):
    """Base of a package's settings, registered in the entry-point group `aidrec.settings`.

    Constructed directly it holds what it is given; `load_section` reads the environment and
    the files.
    """

    model_config = STRICT
    SECTION: ClassVar[str]  # the table name, and the variables' AIDREC_<SECTION>__ prefix


S = TypeVar("S", bound=Section)


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Load the archive's settings once at an entry point; `config` is the --config file.

    The explicit file is kept on the settings (`config_file`), not in the environment, so an
    in-process caller never leaks it into later loads, and sections read the same file.

    Raises:
        ConfigurationError: no_config (a named file is missing), bad_toml, bad_config.
    """
    env = env_layer(Settings, ENV_PREFIX)
    named = config or _path(overrides.get("config_file") or env.values.get("config_file"))
    explicit = explicit_file(named, env=CONFIG_ENV)
    if explicit is not None:
        overrides = {**overrides, "config_file": explicit}
    home = Path(overrides.get("home") or env.values.get("home") or "var")
    layers = [Layer("argument", overrides), env, *file_layers(home, explicit, None)]
    return build(Settings, layers, label="archive settings")


def load_section(model: type[S], settings: Settings, **overrides: Any) -> S:
    """Load one package's settings, from the same explicit file `settings` came from.

    Raises:
        ConfigurationError: no_config (a named file is missing), bad_toml, bad_config.
    """
    section = model.SECTION
    layers = [Layer("argument", overrides),
              env_layer(model, f"{ENV_PREFIX}{section.upper()}__"),
              *file_layers(settings.home, settings.config_file, section)]
    return build(model, layers, label=f"[{section}] settings")


def _path(value: Any) -> Path | None:
    return Path(value) if value else None
