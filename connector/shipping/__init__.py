"""Shipping: closing backorders when their units ship (store fulfillments, drop-ship, allocation)."""
