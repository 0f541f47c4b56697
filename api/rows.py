"""Typed helpers for two-column query results."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def pairs(rows: Iterable[Any]) -> list[tuple[Any, Any]]:
    """Rows of two columns as plain tuples."""
    return [(row[0], row[1]) for row in rows]
