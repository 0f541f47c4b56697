"""Request and response bodies of administration."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from archive.evidence.vocabulary import JurisdictionLevel, Role, WindowKind

NEW_ID = "^[a-z0-9][a-z0-9_.-]{0,63}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class JurisdictionIn(_In):
    id: str = Field(pattern=NEW_ID)
    name: str = Field(min_length=1, max_length=200)
    level: JurisdictionLevel
    parent_id: str = Field(min_length=1, max_length=64)


class JurisdictionOut(BaseModel):
    id: str
    name: str
    level: str
    parent_id: str | None
    path: str


class WindowIn(_In):
    id: str = Field(pattern=NEW_ID)
    name: str = Field(min_length=1, max_length=200)
    jurisdiction_id: str = Field(min_length=1, max_length=64)
    kind: WindowKind = WindowKind.WINDOW


class AdminWindowOut(BaseModel):
    id: str
    name: str
    kind: str
    jurisdiction_id: str
    jurisdiction_name: str


class DeviceIn(_In):
    id: str = Field(pattern=NEW_ID)
    name: str = Field(min_length=1, max_length=200)
    jurisdiction_id: str = Field(min_length=1, max_length=64)


class DeviceOut(BaseModel):
    id: str
    name: str
    jurisdiction_id: str
    jurisdiction_name: str
    created_at: datetime
    revoked_at: datetime | None
    last_heartbeat_at: datetime | None


class DeviceTokenOut(BaseModel):
    device_id: str
    token: str = Field(description="shown only this once")


class UserIn(_In):
    """A new person; they choose their password with the activation link (never the admin)."""

    id: str = Field(pattern=NEW_ID)
    name: str = Field(min_length=1, max_length=200)
    role: Role
    jurisdiction_id: str = Field(min_length=1, max_length=64)


class UserPatch(_In):
    """A change of role to administrator or inspector waits for a second person."""

    name: str | None = Field(None, min_length=1, max_length=200)
    role: Role | None = None
    jurisdiction_id: str | None = Field(None, min_length=1, max_length=64)
    disabled: bool | None = None


class GrantOut(BaseModel):
    id: str
    user_id: str
    name: str
    role: str
    jurisdiction_id: str
    new_account: bool
    requested_by: str
    requested_at: datetime
    state: str
    decided_by: str | None
    decided_at: datetime | None


class UserOut(BaseModel):
    id: str
    name: str
    role: str
    jurisdiction_id: str
    jurisdiction_name: str
    has_password: bool
    disabled_at: datetime | None
    created_at: datetime
    role_since: datetime
    pending_grant: GrantOut | None = Field(None, description="a role awaiting a second person")


class LinkOut(BaseModel):
    user_id: str
    kind: str = Field(description="activation (a new account) or reset")
    url: str = Field(description="hand it to the person; shown only this once")
    expires_at: datetime


class AccountOut(BaseModel):
    """A new account and its activation link, or the grant that waits for a second person."""

    user: UserOut | None
    link: LinkOut | None
    grant: GrantOut | None
    url: str | None = Field(None, description="the activation link (link.url), for pages")
