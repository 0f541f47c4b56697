"""Transparency-log entries: the exact bytes whose leaf hashes the log holds."""

from __future__ import annotations

import hashlib
import json

import pytest

from archive.evidence.log_entries import document_log_entry, log_entry_bytes
from archive.evidence.merkle import leaf_hash

SHA = hashlib.sha256(b"segment 0").hexdigest()


def test_segment_entry_golden_bytes() -> None:
    assert log_entry_bytes("segment", recording="r1", seq=0, sha256=SHA) == (
        b'{"kind":"segment","recording":"r1","seq":0,"sha256":"' + SHA.encode() + b'"}')


def test_manifest_entry_golden_bytes() -> None:
    assert log_entry_bytes("manifest", recording="r1", seal=2, sha256=SHA) == (
        b'{"kind":"manifest","recording":"r1","seal":2,"sha256":"' + SHA.encode() + b'"}')


def test_document_entry_golden_bytes() -> None:
    assert document_log_entry("transcript", "录像/1", SHA) == (
        '{"kind":"transcript","ref":"录像/1","sha256":"' + SHA + '"}').encode()
    assert document_log_entry("transcript", "录像/1", SHA) == log_entry_bytes(
        "transcript", ref="录像/1", sha256=SHA)


def test_the_kind_is_part_of_what_is_logged() -> None:
    segment = log_entry_bytes("segment", ref="r1/0", sha256=SHA)
    manifest = log_entry_bytes("manifest", ref="r1/0", sha256=SHA)
    assert json.loads(segment)["kind"] == "segment"
    assert leaf_hash(segment) != leaf_hash(manifest)  # same fields, another entry


def test_the_kind_cannot_be_overridden_by_a_field() -> None:
    fields = {"kind": "manifest", "sha256": SHA}
    with pytest.raises(TypeError, match="multiple values for argument 'kind'"):
        log_entry_bytes("segment", **fields)


def test_entries_refuse_floats() -> None:
    with pytest.raises(TypeError, match="floats are not allowed"):
        log_entry_bytes("segment", recording="r1", seq=0.0, sha256=SHA)
