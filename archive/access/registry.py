"""Catalog entities access control and search need: jurisdictions, windows, devices, staff."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

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


DEVICE_USE_RECORDED_EVERY = timedelta(hours=1)


def authenticate_device(db: Session, *, token: str, now: datetime, idle_days: int) -> Device:
    """The device a bearer token belongs to, if it is neither revoked nor idle too long.

    Raises:
        PermissionDeniedError: reason "bad_token" (unknown or revoked) or "token_expired"
            (unused for `idle_days`: an administrator rotates it).
    """
    device = db.scalar(select(Device).where(Device.token_hash == hash_token(token)))
    if device is None or (device.revoked_at is not None and device.revoked_at <= now):
        raise PermissionDeniedError("unknown or revoked device token", reason="bad_token")
    if idle_since(device) + timedelta(days=idle_days) <= now:
        raise PermissionDeniedError(
            f"the token of device {device.id} was unused for {idle_days} days and has expired; "
            f"an administrator issues a new one (aidrec admin rotate-device {device.id})",
            reason="token_expired")
    return device


def idle_since(device: Device) -> datetime:
    """Since when the device's token has gone unused (issue or last recorded use)."""
    if device.last_used_at is None or device.last_used_at < device.token_issued_at:
        return device.token_issued_at
    return device.last_used_at


def use_is_stale(device: Device, now: datetime) -> bool:
    """Whether this use must be recorded: the last one on record is over an hour old."""
    return device.last_used_at is None or now - device.last_used_at >= DEVICE_USE_RECORDED_EVERY


def record_device_use(db: Session, *, id: str, now: datetime) -> None:
    """Note that the device's token was used now (callers do so at most hourly)."""
    device = db.get(Device, id)
    if device is not None and use_is_stale(device, now):
        device.last_used_at = now


def rotate_device(db: Session, *, id: str, now: datetime) -> str:
    """A new token for the device, shown only this once; the old one is refused at once.

    Raises:
        NotFoundError: no such device.
        ConflictError: the device is revoked (register a new one instead).
    """
    device = db.get(Device, id)
    if device is None:
        raise NotFoundError(f"device {id} does not exist", reason="no_device")
    if device.revoked_at is not None:
        raise ConflictError(f"device {id} is revoked; register a new device", reason="revoked")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    device.token_hash = hash_token(token)
    device.token_issued_at = now
    db.flush()
    return token


def revoke_device(db: Session, *, id: str, now: datetime) -> Device:
    """Refuse the device's token from now on (a revoked device stays revoked since then)."""
    device = db.get(Device, id)
    if device is None:
        raise NotFoundError(f"device {id} does not exist", reason="no_device")
    if device.revoked_at is None:
        device.revoked_at = now
    db.flush()
    return device


def ensure_staff(db: Session, *, id: str, jurisdiction_id: str, name: str | None = None) -> Staff:
    """Staff are referenced by id from devices and imports; unknown ids are registered."""
    staff = db.get(Staff, id)
    if staff is None:
        staff = Staff(id=id, jurisdiction_id=jurisdiction_id, name=name or id)
        db.add(staff)
        db.flush()
    return staff


def case_office(db: Session, *, jurisdiction_id: str) -> Jurisdiction:
    """The jurisdiction that numbers a window's cases: its county (a station's parent), or the
    window's own jurisdiction when that sits at county level or above."""
    node = get_jurisdiction_or_raise(db, id=jurisdiction_id)
    while node.level is JurisdictionLevel.STATION and node.parent_id is not None:
        node = get_jurisdiction_or_raise(db, id=node.parent_id)
    return node


def ensure_case(db: Session, *, number: str, jurisdiction_id: str) -> Case:
    """The case a session at a window in `jurisdiction_id` names, registering it if new.

    A case number (云援〔2026〕0123号 or a plain id) is issued by a county's legal aid centre,
    so it is unique within that county, not across counties: it resolves inside the window's
    county (`case_office`) and a new one is registered there. A case with the same number in
    another county is never attached.
    """
    number = number.strip()
    if not number or len(number) > 100:
        raise InvalidInputError("case number must be 1-100 characters", reason="bad_case")
    office = case_office(db, jurisdiction_id=jurisdiction_id)
    found = db.scalars(
        select(Case).join(Jurisdiction, Jurisdiction.id == Case.jurisdiction_id)
        .where(Case.number == number, Jurisdiction.path.startswith(office.path, autoescape=True))
        # The county's own first; one a station registered before counties numbered cases next.
        .order_by((Case.jurisdiction_id != office.id), Jurisdiction.path, Case.created_at)
        .limit(1)).first()
    if found is not None:
        return found
    case = Case(number=number, jurisdiction_id=office.id)
    db.add(case)
    db.flush()
    return case
