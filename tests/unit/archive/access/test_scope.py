"""The scope rule: a caller reaches only its jurisdiction subtree, in Python and in SQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session as DBSession

from archive.access import people, registry
from archive.access.people import Principal
from archive.access.scope import EVERYWHERE, Scope
from archive.catalog.db import Catalog
from archive.catalog.models import Device, Jurisdiction, Recording, Session, User, Window
from archive.evidence.errors import NotFoundError, PermissionDeniedError
from archive.evidence.vocabulary import JurisdictionLevel, RecordingOrigin, Role
from archive.ingest import service as ingest

AT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Ids:
    """One recording, session, case, device and person in each of two sibling prefectures."""

    recording: dict[str, str]
    session: dict[str, str]
    case: dict[str, str]


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    catalog.migrate()
    try:
        yield catalog
    finally:
        catalog.dispose()


@pytest.fixture
def ids(catalog: Catalog) -> Ids:
    """/a/ → /a/b/ and its sibling /a/bc/ (a prefix of the string, not of the tree)."""
    with catalog.write() as db:
        registry.create_jurisdiction(db, id="a", name="A", level=JurisdictionLevel.PROVINCE)
        for pref in ("b", "bc"):
            registry.create_jurisdiction(db, id=pref, name=pref, parent_id="a",
                                         level=JurisdictionLevel.PREFECTURE)
            registry.create_window(db, id=f"w-{pref}", name="window", jurisdiction_id=pref)
            registry.create_device(db, id=f"dev-{pref}", name="recorder", jurisdiction_id=pref)
            people.create_user(db, id=f"u-{pref}", name=pref, role=Role.SUPERVISOR,
                               jurisdiction_id=pref)
    recording, session, case = {}, {}, {}
    for pref in ("b", "bc"):
        opened = ingest.open_recording(
            catalog, actor=ingest.Actor(f"operator:{pref}", None), window_id=f"w-{pref}",
            started_at=AT, origin=RecordingOrigin.IMPORT, retention_days=30, now=AT)
        recording[pref] = opened.id
        session[pref] = ingest.open_session(
            catalog, actor=ingest.Actor(f"operator:{pref}", None), recording_id=opened.id,
            started_at=AT, case_number=f"case-{pref}").id
        with catalog.read() as db:
            case[pref] = db.get_one(Session, session[pref]).case_id or ""
    return Ids(recording=recording, session=session, case=case)


def person(db: DBSession, user_id: str) -> Principal:
    return people.principal_of(db, db.get_one(User, user_id))


def device_scope(db: DBSession, device_id: str) -> Scope:
    return ingest.Actor.of_device(db.get_one(Device, device_id)).scope(db)


# --- the rule on paths ---------------------------------------------------------------------

@pytest.mark.parametrize(("path", "covered"), [
    ("/a/b/", True), ("/a/b/c/", True), ("/a/bc/", False), ("/a/", False), ("/x/a/b/", False),
])
def test_a_subtree_is_a_path_prefix_ending_in_a_slash(path: str, covered: bool) -> None:
    scope = Scope("/a/b/")
    assert scope.covers(path) is covered
    principal = Principal(user_id="u", role=Role.SUPERVISOR, jurisdiction_id="b",
                          jurisdiction_path="/a/b/")
    assert principal.covers(path) is covered
    assert principal.scope == scope


@pytest.mark.parametrize("path", ["/a/b", "a/b/", ""])
def test_a_path_without_its_slashes_is_refused(path: str) -> None:
    with pytest.raises(ValueError, match="starts and ends with '/'"):
        Scope(path)


def test_everywhere_covers_every_path() -> None:
    assert Scope(EVERYWHERE).covers("/a/bc/x/")


def test_narrowing_stays_inside() -> None:
    narrowed = Scope("/a/", caller="device:d", hides=False).within("/a/b/")
    assert narrowed == Scope("/a/b/", caller="device:d", hides=False)
    with pytest.raises(ValueError, match="outside /a/b/"):
        Scope("/a/b/").within("/a/bc/")


# --- people: outside the subtree reads as missing ------------------------------------------

def test_a_person_reaches_the_own_subtree(catalog: Catalog, ids: Ids) -> None:
    with catalog.read() as db:
        scope = person(db, "u-b").scope
        placed = scope.require_window(db, "w-b")
        assert (placed.window.id, placed.path) == ("w-b", "/a/b/")
        recording, placed = scope.require_recording(db, ids.recording["b"])
        assert (recording.id, placed.window.id) == (ids.recording["b"], "w-b")
        session, _ = scope.require_session(db, ids.session["b"])
        assert session.id == ids.session["b"]
        assert scope.require_jurisdiction(db, "b").path == "/a/b/"
        assert scope.require_device(db, "dev-b").id == "dev-b"
        assert scope.require_user(db, "u-b").id == "u-b"
        assert scope.require_case(db, ids.case["b"]).id == ids.case["b"]


KINDS = ["window", "recording", "session", "jurisdiction", "device", "user", "case"]


def _require(scope: Scope, db: DBSession, kind: str, ids: Ids, pref: str | None) -> None:
    """Look up the `pref` prefecture's thing of this kind; None: an id nothing has."""
    keys = {"window": f"w-{pref}", "jurisdiction": f"{pref}", "device": f"dev-{pref}",
            "user": f"u-{pref}", **{k: getattr(ids, k).get(pref, "")
                                     for k in ("recording", "session", "case")}}
    getattr(scope, f"require_{kind}")(db, keys[kind] if pref else "nothing-has-this-id")


