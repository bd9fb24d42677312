"""Structured logs: structlog for Coffer's own events, the standard library (uvicorn,
SQLAlchemy, alembic) routed through the same processors and renderer.

JSON lines in server mode (for a log shipper), console lines otherwise. The request id
set by the middleware is merged from contextvars into every line. Secrets never reach
the output: values under sensitive keys are replaced wherever they appear in the
event, and passwords embedded in URLs ("scheme://user:secret@host") are masked.

Coffer's own events take structlog's native path straight to the output, not a detour
through a standard-library LogRecord: one access-log line per request is written on
the hot path, and the detour (caller lookup, record copies) tripled its cost.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, TextIO

import structlog
from structlog.types import EventDict, Processor, WrappedLogger

from coffer.config import LogFormat, Settings

REDACTED = "[redacted]"

# A key is sensitive when it contains one of these words ("new_password",
# "refresh_token", "Set-Cookie") ...
_SENSITIVE_SUBSTRINGS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "authorization",
    "cookie",
    "csrf",
    "credential",
    "api_key",
    "apikey",
    "private_key",
)
# ... or has one of these short words as a whole part ("totp_code", "session_id"); as
# substrings they would also match harmless keys ("footprint").
_SENSITIVE_PARTS = frozenset({"otp", "totp", "session", "pin", "iban"})
_KEY_SPLIT = re.compile(r"[^a-z0-9]+")
_URL_PASSWORD = re.compile(r"(?P<prefix>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]+:)[^@\s]+@")

# Loggers of libraries that install their own handlers; ours replace them.
_THIRD_PARTY_LOGGERS = ("uvicorn", "uvicorn.error", "alembic")
# The request middleware writes the access log (with the request id, without the
# query string); uvicorn's own would be a second, less careful line per request.
# uvicorn writes it only while this logger has handlers, its parents' included.
_SILENCED_LOGGERS = ("uvicorn.access",)
# HTTP clients log every URL they fetch at INFO, query string (and any token in it)
# included; their warnings still come through.
_QUIETED_LOGGERS = ("httpx", "httpcore")
# Alembic announces its dialect on every start; only the migrations it runs are news.
_ALEMBIC_CHATTER = ("Context impl", "Will assume")


def _not_alembic_chatter(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith(_ALEMBIC_CHATTER)


@lru_cache(maxsize=4096)  # a bounded cache: keys of logged dicts may come from input
def is_sensitive_key(key: object) -> bool:
    name = str(key).lower()
    if any(word in name for word in _SENSITIVE_SUBSTRINGS):
        return True
    return any(part in _SENSITIVE_PARTS for part in _KEY_SPLIT.split(name))


def _mask_urls(text: str) -> str:
    if "://" not in text:  # the common case stays a single substring test
        return text
    return _URL_PASSWORD.sub(r"\g<prefix>" + REDACTED + "@", text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return _mask_urls(value)
    if isinstance(value, Mapping):
        return {k: REDACTED if is_sensitive_key(k) else _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v) for v in value)
    return value


def redact_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: no password, token or cookie value is ever written."""
    for key, value in event_dict.items():
        if is_sensitive_key(key):
            event_dict[key] = REDACTED
        elif isinstance(value, str | Mapping | list | tuple):
            event_dict[key] = _redact_value(value)
    return event_dict


# --- where lines go ---------------------------------------------------------------------


class _Output:
    """The one destination of every line, structlog's and the standard library's alike,
    behind one lock so lines never interleave. Reconfiguring swaps the stream in place,
    so loggers cached before still write to the right place."""

    def __init__(self) -> None:
        self.stream: TextIO = sys.stderr
        self.level = logging.INFO
        self.lock = threading.Lock()

    def write(self, line: str) -> None:
        with self.lock:
            self.stream.write(line + "\n")
            self.stream.flush()


_OUTPUT = _Output()
_PROCESSORS: list[Processor] = []


