"""After login the site goes only to a same-origin path: the known open-redirect bypasses fail.

The login page renders the `next` it will follow; every bypass renders as "/". In headless
Chromium the tab and backslash forms, which browsers turn into "//evil.example", end on this
site, and so does a page whose next address was tampered with after the server rendered it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import WebSettings
from archive.evidence.vocabulary import Role
from archive.jobs import build_jobs
from archive.services import Archive
from archive.settings import Settings, load_section
from tests.integration.api.browser import chromium, serve
from tests.integration.api.conftest import PASSWORD, add_person
from tests.support import bootstrap_tree

TIMEOUT_MS = 20_000
EVIL = "evil.example"
# Raw query strings as an attacker writes them in a link.
BYPASSES = [
    "//evil.example", "/\\evil.example", "/%5Cevil.example", "/%5C/evil.example",
    "/%09/evil.example", "/%0A/evil.example", "/%0D/evil.example", "/%0D%0A/evil.example",
    "%2F%2Fevil.example", "/%2F/evil.example", "/%252F%252Fevil.example",
    "/%255C/evil.example", "/%2509/evil.example", "%09/%09/evil.example",
    "javascript:alert(1)", "https://evil.example/", "http:evil.example", "evil.example",
    "/%E3%80%80/evil.example",
]
KEPT = ["/", "/sessions/abc", "/search?q=%E6%A1%88&page=2", "/complaints/c1#top"]


@pytest.fixture
def app(settings: Settings, archive: Archive) -> FastAPI:
    settings.home.mkdir(parents=True, exist_ok=True)
    (settings.home / "transcribe.toml").write_text("enabled = false\n")
    bootstrap_tree(archive)
    add_person(archive, id="sup-wh", role=Role.SUPERVISOR, jurisdiction_id="wh", name="张监督")
    jobs = build_jobs(settings, immediate=True, archive_factory=lambda: archive)
    return create_app(settings, archive=archive, jobs=jobs,
                      web=load_section(WebSettings, settings))


def rendered_next(client: TestClient, raw_query: str) -> str:
    page = client.get(f"/login?next={raw_query}")
    assert page.status_code == 200, page.text
    found = re.search(r'id="login-form"[^>]*data-next="([^"]*)"', page.text)
    assert found is not None, page.text
    return unescape(found.group(1))


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_every_known_bypass_renders_as_home(app: FastAPI) -> None:
    with TestClient(app) as client:
        wrong = {raw: got for raw in BYPASSES if (got := rendered_next(client, raw)) != "/"}
    assert wrong == {}


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_local_paths_are_kept(app: FastAPI) -> None:
    with TestClient(app) as client:
        got = [rendered_next(client, quote(path, safe="")) for path in KEPT]
    assert got == KEPT


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def log_in_from(browser: Any, url: str, path: str,
                tamper: str | None = None) -> tuple[str, list[str]]:
    """Open the login page at `path`, log in; the final URL and every host the page asked."""
    page = browser.new_page()
    hosts: list[str] = []
    page.on("request", lambda request: hosts.append(urlsplit(request.url).hostname or ""))
    try:
        page.goto(f"{url}{path}")
        if tamper is not None:  # as if the server had let this next address through
            page.evaluate("next => { document.getElementById('login-form').dataset.next = next; }",
                          tamper)
        page.fill("#username", "sup-wh")
        page.fill("#password", PASSWORD)
        with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/login")) as login:
            page.click("#login-form button[type=submit]")
        assert login.value.status == 200
        page.wait_for_url(lambda u: urlsplit(u).path == "/", timeout=TIMEOUT_MS)
        page.wait_for_load_state()
        return page.url, hosts
    finally:
        page.close()


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("raw", ["/%09/evil.example", "/\\evil.example", "/%5C/evil.example",
                                 "/%0A/evil.example"])
def test_browser_stays_on_site_after_login(server: str, browser: Any, raw: str) -> None:
    final, hosts = log_in_from(browser, server, f"/login?next={raw}")
    assert final == f"{server}/"
    assert EVIL not in hosts and hosts


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("tampered", ["/\t/evil.example", "/\\evil.example", "//evil.example",
                                      "https://evil.example/"])
def test_page_script_refuses_an_off_site_next(server: str, browser: Any, tampered: str) -> None:
    final, hosts = log_in_from(browser, server, "/login", tamper=tampered)
    assert final == f"{server}/"
    assert EVIL not in hosts and hosts
