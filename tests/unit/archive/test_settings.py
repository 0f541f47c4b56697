"""The one settings loader: the same sources, order and errors for every package's settings."""

from __future__ import annotations

import os
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from archive.evidence.errors import ConfigurationError
from archive.settings import Section, Settings, load_section, load_settings
from archive.settings.layers import SECTIONS_GROUP

SECTIONS: dict[str, type[Section]] = {
    ep.name: ep.load() for ep in entry_points(group=SECTIONS_GROUP)}
# A key and a valid value of each section, to see which source it came from.
PROBES = {"transcribe": ("beam_size", 1, 2, 3, 4), "retention": ("recheck_days", 1, 2, 3, 4),
          "web": ("session_max_hours", 1, 2, 3, 4)}


@pytest.fixture(autouse=True)
def _no_aidrec_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in os.environ:
        if name.startswith("AIDREC_"):
            monkeypatch.delenv(name)


def test_every_registered_section_is_a_section_named_by_its_entry_point() -> None:
    assert set(SECTIONS) == set(PROBES)
    for name, model in SECTIONS.items():
        assert issubclass(model, Section) and name == model.SECTION
        assert name not in Settings.model_fields  # its table is not one of the archive's


def test_archive_arguments_over_env_over_explicit_file_over_local_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "local.toml").write_text('public_url = "http://local"\n[ports]\napi = 1\n'
                                         's3 = 1\ntsa = 1\nseaweed_base = 1024\n')
    explicit = tmp_path / "aidrec.toml"
    explicit.write_text('public_url = "http://explicit"\n[ports]\napi = 2\ns3 = 2\ntsa = 2\n'
                        '[transcribe]\nbeam_size = 2\n')
    monkeypatch.setenv("AIDREC_HOME", str(tmp_path))
    monkeypatch.setenv("AIDREC_PORTS__S3", "3")
    monkeypatch.setenv("AIDREC_PORTS__API", "3")
    settings = load_settings(explicit, ports={"api": 4})
    assert settings.ports.model_dump() == {"api": 4, "s3": 3, "tsa": 2, "seaweed_base": 1024}
    assert (settings.public_url, settings.home) == ("http://explicit", tmp_path)
    assert settings.config_file == explicit.resolve()
    assert load_settings().public_url == "http://local"  # no explicit file: local.toml only


def test_the_explicit_file_may_be_named_by_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = tmp_path / "aidrec.toml"
    explicit.write_text(f'home = "{tmp_path}"\n')
    monkeypatch.setenv("AIDREC_CONFIG", str(explicit))
    settings = load_settings()
    assert (settings.home, settings.config_file) == (tmp_path, explicit.resolve())


