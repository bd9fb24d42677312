"""The ledger's REST API under /api/v1: accounts (with register and reconciliations),
transactions, bulk actions, transfers, categories, tags, merchants, currencies, FX
rates and saved filters. Routes are thin: parse, call coffer.ledger.service, shape.

Reads need membership of the tenant (CurrentTenant); writes need a writing role
(WritableTenant: viewers and advisors get 403). Another tenant's ids answer 404.
"""

from __future__ import annotations

from fastapi import APIRouter

from coffer.ledger import (
    api_accounts,
    api_export,
    api_labels,
    api_rates,
    api_saved_filters,
    api_transactions,
)

router = APIRouter()
for _module in (
    api_accounts,
    api_export,
    api_transactions,
    api_labels,
    api_rates,
    api_saved_filters,
):
    router.include_router(_module.router)
