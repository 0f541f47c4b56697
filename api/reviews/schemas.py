"""Request and response bodies of reviews, notes and the checklist."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.reviews.models import Review, SessionNote


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReviewIn(_In):
    scores: dict[str, int] = Field(description="checklist item id -> 0 (no), 1 (partly), "
                                   "2 (yes); every item once", max_length=50)
    comment: str = Field("", max_length=5000)


class ReviewOut(BaseModel):
    id: str
    session_id: str
    reviewer_id: str
    checklist: str
    scores: dict[str, int]
    total: int
    maximum: int
    comment: str
    created_at: datetime

    @classmethod
    def of(cls, r: Review) -> ReviewOut:
        return cls(id=r.id, session_id=r.session_id, reviewer_id=r.reviewer_id,
                   checklist=r.checklist, scores={k: int(v) for k, v in r.scores.items()},
                   total=r.total, maximum=r.maximum, comment=r.comment,
                   created_at=r.created_at)


class NoteIn(_In):
    offset_ms: int = Field(ge=0, le=7 * 24 * 3600 * 1000,
                           description="moment of the session the note is about")
    text: str = Field(min_length=1, max_length=5000)


class NoteOut(BaseModel):
    id: str
    session_id: str
    author_id: str
    offset_ms: int
    text: str
    created_at: datetime

    @classmethod
    def of(cls, n: SessionNote) -> NoteOut:
        return cls(id=n.id, session_id=n.session_id, author_id=n.author_id,
                   offset_ms=n.offset_ms, text=n.text, created_at=n.created_at)


class ChecklistItemOut(BaseModel):
    id: str
    text: str


class ChecklistOut(BaseModel):
    id: str
    scores: list[int]
    items: list[ChecklistItemOut]
