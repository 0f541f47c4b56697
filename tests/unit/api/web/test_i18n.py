"""Message catalogs: complete in Chinese, chosen by ?lang=, cookie or Accept-Language."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from starlette.requests import Request

from api.web import i18n
from api.web.labels import LABELS

LOCALE = Path(i18n.LOCALE_DIR)


def _catalog(locale: str) -> dict[str, str]:
    with (LOCALE / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle) if m.id}


def test_every_message_is_translated_into_chinese() -> None:
    with (LOCALE / "messages.pot").open("rb") as handle:
        wanted = {str(m.id) for m in read_po(handle) if m.id}
    zh, en = _catalog("zh_CN"), _catalog("en")
    assert wanted, "the template is empty"
    assert not sorted(m for m in wanted if not zh.get(m)), "untranslated"
    assert not sorted(m for m in wanted if not en.get(m))
    # Placeholders survive translation.
    for msgid, msgstr in zh.items():
        for name in ("%(n)s", "%(time)s", "%(window)s", "%(at)s", "%(first)s", "{reason}"):
            assert (name in msgid) == (name in msgstr), msgid


def test_labels_are_in_the_catalog() -> None:
    zh = _catalog("zh_CN")
    missing = [msgid for table in LABELS.values() for msgid in table.values()
               if msgid not in zh]
    assert not missing


def test_compiled_translations() -> None:
    assert i18n.translations("zh_CN").gettext("Dashboard") == "首页"
    assert i18n.translations("en").gettext("Dashboard") == "Dashboard"


def _request(query: str = "", headers: dict[str, str] | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request({"type": "http", "query_string": query.encode(), "headers": raw,
                    "method": "GET", "path": "/"})


@pytest.mark.parametrize(("query", "headers", "expected"), [
    ("", {}, "zh_CN"),
    ("lang=en", {}, "en"),
    ("lang=zh-CN", {"accept-language": "en-US"}, "zh_CN"),
    ("", {"accept-language": "en-US,en;q=0.9"}, "en"),
    ("", {"accept-language": "fr-FR, zh-CN;q=0.8, en;q=0.5"}, "zh_CN"),
    ("", {"cookie": "aidrec_lang=en"}, "en"),
    ("lang=xx", {"accept-language": "de"}, "zh_CN"),
])
def test_choose_locale(query: str, headers: dict[str, str], expected: str) -> None:
    assert i18n.choose_locale(_request(query, headers), "zh_CN") == expected
