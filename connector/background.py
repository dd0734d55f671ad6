"""Work run in order by a thread of their own, beside the caller's work.

SQLite runs in this process and Python's sqlite3 releases the GIL while SQLite executes a statement, so
a batch's writes can run on one core while the caller goes on on the other: an allocation's writes while
it ranks the next chunk (on PostgreSQL the server does that: psycopg's pipeline mode,
``RestockRepository.writes_in_flight``), a feed's first load while the feed is read on
(``connector.supply.ingest.BackgroundWriter``).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable


class InOrder:
    """Runs the callables handed over (``submit``) one after another in a thread of its own; ``finish``
    waits until all have run and raises the first error one raised. After an error the rest are not
    run: they belong to a transaction that is lost. The caller must not use the connection the
    callables use until ``finish`` returns. At most ``depth`` callables wait; ``submit`` blocks beyond."""

    def __init__(self, name: str, depth: int = 2) -> None:
        self._work: queue.Queue[Callable[[], object] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (work := self._work.get()) is not None:
            if self._error is None:
                try:
                    work()
                except BaseException as exc:  # re-raised in the caller's thread
                    self._error = exc

    def submit(self, work: Callable[[], object]) -> None:
        """Hand ``work`` over; raises at once what an earlier one raised (nothing more runs then)."""
        self._raise()
        self._work.put(work)

    def finish(self, *, abort: bool = False) -> None:
        """Wait for everything handed over; raise the first error unless ``abort`` (the caller is already
        failing: its own exception is the one to see)."""
        if self._thread.is_alive():
            self._work.put(None)
            self._thread.join()
        if not abort:
            self._raise()

    @property
    def error(self) -> BaseException | None:
        """What a callable raised (nothing after it ran), or None."""
        return self._error

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error
