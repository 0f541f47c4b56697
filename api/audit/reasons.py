"""Why a person reads evidence: asked before every read and kept in its access-log entry.

A playback, a transcript, a search of transcript text and an export download each name a
complaint number, an inspection ticket or routine review; a request without one is refused
before anything is read or logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Literal, Protocol

from fastapi import Depends, Query
from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from api.complaints.models import Complaint
from archive.access.people import Principal
from archive.audit.log import REASON_KINDS
from archive.catalog.models import Jurisdiction
from archive.evidence.errors import InvalidInputError

ReasonKind = Literal["complaint", "inspection", "routine"]


@dataclass(frozen=True)
class Reason:
    kind: str  # complaint | inspection | routine
    ref: str

    def validate(self, db: DBSession, principal: Principal) -> None:
        """Raises:
            InvalidInputError: unknown kind, or a complaint/ticket without its number; a
                complaint number that is not a complaint in the person's subtree.
        """
        if self.kind not in REASON_KINDS:
            raise InvalidInputError(f"got reason {self.kind!r}, expected one of "
                                    f"{', '.join(REASON_KINDS)}", reason="bad_reason")
        ref = self.ref.strip()
        if self.kind in ("complaint", "inspection") and not ref:
            raise InvalidInputError(f"a {self.kind} reason needs its number",
                                    reason="reason_ref_missing")
        if len(ref) > 200:
            raise InvalidInputError("a reason reference has at most 200 characters",
                                    reason="bad_reason")
        if self.kind == "complaint":
            found = db.execute(select(Jurisdiction.path).join(
                Complaint, Complaint.jurisdiction_id == Jurisdiction.id)
                .where(Complaint.number == ref)).first()
            if found is None or not principal.covers(found[0]):
                raise InvalidInputError(f"complaint {ref} is not registered",
                                        reason="unknown_complaint")

    @property
    def log_ref(self) -> str:
        return self.ref.strip()


def reason_query(
    reason_kind: Annotated[ReasonKind, Query(
        description="why: a complaint, an inspection, or routine review (required)")],
    reason_ref: Annotated[str, Query(
        max_length=200, description="the complaint number or inspection ticket")] = "",
) -> Reason:
    return Reason(kind=reason_kind, ref=reason_ref)


# A read endpoint's required reason, from the query string (422 when missing).
ReasonDep = Annotated[Reason, Depends(reason_query)]


class Shown(Protocol):
    @property
    def session_id(self) -> str | None: ...
    @property
    def recording_id(self) -> str: ...


def shown_sessions(hits: Sequence[Shown]) -> dict[str, list[str]]:
    """The sessions (and recordings) whose transcript text a search showed, for its entry."""
    return {"sessions": sorted({h.session_id for h in hits if h.session_id}),
            "recordings": sorted({h.recording_id for h in hits})}
