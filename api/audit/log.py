"""Writing the access log from a request: who (the principal), from where, and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session as DBSession

from api.deps import ArchiveDep, PrincipalDep
from archive.access.people import Principal
from archive.audit import log as audit
from archive.services import Archive


def client_of(request: Request) -> tuple[str, str]:
    """The caller's address and user agent, as the access log keeps them."""
    ip = request.client.host if request.client else ""
    return ip, request.headers.get("user-agent", "")


@dataclass(frozen=True)
class Auditor:
    """Logs what the calling person does; one per request."""

    archive: Archive
    principal: Principal
    ip: str
    user_agent: str

    def log(self, action: str, *, db: DBSession | None = None, target_type: str = "",
            target_id: str = "", recording_id: str | None = None,
            session_id: str | None = None, window_id: str | None = None,
            scope_path: str | None = None, reason_kind: str | None = None,
            reason_ref: str | None = None, outcome: str = "ok",
            detail: dict[str, Any] | None = None) -> audit.AccessEntry:
        """Append an entry: in `db`'s transaction when given (with the change it records),
        else in a transaction of its own."""
        entry = audit.Access(
            action=action, at=datetime.now(UTC), user_id=self.principal.user_id,
            role=self.principal.role.value, target_type=target_type, target_id=target_id,
            recording_id=recording_id, session_id=session_id, window_id=window_id,
            scope_path=scope_path or self.principal.jurisdiction_path,
            reason_kind=reason_kind, reason_ref=reason_ref, ip=self.ip,
            user_agent=self.user_agent, outcome=outcome, detail=detail or {})
        if db is not None:
            return audit.append(db, entry)
        return audit.record(self.archive.catalog, entry)


def get_auditor(request: Request, archive: ArchiveDep, principal: PrincipalDep) -> Auditor:
    ip, agent = client_of(request)
    return Auditor(archive=archive, principal=principal, ip=ip, user_agent=agent)


AuditorDep = Annotated[Auditor, Depends(get_auditor)]


def search_logger(request: Request, auditor: AuditorDep) -> None:
    """Logs a search before it runs (used where another package's router searches)."""
    params = {k: v[:200] for k, v in request.query_params.items()}
    auditor.log("search", target_type="search", target_id=request.url.path,
                detail={"params": params})