@pytest.mark.parametrize("section", sorted(PROBES))
def test_section_arguments_over_env_over_explicit_table_over_home_file(
        section: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = SECTIONS[section]
    key, in_home, in_explicit, in_env, in_argument = PROBES[section]
    settings = load_settings(home=tmp_path)
    assert getattr(load_section(model, settings), key) == model.model_fields[key].default
    (tmp_path / f"{section}.toml").write_text(f"{key} = {in_home}\n")
    assert getattr(load_section(model, settings), key) == in_home
    explicit = tmp_path / "aidrec.toml"
    explicit.write_text(f"[{section}]\n{key} = {in_explicit}\n")
    settings = load_settings(explicit, home=tmp_path)
    assert getattr(load_section(model, settings), key) == in_explicit
    monkeypatch.setenv(f"AIDREC_{section.upper()}__{key.upper()}", str(in_env))
    assert getattr(load_section(model, settings), key) == in_env
    assert getattr(load_section(model, settings, **{key: in_argument}), key) == in_argument


@pytest.mark.parametrize("section", sorted(PROBES))
def test_a_named_section_file_replaces_the_home_one(
        section: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = SECTIONS[section]
    key, in_home, in_named, *_ = PROBES[section]
    (tmp_path / f"{section}.toml").write_text(f"{key} = {in_home}\n")
    named = tmp_path / "elsewhere.toml"
    named.write_text(f"{key} = {in_named}\n")
    monkeypatch.setenv(f"AIDREC_{section.upper()}_CONFIG", str(named))
    assert getattr(load_section(model, Settings(home=tmp_path)), key) == in_named


def test_direct_construction_reads_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIDREC_PUBLIC_URL", "http://env")
    monkeypatch.setenv("AIDREC_TRANSCRIBE__BEAM_SIZE", "2")
    assert Settings().public_url is None
    assert SECTIONS["transcribe"]().model_dump()["beam_size"] == 5


def _load(package: str, home: Path) -> object:
    """A package's settings as an entry point loads them: the archive's first."""
    settings = load_settings(home=home)
    return settings if package == "archive" else load_section(SECTIONS[package], settings)


def _home_file(home: Path, package: str) -> Path:
    return home / ("local.toml" if package == "archive" else f"{package}.toml")


PACKAGES = ["archive", *sorted(PROBES)]


@pytest.mark.parametrize("package", PACKAGES)
def test_an_unknown_key_is_refused_naming_the_file_and_key(package: str,
                                                          tmp_path: Path) -> None:
    path = _home_file(tmp_path, package)
    path.write_text('colour = "red"\n')
    with pytest.raises(ConfigurationError, match=f"^config file {path}, key colour: "
                       "unknown key$") as caught:
        _load(package, tmp_path)
    assert caught.value.reason == "bad_config"


@pytest.mark.parametrize("package", PACKAGES)
def test_unreadable_toml_is_refused_naming_the_file(package: str, tmp_path: Path) -> None:
    path = _home_file(tmp_path, package)
    path.write_text("colour = \n")
    with pytest.raises(ConfigurationError, match=f"^config file {path}: not valid TOML: ") \
            as caught:
        _load(package, tmp_path)
    assert caught.value.reason == "bad_toml"


@pytest.mark.parametrize(("package", "key", "value"), [
    ("archive", "ports.api", "0"), ("transcribe", "beam_size", "0"),
    ("retention", "certificate_retain_days", "10"), ("web", "session_max_hours", "0")])
def test_a_bad_value_is_refused_naming_where_it_came_from(
        package: str, key: str, value: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = tmp_path / "aidrec.toml"
    table, name = key.rsplit(".", 1) if package == "archive" else (package, key)
    explicit.write_text(f"[{table}]\n{name} = {value}\n")
    monkeypatch.setenv("AIDREC_CONFIG", str(explicit))
    dotted = f"{table}.{name}"
    with pytest.raises(ConfigurationError, match=f"^config file {explicit.resolve()}, key "
                       f"{dotted}: Input should be") as caught:
        _load(package, tmp_path)
    assert caught.value.reason == "bad_config"
    variable = f"AIDREC_{dotted.replace('.', '__').upper()}"
    monkeypatch.setenv(variable, value)
    monkeypatch.delenv("AIDREC_CONFIG")
    with pytest.raises(ConfigurationError, match=f"^environment variable {variable}: "):
        _load(package, tmp_path)


def test_an_error_of_the_whole_section_names_its_sources(tmp_path: Path) -> None:
    (tmp_path / "transcribe.toml").write_text('compute_type = "float16"\n')
    with pytest.raises(ConfigurationError, match=r"^\[transcribe\] settings \(from config file "
                       f"{tmp_path / 'transcribe.toml'}\\): Value error, compute_type float16 "
                       "needs device cuda"):
        _load("transcribe", tmp_path)


def test_a_table_of_no_package_is_refused(tmp_path: Path) -> None:
    explicit = tmp_path / "aidrec.toml"
    explicit.write_text("[transcrbe]\nbeam_size = 2\n")
    with pytest.raises(ConfigurationError, match=f"^config file {explicit.resolve()}, key "
                       "transcrbe: unknown key$"):
        load_settings(explicit, home=tmp_path)


def test_a_section_key_that_is_not_a_table_is_refused(tmp_path: Path) -> None:
    explicit = tmp_path / "aidrec.toml"
    explicit.write_text("transcribe = 2\n")
    with pytest.raises(ConfigurationError, match="key transcribe: unknown key"):
        load_settings(explicit, home=tmp_path)
    settings = Settings(home=tmp_path, config_file=explicit)
    with pytest.raises(ConfigurationError, match="key transcribe: expected a table"):
        load_section(SECTIONS["transcribe"], settings)


@pytest.mark.parametrize("variable", ["AIDREC_CONFIG", "AIDREC_TRANSCRIBE_CONFIG",
                                      "AIDREC_RETENTION_CONFIG", "AIDREC_WEB_CONFIG"])
def test_a_named_file_that_is_missing_is_refused(variable: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope.toml"
    monkeypatch.setenv(variable, str(missing))
    package = variable.removeprefix("AIDREC_").removesuffix("CONFIG").rstrip("_").lower()
    with pytest.raises(ConfigurationError, match=f"^config file {missing} does not exist "
                       f"\\(named by {variable}\\)$") as caught:
        _load(package or "archive", tmp_path)
    assert caught.value.reason == "no_config"
    with pytest.raises(ConfigurationError, match=f"^config file {missing} does not exist$"):
        load_settings(missing)
