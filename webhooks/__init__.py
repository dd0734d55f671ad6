"""Flask blueprints for everything a store pushes to us. Verify, store, enqueue, answer."""
