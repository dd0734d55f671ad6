"""Hand-written fakes for the ports."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from connector.domain.errors import PlatformUnavailable
from connector.domain.model import BackorderMark, OrderSnapshot, StockLevel, StockRef


class FakePlatform:
    """A store whose stock and orders are plain dicts; records every write."""

    def __init__(self, stock: Mapping[str, int] | None = None, *, allow_backorders: bool = True) -> None:
        self.stock: dict[str, int] = dict(stock or {})
        self.allow_backorders = allow_backorders
        self.orders: list[OrderSnapshot] = []
        self.marks: dict[str, list[BackorderMark]] = {}
        self.calls: list[tuple[str, Any]] = []
        self.fail_marks = 0

    def parse_order(self, payload: Mapping[str, Any]) -> OrderSnapshot:
        return payload["snapshot"]  # type: ignore[no-any-return]

    def stock_levels(self, refs: Sequence[StockRef]) -> dict[str, StockLevel]:
        self.calls.append(("stock_levels", [ref.key for ref in refs]))
        return {ref.key: StockLevel(ref.key, self.stock[ref.key], self.allow_backorders)
                for ref in refs if ref.key in self.stock}

    def mark_backordered(self, order_id: str, marks: Sequence[BackorderMark]) -> None:
        if self.fail_marks:
            self.fail_marks -= 1
            raise PlatformUnavailable("store down")
        self.calls.append(("mark", order_id))
        self.marks[order_id] = list(marks)

    def unmark_backordered(self, order_id: str) -> None:
        self.calls.append(("unmark", order_id))
        self.marks.pop(order_id, None)

    def orders_updated_since(self, since: datetime) -> Iterator[OrderSnapshot]:
        self.calls.append(("orders_updated_since", since))
        yield from sorted((o for o in self.orders if o.updated_at >= since), key=lambda o: o.updated_at)


class RecordingQueue:
    def __init__(self) -> None:
        self.jobs: list[tuple[str, tuple[Any, ...], float]] = []

    def enqueue(self, job: str, *args: Any, delay_seconds: float = 0.0) -> None:
        self.jobs.append((job, args, delay_seconds))

    def depth(self) -> int:
        return len(self.jobs)

    def stop(self, timeout: float = 0) -> None:
        return None