@pytest.mark.parametrize("kind", KINDS)
def test_a_sibling_subtree_answers_as_a_missing_id_does(catalog: Catalog, ids: Ids,
                                                        kind: str) -> None:
    with catalog.read() as db:
        scope = person(db, "u-b").scope
        with pytest.raises(NotFoundError, match="does not exist") as outside:
            _require(scope, db, kind, ids, "bc")
        with pytest.raises(NotFoundError, match="does not exist") as missing:
            _require(scope, db, kind, ids, None)
    assert outside.value.reason == missing.value.reason == f"no_{kind}"


def test_a_case_registered_elsewhere_is_seen_through_a_session_in_the_subtree(
        catalog: Catalog, ids: Ids) -> None:
    with catalog.write() as db:
        db.get_one(Session, ids.session["bc"]).window_id = "w-b"
    with catalog.read() as db:
        case = person(db, "u-b").scope.require_case(db, ids.case["bc"])
    assert case.id == ids.case["bc"]


# --- devices: outside the subtree is refused -----------------------------------------------

def test_a_device_is_refused_outside_and_told_missing_for_no_such_window(
        catalog: Catalog, ids: Ids) -> None:
    with catalog.read() as db:
        scope = device_scope(db, "dev-b")
        assert scope == Scope("/a/b/", caller="device:dev-b", hides=False)
        assert scope.require_window(db, "w-b").window.id == "w-b"
        with pytest.raises(PermissionDeniedError,
                           match="device:dev-b may not record window w-bc") as refused:
            scope.require_window(db, "w-bc")
        assert refused.value.reason == "out_of_scope"
        with pytest.raises(PermissionDeniedError, match="may not record window w-bc"):
            scope.require_recording(db, ids.recording["bc"])
        with pytest.raises(NotFoundError, match="window w-none does not exist"):
            scope.require_window(db, "w-none")
        with pytest.raises(NotFoundError, match="does not exist") as missing:
            scope.require_recording(db, "no-such-recording")
        assert missing.value.reason == "no_recording"


def test_a_device_cannot_open_a_recording_in_a_sibling_window(catalog: Catalog,
                                                              ids: Ids) -> None:
    with catalog.read() as db:
        actor = ingest.Actor.of_device(db.get_one(Device, "dev-b"))
        before = db.scalar(select(Recording.id).where(Recording.window_id == "w-bc"))
    with pytest.raises(PermissionDeniedError, match="may not record window w-bc"):
        ingest.open_recording(catalog, actor=actor, window_id="w-bc", started_at=AT,
                              origin=RecordingOrigin.LIVE, retention_days=30, now=AT)
    with pytest.raises(PermissionDeniedError, match="may not record window w-bc"):
        ingest.add_marker(catalog, actor=actor, recording_id=ids.recording["bc"], at=AT,
                          label="planted")
    with catalog.read() as db:
        assert list(db.scalars(select(Recording.id).where(Recording.window_id == "w-bc"))) \
            == [before]


def test_the_local_operator_reaches_everything(catalog: Catalog, ids: Ids) -> None:
    with catalog.read() as db:
        scope = ingest.Actor("operator:t", None).scope(db)
        assert scope.path == EVERYWHERE
        assert scope.require_window(db, "w-bc").path == "/a/bc/"


# --- SQL: the same rule as WHERE clauses, on a real catalog --------------------------------

@pytest.mark.parametrize(("path", "windows"), [
    ("/a/b/", ["w-b"]), ("/a/bc/", ["w-bc"]), ("/a/", ["w-b", "w-bc"]), ("/", ["w-b", "w-bc"]),
    ("/a/b_/", []),  # '_' is a LIKE wildcard unless escaped: it must not match /a/bc/
    ("/a/%/", []),
])
def test_sql_filters_select_the_subtree(catalog: Catalog, ids: Ids, path: str,
                                        windows: list[str]) -> None:
    scope = Scope(path)
    by_window = {"w-b": "b", "w-bc": "bc"}
    with catalog.read() as db:
        assert sorted(db.scalars(scope.window_ids())) == windows
        assert sorted(db.scalars(select(Window.id).where(scope.on_window(Window.id)))) \
            == windows
        assert sorted(db.scalars(select(Session.id).where(
            scope.on_window(Session.window_id)))) == sorted(ids.session[by_window[w]]
                                                            for w in windows)
        assert sorted(db.scalars(select(Recording.id).where(
            scope.on_window(Recording.window_id)))) == sorted(ids.recording[by_window[w]]
                                                              for w in windows)
        nodes = sorted(db.scalars(select(Jurisdiction.path).where(scope.on_jurisdiction())))
        assert nodes == sorted(p for p in ("/a/", "/a/b/", "/a/bc/") if scope.covers(p))
        assert nodes == sorted(db.scalars(select(Jurisdiction.path).where(
            scope.on_path(Jurisdiction.path))))
