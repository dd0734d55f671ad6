"""Use cases over the ports and the unit of work. No HTTP, no framework."""
