"""API shapes of imports, saved formats, rules and merchant aliases.

Amounts travel as decimal strings in the account's currency ("-12.50"); rule amount
bounds too, never as JSON numbers (which clients parse as floats).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from coffer.jobs.schemas import JobRead

AMOUNT_PATTERN = r"^[+-]?\d{1,15}(\.\d{1,8})?$"
DecimalText = Annotated[str, Field(pattern=AMOUNT_PATTERN, examples=["-12.50"])]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- imports ---------------------------------------------------------------------------


class ImportCounts(BaseModel):
    parsed: int
    added: int
    duplicates: int
    fuzzy: int
    skipped: int
    suggested: int


class ImportRead(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    filename: str
    format: str = Field(description="csv, ofx (also QFX), qif or camt053")
    preset: str | None
    mapping: dict[str, Any] | None
    date_order: str | None
    status: str = Field(description="uploaded, queued, committed, undoing or undone")
    size_bytes: int
    counts: ImportCounts
    result: dict[str, Any] | None
    last_error: dict[str, Any] | None
    job_id: uuid.UUID | None
    created_at: datetime
    committed_at: datetime | None
    undone_at: datetime | None


class ImportPage(BaseModel):
    items: list[ImportRead]
    next_cursor: str | None


class CsvSniffRead(BaseModel):
    encoding: str
    delimiter: str
    has_header: bool
    skip_rows: int
    header: list[str]
    rows: list[list[str]]
    suggested_mapping: dict[str, Any] | None
    preset: str | None
    notes: list[str]


class UploadRead(BaseModel):
    import_batch: ImportRead
    csv: CsvSniffRead | None = Field(description="For CSV files: what the first rows show")
    same_file_imports: list[uuid.UUID] = Field(
        description="Committed imports of this very file into the same account"
    )


class MappingUpdate(Strict):
    mapping: dict[str, Any] | None = None
    preset: str | None = Field(default=None, max_length=32)
    import_format_id: uuid.UUID | None = None
    date_order: Literal["mdy", "dmy"] | None = None
    save_as: str | None = Field(
        default=None, max_length=100, description="Also keep the mapping as a saved format"
    )


class MatchedTransaction(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    posted_on: date
    amount: str
    currency: str
    payee: str | None
    memo: str | None = None
    category_id: uuid.UUID | None = None


class DuplicateRead(BaseModel):
    status: Literal["exact", "fuzzy"]
    transaction: MatchedTransaction | None


class SuggestionRead(BaseModel):
    category_id: uuid.UUID
    category_name: str | None
    confidence: float
    applied_on_commit: bool = Field(
        description="Confident enough to be applied when the commit asks for suggestions"
    )


class SplitLineRead(BaseModel):
    amount: str
    category_id: uuid.UUID | None
    category_name: str | None
    memo: str | None


class PreviewRow(BaseModel):
    line: int
    posted_on: date
    amount: str
    payee: str
    memo: str | None
    external_id: str | None
    merchant: str | None
    category_id: uuid.UUID | None
    category_name: str | None
    category_source: str = Field(description="rule, file, split or none")
    rule_id: uuid.UUID | None
    tag_ids: list[uuid.UUID]
    suggestion: SuggestionRead | None
    duplicate: DuplicateRead | None
    repeated_in_file: bool = Field(
        description="Identical to an earlier row of this file (both are kept)"
    )
    splits: list[SplitLineRead]


class PreviewCounts(BaseModel):
    parsed: int
    new: int
    duplicates: int
    fuzzy: int
    suggested: int
    categorised: dict[str, int]


class PreviewRead(BaseModel):
    import_batch_id: uuid.UUID
    currency: str
    rows: list[PreviewRow]
    counts: PreviewCounts
    complete: bool = Field(description="False when the counts cover only the first rows")
    unmatched_categories: dict[str, int]
    unmatched_tags: dict[str, int] = Field(
        description="Tag names in the file that are none of the household's (not created)"
    )
    statement: dict[str, Any] | None


class CommitBody(Strict):
    skip_lines: list[int] = Field(
        default_factory=list, max_length=10_000, description="Lines (fuzzy duplicates) to leave out"
    )
    apply_suggestions: bool = Field(
        default=True, description="Apply confident learned categories to uncategorised rows"
    )


class BatchActionRead(BaseModel):
    import_batch: ImportRead
    job: JobRead | None = Field(description="Set (status 202) when it runs in the background")


# --- saved formats ---------------------------------------------------------------------


class ImportFormatCreate(Strict):
    name: str = Field(min_length=1, max_length=100)
    mapping: dict[str, Any]


class ImportFormatUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    mapping: dict[str, Any] | None = None


class ImportFormatRead(BaseModel):
    id: uuid.UUID
    name: str
    mapping: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class PresetRead(BaseModel):
    name: str
    mapping: dict[str, Any]


class ImportFormatList(BaseModel):
    items: list[ImportFormatRead]
    presets: list[PresetRead]


# --- rules -----------------------------------------------------------------------------


class TextCondition(Strict):
    field: Literal["payee", "memo"]
    op: Literal["contains", "equals", "starts_with", "ends_with", "regex"]
    value: str = Field(min_length=1, max_length=200)


class AmountCondition(Strict):
    field: Literal["amount"]
    op: Literal["between"] = "between"
    min: DecimalText | None = None
    max: DecimalText | None = None


class AccountCondition(Strict):
    field: Literal["account"]
    op: Literal["in"] = "in"
    value: list[uuid.UUID] = Field(min_length=1, max_length=50)


Condition = Annotated[
    TextCondition | AmountCondition | AccountCondition, Field(discriminator="field")
]


class RuleActions(Strict):
    category_id: uuid.UUID | None = None
    tag_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)
    merchant: str | None = Field(default=None, max_length=200)
    memo: str | None = Field(default=None, max_length=2000)


class RuleCreate(Strict):
    name: str = Field(min_length=1, max_length=100)
    conditions: list[Condition] = Field(min_length=1, max_length=20)
    actions: RuleActions
    enabled: bool = True
    stop_processing: bool = False


class RuleUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    conditions: list[Condition] | None = Field(default=None, min_length=1, max_length=20)
    actions: RuleActions | None = None
    enabled: bool | None = None
    stop_processing: bool | None = None


class RuleRead(BaseModel):
    id: uuid.UUID
    name: str
    position: int
    enabled: bool
    stop_processing: bool
    conditions: list[dict[str, Any]]
    actions: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class RuleReorder(Strict):
    ids: list[uuid.UUID] = Field(max_length=500)


class RuleTest(Strict):
    conditions: list[Condition] = Field(min_length=1, max_length=20)


class RuleMatchesRead(BaseModel):
    items: list[MatchedTransaction]
    scanned: int
    complete: bool


class RuleApply(Strict):
    only_uncategorised: bool = Field(
        default=False,
        description="Leave alone transactions that already have a category (split ones too)",
    )
    dry_run: bool = Field(
        default=False, description="Count what would change without changing anything"
    )


class RuleApplyRead(BaseModel):
    """What applying a rule to existing transactions changed (or would, for a dry run).

    matched = changed + unchanged + skipped_categorised; the per-action counts overlap
    when one transaction gets several actions."""

    matched: int = Field(description="Transactions the rule's conditions match")
    changed: int = Field(description="Transactions at least one action changed")
    unchanged: int = Field(description="Matched transactions already as the rule says")
    skipped_categorised: int = Field(
        description="Matched but left alone: they had a category and only_uncategorised was set"
    )
    skipped_split: int = Field(description="Split transactions whose category stays on their lines")
    categorised: int
    tagged: int
    merchant_set: int
    memo_set: int
    dry_run: bool


# --- merchant aliases ------------------------------------------------------------------


class AliasCreate(Strict):
    pattern: str = Field(min_length=1, max_length=200)
    match: Literal["exact", "contains", "regex"] = "contains"
    merchant_id: uuid.UUID | None = None
    merchant: str | None = Field(default=None, max_length=200, description="By name (created)")


class AliasUpdate(Strict):
    pattern: str | None = Field(default=None, min_length=1, max_length=200)
    match: Literal["exact", "contains", "regex"] | None = None
    merchant_id: uuid.UUID | None = None
    merchant: str | None = Field(default=None, max_length=200)


class AliasRead(BaseModel):
    id: uuid.UUID
    pattern: str
    match: str
    merchant_id: uuid.UUID
    merchant_name: str | None
    created_at: datetime
