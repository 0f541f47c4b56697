"""A real archive API process for the recorder's fault tests: it can be stopped and restarted.

`python -m tests.integration.recorder.api_server SETTINGS.json PORT` serves `create_app`
with an immediate job queue, so a closed recording is sealed in the request, as the worker
would do it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import uvicorn

from api.app import create_app
from archive.jobs import build_jobs
from archive.services import Archive
from archive.settings import Settings


def main() -> None:
    settings = Settings(**json.loads(Path(sys.argv[1]).read_text()))
    archive = Archive.from_settings(settings)
    jobs = build_jobs(settings, immediate=True, archive_factory=lambda: archive)
    app = create_app(settings, archive=archive, jobs=jobs)
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")


if __name__ == "__main__":
    main()
