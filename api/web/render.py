"""Rendering pages: one Jinja environment per locale, with filters for times and labels."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.settings import WebSettings
from api.web import i18n
from api.web.labels import LABELS, label

TEMPLATES = Path(__file__).resolve().parent / "templates"


class Pages:
    """Renders templates in the request's language, with the person and CSRF token."""

    def __init__(self, web: WebSettings) -> None:
        self.web = web
        self.envs = {locale: self._environment(locale) for locale in i18n.LOCALES}

    def _environment(self, locale: str) -> Environment:
        env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(),
                          extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
        translations = i18n.translations(locale)
        env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
        zone = self.web.zone

        def when(moment: datetime | None, pattern: str = "%Y-%m-%d %H:%M:%S") -> str:
            return moment.astimezone(zone).strftime(pattern) if moment else "—"

        def clock(moment: datetime | None) -> str:
            return when(moment, "%H:%M:%S")

        def day_long(day: date) -> str:
            return format_date(day, format="full", locale=locale)

        def duration(ms: float | None) -> str:
            if ms is None:
                return "—"
            seconds = int(ms // 1000)
            hours, rest = divmod(seconds, 3600)
            return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else \
                f"{rest // 60:02d}:{rest % 60:02d}"

        def label_of(code: str | None, kind: str) -> str:
            return str(translations.gettext(label(kind, code)))

        def xpos(moment: datetime, start: datetime, end: datetime) -> float:
            """Where a moment lies on a 0-1000 wide drawing of [start, end]."""
            span = max((end - start).total_seconds(), 1.0)
            return round(min(max((moment - start).total_seconds() / span, 0.0), 1.0) * 1000, 2)

        env.filters.update(when=when, clock=clock, day_long=day_long, duration=duration,
                           label=label_of)
        env.globals.update(xpos=xpos)
        errors = {reason: str(translations.gettext(msgid))
                  for reason, msgid in LABELS["error"].items()}
        env.globals.update(locale=locale, html_lang="zh-CN" if locale == "zh_CN" else "en",
                           error_messages_json=json.dumps(errors, ensure_ascii=False))
        return env

    def locale_of(self, request: Request) -> str:
        return i18n.choose_locale(request, self.web.default_locale)

    def render(self, request: Request, name: str, context: dict[str, Any], *,
               status: int = 200) -> HTMLResponse:
        locale = self.locale_of(request)
        env = self.envs[locale]
        auth = getattr(request.state, "session_auth", None)
        params = dict(request.query_params)
        params.pop("lang", None)
        other = "en" if locale == "zh_CN" else "zh_CN"
        switch = request.url.path + "?" + urlencode({**params, "lang": other})
        html = env.get_template(name).render(
            request=request, csrf_token=getattr(auth, "csrf_token", ""),
            principal=getattr(request.state, "principal", None), lang_switch=switch,
            other_locale=other, **context)
        response = HTMLResponse(html, status_code=status, headers={
            "Cache-Control": "no-store", "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                                       "media-src 'self' blob:; worker-src 'self' blob:; "
                                       "style-src 'self'; script-src 'self'; "
                                       "frame-ancestors 'none'; form-action 'self'"})
        if request.query_params.get("lang") in i18n.LOCALES or \
                request.query_params.get("lang") in ("zh", "zh-CN", "en"):
            response.set_cookie(i18n.LANG_COOKIE, locale, samesite="strict", path="/",
                                max_age=365 * 24 * 3600)
        return response

    def gettext(self, request: Request, message: str) -> str:
        return str(i18n.translations(self.locale_of(request)).gettext(message))
