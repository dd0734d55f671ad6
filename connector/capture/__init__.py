"""Capture: orders become backorder records; the store is told; reconciliation catches missed webhooks."""
