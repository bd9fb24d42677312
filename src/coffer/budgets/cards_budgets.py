"""Dashboard cards of budgets (registered when coffer.budgets.cards is imported)."""
