"""The settings audit trail's queries (table: connector/db/models_settings.py), each scoped to one shop."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from connector.db.models_settings import ShopSettingChange
from connector.db.repositories import Repository


class ShopSettingChangeRepository(Repository):

    def add(self, shop_id: int, key: str, old_value: Any, new_value: Any, *, old_default: bool, actor: str,
            source: str, changed_at: datetime) -> ShopSettingChange:
        row = ShopSettingChange(shop_id=shop_id, key=key, old_value=old_value, new_value=new_value,
                                old_default=old_default, actor=actor[:200], source=source, changed_at=changed_at)
        self.session.add(row)
        return row

    def recent(self, shop_id: int, *, key: str | None = None, limit: int = 20) -> Sequence[ShopSettingChange]:
        """The shop's newest changes (of one key, when given), newest first."""
        query = select(ShopSettingChange).where(ShopSettingChange.shop_id == shop_id)
        if key is not None:
            query = query.where(ShopSettingChange.key == key)
        query = query.order_by(ShopSettingChange.changed_at.desc(), ShopSettingChange.id.desc()).limit(limit)
        return self.session.scalars(query).all()

    def last_per_key(self, shop_id: int) -> dict[str, ShopSettingChange]:
        """The newest change of each key the shop ever changed (one query)."""
        newest = (select(func.max(ShopSettingChange.id).label("id"))
                  .where(ShopSettingChange.shop_id == shop_id)
                  .group_by(ShopSettingChange.key).subquery())
        rows = self.session.scalars(select(ShopSettingChange).join(newest, ShopSettingChange.id == newest.c.id))
        return {row.key: row for row in rows}
