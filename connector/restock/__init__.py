"""Filling from restock: stock arriving (store inventory, purchase-order receipts, supplier stock)
allocated first come, first served to the backorders waiting for it."""
