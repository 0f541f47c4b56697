"""The shared vocabularies of the evidence: stages, gap causes, states, levels and roles.

Defined once: the catalog stores them, manifests name them, the recorder and the API speak them.
"""

from __future__ import annotations

import enum


class JurisdictionLevel(enum.StrEnum):
    PROVINCE = "province"
    PREFECTURE = "prefecture"
    COUNTY = "county"
    STATION = "station"


class WindowKind(enum.StrEnum):
    WINDOW = "window"
    INTERVIEW_ROOM = "interview_room"
    HOTLINE = "hotline"
    MOBILE = "mobile"


class Stage(enum.StrEnum):
    """Case stages of the legal-aid service process (服务流程)."""

    CONSULTATION = "consultation"  # 咨询接待
    APPLICATION = "application"  # 申请
    ACCEPTANCE = "acceptance"  # 受理
    REVIEW = "review"  # 审查/审批
    ASSIGNMENT = "assignment"  # 指派
    HANDLING = "handling"  # 办理 (incl. 会见)
    CLOSING = "closing"  # 结案
    ARCHIVING = "archiving"  # 归档
    EVALUATION = "evaluation"  # 评估/回访


class GapCause(enum.StrEnum):
    CAMERA_UNREACHABLE = "camera_unreachable"
    STREAM_STALLED = "stream_stalled"
    RECORDER_RESTARTED = "recorder_restarted"
    RECORDER_OFFLINE = "recorder_offline"
    DISK_FULL = "disk_full"
    STOPPED_BY_PERSON = "stopped_by_person"
    SCHEDULE_CLOSED = "schedule_closed"


class RecordingOrigin(enum.StrEnum):
    LIVE = "live"
    IMPORT = "import"


class RecordingState(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class SealState(enum.StrEnum):
    UNSEALED = "unsealed"  # nothing to seal yet
    AWAITING_SEAL = "awaiting_seal"  # content changed since the last seal
    SEALED = "sealed"  # the latest seal covers everything the catalog holds


class Role(enum.StrEnum):
    """Roles of people (the brief's users)."""

    WINDOW_STAFF = "window_staff"
    SUPERVISOR = "supervisor"
    INSPECTOR = "inspector"
    ADMIN = "admin"
    AUDITOR = "auditor"
