"""Per-shop settings: a merchant's choices that override the deployment defaults.

Values are JSON. Each feature declares its keys with a default and a validator in SETTINGS, so
`connector shops set` refuses unknown keys and bad values with a message that names them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from connector.db.models_supply import ShopSetting
from connector.db.uow import UnitOfWork
from connector.domain.errors import InvalidPayload


@dataclass(frozen=True)
class SettingSpec:
    default: Any
    help: str
    check: Callable[[Any], bool] = lambda value: True


SETTINGS: dict[str, SettingSpec] = {}
"""Every per-shop setting. Feature modules register theirs with ``register``."""


def register(key: str, default: Any, help: str, check: Callable[[Any], bool] | None = None) -> None:
    SETTINGS[key] = SettingSpec(default, help, check or (lambda value: True))


def _spec(key: str) -> SettingSpec:
    if key not in SETTINGS:
        raise InvalidPayload(f"unknown shop setting {key!r}; known: {', '.join(sorted(SETTINGS)) or 'none'}")
    return SETTINGS[key]


def get_setting(uow: UnitOfWork, shop_id: int, key: str) -> Any:
    """The shop's value, or the declared default. Opens its own transaction."""
    spec = _spec(key)
    with uow:
        row = uow.session.scalar(select(ShopSetting).where(  # type: ignore[union-attr]
            ShopSetting.shop_id == shop_id, ShopSetting.key == key))
        return json.loads(row.value) if row is not None else spec.default


def all_settings(uow: UnitOfWork, shop_id: int) -> dict[str, Any]:
    with uow:
        rows = uow.session.scalars(select(ShopSetting).where(ShopSetting.shop_id == shop_id))  # type: ignore[union-attr]
        stored = {row.key: json.loads(row.value) for row in rows}
    return {key: stored.get(key, spec.default) for key, spec in sorted(SETTINGS.items())}


def set_setting(uow: UnitOfWork, shop_id: int, key: str, value: Any) -> None:
    spec = _spec(key)
    if not spec.check(value):
        raise InvalidPayload(f"bad value {value!r} for shop setting {key!r}: {spec.help}")
    with uow:
        session = uow.session
        assert session is not None
        row = session.scalar(select(ShopSetting).where(ShopSetting.shop_id == shop_id, ShopSetting.key == key))
        if row is None:
            session.add(ShopSetting(shop_id=shop_id, key=key, value=json.dumps(value)))
        else:
            row.value = json.dumps(value)
        uow.commit()
