"""Dashboard cards of goals (registered when coffer.budgets.cards is imported)."""
