"""A Shopify simulator for tests and the demo: Admin GraphQL API, cost throttling, signed webhooks."""

from sandbox.shopify_sim.simulator import ShopifySimulator
from sandbox.shopify_sim.store import NotFound, SimulatorError
from sandbox.shopify_sim.webhooks import Delivery, sign_webhook

__all__ = ["Delivery", "NotFound", "ShopifySimulator", "SimulatorError", "sign_webhook"]
