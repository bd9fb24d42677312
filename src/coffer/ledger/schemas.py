"""API shapes of the ledger.

Amounts travel as decimal strings ("-1234.50") beside their ISO 4217 currency code;
an amount sent as a JSON float is refused (floats cannot hold most cents exactly).
Dates are ISO 8601. Lists are keyset pages: `limit` + `cursor` -> `next_cursor`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from coffer.ledger.bulk import BulkAction
from coffer.ledger.models import AccountType, CategoryKind, TransactionStatus

_FORBID_EXTRA = ConfigDict(extra="forbid")


def _exact(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError('send amounts as decimal strings, like "12.50", never as floats')
    return value


Amount = Annotated[
    Decimal,
    BeforeValidator(_exact),
    Field(description='A decimal string, e.g. "-12.50".', examples=["-12.50"]),
]
Rate = Annotated[
    Decimal,
    BeforeValidator(_exact),
    Field(description='A positive decimal string, e.g. "1.0837".', examples=["1.0837"]),
]
Money = Annotated[str, Field(description='An exact decimal string, e.g. "1234.50".')]
Currency = Annotated[str, Field(min_length=3, max_length=3, description="ISO 4217, e.g. EUR.")]
Colour = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$", examples=["#1E88E5"])]


class CurrencyRead(BaseModel):
    code: str
    name: str
    minor_units: int


# --- accounts ---------------------------------------------------------------------------


class AccountCreate(BaseModel):
    model_config = _FORBID_EXTRA

    name: str = Field(min_length=1, max_length=200)
    type: AccountType
    currency: Currency
    opening_balance: Amount = Decimal(0)
    opening_on: date | None = Field(default=None, description="Defaults to today.")
    institution: str | None = Field(default=None, max_length=200)
    account_number: str | None = Field(
        default=None,
        max_length=42,
        description="Stored encrypted; only the last four characters are ever shown.",
    )
    last_four: str | None = Field(default=None, max_length=4)
    credit_limit: Amount | None = None
    interest_rate: Rate | None = Field(default=None, description="Annual %, e.g. 19.99.")
    include_in_budget: bool | None = Field(
        default=None, description="Defaults to true for everyday accounts."
    )
    notes: str | None = Field(default=None, max_length=2000)


class AccountUpdate(BaseModel):
    model_config = _FORBID_EXTRA

    name: str | None = Field(default=None, min_length=1, max_length=200)
    type: AccountType | None = None
    currency: Currency | None = None
    opening_balance: Amount | None = None
    opening_on: date | None = None
    institution: str | None = Field(default=None, max_length=200)
    account_number: str | None = Field(default=None, max_length=42)
    last_four: str | None = Field(default=None, max_length=4)
    credit_limit: Amount | None = None
    interest_rate: Rate | None = None
    include_in_budget: bool | None = None
    notes: str | None = Field(default=None, max_length=2000)


class AccountClose(BaseModel):
    model_config = _FORBID_EXTRA

    closed_on: date | None = Field(default=None, description="Defaults to today.")


class AccountRead(BaseModel):
    id: uuid.UUID
    name: str
    type: AccountType
    currency: str
    opening_balance: Money
    opening_on: date
    institution: str | None
    last_four: str | None
    has_account_number: bool
    credit_limit: Money | None
    interest_rate: str | None
    include_in_budget: bool
    closed_on: date | None
    notes: str | None
    balance: Money
    base_currency: str
    balance_base: Money | None = Field(
        description="The balance in the household's base currency at the latest rate; "
        "null when no rate is known."
    )
    created_at: datetime
    updated_at: datetime


class BalanceRead(BaseModel):
    account_id: uuid.UUID
    on: date | None
    currency: str
    balance: Money
    cleared_balance: Money = Field(
        description="The balance without pending transactions: what the bank has settled."
    )
    base_currency: str
    balance_base: Money | None


# --- transactions -----------------------------------------------------------------------


class SplitLineIn(BaseModel):
    model_config = _FORBID_EXTRA

    amount: Amount
    category_id: uuid.UUID | None = None
    memo: str | None = Field(default=None, max_length=500)


class SplitLineRead(BaseModel):
    category_id: uuid.UUID | None
    amount: Money
    memo: str | None


class TransactionCreate(BaseModel):
    model_config = _FORBID_EXTRA

    account_id: uuid.UUID
    posted_on: date
    amount: Amount
    payee: str | None = Field(default=None, max_length=500)
    merchant_id: uuid.UUID | None = None
    merchant: str | None = Field(
        default=None,
        max_length=200,
        description="A merchant name, found or created; derived from the payee when omitted.",
    )
    memo: str | None = Field(default=None, max_length=2000)
    notes: str | None = Field(default=None, max_length=2000)
    category_id: uuid.UUID | None = None
    status: TransactionStatus = TransactionStatus.pending
    tag_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    splits: list[SplitLineIn] | None = Field(
        default=None, max_length=100, description="Lines that add up exactly to the amount."
    )
    external_id: str | None = Field(default=None, max_length=255)


class TransactionUpdate(BaseModel):
    model_config = _FORBID_EXTRA

    account_id: uuid.UUID | None = None
    posted_on: date | None = None
    amount: Amount | None = None
    payee: str | None = Field(default=None, max_length=500)
    merchant_id: uuid.UUID | None = None
    merchant: str | None = Field(default=None, max_length=200)
    memo: str | None = Field(default=None, max_length=2000)
    notes: str | None = Field(default=None, max_length=2000)
    category_id: uuid.UUID | None = None
    status: TransactionStatus | None = None
    tag_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)
    splits: list[SplitLineIn] | None = Field(
        default=None, max_length=100, description="New lines; null un-splits the transaction."
    )
    fx_rate: Rate | None = Field(default=None, description="Cross-currency transfer legs only.")
    unlock: bool = Field(
        default=False, description="Allow changing the amount, date or status of a reconciled one."
    )


class TransactionRead(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    posted_on: date
    amount: Money
    currency: str
    base_currency: str
    amount_base: Money | None = Field(
        description="In the household's base currency at the day's rate; null without a rate."
    )
    payee: str | None
    merchant_id: uuid.UUID | None
    merchant: str | None
    memo: str | None
    notes: str | None
    category_id: uuid.UUID | None
    status: TransactionStatus
    tag_ids: list[uuid.UUID]
    is_split: bool
    splits: list[SplitLineRead]
    transfer_id: uuid.UUID | None
    transfer_account_id: uuid.UUID | None
    fx_rate: str | None
    import_batch_id: uuid.UUID | None
    external_id: str | None
    created_at: datetime
    updated_at: datetime


class TransactionPage(BaseModel):
    items: list[TransactionRead]
    next_cursor: str | None


class RegisterRow(TransactionRead):
    running_balance: Money = Field(description="The account's balance just after this row.")


class RegisterPage(BaseModel):
    account_id: uuid.UUID
    currency: str
    balance: Money
    items: list[RegisterRow]
    next_cursor: str | None


class TransactionQuery(BaseModel):
    """Filters of a transaction search (query parameters, or a saved filter's JSON)."""

    date_from: date | None = None
    date_to: date | None = None
    account_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    category_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=100, description="A parent includes its children."
    )
    uncategorised: bool = False
    tag_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    merchant_ids: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    amount_min: Amount | None = None
    amount_max: Amount | None = None
    text: str | None = Field(default=None, max_length=200)
    statuses: list[TransactionStatus] = Field(default_factory=list, max_length=3)
    transfers: bool | None = Field(
        default=None, description="true: only transfers; false: no transfers."
    )


