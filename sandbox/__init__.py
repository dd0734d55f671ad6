"""Platform and supplier simulators that speak the real APIs on loopback, for tests and the demo."""
