"""The server-rendered site (zh-CN by default): login, error pages, static files, page routers.

Reads call the same services as the JSON API; every change a page makes goes through the JSON
API (static/app.js posts the forms).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote, unquote, urlsplit

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.deps import PublicDep
from api.web import pages_inspect, pages_review
from api.web.common import pages_of, render
from api.web.labels import LABELS
from api.web.render import Pages

STATIC = Path(__file__).resolve().parent / "static"
router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def _safe_next(value: str | None) -> str:
    """Only same-origin absolute paths: never redirect off-site after login.

    Browsers drop tabs and line breaks from a URL and read a backslash as a slash, so slash,
    tab, slash, "evil" (or slash, backslash, "evil") means "//evil": another host. The value
    must be free of them, and so must its percent-decoded form, in case something decodes it
    once more.
    """
    if not value:
        return "/"
    decoded = unquote(value)
    if any(not c.isprintable() or c.isspace() for c in value) or any(
            not c.isprintable() or (c.isspace() and c != " ") for c in decoded):
        return "/"
    for form in (value, decoded):
        if not form.startswith("/") or form[1:2] == "/" or "\\" in form:
            return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value


@router.get("/login")
def login_page(request: Request, _: PublicDep,
               next: Annotated[str | None, Query(max_length=500)] = None) -> HTMLResponse:
    return render(request, "login.html", next=_safe_next(next))


@router.get("/activate")
def activate_page(request: Request, _: PublicDep) -> HTMLResponse:
    """Choose one's password with a one-time link (its token is in the fragment)."""
    return render(request, "activate.html")


def render_error(request: Request, status: int, reason: str, message: str) -> Response:
    """Error pages; nobody logged in goes to the login page and comes back after."""
    if status == 401 and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    pages = pages_of(request)
    if reason in LABELS["error"]:
        message = pages.gettext(request, LABELS["error"][reason])
    return pages.render(request, "error.html", {"status": status, "reason": reason,
                                                "message": message}, status=status)


def install(app: FastAPI) -> None:
    """Pages, static files (public: code and styles only), and HTML error pages."""
    app.state.pages = Pages(app.state.web)
    app.state.render_error = render_error
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(router)
    app.include_router(pages_review.router)
    app.include_router(pages_inspect.router)
