"""Response bodies of the search API (the same shapes `aidrec search --json` prints)."""

from __future__ import annotations

from transcribe.schemas import HitOut, OpenAt, QueueItemOut, SearchPageOut, page_out

__all__ = ["HitOut", "OpenAt", "QueueItemOut", "SearchPageOut", "page_out"]
