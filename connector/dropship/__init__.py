"""Filling by drop-ship: routing, supplier orders, tracking back, holds, fulfillment-service mode."""
