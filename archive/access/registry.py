"""Catalog entities access control and search need: jurisdictions, windows, devices, staff."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.catalog.models import Camera, Case, Device, Jurisdiction, Staff, Window
from archive.evidence.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from archive.evidence.vocabulary import JurisdictionLevel, WindowKind

_LEVEL_ORDER = list(JurisdictionLevel)
TOKEN_PREFIX = "aidrec_dev_"  # noqa: S105 - a prefix, not a secret


def create_jurisdiction(
    db: Session, *, id: str, name: str, level: JurisdictionLevel, parent_id: str | None = None
) -> Jurisdiction:
    """Add a node to the jurisdiction tree; a child sits exactly one level below its parent."""
    if db.get(Jurisdiction, id) is not None:
        raise ConflictError(f"jurisdiction {id} already exists", reason="exists")
    if parent_id is None:
        if level is not JurisdictionLevel.PROVINCE:
            raise InvalidInputError("only a province may have no parent", reason="no_parent")
        path = f"/{id}/"
    else:
        parent = get_jurisdiction_or_raise(db, id=parent_id)
        expected = _LEVEL_ORDER[_LEVEL_ORDER.index(parent.level) + 1 :][:1]
        if [level] != expected:
            raise InvalidInputError(
                f"got level {level.value} under a {parent.level.value}, expected "
                f"{expected[0].value if expected else 'nothing'}",
                reason="bad_level",
            )
        path = f"{parent.path}{id}/"
    node = Jurisdiction(id=id, name=name, level=level, parent_id=parent_id, path=path)
    db.add(node)
    db.flush()
    return node


def get_jurisdiction_or_raise(db: Session, *, id: str) -> Jurisdiction:
    node = db.get(Jurisdiction, id)
    if node is None:
        raise NotFoundError(f"jurisdiction {id} does not exist", reason="no_jurisdiction")
    return node


def create_window(
    db: Session, *, id: str, name: str, jurisdiction_id: str,
    kind: WindowKind = WindowKind.WINDOW, language: str | None = None,
) -> Window:
    if db.get(Window, id) is not None:
        raise ConflictError(f"window {id} already exists", reason="exists")
    get_jurisdiction_or_raise(db, id=jurisdiction_id)
    window = Window(id=id, name=name, jurisdiction_id=jurisdiction_id, kind=kind,
                    language=language)
    db.add(window)
    db.flush()
    db.add(Camera(id=f"{id}-cam1", window_id=id, name=f"{name} camera"))
    db.flush()
    return window


def get_window_or_raise(db: Session, *, id: str) -> Window:
    window = db.get(Window, id)
    if window is None:
        raise NotFoundError(f"window {id} does not exist", reason="no_window")
    return window


def create_device(db: Session, *, id: str, name: str, jurisdiction_id: str) -> tuple[Device, str]:
    """Register a recorder agent; returns it with its bearer token, shown only this once."""
    if db.get(Device, id) is not None:
        raise ConflictError(f"device {id} already exists", reason="exists")
    get_jurisdiction_or_raise(db, id=jurisdiction_id)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    device = Device(id=id, name=name, jurisdiction_id=jurisdiction_id,
                    token_hash=hash_token(token))
    db.add(device)
    db.flush()
    return device, token


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a plain SHA-256 is as strong as a slow hash here.
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate_device(db: Session, *, token: str, now: datetime) -> Device:
    device = db.scalar(select(Device).where(Device.token_hash == hash_token(token)))
    if device is None or (device.revoked_at is not None and device.revoked_at <= now):
        raise PermissionDeniedError("unknown or revoked device token", reason="bad_token")
    return device


def revoke_device(db: Session, *, id: str, now: datetime) -> None:
    device = db.get(Device, id)
    if device is None:
        raise NotFoundError(f"device {id} does not exist", reason="no_device")
    device.revoked_at = now


def ensure_staff(db: Session, *, id: str, jurisdiction_id: str, name: str | None = None) -> Staff:
    """Staff are referenced by id from devices and imports; unknown ids are registered."""
    staff = db.get(Staff, id)
    if staff is None:
        staff = Staff(id=id, jurisdiction_id=jurisdiction_id, name=name or id)
        db.add(staff)
        db.flush()
    return staff


def ensure_case(db: Session, *, number: str, jurisdiction_id: str | None) -> Case:
    """Find a case by its number (云援〔2026〕0123号 or a plain id), registering it if new."""
    number = number.strip()
    if not number or len(number) > 100:
        raise InvalidInputError("case number must be 1-100 characters", reason="bad_case")
    case = db.scalar(select(Case).where(Case.number == number))
    if case is None:
        case = Case(number=number, jurisdiction_id=jurisdiction_id)
        db.add(case)
        db.flush()
    return case
