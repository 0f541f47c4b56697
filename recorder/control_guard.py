"""Who may call the agent's control API: checks on the headers, before any body is read.

A web page open on the window's PC can reach 127.0.0.1 too, so a request must prove that
it comes from a program that can read the per-machine secret (`Authorization: Bearer`),
name the loopback address it was sent to (`Host`: no DNS rebinding), come from no other
origin (`Origin`, `Sec-Fetch-Site`), and carry JSON (a form post cannot; a no-cors fetch
cannot set the header or the type without a preflight, which is never answered).
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

AUTH_SCHEME = "Bearer"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
CHECKED = ("host", "origin", "sec-fetch-site", "authorization", "transfer-encoding",
           "content-length", "content-type")
SAME_SITE = ("same-origin", "none")  # Sec-Fetch-Site of the agent's own page or a user's


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str
    message: str


def allowed_hosts(port: int) -> frozenset[str]:
    return frozenset(f"{name}:{port}" for name in LOOPBACK_NAMES)


def check(*, method: str, headers: Mapping[str, str], port: int,
          secret: str) -> Refusal | None:
    """Why the request is refused, or None; `headers` has lower-case names, each once."""
    hosts = allowed_hosts(port)
    host = (headers.get("host") or "").strip().lower()
    if host not in hosts:
        return Refusal(403, "bad_host", f"Host must be one of {', '.join(sorted(hosts))}, "
                       f"got {host or 'none'!r}")
    origin = headers.get("origin")
    if origin is not None and origin.strip().lower() not in {f"http://{h}" for h in hosts}:
        return Refusal(403, "bad_origin", f"requests from {origin!r} are not accepted")
    site = headers.get("sec-fetch-site")
    if site is not None and site.strip().lower() not in SAME_SITE:
        return Refusal(403, "cross_site", f"{site} requests are not accepted")
    presented = headers.get("authorization") or ""
    scheme, _, value = presented.partition(" ")
    if scheme != AUTH_SCHEME or not value.strip():
        return Refusal(401, "no_secret", "every call needs Authorization: Bearer <the "
                       "control secret> (from the agent's control_secret_file)")
    if not hmac.compare_digest(value.strip().encode(), secret.encode()):
        return Refusal(401, "bad_secret", "the control secret is wrong")
    if headers.get("transfer-encoding") is not None:
        return Refusal(411, "length_required", "send the body with a Content-Length")
    length = (headers.get("content-length") or "0").strip()
    if not length.isdigit():
        return Refusal(400, "bad_length", "Content-Length is not a number")
    has_body = int(length) > 0
    if method == "POST" or has_body:
        media = (headers.get("content-type") or "").split(";")[0].strip().lower()
        if media != "application/json":
            return Refusal(415, "not_json", "the body must be application/json, got "
                           f"{media or 'no type'!r}")
    return None


def header_map(items: list[tuple[str, str]]) -> dict[str, str] | Refusal:
    """Headers by lower-case name; a checked header sent twice is refused."""
    out: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        if key in out and key in CHECKED:
            return Refusal(400, "duplicate_header", f"{name} was sent more than once")
        out[key] = value
    return out


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def write_secret(path: Path, secret: str, *, group: str | None) -> None:
    """Write the secret atomically: mode 0600, or 0640 with `group` (the staff UI's).

    Raises:
        OSError: the file cannot be written, or the group does not exist or cannot be set.
    """
    import grp

    gid = grp.getgrnam(group).gr_gid if group else -1
    mode = 0o640 if group else 0o600
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        try:
            if gid != -1:
                os.fchown(handle.fileno(), -1, gid)
            os.fchmod(handle.fileno(), mode)
            handle.write(secret + "\n")
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    os.replace(tmp, path)


def read_secret(path: Path) -> str:
    """Raises:
        OSError: the file cannot be read (not this user's, or no agent wrote it).
        ValueError: the file is empty.
    """
    value = path.read_text().strip()
    if not value:
        raise ValueError(f"{path} is empty")
    return value
