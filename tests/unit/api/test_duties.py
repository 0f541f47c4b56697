"""The duty table: docs/security.md shows exactly the table the code enforces, and no edit of
it gives administrators evidence."""

from __future__ import annotations

import re
from pathlib import Path

from api import roles
from archive.access.duties import DUTIES, NEVER_ADMIN, Action, roles_for
from archive.evidence.vocabulary import Role
from archive.export.select import EXPORTERS
from retention import disposal_batches, holds, service

DOC = Path(__file__).resolve().parents[3] / "docs" / "security.md"
ROW = re.compile(r"^\| `([a-z_]+)`[^|]*((?:\|[^|]*){5})\|$")


def doc_table() -> dict[Action, frozenset[Role]]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    header = "| action | window_staff | supervisor | inspector | admin | auditor |"
    assert lines.count(header) == 1, "docs/security.md holds one duty table"
    columns = [Role(c.strip()) for c in header.strip("|").split("|")[1:]]
    table = {}
    for line in lines[lines.index(header) + 2:]:
        match = ROW.match(line)
        if match is None:
            break
        marks = [m.strip() for m in match.group(2).strip("|").split("|")]
        assert set(marks) <= {"✓", "—"}, line
        table[Action(match.group(1))] = frozenset(
            r for r, m in zip(columns, marks, strict=True) if m == "✓")
    return table


def test_the_documented_table_is_the_enforced_table() -> None:
    assert doc_table() == dict(DUTIES)
    assert set(DUTIES) == set(Action)


def test_administrators_never_see_play_or_export_evidence() -> None:
    assert {Action.SEE_CONTENT, Action.PLAY, Action.EXPORT} <= NEVER_ADMIN
    assert not [a for a in NEVER_ADMIN if Role.ADMIN in DUTIES[a]]
    assert Role.ADMIN not in EXPORTERS


def test_every_route_names_a_real_action() -> None:
    assert roles.ROUTES, "no routes"
    assert all(isinstance(a, Action) for a in roles.ROUTES.values())
    keys = list(roles.ROUTES)
    assert all(re.fullmatch(r"(GET|POST|PUT|PATCH|DELETE) /\S*", k) for k in keys), keys


def test_the_services_check_the_same_table() -> None:
    assert roles_for(Action.EXPORT) == EXPORTERS
    assert roles_for(Action.PLACE_HOLD) == holds.PLACE_ROLES
    assert roles_for(Action.RELEASE_HOLD) == holds.RELEASE_ROLES
    assert roles_for(Action.APPROVE_DISPOSAL) == disposal_batches.APPROVER_ROLES
    assert roles_for(Action.SEE_RETENTION) == service.READ_ROLES
    assert roles_for(Action.MANAGE_REGISTRY) == service.POLICY_ROLES
