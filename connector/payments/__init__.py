"""Pay when it ships: authorised orders captured on shipment, vaulted balances charged by mandate,
WooCommerce captures by status, authorisation expiry watched, never charged twice (issue 13)."""
