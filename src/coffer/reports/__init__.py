"""Reports: aggregated views of the ledger in the household's base currency."""
