"""Accounts, transactions, categories, tags, merchants, transfers, splits, FX rates."""
