"""Privacy: exports, redaction, shop deletion, uninstall, and retention of what is kept a while."""
