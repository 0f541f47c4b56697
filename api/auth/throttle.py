"""Login rate limiting: per name and per address, checked and counted in one transaction.

Each attempt counts as a failure *before* its password is checked (`reserve`), under a lock
on both keys (an advisory lock on PostgreSQL; SQLite's writer already holds the database),
so parallel attempts can never pass more than the limit allows; a right password takes its
count back (`forgive`). After `login_max_failures` failures of a name (or
`login_max_failures_per_ip` from an address) each further try needs a wait that doubles per
failure up to `login_delay_max_s`, answered 429 with Retry-After without checking anything.
Nobody is locked out: once the wait has passed the right password works.

A burst ends `login_window_minutes` after its last failure or refusal (for a name, also when
the person logs in) and is then written to the access log as one `login_failed` entry with
its counts, so failures cannot flood the log. Bursts that nobody touches again are closed
by the next login of anyone (`sweep`) or by `close_quiet_bursts`.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session as DBSession

from api.auth.models import LoginThrottle
from api.settings import WebSettings
from archive.audit import log as audit
from archive.catalog.db import Catalog
from archive.evidence.canonical import iso

USER, ADDRESS = "user", "ip"
_PG_LOCK_CLASS = 6216010  # beside the access log's 6216005 and the transparency log's 6216001
SEEN_MAX = 10
SWEEP_BATCH = 20


@dataclass(frozen=True)
class Decision:
    """What `reserve` decided: refused (wait `retry_after_s`) or counted, to be checked."""

    retry_after_s: int | None
    message: str = ""


def _key32(kind: str, key: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{kind}:{key}".encode()).digest()[:4], "big",
                          signed=True)


def _lock(db: DBSession, kind: str, key: str, *, wait: bool = True) -> bool:
    if db.get_bind().dialect.name == "sqlite":
        return True  # the write transaction is exclusive (BEGIN IMMEDIATE)
    fn = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    got = db.execute(text(f"SELECT {fn}(:c, :k)"),
                     {"c": _PG_LOCK_CLASS, "k": _key32(kind, key)}).scalar()
    return wait or bool(got)


def _get(db: DBSession, kind: str, key: str) -> LoginThrottle | None:
    # Read after the lock, never from the session's cache.
    return db.execute(select(LoginThrottle).where(LoginThrottle.kind == kind,
                                                  LoginThrottle.key == key)
                      .execution_options(populate_existing=True)).scalar_one_or_none()


def _quiet(row: LoginThrottle, now: datetime, web: WebSettings) -> bool:
    return (row.last_at + timedelta(minutes=web.login_window_minutes) <= now
            and (row.blocked_until is None or row.blocked_until <= now))


def _free(kind: str, web: WebSettings) -> int:
    return web.login_max_failures if kind == USER else web.login_max_failures_per_ip


def _wait(failures: int, free: int, web: WebSettings) -> timedelta | None:
    if failures < free:
        return None
    seconds = web.login_delay_initial_s * 2.0 ** min(failures - free, 40)
    return timedelta(seconds=min(web.login_delay_max_s, seconds))


def _note(row: LoginThrottle, other: str) -> None:
    seen: dict[str, Any] = dict(row.seen or {})
    values = list(seen.get("values", []))
    if other not in values:
        if len(values) < SEEN_MAX:
            values.append(other)
        else:
            seen["more"] = True
    row.seen = {**seen, "values": values}  # a new dict: JSON columns see only assignment


def close(db: DBSession, row: LoginThrottle, *, now: datetime) -> None:
    """End a burst: one access-log entry with its counts (if it holds anything), row gone."""
    values = list((row.seen or {}).get("values", []))
    more = bool((row.seen or {}).get("more"))
    if row.kind == USER and (row.failures or row.refused):
        detail: dict[str, Any] = {"addresses": values}
        target_type, ip = "user", values[-1] if values else ""
    elif row.kind == ADDRESS and row.refused:
        detail, target_type, ip = {"names": values}, "address", row.key
    else:
        detail = {}
    if detail:
        audit.append(db, audit.Access(
            action="login_failed", at=now, target_type=target_type, target_id=row.key, ip=ip,
            outcome="denied", detail={**detail, "more": more, "failures": row.failures,
                                      "refused": row.refused, "first_at": iso(row.first_at),
                                      "last_at": iso(row.last_at)}))
    db.delete(row)
    db.flush()


def reserve(db: DBSession, *, name: str, ip: str, now: datetime,
            web: WebSettings) -> Decision:
    """Check both limits and count this attempt as a failure, in the caller's transaction.

    A refused attempt is counted as refused (its password is never checked).
    """
    sides = ((USER, name, ip), (ADDRESS, ip, name))
    rows: dict[str, LoginThrottle | None] = {}
    for kind, key, _ in sides:  # always name before address: no lock cycles
        _lock(db, kind, key)
        row = _get(db, kind, key)
        if row is not None and _quiet(row, now, web):
            close(db, row, now=now)
            row = None
        rows[kind] = row
    for kind, _key, other in reversed(sides):
        row = rows[kind]
        if row is not None and row.blocked_until is not None and row.blocked_until > now:
            row.refused += 1
            row.last_at = now
            _note(row, other)
            what = "for this name" if kind == USER else "from this address"
            wait = max(1, math.ceil((row.blocked_until - now).total_seconds()))
            return Decision(retry_after_s=wait, message=f"too many failed logins {what}; "
                            f"try again in {wait} s")
    for kind, key, other in sides:
        row = rows[kind]
        if row is None:
            row = LoginThrottle(kind=kind, key=key, failures=0, refused=0, first_at=now,
                                last_at=now, blocked_until=None, seen={})
            db.add(row)
        row.failures += 1
        row.last_at = now
        _note(row, other)
        delay = _wait(row.failures, _free(kind, web), web)
        row.blocked_until = now + delay if delay is not None else None
    db.flush()
    return Decision(retry_after_s=None)


def forgive(db: DBSession, *, name: str, ip: str, now: datetime, web: WebSettings) -> None:
    """The password was right: the name's burst ends; the address gets this attempt back."""
    for kind, key in ((USER, name), (ADDRESS, ip)):
        _lock(db, kind, key)
    user = _get(db, USER, name)
    if user is not None:
        user.failures = max(0, user.failures - 1)
        close(db, user, now=now)
    address = _get(db, ADDRESS, ip)
    if address is not None:
        address.failures = max(0, address.failures - 1)
        if address.failures < web.login_max_failures_per_ip:
            address.blocked_until = None
        if not address.failures and not address.refused:
            db.delete(address)


def sweep(db: DBSession, *, now: datetime, web: WebSettings, limit: int = SWEEP_BATCH) -> int:
    """Close up to `limit` bursts whose window has passed; how many were closed."""
    cutoff = now - timedelta(minutes=web.login_window_minutes)
    candidates = db.execute(
        select(LoginThrottle.kind, LoginThrottle.key)
        .where(LoginThrottle.last_at <= cutoff,
               or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until <= now))
        .order_by(LoginThrottle.last_at).limit(limit)).all()
    closed = 0
    for kind, key in candidates:
        if not _lock(db, kind, key, wait=False):
            continue  # another login is at it: it closes the burst itself
        row = _get(db, kind, key)
        if row is not None and _quiet(row, now, web):
            close(db, row, now=now)
            closed += 1
    return closed


def close_quiet_bursts(catalog: Catalog, *, now: datetime, web: WebSettings) -> int:
    """Close every ended burst (for a periodic job or before reading the access log)."""
    total = 0
    while True:
        with catalog.write() as db:
            closed = sweep(db, now=now, web=web)
        total += closed
        if closed < SWEEP_BATCH:
            return total
