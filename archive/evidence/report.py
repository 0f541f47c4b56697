"""Numbered checks and the report every verify, audit and fixity command returns."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    subject: str = ""


@dataclass
class Report:
    target: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str, subject: str = "") -> bool:
        self.checks.append(Check(name, ok, detail, subject))
        return ok

    def to_json(self) -> str:
        return json.dumps({"target": self.target, "ok": self.ok,
                           "checks": [asdict(c) for c in self.checks]}, ensure_ascii=False,
                          indent=2)
