"""The one place where the web service joins archive with its sibling capabilities.

Everything else in `api` speaks only to `archive` (and to itself); the modules here may also
import `transcribe` and `retention`: transcript search and the review queue (`search/`),
transcript flags and lines shown on sessions, days and the dashboard (`transcripts`), the
retention endpoints (`retention/`), the holds a complaint places (`holds`) and the demo day
(`demo`). An import-linter contract in pyproject.toml keeps it so.
"""
