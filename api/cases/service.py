"""A case (法律援助案件) with all its stages and their sessions, in process order."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from archive.access.people import Principal
from archive.catalog.models import Case, Jurisdiction, Session, Window
from archive.evidence.errors import NotFoundError
from archive.evidence.vocabulary import Stage

STAGE_ORDER = {stage: index for index, stage in enumerate(Stage)}


@dataclass(frozen=True)
class CaseSession:
    session: Session
    window_name: str
    jurisdiction_name: str


@dataclass(frozen=True)
class CaseView:
    case: Case
    jurisdiction_name: str | None
    stages: list[tuple[str | None, list[CaseSession]]]  # stage (None: untagged), sessions

    @property
    def session_count(self) -> int:
        return sum(len(s) for _, s in self.stages)


def load_case(db: DBSession, principal: Principal, case_id: str) -> CaseView:
    """Raises:
        NotFoundError: no such case the person can see.
    """
    case = principal.scope.require_case(db, case_id)
    rows = db.execute(select(Session, Window.name, Jurisdiction.name)
                      .join(Window, Window.id == Session.window_id)
                      .join(Jurisdiction, Jurisdiction.id == Window.jurisdiction_id)
                      .where(Session.case_id == case.id,
                             principal.scope.on_window(Session.window_id))
                      .order_by(Session.started_at))
    by_stage: dict[Stage | None, list[CaseSession]] = {}
    for session, window_name, jurisdiction_name in rows:
        by_stage.setdefault(session.stage, []).append(
            CaseSession(session, window_name, jurisdiction_name))
    ordered = sorted(by_stage.items(), key=lambda kv: (kv[0] is None,
                                                       STAGE_ORDER.get(kv[0], 99)
                                                       if kv[0] else 99))
    node = db.get(Jurisdiction, case.jurisdiction_id) if case.jurisdiction_id else None
    return CaseView(case=case, jurisdiction_name=node.name if node else None,
                    stages=[(stage.value if stage else None, items) for stage, items in ordered])


def find_case_id(db: DBSession, principal: Principal, number: str) -> str:
    """The case with this number that the person may see (numbers repeat across counties)."""
    for case_id in db.scalars(select(Case.id).where(Case.number == number.strip())
                              .order_by(Case.created_at)):
        try:
            return principal.scope.require_case(db, case_id).id
        except NotFoundError:
            continue
    raise NotFoundError(f"case {number} does not exist", reason="no_case")
