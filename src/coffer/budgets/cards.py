"""The dashboard cards of budgets, bills, goals and the forecast: each module below
registers its cards with `coffer.reports.dashboard.dashboard_card` when imported."""

from coffer.budgets import cards_bills, cards_budgets, cards_goals  # noqa: F401
