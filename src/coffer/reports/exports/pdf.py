"""A statement (coffer.reports.statements) as a printable PDF, written with fpdf2.

A4 portrait, DejaVu Sans embedded (regular and bold, shipped in
web/static/vendor/fonts with their licence) so any Latin, Greek or Cyrillic name
prints; a character the font lacks (Chinese, Japanese, emoji) prints as U+FFFD rather
than failing or vanishing. Amounts are right-aligned and written as the household's
locale writes them (Babel, exact Decimals, every minor unit shown); dates too. Every
page after the first repeats the statement's title at the top, every page carries its
number at the foot, and a table that runs onto a new page repeats its column headings
(and an account's listing its caption) there.

The document's creation date is the statement's `generated_at`, so the same statement
gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date, format_skeleton
from babel.numbers import format_currency, format_decimal
from fpdf import FPDF
from fpdf.enums import TableBordersLayout, TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace
from fpdf.util import Padding

from coffer.core.money import currency as currency_info
from coffer.core.money import from_minor
from coffer.reports.service import StatementRow
from coffer.reports.statements import AccountStatement, Statement, StatementLine

MEDIA_TYPE = "application/pdf"

FONT_DIR = Path(__file__).resolve().parents[2] / "web" / "static" / "vendor" / "fonts"
FONT = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}

MARGIN = 15.0  # mm, left and right
TOP = 14.0
BOTTOM = 16.0  # room for the footer
BODY = 9.0  # pt
SMALL = 7.5
TABLE = 8.5

INK = (33, 37, 41)
MUTED = (95, 102, 112)
RULE = (206, 212, 218)
HEAD_FILL = (231, 235, 240)
ZEBRA = (246, 247, 249)
NOTE_FILL = (255, 243, 205)
TOTAL = FontFace(emphasis="BOLD")
SECTION = FontFace(emphasis="BOLD", fill_color=(238, 241, 245))
HEADINGS = FontFace(emphasis="BOLD", fill_color=HEAD_FILL, color=INK)
CAPTION = FontFace(emphasis="BOLD", fill_color=(255, 255, 255), color=INK, size_pt=10)

MISSING = "\ufffd"  # the replacement character, in DejaVu Sans

KIND_TITLES = {"monthly": "Monthly statement", "annual": "Annual statement"}


@cache
def font_paths() -> dict[str, Path]:
    return {style: FONT_DIR / name for style, name in FONT_FILES.items()}


def filename(statement: Statement) -> str:
    """coffer-statement-2026-03.pdf, coffer-statement-2025.pdf."""
    if statement.kind == "monthly":
        return f"coffer-statement-{statement.date_from:%Y-%m}.pdf"
    return f"coffer-statement-{statement.date_from:%Y}.pdf"


@dataclass(frozen=True, slots=True)
class Formats:
    """Amounts and dates as the household's locale writes them."""

    locale: str

    def money(self, amount_minor: int | None, code: str) -> str:
        if amount_minor is None:
            return "—"
        exact = from_minor(amount_minor, code).quantize(currency_info(code).quantum)
        # Every minor unit shown: CLDR's digits are fewer than ISO 4217's for a few
        # currencies, and a statement never hides a cent.
        return format_currency(exact, code, locale=self.locale, decimal_quantization=False)

    def number(self, amount_minor: int, code: str) -> str:
        digits = currency_info(code).minor_units
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        value: Decimal = from_minor(amount_minor, code)
        return format_decimal(value, format=pattern, locale=self.locale)

    def day(self, value: date, style: str = "medium") -> str:
        return format_date(value, format=style, locale=self.locale)

    def short_day(self, value: date) -> str:
        return format_skeleton("MMMd", value, locale=self.locale)

    def month_year(self, value: date) -> str:
        return format_skeleton("yMMMM", value, locale=self.locale)

    def month(self, value: date) -> str:
        return format_date(value, format="LLLL", locale=self.locale)


