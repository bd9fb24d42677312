"""API shapes of authentication. Passwords are length-capped here so a megabyte of input
never reaches the hasher; the password policy itself lives in passwords.py.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from coffer.auth.passwords import MAX_LENGTH

# Long enough for any password the policy accepts plus a margin; sign-in must still
# answer "wrong password" (not a validation error) for a too-long guess.
PasswordInput = Annotated[str, Field(min_length=1, max_length=4 * MAX_LENGTH)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class RegisterRequest(BaseModel):
    email: EmailStr = Field(max_length=320)
    password: PasswordInput
    name: Name


class LoginRequest(BaseModel):
    email: str = Field(min_length=1, max_length=320)
    password: PasswordInput


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    # The OAuth 2 token type, not a secret.
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int = Field(description="Seconds until the access token expires.")


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=512)


class LogoutRequest(BaseModel):
    refresh_token: str | None = Field(
        default=None,
        max_length=512,
        description="Also revoke this refresh token's family (for example another device's).",
    )


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    name: str
    personal_tenant_id: uuid.UUID | None
    created_at: datetime


class ProfileUpdate(BaseModel):
    name: Name


class PasswordChange(BaseModel):
    current_password: PasswordInput
    new_password: PasswordInput
