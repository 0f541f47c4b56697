"""Reviews: scoring a session against the quality checklist, and timestamped notes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from api.reviews.models import Review, SessionNote
from api.settings import WebSettings
from archive.access.people import Principal
from archive.evidence.errors import InvalidInputError

SCORES = (0, 1, 2)  # no, partly, yes
MAX_TEXT = 5000


def check_scores(web: WebSettings, scores: Mapping[str, int]) -> int:
    """The total; every item scored once with 0, 1 or 2.

    Raises:
        InvalidInputError: an item missing, unknown, or scored out of range.
    """
    items = [i.id for i in web.checklist]
    missing = [i for i in items if i not in scores]
    unknown = sorted(set(scores) - set(items))
    if missing or unknown:
        raise InvalidInputError(
            f"score every checklist item once: missing {', '.join(missing) or 'none'}, "
            f"unknown {', '.join(unknown) or 'none'}", reason="bad_scores")
    bad = [k for k, v in scores.items() if v not in SCORES]
    if bad:
        raise InvalidInputError(f"scores are 0, 1 or 2; got others for {', '.join(bad)}",
                                reason="bad_scores")
    return sum(scores.values())


def create_review(db: DBSession, principal: Principal, *, session_id: str,
                  scores: Mapping[str, int], comment: str, web: WebSettings,
                  now: datetime) -> Review:
    session, _ = principal.scope.require_session(db, session_id)
    total = check_scores(web, scores)
    if len(comment) > MAX_TEXT:
        raise InvalidInputError(f"a comment has at most {MAX_TEXT} characters",
                                reason="too_long")
    review = Review(session_id=session.id, reviewer_id=principal.user_id,
                    checklist=web.checklist_id, scores=dict(scores), total=total,
                    maximum=2 * len(web.checklist), comment=comment.strip(), created_at=now)
    db.add(review)
    db.flush()
    return review


def list_reviews(db: DBSession, principal: Principal, *, session_id: str) -> list[Review]:
    session, _ = principal.scope.require_session(db, session_id)
    return list(db.scalars(select(Review).where(Review.session_id == session.id)
                           .order_by(Review.created_at)))


def create_note(db: DBSession, principal: Principal, *, session_id: str, offset_ms: int,
                text: str, now: datetime) -> SessionNote:
    session, _ = principal.scope.require_session(db, session_id)
    text = text.strip()
    if not text or len(text) > MAX_TEXT:
        raise InvalidInputError(f"a note has 1-{MAX_TEXT} characters", reason="bad_note")
    if session.ended_at is not None:
        length = round((session.ended_at - session.started_at).total_seconds() * 1000)
        if not 0 <= offset_ms <= max(length, 0):
            raise InvalidInputError(f"got offset {offset_ms} ms, the session lasts {length} ms",
                                    reason="bad_offset")
    note = SessionNote(session_id=session.id, author_id=principal.user_id,
                       offset_ms=offset_ms, text=text, created_at=now)
    db.add(note)
    db.flush()
    return note


def list_notes(db: DBSession, principal: Principal, *, session_id: str) -> list[SessionNote]:
    session, _ = principal.scope.require_session(db, session_id)
    return list(db.scalars(select(SessionNote).where(SessionNote.session_id == session.id)
                           .order_by(SessionNote.offset_ms, SessionNote.created_at)))