class BulkRequest(BaseModel):
    model_config = _FORBID_EXTRA

    action: BulkAction
    ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)
    category_id: uuid.UUID | None = Field(
        default=None, description="recategorise: the new category (null: uncategorised)."
    )
    tag_id: uuid.UUID | None = Field(default=None, description="tag / untag: the tag.")
    unlock: bool = False


class BulkResultRead(BaseModel):
    action: BulkAction
    changed: list[uuid.UUID]
    skipped: list[uuid.UUID]


# --- transfers --------------------------------------------------------------------------


class TransferCreate(BaseModel):
    model_config = _FORBID_EXTRA

    from_account_id: uuid.UUID
    to_account_id: uuid.UUID
    posted_on: date
    amount: Amount = Field(description="Sent, in the sending account's currency; positive.")
    fx_rate: Rate | None = Field(
        default=None,
        description="Receiving units per sending unit, between currencies; defaults to "
        "the household's rate for the day.",
    )
    memo: str | None = Field(default=None, max_length=2000)
    notes: str | None = Field(default=None, max_length=2000)
    status: TransactionStatus = TransactionStatus.pending


class TransferRead(BaseModel):
    id: uuid.UUID
    posted_on: date
    fx_rate: str | None
    sent: TransactionRead
    received: TransactionRead