class StatementPDF(FPDF):
    """The page furniture: the running title at the top of every page after the first
    and the page number at the foot of every page."""

    def __init__(self, statement: Statement, formats: Formats) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.statement = statement
        self.formats = formats
        for style, path in font_paths().items():
            self.add_font(FONT, style, str(path))
        self.set_margins(MARGIN, TOP, MARGIN)
        self.set_auto_page_break(auto=True, margin=BOTTOM)
        self.alias_nb_pages()
        self.set_text_color(*INK)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.set_font(FONT, "", BODY)

    def normalize_text(self, text: str) -> str:
        """A character the font has no glyph for (Chinese, Japanese, Korean, emoji, ...)
        prints as U+FFFD, visibly, rather than as nothing at all."""
        cmap = getattr(self.current_font, "cmap", None)
        if cmap and any(ord(c) not in cmap and ord(c) >= 32 for c in text):
            text = "".join(c if ord(c) in cmap or ord(c) < 32 else MISSING for c in text)
        return super().normalize_text(text)

    @property
    def running_title(self) -> str:
        s = self.statement
        return f"{s.household} · {KIND_TITLES[s.kind]} · {period_title(s, self.formats)}"

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FONT, "", SMALL)
        self.set_text_color(*MUTED)
        self.cell(0, 4, self.running_title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.line(MARGIN, self.get_y() + 1, self.w - MARGIN, self.get_y() + 1)
        self.ln(4)
        self.set_text_color(*INK)
        self.set_font(FONT, "", BODY)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, "", SMALL)
        self.set_text_color(*MUTED)
        generated = self.formats.day(self.statement.generated_at.date())
        self.cell(self.epw / 2, 4, f"Generated by Coffer on {generated}", align="L")
        self.cell(self.epw / 2, 4, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(*INK)


def period_title(statement: Statement, formats: Formats) -> str:
    if statement.kind == "monthly":
        return formats.month_year(statement.date_from)
    return str(statement.date_from.year)


def render(statement: Statement) -> bytes:
    """The statement as the bytes of a PDF file."""
    formats = Formats(statement.locale)
    pdf = StatementPDF(statement, formats)
    title = f"{KIND_TITLES[statement.kind]}, {period_title(statement, formats)}"
    pdf.set_title(f"{title} — {statement.household}")
    pdf.set_author(statement.household)
    pdf.set_subject(f"{title}, in {statement.currency}")
    pdf.set_creator("Coffer")
    pdf.set_producer("Coffer")
    pdf.set_creation_date(creation_date(statement))
    pdf.add_page()
    writer = _Writer(pdf, statement, formats)
    writer.title_block()
    writer.missing_rates()
    writer.summary()
    if statement.kind == "annual":
        writer.month_table()
    writer.categories()
    writer.accounts()
    if statement.kind == "monthly":
        writer.transactions()
    else:
        writer.no_transactions_note()
    return bytes(pdf.output())


class _Writer:
    """Lays the statement's sections out one after the other."""

    def __init__(self, pdf: StatementPDF, statement: Statement, formats: Formats) -> None:
        self.pdf = pdf
        self.s = statement
        self.f = formats

    # --- building blocks ---------------------------------------------------------------

    def base(self, amount_minor: int) -> str:
        return self.f.money(amount_minor, self.s.currency)

    def heading(self, text: str, *, size: float = 12, space: float = 40) -> None:
        """A section heading, kept on the page with at least `space` mm after it."""
        pdf = self.pdf
        if pdf.get_y() + space > pdf.h - BOTTOM:
            pdf.add_page()
        else:
            pdf.ln(4)
        pdf.set_font(FONT, "B", size)
        pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1.5)
        pdf.set_font(FONT, "", BODY)

    def paragraph(self, text: str, *, size: float = BODY, muted: bool = False) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, "", size)
        if muted:
            pdf.set_text_color(*MUTED)
        pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(*INK)
        pdf.set_font(FONT, "", BODY)

    def table(
        self,
        headings: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        widths: Sequence[float],
        numeric: Sequence[bool],
        zebra: bool = True,
        caption: str | None = None,
    ) -> None:
        """A table the width of the page: numeric columns right-aligned, headings (and
        the caption above them, across every column) repeated on every page it runs
        onto. A row is a sequence of cells, each a text or (text, FontFace); a row given
        as ("style", FontFace, cells) styles it whole."""
        pdf = self.pdf
        pdf.set_font(FONT, "", TABLE)
        # fpdf2 fills the striped rows with the current fill colour.
        pdf.set_fill_color(*ZEBRA)
        align = tuple("RIGHT" if n else "LEFT" for n in numeric)
        with pdf.table(
            width=pdf.epw,
            col_widths=tuple(widths),
            text_align=align,
            headings_style=HEADINGS,
            borders_layout=TableBordersLayout.HORIZONTAL_LINES,
            cell_fill_mode=TableCellFillMode.ROWS if zebra else TableCellFillMode.NONE,
            cell_fill_color=ZEBRA,
            line_height=TABLE * 0.55,
            padding=(1.2, 1.5),
            v_align="TOP",
            num_heading_rows=2 if caption else 1,
            repeat_headings=1,
        ) as table:
            if caption:
                table.row().cell(caption, colspan=len(headings), style=CAPTION)
            heading = table.row()
            for text in headings:
                heading.cell(text)
            for values in rows:
                style: FontFace | None = None
                cells: Sequence[Any] = values
                if values and values[0] == "style":
                    style, cells = values[1], values[2]
                row = table.row()
                for value in cells:
                    if isinstance(value, tuple):
                        row.cell(value[0], style=value[1])
                    else:
                        row.cell(str(value), style=style)
        pdf.set_font(FONT, "", BODY)

    # --- sections --------------------------------------------------------------------------

    def title_block(self) -> None:
        pdf, s, f = self.pdf, self.s, self.f
        pdf.set_font(FONT, "B", 18)
        pdf.cell(0, 9, KIND_TITLES[s.kind], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 13)
        pdf.cell(0, 7, period_title(s, f), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
        accounts = ", ".join(s.account_names) if s.account_names else "All accounts"
        facts = [
            ("Household", s.household),
            ("Period", f"{f.day(s.date_from)} – {f.day(s.date_to)}"),
            ("Currency", f"{s.currency}: the summary and the categories are in {s.currency}; "
             "each account in its own currency"),
            ("Accounts", accounts),
            ("Generated", f.day(s.generated_at.date(), "long")),
        ]  # fmt: skip
        pdf.set_font(FONT, "", BODY)
        for label, value in facts:
            pdf.set_font(FONT, "B", BODY)
            pdf.cell(28, 5, label)
            pdf.set_font(FONT, "", BODY)
            pdf.multi_cell(0, 5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)

    def missing_rates(self) -> None:
        missing = self.s.missing_rates
        if not missing:
            return
        by_code: dict[str, list[date]] = {}
        for code, day in missing:
            by_code.setdefault(code, []).append(day)
        parts = []
        for code, days in sorted(by_code.items()):
            shown = ", ".join(self.f.day(d) for d in days[:12])
            more = len(days) - 12
            if more > 0:
                shown += f" and {more} more {'day' if more == 1 else 'days'}"
            parts.append(f"{code} on {shown}")
        text = (
            f"Some amounts are not counted. There is no exchange rate to {self.s.currency} "
            f"for {'; '.join(parts)}. Those amounts are left out of every figure in "
            f"{self.s.currency} (the account balances in their own currencies are whole). "
            "Add the exchange rates in Coffer and download the statement again."
        )
        pdf = self.pdf
        pdf.ln(2)
        pdf.set_fill_color(*NOTE_FILL)
        pdf.set_font(FONT, "B", BODY)
        pdf.multi_cell(
            0,
            5,
            "Missing exchange rates",
            fill=True,
            padding=Padding(1.5, 2, 0, 2),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_font(FONT, "", BODY)
        pdf.multi_cell(
            0,
            4.6,
            text,
            fill=True,
            padding=Padding(0.5, 2, 1.5, 2),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    def summary(self) -> None:
        s, f = self.s, self.f
        self.heading(f"Summary in {s.currency}")
        start_day = s.date_from - timedelta(days=1)
        rows: list[Sequence[Any]] = [
            [f"Net worth at the start ({f.day(start_day)})", self.base(s.net_worth_start_minor)],
            ["Income", self.base(s.income_minor)],
            ["Spending", self.base(s.spending_minor)],
            ["Not categorised (net; positive is money in)", self.base(s.uncategorised_minor)],
            ("style", TOTAL, ["Net result (income − spending + not categorised)",
                              self.base(s.net_minor)]),
            ("style", TOTAL, [f"Net worth at the end ({f.day(s.date_to)})",
                              self.base(s.net_worth_end_minor)]),
            ["Change in net worth", self.base(s.net_worth_change_minor)],
        ]  # fmt: skip
        self.table(["", "Amount"], rows, widths=(3, 1), numeric=(False, True))
        self.paragraph(
            "Transfers between your own accounts are neither income nor spending. Net worth "
            "also moves with transfers to accounts outside this statement, balance changes "
            "of accounts in other currencies and their exchange rates.",
            size=SMALL,
            muted=True,
        )

    def month_table(self) -> None:
        s = self.s
        self.heading(f"Month by month in {s.currency}")
        rows: list[Sequence[Any]] = [
            [
                self.f.month(m.month),
                self.number(m.income_minor),
                self.number(m.spending_minor),
                self.number(m.uncategorised_minor),
                self.number(m.net_minor),
                self.number(m.net_worth_minor),
            ]
            for m in s.months
        ]
        rows.append(
            (
                "style",
                TOTAL,
                [
                    "Year",
                    self.number(sum(m.income_minor for m in s.months)),
                    self.number(sum(m.spending_minor for m in s.months)),
                    self.number(sum(m.uncategorised_minor for m in s.months)),
                    self.number(sum(m.net_minor for m in s.months)),
                    self.number(s.net_worth_end_minor),
                ],
            )
        )
        self.table(
            ["Month", "Income", "Spending", "Not categorised", "Net", "Net worth at month end"],
            rows,
            widths=(1.3, 1, 1, 1, 1, 1.2),
            numeric=(False, True, True, True, True, True),
        )

    def number(self, amount_minor: int) -> str:
        return self.f.number(amount_minor, self.s.currency)

    def categories(self) -> None:
        s = self.s
        self.heading(f"Income and spending by category in {s.currency}")
        rows: list[Sequence[Any]] = []

        def add(section: str, items: list[StatementRow], total: int, label: str) -> None:
            rows.append(("style", SECTION, [section, ""]))
            if not items:
                rows.append([f"No {section.lower()} in this period", self.number(0)])
            for item in items:
                rows.append([item.name, self.number(item.amount.amount_minor)])
                for child in item.children:
                    rows.append(["      " + child.name, self.number(child.amount.amount_minor)])
            rows.append(("style", TOTAL, [label, self.number(total)]))

        add("Income", s.income, s.income_minor, "Total income")
        add("Spending", s.spending, s.spending_minor, "Total spending")
        rows.append(("style", TOTAL, ["Not categorised (net)", self.number(s.uncategorised_minor)]))
        rows.append(("style", TOTAL, ["Net result", self.number(s.net_minor)]))
        self.table(
            ["Category", f"Amount ({s.currency})"],
            rows,
            widths=(3, 1),
            numeric=(False, True),
            zebra=False,
        )
        self.paragraph(
            "A category's amount includes its subcategories. Refunds reduce spending.",
            size=SMALL,
            muted=True,
        )

    def accounts(self) -> None:
        s = self.s
        self.heading("Accounts, each in its own currency")
        if not s.accounts:
            self.paragraph("No account was open in this period.")
            return
        rows: list[Sequence[Any]] = []
        for a in s.accounts:
            rows.append(
                [
                    self.account_label(a),
                    self.f.money(a.opening_minor, a.currency),
                    self.f.money(a.money_in_minor, a.currency),
                    self.f.money(a.money_out_minor, a.currency),
                    (self.f.money(a.closing_minor, a.currency), TOTAL),
                ]
            )
        self.table(
            ["Account", "Opening balance", "Money in", "Money out", "Closing balance"],
            rows,
            widths=(2.2, 1.3, 1.2, 1.2, 1.3),
            numeric=(False, True, True, True, True),
        )
        self.paragraph(
            "Money in and out count every transaction, transfers included: the opening "
            "balance plus money in less money out is the closing balance.",
            size=SMALL,
            muted=True,
        )

    def account_label(self, a: AccountStatement) -> str:
        notes = []
        if a.opened_on is not None:
            notes.append(f"opened {self.f.day(a.opened_on)}")
        if a.closed_on is not None:
            notes.append(f"closed {self.f.day(a.closed_on)}")
        label = f"{a.name} ({a.currency})"
        return f"{label}\n{', '.join(notes)}" if notes else label

    def transactions(self) -> None:
        s = self.s
        self.heading("Transactions", space=50)
        idle = [a.name for a in s.accounts if not a.lines]
        if idle:
            self.paragraph(f"No transactions this month in: {', '.join(idle)}.", muted=True)
        for a in s.accounts:
            if a.lines:
                self.account_transactions(a, a.lines)

    def account_transactions(self, a: AccountStatement, lines: list[StatementLine]) -> None:
        pdf = self.pdf
        if pdf.get_y() + 35 > pdf.h - BOTTOM:
            pdf.add_page()
        else:
            pdf.ln(3)
        if not a.listed_all:
            self.paragraph(
                f"{a.name}: the latest {len(lines)} of {a.count} transactions are listed; "
                "the first balance shown is the one before them.",
                size=SMALL,
                muted=True,
            )
        first_balance = lines[0].balance_minor - lines[0].amount_minor
        opening_label = "Opening balance" if a.listed_all else "Balance before these"
        rows: list[Sequence[Any]] = [
            (
                "style",
                TOTAL,
                [self.f.short_day(self.s.date_from) if a.listed_all else "", opening_label, "",
                 "", self.f.number(first_balance, a.currency)],
            )
        ]  # fmt: skip
        rows.extend(self.transaction_row(line, a.currency) for line in lines)
        rows.append(
            (
                "style",
                TOTAL,
                [self.f.short_day(self.s.date_to), "Closing balance", "", "",
                 self.f.number(a.closing_minor, a.currency)],
            )
        )  # fmt: skip
        self.table(
            ["Date", "Payee / merchant", "Category", "Amount", "Balance"],
            rows,
            widths=(0.75, 2.3, 2.0, 1.05, 1.15),
            numeric=(False, False, False, True, True),
            caption=f"{a.name} ({a.currency})",
        )

    def transaction_row(self, line: StatementLine, code: str) -> list[str]:
        description = line.description
        if line.transfer and line.memo and line.memo.strip() and line.memo != description:
            description = f"{description}\n{' '.join(line.memo.split())}"
        return [
            self.f.short_day(line.posted_on),
            description,
            line.category,
            self.f.number(line.amount_minor, code),
            self.f.number(line.balance_minor, code),
        ]

    def no_transactions_note(self) -> None:
        self.heading("Transactions", space=20)
        self.paragraph(
            "An annual statement does not list transactions: a year can hold thousands. "
            "The monthly statements list every month's transactions with a running "
            "balance, and the transaction search exports them as CSV or XLSX."
        )


def creation_date(statement: Statement) -> datetime:
    created = statement.generated_at
    return created if created.tzinfo else created.replace(tzinfo=UTC)
