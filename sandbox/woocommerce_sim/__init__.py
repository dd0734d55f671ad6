"""A WooCommerce simulator: REST API v3 subset, stock rules and signed webhooks, on real HTTP."""

from sandbox.woocommerce_sim.simulator import WooCommerceSimulator
from sandbox.woocommerce_sim.state import SimError
from sandbox.woocommerce_sim.webhooks import Delivery

__all__ = ["Delivery", "SimError", "WooCommerceSimulator"]
