"""A web page open on the window's PC cannot use the agent's control API: a real Chromium
loads a page from another local port that posts a form (JSON smuggled as text/plain) and
sends no-cors fetches to the control API; every request arrives, is refused, and changes
nothing."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import pytest

from recorder.agent import Agent
from recorder.control import ControlServer, call, read_secret
from tests.integration.api.browser import chromium
from tests.unit.recorder.test_control import FakeAgent

PAGE = """<!doctype html><html><body>
<form id="f" method="POST" enctype="text/plain" action="{control}/windows/w1/sessions/end">
  <input name='{{"label": "x", "pad": "' value='"}}'>
</form>
<form id="g" method="POST" action="{control}/windows/w1/markers">
  <input name="label" value="forged">
</form>
<script>
async function forge() {{
  const out = [];
  for (const [path, type] of [["/windows/w1/markers", "text/plain"],
                              ["/windows/w1/sessions", "application/x-www-form-urlencoded"],
                              ["/windows/w1/sessions/end", "text/plain"]]) {{
    try {{
      const r = await fetch("{control}" + path, {{method: "POST", mode: "no-cors",
        headers: {{"Content-Type": type}}, body: JSON.stringify({{label: "forged"}})}});
      out.push(r.type);
    }} catch (e) {{ out.push("error: " + e); }}
  }}
  return out;
}}
</script></body></html>"""


@pytest.fixture
def attacker_page() -> Iterator[tuple[ThreadingHTTPServer, list[str]]]:
    """A local web server on another port; its page's HTML is set by the test."""
    html: list[str] = [""]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            data = html[0].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, html
    finally:
        server.shutdown()
        server.server_close()


def test_cross_origin_form_posts_and_no_cors_fetches_are_refused(
        tmp_path: Path, attacker_page: tuple[ThreadingHTTPServer, list[str]],
        caplog: pytest.LogCaptureFixture) -> None:
    agent = FakeAgent(tmp_path)
    control = ControlServer(cast(Agent, agent), host="127.0.0.1", port=0)
    control.start()
    page_server, html = attacker_page
    html[0] = PAGE.format(control=control.url)
    caplog.set_level(logging.WARNING, logger="recorder.control")
    try:
        with chromium() as browser:
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{page_server.server_address[1]}/")
            kinds = page.evaluate("forge()")
            assert kinds == ["opaque"] * 3  # the browser sent them; the answers are hidden
            for form in ("f", "g"):
                page.goto(f"http://127.0.0.1:{page_server.server_address[1]}/")
                with page.expect_navigation():
                    page.evaluate(f"document.getElementById('{form}').submit()")
                assert '"reason": "bad_origin"' in page.content()
        refused = [r.getMessage() for r in caplog.records
                   if r.getMessage().startswith("control: refused POST")]
        assert len(refused) == 5 and all(m.endswith("bad_origin") for m in refused)
        assert agent.cam.calls == []  # nothing ended, opened or marked
        # The agent's own client, with the secret, is served.
        secret = read_secret(agent.config.agent.secret_path())
        assert call(control.url, "POST", "/windows/w1/markers", body={"label": "到"},
                    secret=secret)["markers"] == [1]
        assert agent.cam.calls == ["mark 到"]
    finally:
        control.stop()
