"""The statements an engine sends, for tests that count or inspect them (one recorder instead of one a test file)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from sqlalchemy import event
from sqlalchemy.engine import Engine


class Sent(NamedTuple):
    """One statement as the engine sent it to the driver."""

    sql: str
    executemany: bool
    rows: int
    """Parameter sets: their number for an executemany, else 1."""
    thread: int
    """``threading.get_ident()`` of the thread that sent it."""

    @property
    def flat(self) -> str:
        """The SQL on one line, its whitespace runs as single spaces."""
        return " ".join(self.sql.split())


@contextmanager
def sent_statements(engine: Engine) -> Iterator[list[Sent]]:
    """Every statement ``engine`` sends while the block runs, in order, from any thread."""
    seen: list[Sent] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        seen.append(Sent(statement, executemany, len(parameters) if executemany else 1, threading.get_ident()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
