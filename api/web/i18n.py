"""Message catalogs (Babel .po files, compiled in memory at start) and locale choice.

Source strings (msgids) are English; `zh_CN` is the default page language. A request gets
English with `?lang=en` (remembered in a cookie) or when the browser prefers English.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from fastapi import Request

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LOCALES = ("zh_CN", "en")
LANG_COOKIE = "aidrec_lang"


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> Translations:
    """The compiled catalog of a locale (fuzzy entries are left out, as msgfmt does)."""
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain="messages")


def _normal(tag: str) -> str | None:
    tag = tag.strip().replace("-", "_").lower()
    if tag.startswith("zh"):
        return "zh_CN"
    if tag.startswith("en"):
        return "en"
    return None


def choose_locale(request: Request, default: str) -> str:
    """?lang= beats the cookie, which beats Accept-Language, which beats the default."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate and (found := _normal(candidate)):
            return found
    header = request.headers.get("accept-language", "")
    ranked = []
    for index, part in enumerate(header.split(",")[:10]):
        tag, _, params = part.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, index, tag))
    for _, _, tag in sorted(ranked):
        if found := _normal(tag):
            return found
    return default
