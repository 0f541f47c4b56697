"""Small shared helpers of the package code: certificates from files, pyHanko's async calls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509

from archive.evidence.errors import ConfigurationError

_T = TypeVar("_T")


def pem_blocks(raw: bytes) -> list[bytes]:
    """DER objects of a PEM file (several blocks allowed) or of one DER object."""
    if pem.detect(raw):
        return [der for _, _, der in pem.unarmor(raw, multiple=True)]
    return [raw]


def load_certs(paths: Sequence[Path]) -> list[asn1_x509.Certificate]:
    """Certificates from PEM (one or several) or DER files.

    Raises:
        ConfigurationError: reason bad_cert.
    """
    certs = []
    for path in paths:
        try:
            for der in pem_blocks(path.read_bytes()):
                x509.load_der_x509_certificate(der)  # strict parse: fail here, not later
                certs.append(asn1_x509.Certificate.load(der))
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigurationError(f"got unreadable certificate file {path}: {exc}",
                                     reason="bad_cert") from exc
    return certs


def run_sync(make_coro: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a pyHanko coroutine from synchronous code, inside a running loop or not."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coro())
    # Called from inside a running loop (an async def): asyncio.run would refuse to nest,
    # so run a loop of our own on a helper thread and wait for it.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyhanko") as pool:
        return pool.submit(lambda: asyncio.run(make_coro())).result()
