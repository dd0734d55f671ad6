"""Supplier adapters: the SupplierClient port over an HTTP JSON API or a CSV/TSV feed."""
