"""Request and response bodies of login, the current person and their API tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(_In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class MeOut(BaseModel):
    user_id: str
    name: str
    role: str
    jurisdiction_id: str
    jurisdiction_path: str
    csrf_token: str | None = Field(None, description="send as X-CSRF-Token on changes "
                                   "made with the session cookie")


class LoginOut(MeOut):
    expires_at: datetime


class PasswordIn(_In):
    current: str = Field(min_length=1, max_length=200)
    new: str = Field(min_length=1, max_length=200)


class TokenIn(_In):
    label: str = Field("", max_length=200)


class TokenOut(BaseModel):
    id: str
    label: str
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None


class ActivateIn(_In):
    token: str = Field(min_length=1, max_length=200, description="from the one-time link")
    password: str = Field(min_length=1, max_length=200, description="the password chosen")


class NewTokenOut(TokenOut):
    token: str = Field(description="shown only this once")