class _NamedWriter:
    """What structlog wraps: writes rendered lines and knows its logger's name."""

    def __init__(self, name: str) -> None:
        self.name = name

    def msg(self, message: str) -> None:
        _OUTPUT.write(message)

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


def _writer_factory(*args: Any) -> _NamedWriter:
    return _NamedWriter(str(args[0]) if args else "coffer")


class _StdlibHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            _OUTPUT.write(self.format(record))
        except Exception:
            self.handleError(record)


# --- processors -------------------------------------------------------------------------

_LEVELS = logging.getLevelNamesMapping()


def _filter_level(_logger: WrappedLogger, method: str, event_dict: EventDict) -> EventDict:
    level = _LEVELS.get(method.upper(), logging.ERROR if method == "exception" else 0)
    if level < _OUTPUT.level:
        raise structlog.DropEvent
    return event_dict


def _drop_color_message(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """uvicorn passes an ANSI-coloured copy of each message as an extra field."""
    event_dict.pop("color_message", None)
    return event_dict


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def render_console(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> str:
    """`time [level] event [logger] key=value ...`, then any traceback.

    structlog's ConsoleRenderer pads and styles every field, which made it most of the
    cost of an access-log line; a line a person reads needs none of that.
    """
    timestamp = event_dict.pop("timestamp", "")
    level = event_dict.pop("level", "")
    event = event_dict.pop("event", "")
    logger = event_dict.pop("logger", "")
    traceback = event_dict.pop("exception", None)
    fields = " ".join(f"{key}={value}" for key, value in event_dict.items())
    line = f"{timestamp} [{level:<7}] {event} [{logger}]"
    if fields:
        line = f"{line} {fields}"
    if traceback:
        line = f"{line}\n{traceback}"
    return line


def _renderer(log_format: LogFormat) -> list[Processor]:
    if log_format is LogFormat.json:
        return [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    return [structlog.processors.format_exc_info, render_console]


def _stdlib_formatter(log_format: LogFormat) -> structlog.stdlib.ProcessorFormatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            *_shared_processors(),
            structlog.stdlib.ExtraAdder(),
            _drop_color_message,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            redact_secrets,
            *_renderer(log_format),
        ],
    )


def configure_logging(settings: Settings, *, stream: TextIO | None = None) -> None:
    """Route every log line through structlog to `stream` (stderr by default).

    Safe to call again (every create_app does): the output, level and format are
    replaced, never duplicated.
    """
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    _OUTPUT.stream = stream or sys.stderr
    _OUTPUT.level = level
    log_format = settings.resolved_log_format
    _route_standard_library(log_format, level)
    # Changed in place: loggers cached earlier hold this very list.
    _PROCESSORS[:] = [
        _filter_level,
        *_shared_processors(),
        structlog.processors.StackInfoRenderer(),
        redact_secrets,
        *_renderer(log_format),
    ]
    structlog.configure(
        processors=_PROCESSORS,
        logger_factory=_writer_factory,
        wrapper_class=structlog.make_filtering_bound_logger(logging.NOTSET),
        # Stream and level live in _OUTPUT and the processors in _PROCESSORS, so a
        # cached logger still follows a later configure_logging.
        cache_logger_on_first_use=True,
    )


def _route_standard_library(log_format: LogFormat, level: int) -> None:
    handler = _StdlibHandler()
    handler.setFormatter(_stdlib_formatter(log_format))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _StdlibHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _THIRD_PARTY_LOGGERS:
        library_logger = logging.getLogger(name)
        library_logger.handlers.clear()
        library_logger.propagate = True
    for name in _QUIETED_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    for name in _SILENCED_LOGGERS:
        silenced = logging.getLogger(name)
        silenced.handlers.clear()
        silenced.propagate = False
    migration_logger = logging.getLogger("alembic.runtime.migration")
    if _not_alembic_chatter not in migration_logger.filters:
        migration_logger.addFilter(_not_alembic_chatter)
