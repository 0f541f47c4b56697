"""Numbered checks and the report every verify, audit and fixity command returns."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    subject: str = ""


@dataclass
class Report:
    """Checks of one target; a subclass's extra fields (counts, ...) go into its JSON too."""

    target: str
    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # caveats that fail no check

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str, subject: str = "") -> bool:
        self.checks.append(Check(name, ok, detail, subject))
        return ok

    def to_dict(self) -> dict[str, Any]:
        """{"target", "ok", "warnings", the subclass's fields, "checks"}."""
        fields = asdict(self)
        head = {"target": fields.pop("target"), "ok": self.ok,
                "warnings": fields.pop("warnings")}
        checks = fields.pop("checks")
        return {**head, **fields, "checks": checks}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)
