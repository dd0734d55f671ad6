"""Domain types and rules. Imports only the standard library."""
