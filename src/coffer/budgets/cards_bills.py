"""Dashboard cards of bills (registered when coffer.budgets.cards is imported)."""
