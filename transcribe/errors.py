"""Errors of transcription and search, each with a machine-readable reason."""

from __future__ import annotations

from archive.evidence.errors import (
    ArchiveError,
    ConfigurationError,
    InvalidInputError,
    NotFoundError,
)


class TranscriptionError(ArchiveError):
    """Base of every transcription error."""

    reason = "transcription"


class ModelError(TranscriptionError, ConfigurationError):
    """The Whisper model is missing, incomplete or not what its hash says."""

    reason = "model"


class EngineError(TranscriptionError):
    """The speech engine failed on one input; the job is retried."""

    reason = "engine"


class MediaDecodeError(TranscriptionError):
    """A stored segment could not be decoded as audio."""

    reason = "media_decode"


class TranscriptNotFoundError(TranscriptionError, NotFoundError):
    reason = "no_transcript"


class TranscriptNotReadyError(TranscriptionError):
    """The transcript is not complete yet (segments still being transcribed)."""

    reason = "not_ready"


class CorrectionError(TranscriptionError, InvalidInputError):
    """A correction does not fit the transcript it corrects."""

    reason = "bad_correction"


class SearchQueryError(TranscriptionError, InvalidInputError):
    """A search query or filter is malformed."""

    reason = "bad_query"


class PhraseListError(TranscriptionError, ConfigurationError):
    """A flag phrase list is malformed."""

    reason = "bad_phrases"
