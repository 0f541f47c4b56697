// Session page: reasoned playback through hls.js, the timeline of gaps/markers/flags, and the
// transcript beside the video (each line seeks the player; the current line is highlighted).
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("timeline-data").textContent);
  const video = document.getElementById("player");
  const form = document.getElementById("play-form");
  const status = document.getElementById("player-status");
  const bar = document.getElementById("timeline-bar");
  const cursor = document.getElementById("timeline-cursor");
  const lines = Array.from(document.querySelectorAll("#transcript [data-ms]"));
  const sessionId = video.dataset.session;
  const spanMs = Math.max(1, data.end_ms - data.start_ms);
  let playback = null;   // the grant, once play was pressed
  let starting = null;   // the pending start (a promise)
  let hls = null;

  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", !!isError);
  }

  function attach(grant) {
    return new Promise((resolve, reject) => {
      const offset = grant.start_ms / 1000;
      if (grant.mode === "hls" && window.Hls && window.Hls.isSupported()) {
        hls = new window.Hls({ startPosition: offset, xhrSetup: (xhr) => { xhr.withCredentials = true; } });
        hls.on(window.Hls.Events.MANIFEST_PARSED, () => resolve());
        hls.on(window.Hls.Events.ERROR, (_, info) => {
          if (info.fatal) { say(status.dataset.failed + " (" + info.details + ")", true); reject(new Error(info.details)); }
        });
        hls.loadSource(grant.playlist_url);
        hls.attachMedia(video);
      } else if (grant.mode === "hls" && video.canPlayType("application/vnd.apple.mpegurl")) {
        video.src = grant.playlist_url;
        video.addEventListener("loadedmetadata", () => { video.currentTime = offset; resolve(); }, { once: true });
      } else {
        video.src = grant.segments[0].url;
        video.addEventListener("loadedmetadata", () => resolve(), { once: true });
      }
    });
  }

  async function start() {
    if (playback) return playback;
    if (starting) return starting;
    const body = {
      session_id: sessionId,
      reason_kind: form.elements.reason_kind.value,
      reason_ref: form.elements.reason_ref.value.trim(),
    };
    starting = (async () => {
      say(status.dataset.starting, false);
      try {
        const grant = await window.aidrecApi("POST", "/api/v1/playback", body);
        await attach(grant);
        playback = grant;
        form.querySelectorAll("select, input, button").forEach((el) => { el.disabled = true; });
        say(status.dataset.playing.replace("{reason}", body.reason_ref || form.elements.reason_kind.selectedOptions[0].text), false);
        return grant;
      } catch (error) {
        say(error.message, true);
        throw error;
      } finally {
        starting = null;
      }
    })();
    return starting;
  }

  async function seek(ms) {
    await start();
    video.currentTime = (playback.start_ms + ms) / 1000;
    try { await video.play(); } catch (e) { /* autoplay refused: the person presses play */ }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await start();
      if (data.t) video.currentTime = (playback.start_ms + data.t) / 1000;
      await video.play();
    } catch (e) { /* shown in the status line */ }
  });

  lines.forEach((line) => {
    line.addEventListener("click", () => { seek(parseInt(line.dataset.ms, 10)).catch(() => {}); });
    line.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); line.click(); }
    });
  });

  document.querySelectorAll("[data-seek-ms]").forEach((el) => {
    el.addEventListener("click", (event) => {
      event.preventDefault();
      seek(parseInt(el.dataset.seekMs, 10)).catch(() => {});
    });
  });

  if (bar) {
    bar.addEventListener("click", (event) => {
      const box = bar.getBoundingClientRect();
      const fraction = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
      seek(Math.round(fraction * spanMs)).catch(() => {});
    });
  }

  const note = document.getElementById("note-offset");
  video.addEventListener("timeupdate", () => {
    if (!playback) return;
    const ms = Math.max(0, Math.round(video.currentTime * 1000 - playback.start_ms));
    if (cursor) cursor.setAttribute("x", String(Math.min(1000, (ms / spanMs) * 1000)));
    if (note && document.activeElement !== note) note.value = String(ms);
    let current = null;
    for (const line of lines) {
      if (parseInt(line.dataset.ms, 10) <= ms) current = line; else break;
    }
    lines.forEach((line) => line.classList.toggle("current", line === current));
  });
  window.aidrecPlayer = { start, seek, video };
})();

// Who watched this session (supervisors, inspectors, auditors).
(function () {
  const button = document.getElementById("load-viewers");
  if (!button) return;
  button.addEventListener("click", async () => {
    const table = document.getElementById("viewers");
    const rows = await window.aidrecApi("GET", button.dataset.url);
    table.querySelectorAll("tr.row").forEach((tr) => tr.remove());
    for (const v of rows) {
      const tr = document.createElement("tr");
      tr.className = "row";
      for (const text of [v.name + " (" + v.user_id + ")", v.first_at.slice(0, 19).replace("T", " "),
        v.last_at.slice(0, 19).replace("T", " "), String(v.requests), v.reasons.join(", ")]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      }
      table.appendChild(tr);
    }
    table.hidden = false;
  });
})();
