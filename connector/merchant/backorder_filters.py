"""What the merchant asked the Backorders page for: filters, sort and page, read from a query string.

``BackorderView.from_args`` reads the GET form (the same parameters serve the CSV export) and names
every value it could not read in ``problems``, keeping the rest of the view: a bad date in the
address bar shows the page with that filter off and a message, never an error page.
``query_args`` writes a view back into parameters (sort links, pagination, the export link).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

STATUSES = ("open", "allocated", "fulfilled", "cancelled", "withdrawn")
"""Every backorder status, in the order the page lists them (and sorts by status)."""
WAITING = ("open", "allocated")
"""The default status filter: backorders still waiting for their units."""
STATUS_CHOICES = ("waiting", *STATUSES, "all")
"""The status filter's choices: ``waiting`` (open + allocated), one status, or ``all``."""
SORTS = ("age", "sku", "supplier", "status", "expected", "order")
"""Columns the page sorts by (each with the backorder's id as the final, stable tie-break)."""
DEFAULT_SORT = "age"
DEFAULT_DIRECTION = "desc"
"""Oldest first: age descending."""
PAGE_SIZE = 50
MAX_TEXT = 100
"""Longest SKU or order search kept (a longer one is cut)."""
MAX_DAYS = 36_500


@dataclass(frozen=True)
class BackorderView:
    """One view of a shop's backorders. Empty fields filter nothing."""

    status: str = "waiting"
    sku: str = ""
    """SKU, matched exactly or as a prefix ending in ``*`` (``TEE-*``)."""
    supplier_id: int | None = None
    """Backorders of SKUs this supplier lists (its stock rows) or whose date it gave."""
    order: str = ""
    """Order search: part of the order's name (``1001`` finds ``#1001``) or its store id."""
    min_age_days: int | None = None
    max_age_days: int | None = None
    expected_from: date | None = None
    expected_to: date | None = None
    sort: str = DEFAULT_SORT
    direction: str = DEFAULT_DIRECTION
    page: int = 1
    problems: tuple[str, ...] = field(default=(), compare=False)
    """What could not be read from the query string, in words (those filters are off)."""

    @property
    def statuses(self) -> tuple[str, ...]:
        """The statuses the view shows (every status for ``all``)."""
        if self.status == "waiting":
            return WAITING
        if self.status == "all":
            return STATUSES
        return (self.status,)

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE

    def with_page(self, page: int) -> BackorderView:
        return replace(self, page=max(1, page))

    def sorted_by(self, sort: str) -> BackorderView:
        """The view sorted by ``sort``: the other direction when it is already sorted by it, from page 1."""
        if sort == self.sort:
            direction = "asc" if self.direction == "desc" else "desc"
        else:
            direction = "desc" if sort == "age" else "asc"
        return replace(self, sort=sort, direction=direction, page=1)

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> BackorderView:
        """The view a query string asks for; unreadable values are left out and named in ``problems``."""
        problems: list[str] = []
        status = (args.get("status") or "waiting").strip().lower()
        if status not in STATUS_CHOICES:
            problems.append(f"status {status[:40]!r} is not one of {', '.join(STATUS_CHOICES)}")
            status = "waiting"
        sort = (args.get("sort") or DEFAULT_SORT).strip().lower()
        if sort not in SORTS:
            problems.append(f"sort {sort[:40]!r} is not one of {', '.join(SORTS)}")
            sort = DEFAULT_SORT
        direction = (args.get("dir") or ("desc" if sort == "age" else "asc")).strip().lower()
        if direction not in ("asc", "desc"):
            problems.append(f"direction {direction[:40]!r} is not asc or desc")
            direction = "asc"
        return cls(
            status=status,
            sku=_text(args.get("sku")),
            supplier_id=_number(args, "supplier", "supplier", problems, minimum=1),
            order=_text(args.get("order")),
            min_age_days=_number(args, "min_age", "minimum age", problems),
            max_age_days=_number(args, "max_age", "maximum age", problems),
            expected_from=_day(args, "expected_from", "expected from", problems),
            expected_to=_day(args, "expected_to", "expected to", problems),
            sort=sort,
            direction=direction,
            page=_number(args, "page", "page", problems, minimum=1) or 1,
            problems=tuple(problems),
        )

    def query_args(self, *, page: bool = True) -> dict[str, str]:
        """The view as query parameters, defaults left out (``page=False``: without the page)."""
        values: dict[str, str] = {}
        if self.status != "waiting":
            values["status"] = self.status
        for name, value in (("sku", self.sku), ("order", self.order)):
            if value:
                values[name] = value
        for name, number in (("supplier", self.supplier_id), ("min_age", self.min_age_days),
                             ("max_age", self.max_age_days)):
            if number is not None:
                values[name] = str(number)
        for name, day in (("expected_from", self.expected_from), ("expected_to", self.expected_to)):
            if day is not None:
                values[name] = day.isoformat()
        if (self.sort, self.direction) != (DEFAULT_SORT, DEFAULT_DIRECTION):
            values["sort"] = self.sort
            values["dir"] = self.direction
        if page and self.page > 1:
            values["page"] = str(self.page)
        return values


def _text(value: str | None) -> str:
    return (value or "").strip()[:MAX_TEXT]


def _number(args: Mapping[str, str], name: str, label: str, problems: list[str], *,
            minimum: int = 0) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not minimum <= int(raw) <= MAX_DAYS * 1000:
        problems.append(f"{label} {raw[:40]!r} is not a whole number of at least {minimum}")
        return None
    return int(raw)


def _day(args: Mapping[str, str], name: str, label: str, problems: list[str]) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        problems.append(f"{label} {raw[:40]!r} is not a date (YYYY-MM-DD)")
        return None
