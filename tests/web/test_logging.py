"""Logs are structured, carry the request id, and never contain a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from coffer.config import LogFormat, Settings
from coffer.web.logging import REDACTED, configure_logging
from tests.web.conftest import make_settings


@pytest.fixture(autouse=True)
def _restore_logging(tmp_path: Path) -> Iterator[None]:
    yield
    configure_logging(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]


@pytest.fixture
def json_logs(tmp_path: Path) -> io.StringIO:
    stream = io.StringIO()
    settings = make_settings(tmp_path, "sqlite://", log_format=LogFormat.json)
    configure_logging(settings, stream=stream)
    return stream


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_passwords_and_tokens_given_to_the_logger_are_redacted(json_logs: io.StringIO) -> None:
    structlog.get_logger("coffer.test").info(
        "sign_in",
        email="pat@example.com",
        password="hunter2-hunter2",
        new_password="s3cret-new-one",
        form={"refresh_token": "rt-value", "nested": [{"Authorization": "Bearer abc.def"}]},
        csrf_token="csrf-value",
        totp_code="123456",
    )
    output = json_logs.getvalue()
    for secret in ("hunter2", "s3cret-new-one", "rt-value", "abc.def", "csrf-value", "123456"):
        assert secret not in output
    (line,) = _lines(json_logs)
    assert line["email"] == "pat@example.com"
    assert line["password"] == REDACTED
    assert line["form"]["nested"][0]["Authorization"] == REDACTED


def test_standard_library_records_are_redacted_too(json_logs: io.StringIO) -> None:
    logging.getLogger("some.library").warning(
        "connect failed to postgresql://app:db-pass-123@db.internal/coffer",
        extra={"password": "extra-secret", "cookie": "coffer_session=abc"},
    )
    output = json_logs.getvalue()
    assert "db-pass-123" not in output
    assert "extra-secret" not in output
    assert "coffer_session=abc" not in output
    (line,) = _lines(json_logs)
    assert line["logger"] == "some.library"
    assert "postgresql://app:" in line["event"]


def test_request_logs_carry_the_request_id_and_no_query_string(
    json_logs: io.StringIO, plain_client: Any, tmp_path: Path
) -> None:
    # create_app configured console logging again; switch back to the captured stream.
    configure_logging(
        make_settings(tmp_path, "sqlite://", log_format=LogFormat.json), stream=json_logs
    )
    response = plain_client.get("/health?token=leaky-token", headers={"X-Request-ID": "req-77"})
    assert response.status_code == 200
    assert "leaky-token" not in json_logs.getvalue()
    access = [line for line in _lines(json_logs) if line.get("logger") == "coffer.access"]
    assert access[-1]["request_id"] == "req-77"
    assert access[-1]["path"] == "/health"
    assert access[-1]["status"] == 200


def test_invitation_tokens_in_the_path_are_masked(
    json_logs: io.StringIO, plain_client: Any, tmp_path: Path
) -> None:
    configure_logging(
        make_settings(tmp_path, "sqlite://", log_format=LogFormat.json), stream=json_logs
    )
    plain_client.get("/api/v1/invitations/secret-invite-token-123")
    assert "secret-invite-token-123" not in json_logs.getvalue()
    access = [line for line in _lines(json_logs) if line.get("logger") == "coffer.access"]
    assert access[-1]["path"] == "/api/v1/invitations/[redacted]"
    assert access[-1]["route"] == "/api/v1/invitations/{token}"


def test_configuring_twice_does_not_duplicate_lines(json_logs: io.StringIO, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "sqlite://", log_format=LogFormat.json)
    configure_logging(settings, stream=json_logs)
    configure_logging(settings, stream=json_logs)
    structlog.get_logger("coffer.test").info("once")
    assert len(_lines(json_logs)) == 1


def test_console_lines_are_redacted_and_keep_tracebacks(tmp_path: Path) -> None:
    stream = io.StringIO()
    configure_logging(
        make_settings(tmp_path, "sqlite://", log_format=LogFormat.console), stream=stream
    )
    log = structlog.get_logger("coffer.test")
    try:
        raise ValueError("bad input")
    except ValueError:
        log.exception("import_failed", access_token="at-secret", rows=3)
    line = stream.getvalue()
    assert "at-secret" not in line
    assert "import_failed [coffer.test]" in line
    assert "rows=3" in line
    assert "Traceback" in line
    assert "ValueError: bad input" in line


def test_levels_below_the_setting_are_dropped(tmp_path: Path) -> None:
    stream = io.StringIO()
    configure_logging(
        make_settings(tmp_path, "sqlite://", log_format=LogFormat.json, log_level="WARNING"),
        stream=stream,
    )
    structlog.get_logger("coffer.test").info("chatty")
    logging.getLogger("lib").info("chatty too")
    structlog.get_logger("coffer.test").warning("worth reading")
    assert [line["event"] for line in _lines(stream)] == ["worth reading"]
