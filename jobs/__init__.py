"""Job functions: module-level, take ids, safe to run twice, load their own state."""
