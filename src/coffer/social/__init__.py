"""Money between people: IOUs, expense groups, splits, balances and settlements."""
