"""Access tokens: signature, expiry and shape (no database)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest

from coffer.auth.errors import InvalidToken
from coffer.auth.models import User
from coffer.auth.tokens import (
    create_access_token,
    decode_access_token,
    hash_refresh_token,
    new_security_stamp,
    stamp_prefix,
)
from coffer.config import Settings

Claims = dict[str, Any]


@pytest.fixture
def token_settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=tmp_path,
        secret_key="unit-test-secret-" + "y" * 32,
        access_token_minutes=15,
    )


def _user() -> User:
    return User(id=uuid.uuid4(), security_stamp=new_security_stamp())


def test_round_trip(token_settings: Settings) -> None:
    user, family = _user(), uuid.uuid4()
    token, expires_in = create_access_token(
        token_settings, user=user, family_id=family, now=datetime.now(UTC)
    )
    assert expires_in == 15 * 60
    claims = decode_access_token(token_settings, token)
    assert claims.user_id == user.id
    assert claims.family_id == family
    assert claims.stamp == stamp_prefix(user.security_stamp)
    assert len(claims.stamp) < len(user.security_stamp)


def test_expired_token_is_refused(token_settings: Settings) -> None:
    token, _ = create_access_token(
        token_settings,
        user=_user(),
        family_id=uuid.uuid4(),
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    with pytest.raises(InvalidToken, match="expired"):
        decode_access_token(token_settings, token)


def test_tampered_payload_is_refused(token_settings: Settings) -> None:
    token, _ = create_access_token(
        token_settings, user=_user(), family_id=uuid.uuid4(), now=datetime.now(UTC)
    )
    header, _payload, signature = token.split(".")
    other, _ = create_access_token(
        token_settings, user=_user(), family_id=uuid.uuid4(), now=datetime.now(UTC)
    )
    forged = f"{header}.{other.split('.')[1]}.{signature}"
    with pytest.raises(InvalidToken):
        decode_access_token(token_settings, forged)


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda c: {**c, "typ": "refresh"}, id="wrong-type"),
        pytest.param(lambda c: {k: v for k, v in c.items() if k != "fam"}, id="no-family"),
        pytest.param(lambda c: {**c, "sub": "not-a-uuid"}, id="bad-subject"),
    ],
)
def test_well_signed_but_malformed_tokens_are_refused(
    token_settings: Settings, mutate: Callable[[Claims], Claims]
) -> None:
    now = int(datetime.now(UTC).timestamp())
    claims = {
        "sub": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 60,
        "typ": "access",
        "fam": str(uuid.uuid4()),
        "stp": "abc",
    }
    token = jwt.encode(mutate(claims), token_settings.resolved_secret_key(), algorithm="HS256")
    with pytest.raises(InvalidToken):
        decode_access_token(token_settings, token)


def test_other_keys_and_algorithms_are_refused(token_settings: Settings) -> None:
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": str(uuid.uuid4()), "iat": now, "exp": now + 60, "typ": "access",
              "fam": str(uuid.uuid4()), "stp": "abc"}  # fmt: skip
    wrong_key = jwt.encode(claims, "another-secret-" + "z" * 32, algorithm="HS256")
    unsigned = jwt.encode(claims, "", algorithm="none")
    for token in (wrong_key, unsigned, "garbage", ""):
        with pytest.raises(InvalidToken):
            decode_access_token(token_settings, token)


def test_refresh_tokens_are_stored_as_sha256() -> None:
    digest = hash_refresh_token("some-token")
    assert len(digest) == 64
    assert digest != hash_refresh_token("some-token2")
