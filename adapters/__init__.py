"""Adapters: one package per outside system. No library exception escapes an adapter."""
