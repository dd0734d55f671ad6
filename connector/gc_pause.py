"""Python's cyclic garbage collector paused while a bulk step runs.

A restock batch or a supplier poll builds hundreds of thousands of small tuples and lists, none of
which form cycles (reference counting frees them), yet the collector counts each one, and every
collection walks the young objects again and now and then every live object: a fifth of the CPU of a
100,000-backorder restock (bench/allocate.py), and a tenth of a big supplier's first poll
(bench/feed_ingest.py), went there. The pause is process-wide: while any step holds it the collector
stays off, and it is on again (if it was on before the first) when the last one ends.
docs/decisions/gc-pause.md says why this is not left to the collector's thresholds.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The collector off for the ``with`` block (and for as long as another thread's block runs)."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
