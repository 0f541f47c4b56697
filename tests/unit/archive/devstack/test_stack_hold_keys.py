"""A local home made before the legal-hold identity existed gets its keys on the next `up`."""

from __future__ import annotations

import tomllib
from pathlib import Path

from archive.devstack.stack import _add_hold_keys

OLD = '# generated\n[ports]\napi = 8700\n\n[s3]\nendpoint = "127.0.0.1:8733"\naccess_key = "a"\n'


def test_old_local_toml_gains_hold_keys_once_and_stays_private(tmp_path: Path) -> None:
    local = tmp_path / "local.toml"
    local.write_text(OLD)
    local.chmod(0o600)
    _add_hold_keys(local)
    first = local.read_text()
    _add_hold_keys(local)
    assert local.read_text() == first
    s3 = tomllib.loads(first)["s3"]
    assert s3["endpoint"] == "127.0.0.1:8733" and s3["access_key"] == "a"
    assert len(s3["hold_access_key"]) == 20 and len(s3["hold_secret_key"]) == 40
    assert local.stat().st_mode & 0o777 == 0o600


def test_a_file_without_an_s3_table_is_left_alone(tmp_path: Path) -> None:
    local = tmp_path / "local.toml"
    local.write_text("[ports]\napi = 1\n")
    _add_hold_keys(local)
    assert local.read_text() == "[ports]\napi = 1\n"
