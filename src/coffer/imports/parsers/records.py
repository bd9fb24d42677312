"""What every parser yields: transactions, statement facts and problems with line numbers.

Conventions the later import stages rely on:
- `amount` is a signed Decimal in the statement's currency: negative is money out.
- `tags` are names as the file writes them; the import matches them to the
  household's tags.
- `line` is the 1-based physical line of the file where the record starts (for XML, the
  line of the element's start tag), so a person can find it in a text editor.
- Parsers collect every problem they can find and raise one `ParseFailed` carrying them
  all; a file with any problem imports nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

# More problems than this help nobody: the first hundred show the pattern.
MAX_PROBLEMS = 100


@dataclass(frozen=True, slots=True)
class SplitLine:
    """One line of a split transaction (QIF S/$/E); the lines sum to the transaction."""

    category: str | None
    amount: Decimal
    memo: str = ""


@dataclass(frozen=True, slots=True, init=False)
class ParsedTransaction:
    line: int
    posted_on: date
    amount: Decimal
    payee: str
    memo: str = ""
    external_id: str | None = None
    currency: str | None = None
    category: str | None = None
    check_number: str | None = None
    splits: tuple[SplitLine, ...] = ()
    tags: tuple[str, ...] = ()

    def __init__(
        self,
        line: int,
        posted_on: date,
        amount: Decimal,
        payee: str,
        memo: str = "",
        external_id: str | None = None,
        currency: str | None = None,
        category: str | None = None,
        check_number: str | None = None,
        splits: tuple[SplitLine, ...] = (),
        tags: tuple[str, ...] = (),
    ) -> None:
        # The generated frozen __init__ sets each field through object.__setattr__ and
        # costs 1.7 µs, most of a CSV row's budget; the slots' own setters do the same
        # work in about half. Instances stay frozen: assignment still raises.
        s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10 = _SETTERS
        s0(self, line)
        s1(self, posted_on)
        s2(self, amount)
        s3(self, payee)
        s4(self, memo)
        s5(self, external_id)
        s6(self, currency)
        s7(self, category)
        s8(self, check_number)
        s9(self, splits)
        s10(self, tags)


_SETTERS: tuple[Any, ...] = tuple(
    ParsedTransaction.__dict__[f.name].__set__ for f in fields(ParsedTransaction)
)


@dataclass(frozen=True, slots=True)
class StatementInfo:
    """Facts a statement file states about itself, used to pick and reconcile the account.

    `account_id_hint` holds only the last four characters of the account number or IBAN:
    enough to suggest the matching account, too little to be worth stealing.
    """

    account_id_hint: str | None
    currency: str | None
    closing_balance: Decimal | None
    closing_on: date | None


@dataclass(frozen=True, slots=True)
class ParseProblem:
    line: int
    message: str
    column: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        column = f", column {self.column!r}" if self.column else ""
        return f"{where}{column}: {self.message}"


class ParseFailed(ValueError):
    """The file was refused; `problems` lists up to MAX_PROBLEMS, `omitted` counts the rest."""

    def __init__(self, problems: list[ParseProblem], omitted: int = 0) -> None:
        self.problems = problems
        self.omitted = omitted
        shown = "; ".join(str(problem) for problem in problems[:5])
        hidden = len(problems) - 5 + omitted
        super().__init__(shown + (f" (and {hidden} more)" if hidden > 0 else ""))

    @classmethod
    def at(cls, line: int, message: str, column: str | None = None) -> ParseFailed:
        return cls([ParseProblem(line, message, column)])


class ProblemLog:
    """Collects problems as values while a parser keeps going (the beancount habit)."""

    __slots__ = ("omitted", "problems")

    def __init__(self) -> None:
        self.problems: list[ParseProblem] = []
        self.omitted = 0

    def add(self, line: int, message: str, column: str | None = None) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(ParseProblem(line, message, column))
        else:
            self.omitted += 1

    def __bool__(self) -> bool:
        return bool(self.problems)

    def __len__(self) -> int:
        return len(self.problems) + self.omitted

    def raise_if_any(self) -> None:
        if self.problems:
            raise ParseFailed(self.problems, self.omitted)


def account_hint(account_id: str | None) -> str | None:
    """The last four letters or digits of an account number or IBAN, nothing more."""
    if not account_id:
        return None
    kept = "".join(ch for ch in account_id if ch.isalnum())
    return kept[-4:] or None
