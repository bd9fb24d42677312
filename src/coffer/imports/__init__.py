"""Bank-file imports: parsing (parsers/), then deduplication, rules and batches."""
