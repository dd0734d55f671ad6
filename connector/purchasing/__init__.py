"""Purchase orders: open backorders batched per supplier SKU to the supplier's minimum, proposed or
placed, sent once (API or e-mail), received, and handed to allocation."""
