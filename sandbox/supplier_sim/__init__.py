"""A supplier simulator: JSON API and CSV feed whose stock and dates change while it runs."""

from sandbox.supplier_sim.simulator import SupplierSimulator

__all__ = ["SupplierSimulator"]