# --- categories, tags, merchants ------------------------------------------------------


class CategoryCreate(BaseModel):
    model_config = _FORBID_EXTRA

    name: str = Field(min_length=1, max_length=100)
    kind: CategoryKind
    parent_id: uuid.UUID | None = None
    colour: Colour | None = None


class CategoryUpdate(BaseModel):
    model_config = _FORBID_EXTRA

    name: str | None = Field(default=None, min_length=1, max_length=100)
    kind: CategoryKind | None = None
    parent_id: uuid.UUID | None = None
    colour: Colour | None = None


class CategoryRead(BaseModel):
    id: uuid.UUID
    name: str
    kind: CategoryKind
    parent_id: uuid.UUID | None
    colour: str | None


class CategoryMerge(BaseModel):
    model_config = _FORBID_EXTRA

    target_id: uuid.UUID = Field(description="The category that takes everything over.")


class TagCreate(BaseModel):
    model_config = _FORBID_EXTRA

    name: str = Field(min_length=1, max_length=60)
    colour: Colour | None = None


class TagUpdate(BaseModel):
    model_config = _FORBID_EXTRA

    name: str | None = Field(default=None, min_length=1, max_length=60)
    colour: Colour | None = None


class TagRead(BaseModel):
    id: uuid.UUID
    name: str
    colour: str | None
    transaction_count: int


class MerchantCreate(BaseModel):
    model_config = _FORBID_EXTRA

    name: str = Field(min_length=1, max_length=200)


class MerchantRead(BaseModel):
    id: uuid.UUID
    name: str


class MerchantMerge(BaseModel):
    model_config = _FORBID_EXTRA

    target_id: uuid.UUID = Field(description="The merchant that takes everything over.")


class MerchantMergeRead(BaseModel):
    merchant: MerchantRead = Field(description="The merchant that took everything over.")
    transactions: int = Field(description="Transactions moved to it.")
    aliases: int = Field(description="Aliases moved to it.")
    new_alias: str | None = Field(
        description="The 'payee contains' alias added so that later imports file the "
        "merged merchant's payees under it (None when one existed already)."
    )


# --- FX ---------------------------------------------------------------------------------


class FxRateCreate(BaseModel):
    model_config = _FORBID_EXTRA

    rate_on: date
    base: Currency
    quote: Currency
    rate: Rate = Field(description="Units of quote per unit of base.")


class FxRateUpdate(BaseModel):
    model_config = _FORBID_EXTRA

    rate_on: date | None = None
    rate: Rate | None = None


class FxRateRead(BaseModel):
    id: uuid.UUID
    rate_on: date
    base: str
    quote: str
    rate: str


class FxRatePage(BaseModel):
    items: list[FxRateRead]
    next_cursor: str | None


class FxImportRead(BaseModel):
    created: int
    updated: int


class ConversionRead(BaseModel):
    amount: Money
    currency: str
    converted: Money
    to_currency: str
    on: date


# --- reconciliation ---------------------------------------------------------------------


class ReconciliationStart(BaseModel):
    model_config = _FORBID_EXTRA

    statement_on: date
    statement_balance: Amount


class ReconciliationUpdate(BaseModel):
    model_config = _FORBID_EXTRA

    statement_on: date | None = None
    statement_balance: Amount | None = None


class ReconciliationToggle(BaseModel):
    model_config = _FORBID_EXTRA

    transaction_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)
    cleared: bool = True


class ReconciliationRead(BaseModel):
    id: uuid.UUID
    account_id: uuid.UUID
    currency: str
    statement_on: date
    statement_balance: Money
    cleared_balance: Money
    difference: Money = Field(description="Statement balance minus cleared balance.")
    uncleared_count: int
    status: str
    completed_at: datetime | None
    reconciled_count: int


# --- saved filters ----------------------------------------------------------------------


class SavedFilterCreate(BaseModel):
    model_config = _FORBID_EXTRA

    name: str = Field(min_length=1, max_length=100)
    query: TransactionQuery


class SavedFilterUpdate(BaseModel):
    model_config = _FORBID_EXTRA

    name: str | None = Field(default=None, min_length=1, max_length=100)
    query: TransactionQuery | None = None


class SavedFilterRead(BaseModel):
    id: uuid.UUID
    name: str
    query: TransactionQuery
    created_at: datetime
    updated_at: datetime
