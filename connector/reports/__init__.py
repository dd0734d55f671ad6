"""Reports for the merchant's books: what was sold on backorder but not yet shipped or charged (issue 13)."""
