"""What the real SeaweedFS lets each identity do, and that no S3 secret is on a command line.

Found against SeaweedFS 4.48: one action, PutObjectLegalHold, both places and lifts a legal
hold (as in S3), so an identity that may place holds may also lift them. The app's identity
therefore has neither; a separate identity that can do nothing else sets holds.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error
from minio.retention import Retention

from archive.devstack.seaweed import (
    S3Keys,
    find_free_s3_port,
    read_credentials,
    write_credentials,
)
from archive.evidence.errors import StackError, StoreError
from archive.store.objects import ObjectStore
from tests.integration.archive.conftest import SeaweedHandle


def _put(store: ObjectStore, data: bytes = b"evidence") -> tuple[str, str]:
    import hashlib

    key = f"tests/identities/{uuid.uuid4().hex}.bin"
    stored = store.put_locked(key, io.BytesIO(data), length=len(data),
                              sha256_hex=hashlib.sha256(data).hexdigest(),
                              retain_until=datetime.now(UTC) + timedelta(days=1),
                              content_type="application/octet-stream")
    return key, stored.version_id


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def test_the_apps_identity_can_neither_place_nor_lift_a_legal_hold(
        seaweed_server: SeaweedHandle) -> None:
    app, with_holds = seaweed_server.store(holds=False), seaweed_server.store()
    key, version = _put(app)
    with pytest.raises(StoreError, match="AccessDenied") as placing:
        app.set_legal_hold(key, version, True)
    assert placing.value.reason == "access_denied"
    assert app.get_legal_hold(key, version) is False

    with_holds.set_legal_hold(key, version, True)
    with pytest.raises(StoreError, match="AccessDenied"):
        app.set_legal_hold(key, version, False)
    raw = Minio(seaweed_server.server.endpoint, access_key=seaweed_server.access_key,
                secret_key=seaweed_server.secret_key, secure=False)
    with pytest.raises(S3Error, match="AccessDenied"):
        raw.disable_object_legal_hold(seaweed_server.bucket, key, version)
    with pytest.raises(S3Error, match="AccessDenied"):  # nor with the hold header on a put
        raw.put_object(seaweed_server.bucket, f"{key}.2", io.BytesIO(b"x"), 1, legal_hold=True)
    assert app.get_legal_hold(key, version) is True

    with_holds.set_legal_hold(key, version, False)  # the hold identity lifts what it placed
    assert app.get_legal_hold(key, version) is False


def test_the_hold_identity_can_do_nothing_else(seaweed_server: SeaweedHandle) -> None:
    key, version = _put(seaweed_server.store())
    hold = Minio(seaweed_server.server.endpoint, access_key=seaweed_server.hold_keys[0],
                 secret_key=seaweed_server.hold_keys[1], secure=False)
    bucket = seaweed_server.bucket
    refusals: dict[str, Callable[[], object]] = {
        "put": lambda: hold.put_object(bucket, f"{key}.new", io.BytesIO(b"x"), 1),
        "delete": lambda: hold.remove_object(bucket, key, version_id=version),
        "retention": lambda: hold.set_object_retention(
            bucket, key, Retention(COMPLIANCE, datetime.now(UTC) + timedelta(days=400)),
            version_id=version),
    }
    codes: dict[str, str | None] = {}
    for name, call in refusals.items():
        try:
            call()
            codes[name] = "done"
        except S3Error as exc:
            codes[name] = exc.code
    assert codes == dict.fromkeys(refusals, "AccessDenied")


def test_weed_runs_without_a_secret_on_its_command_line(seaweed_server: SeaweedHandle) -> None:
    pid = seaweed_server.server.pid
    assert pid is not None
    line = cmdline(pid)
    assert "weed mini" in line and "-s3.config=" in line
    for secret in (seaweed_server.secret_key, seaweed_server.hold_keys[1]):
        assert secret not in line
    config = Path(line.split("-s3.config=")[1].split()[0])
    assert config.stat().st_mode & 0o777 == 0o600
    assert seaweed_server.secret_key in config.read_text()


def test_credentials_file_must_be_private_and_complete(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    write_credentials(path, S3Keys("app", "app-secret", ("holds", "hold-secret")))
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_credentials(path) == S3Keys("app", "app-secret", ("holds", "hold-secret"))
    path.chmod(0o644)
    with pytest.raises(StackError, match="others may read it") as loose:
        read_credentials(path)
    assert loose.value.reason == "bad_credentials"
    path.write_text(json.dumps({"access_key": "app", "secret_key": "s",
                                "hold_access_key": "h"}))
    path.chmod(0o600)
    with pytest.raises(StackError, match="both or neither"):
        read_credentials(path)
    with pytest.raises(StackError, match="cannot read S3 credentials"):
        read_credentials(tmp_path / "missing.json")


def test_the_wrapper_takes_its_keys_from_the_file_only(tmp_path: Path) -> None:
    """`python -m archive.devstack.seaweed`, as `aidrec up` runs it: neither it nor its weed
    shows a secret; a file others may read is refused before anything starts."""
    keys = S3Keys("app-" + uuid.uuid4().hex[:8], "secret-" + uuid.uuid4().hex,
                  ("holds-" + uuid.uuid4().hex[:8], "hold-secret-" + uuid.uuid4().hex))
    credentials = tmp_path / "keys.json"
    write_credentials(credentials, keys)
    argv = [sys.executable, "-m", "archive.devstack.seaweed", "--data-dir", str(tmp_path / "s3"),
            "--s3-port", str(find_free_s3_port()), "--credentials", str(credentials),
            "--bucket", "aidrec-wrapper-test"]
    credentials.chmod(0o640)
    refused = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "others may read it" in refused.stderr
    credentials.chmod(0o600)
    wrapper = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True, start_new_session=True)
    try:
        assert wrapper.stdout is not None
        ready = wrapper.stdout.readline()
        assert ready.startswith("seaweed ready"), ready
        lines = [cmdline(pid) for pid in _family(wrapper.pid)]
        assert any("weed mini" in line for line in lines) and len(lines) >= 2
        for secret in (keys.secret_key, keys.hold_keys[1]):  # type: ignore[index]
            assert not [line for line in lines if secret in line]
    finally:
        wrapper.terminate()
        wrapper.wait(timeout=30)


def _family(pid: int) -> list[int]:
    """The process and its children (the wrapper and the weed it started)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return [pid, *children]
