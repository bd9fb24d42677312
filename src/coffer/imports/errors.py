"""The import's own errors, each a leaf of coffer.errors (which carries the status).

A refused file is a 422 whose `errors` name the line of each problem, e.g.
{"field": "line 7", "message": "'twelve' is not an amount"}: never a 500.
"""

from __future__ import annotations

from coffer.errors import Conflict, RuleViolation, ValidationFailed
from coffer.imports.parsers.records import ParseFailed, ParseProblem


class FileRefused(ValidationFailed):
    """The file cannot be read as a bank statement; nothing was imported."""

    slug = "file-refused"
    title = "The file cannot be imported"


class BatchStateConflict(Conflict):
    """The batch is not in a state that allows this (already committed, undone, ...)."""

    slug = "import-state"
    title = "This import cannot do that now"


class UndoRefused(RuleViolation):
    slug = "undo-refused"
    title = "This import cannot be undone"


def problem_field(problem: ParseProblem) -> str:
    return f"line {problem.line}" if problem.line else "file"


def problem_message(problem: ParseProblem) -> str:
    if problem.column:
        return f"column {problem.column!r}: {problem.message}"
    return problem.message


def file_refused(filename: str, failed: ParseFailed) -> FileRefused:
    """The 422 for a file a parser refused, naming the file and each problem's line."""
    errors = [{"field": problem_field(p), "message": problem_message(p)} for p in failed.problems]
    if failed.omitted:
        errors.append({"field": "file", "message": f"{failed.omitted} more problems not listed"})
    first = failed.problems[0] if failed.problems else None
    reason = f"{problem_field(first)}: {problem_message(first)}" if first else str(failed)
    return FileRefused(f"{filename} was not imported, nothing was changed. {reason}", errors=errors)


def refused_text(filename: str, reason: str, *, field: str = "file") -> FileRefused:
    return FileRefused(f"{filename}: {reason}", errors=[{"field": field, "message": reason}])
