"""Retention endpoints: rules, what is kept and why, holds, disposal batches, forecast."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.compose.retention import schemas
from api.deps import ArchiveDep, JobsDep, PrincipalDep
from api.errors import ErrorResponse
from archive.access.duties import Action, require
from archive.access.people import Principal
from archive.evidence.errors import NotFoundError
from archive.evidence.vocabulary import JurisdictionLevel
from archive.services import Archive
from archive.settings import load_section
from retention import disposal_batches, holds, service
from retention.facts import floor_of
from retention.forecast import Forecast
from retention.settings import RetentionSettings

router = APIRouter(
    prefix="/api/v1/retention", tags=["retention"],
    responses={code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 409, 503)},
)

def _now() -> datetime:
    return datetime.now(UTC)


def _config(archive: Archive) -> RetentionSettings:
    return load_section(RetentionSettings, archive.settings)


# --- rules ------------------------------------------------------------------------------------


@router.get("/policies")
def list_policies(archive: ArchiveDep, principal: PrincipalDep,
                  include_retired: bool = False) -> schemas.PoliciesOut:
    """The rules in force (or all, with their history) and the floor."""
    require(principal, Action.SEE_RETENTION)
    with archive.catalog.read() as db:
        rows = service.list_rules(db, include_retired=include_retired)
        return schemas.PoliciesOut(floor=str(floor_of(archive.settings)),
                                   rules=[schemas.RuleOut.of(r) for r in rows])


@router.post("/policies", status_code=201)
def set_policy(body: schemas.RuleIn, archive: ArchiveDep,
               principal: PrincipalDep) -> schemas.RuleOut:
    """Set the rule of a category (case type, stage), replacing the one in force.

    Locks already set are never shortened; longer rules extend locks at the next maintenance
    run."""
    spec = service.RuleInput(**body.model_dump())
    with archive.catalog.write() as db:
        rule = service.set_rule(db, principal=principal, spec=spec,
                                floor=floor_of(archive.settings), now=_now())
        return schemas.RuleOut.of(rule)


@router.post("/policies/{rule_id}/retire")
def retire_policy(rule_id: str, body: schemas.ReasonIn, archive: ArchiveDep,
                  principal: PrincipalDep) -> schemas.RuleOut:
    with archive.catalog.write() as db:
        return schemas.RuleOut.of(service.retire_rule(db, principal=principal, rule_id=rule_id,
                                                      reason=body.reason, now=_now()))


# --- what is kept -----------------------------------------------------------------------------


@router.get("/recordings/{recording_id}")
def recording_retention(recording_id: str, archive: ArchiveDep,
                        principal: PrincipalDep) -> schemas.RetentionOut:
    """How long a recording is kept, which rule decides, holds, disposal certificate."""
    return schemas.RetentionOut.of(service.explain(archive, principal=principal,
                                                   recording_id=recording_id, now=_now()))


@router.get("/schedule")
def schedule(archive: ArchiveDep, principal: PrincipalDep,
             days: Annotated[int, Query(ge=0, le=3650, description="locks ending within "
                                        "this many days")] = 90,
             limit: Annotated[int, Query(ge=1, le=2000)] = 500) -> list[schemas.RetentionOut]:
    """Recordings whose lock ends soon: due, held, or kept longer by a rule."""
    now = _now()
    return [schemas.RetentionOut.of(e) for e in service.schedule(
        archive, principal=principal, now=now, until=now + timedelta(days=days), limit=limit)]


@router.get("/due")
def due(archive: ArchiveDep, principal: PrincipalDep) -> list[schemas.DueOut]:
    """What may be disposed of now in the caller's subtree (the sweep's dry run)."""
    require(principal, Action.APPROVE_DISPOSAL)
    return [schemas.DueOut.of(e) for e in disposal_batches.list_due(
        archive, now=_now(), scope_path=principal.jurisdiction_path)]


# --- holds ------------------------------------------------------------------------------------


@router.post("/holds", status_code=201)
def place_hold(body: schemas.HoldIn, archive: ArchiveDep,
               principal: PrincipalDep) -> schemas.HoldOut:
    """Hold recordings (by id, session or case) for a complaint, inspection or court."""
    view = holds.place_hold(archive, principal=principal, kind=body.kind,
                            reference=body.reference, reason=body.reason, now=_now(),
                            targets=holds.HoldTargets(tuple(body.recording_ids),
                                                      tuple(body.session_ids),
                                                      tuple(body.case_numbers)))
    return schemas.HoldOut.of(view)


@router.get("/holds")
def list_holds(archive: ArchiveDep, principal: PrincipalDep,
               active: bool | None = True) -> list[schemas.HoldSummaryOut]:
    require(principal, Action.SEE_RETENTION)
    with archive.catalog.read() as db:
        return [schemas.HoldSummaryOut(id=h.id, kind=h.kind, reference=h.reference,
                                       placed_by=h.placed_by, placed_at=h.placed_at,
                                       released_at=h.released_at)
                for h in holds.list_holds(db, principal=principal, active=active)]


@router.get("/holds/{hold_id}")
def get_hold(hold_id: str, archive: ArchiveDep, principal: PrincipalDep) -> schemas.HoldOut:
    require(principal, Action.SEE_RETENTION)
    with archive.catalog.read() as db:
        return schemas.HoldOut.of(holds.get_hold(db, principal=principal, hold_id=hold_id))


@router.post("/holds/{hold_id}/release")
def release_hold(hold_id: str, body: schemas.ReasonIn, archive: ArchiveDep,
                 principal: PrincipalDep) -> schemas.HoldOut:
    """Ask for a hold's release, or agree to it as the second person (another role or
    jurisdiction level than the one who asked); the hold stays until both have, with reasons."""
    return schemas.HoldOut.of(holds.release_hold(archive, principal=principal, hold_id=hold_id,
                                                 reason=body.reason, now=_now()))


# --- disposal ---------------------------------------------------------------------------------


@router.post("/batches", status_code=201)
def propose(body: schemas.BatchIn, archive: ArchiveDep,
            principal: PrincipalDep) -> schemas.BatchOut:
    """Put what is due in the caller's subtree (or a part of it) into a batch awaiting
    approval."""
    scope_path = None
    if body.jurisdiction_id is not None:
        with archive.catalog.read() as db:
            scope_path = principal.scope.require_jurisdiction(db, body.jurisdiction_id).path
    return schemas.BatchOut.of(disposal_batches.propose_batch(
        archive, _config(archive), proposer=principal, now=_now(), note=body.note,
        scope_path=scope_path))


@router.get("/batches")
def list_batches(archive: ArchiveDep, principal: PrincipalDep) -> list[schemas.BatchOut]:
    require(principal, Action.SEE_RETENTION)
    with archive.catalog.read() as db:
        return [schemas.BatchOut.of(disposal_batches.view(db, b.id))
                for b in disposal_batches.list_batches(db, principal=principal)]


@router.get("/batches/{batch_id}")
def get_batch(batch_id: str, archive: ArchiveDep, principal: PrincipalDep) -> schemas.BatchOut:
    require(principal, Action.SEE_RETENTION)
    with archive.catalog.read() as db:
        return schemas.BatchOut.of(disposal_batches.get_batch(db, principal=principal,
                                                              batch_id=batch_id))


@router.post("/batches/{batch_id}/approve")
def approve(batch_id: str, body: schemas.ReasonIn, archive: ArchiveDep, jobs: JobsDep,
            principal: PrincipalDep) -> schemas.BatchOut:
    """An approval; once enough independent people have given theirs (another role or level,
    each settled in their role) the worker disposes of the batch."""
    view = disposal_batches.approve_batch(archive, approver=principal, batch_id=batch_id,
                                          reason=body.reason, now=_now())
    if view.batch.state.value == "approved" and "retention_sweep" in jobs.tasks:
        jobs.enqueue("retention_sweep")
    return schemas.BatchOut.of(view)


@router.post("/batches/{batch_id}/cancel")
def cancel(batch_id: str, body: schemas.ReasonIn, archive: ArchiveDep,
           principal: PrincipalDep) -> schemas.BatchOut:
    return schemas.BatchOut.of(disposal_batches.cancel_batch(
        archive, principal=principal, batch_id=batch_id, reason=body.reason, now=_now()))


@router.get("/certificates/{certificate_id}")
def certificate(certificate_id: str, archive: ArchiveDep,
                principal: PrincipalDep) -> schemas.CertificateOut:
    """A disposal certificate with its verification (signature, timestamp, log, deletion)."""
    from retention.verify import get_certificate_or_raise, verify_certificate

    require(principal, Action.SEE_RETENTION)
    cert = get_certificate_or_raise(archive, certificate_id)
    document = json.loads(cert.document)
    _check_scope(principal, document["recording"]["jurisdiction_path"], certificate_id)
    report = verify_certificate(archive, certificate_id)
    return schemas.CertificateOut(
        id=cert.id, recording_id=cert.recording_id, issued_at=cert.issued_at,
        timestamp_at=cert.timestamp_at, completed_at=cert.completed_at,
        log_index=cert.log_index, document=document, verified=report.ok,
        checks=[schemas.CheckOut(name=c.name, ok=c.ok, detail=c.detail) for c in report.checks])


def _check_scope(principal: Principal, path: str, certificate_id: str) -> None:
    if not principal.covers(path):
        raise NotFoundError(f"certificate {certificate_id} does not exist",
                            reason="no_certificate")


# --- capacity ---------------------------------------------------------------------------------


def _project(archive: Archive, principal: Principal, months: int,
             level: JurisdictionLevel) -> Forecast:
    from retention.forecast import gather, project

    require(principal, Action.MANAGE_REGISTRY)
    config = _config(archive)
    now = _now()
    return project(gather(archive, now=now, level=level, scope_path=principal.jurisdiction_path,
                          window_days=config.forecast_window_days),
                   start=now, months=months, capacity=config.store_capacity_bytes,
                   warn_fraction=config.capacity_warn_fraction)


MonthsQ = Annotated[int, Query(ge=1, le=120)]


@router.get("/forecast")
def forecast(archive: ArchiveDep, principal: PrincipalDep, months: MonthsQ = 12,
             level: JurisdictionLevel = JurisdictionLevel.COUNTY) -> schemas.ForecastOut:
    """Stored bytes per jurisdiction for the coming months, with capacity warnings."""
    result = _project(archive, principal, months, level)
    return schemas.ForecastOut(start=result.start, points=result.points,
                               series=result.series, names=result.names, total=result.total,
                               rates_per_day=result.rates, capacity=result.capacity,
                               warnings=result.warnings)


@router.get("/forecast.svg", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}}})
def forecast_chart(archive: ArchiveDep, principal: PrincipalDep, months: MonthsQ = 12,
                   level: JurisdictionLevel = JurisdictionLevel.COUNTY) -> Response:
    """The forecast as an SVG chart (for the web admin page)."""
    from retention.chart import render_svg

    chart = render_svg(_project(archive, principal, months, level))
    return Response(chart, media_type="image/svg+xml",
                    headers={"Content-Security-Policy": "default-src 'none'; style-src "
                             "'unsafe-inline'", "X-Content-Type-Options": "nosniff"})
