"""Installing shops: OAuth, token exchange, WooCommerce keys, tokens, scopes, health, key rotation."""
