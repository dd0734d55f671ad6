"""Per-shop settings of restock allocation (listed by connector/settings_registry.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from connector.db.repositories import ShopSettingRepository
from connector.db.uow import UnitOfWork
from connector.shop_settings import ShopSettingSpec


def _tags(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(tag, str) and tag.strip() and "," not in tag
                                           for tag in value)


def _bool(value: Any) -> bool:
    return isinstance(value, bool)


SHOP_SETTINGS: tuple[ShopSettingSpec, ...] = (
    ShopSettingSpec("restock.priority_tags", [],
                    "store order tags whose orders get arriving stock before all others, e.g. [\"vip\"]", _tags),
    ShopSettingSpec("restock.whole_lines_first", False,
                    "fill a later line completely before a partial one when stock arrives (true/false)", _bool),
    ShopSettingSpec("restock.ship_from_supplier_stock", False,
                    "the supplier ships from its warehouse: its stock reported > 0 is allocated (true/false)",
                    _bool),
    ShopSettingSpec("restock.stock_read_minutes", 60,
                    "minutes between reads of the store stock of positions with waiting backorders (0 = off)",
                    lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 10080),
)


@dataclass(frozen=True)
class AllocationPolicy:
    """How one shop ranks its waiting lines."""

    priority_tags: tuple[str, ...] = ()
    whole_lines_first: bool = False


def policy(uow: UnitOfWork, shop_id: int) -> AllocationPolicy:
    """The shop's allocation policy, read in one query inside the open ``with uow:`` (a stored value
    that does not pass its declaration's check counts as the default)."""
    specs = {spec.key: spec for spec in SHOP_SETTINGS}
    stored = uow.repo(ShopSettingRepository).stored(shop_id, ["restock.priority_tags", "restock.whole_lines_first"])
    values: dict[str, Any] = {}
    for key, spec in specs.items():
        try:
            value = json.loads(stored[key]) if key in stored else spec.default
        except ValueError:
            value = spec.default
        values[key] = value if spec.check(value) else spec.default
    return AllocationPolicy(tuple(values["restock.priority_tags"]), values["restock.whole_lines_first"])


def setting(uow: UnitOfWork, shop_id: int, key: str) -> Any:
    """One restock setting of the shop inside the open ``with uow:`` (default when unset or invalid)."""
    spec = next(spec for spec in SHOP_SETTINGS if spec.key == key)
    stored = uow.repo(ShopSettingRepository).stored(shop_id, [key])
    try:
        value = json.loads(stored[key]) if key in stored else spec.default
    except ValueError:
        return spec.default
    return value if spec.check(value) else spec.default
