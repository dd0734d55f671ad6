"""Queries of the selling plan feature (connector/payments/selling_plans.py), each scoped to one shop."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, select

from connector.db.repositories import Repository
from connector.domain.selling_plans import CatalogVariant
from connector.payments.plan_models import SellingPlanGroupRow, SellingPlanVariant
from connector.supply.models import SkuEta, StoreSku


class PlanRepository(Repository):

    def catalog_variants(self, shop_id: int) -> list[CatalogVariant]:
        """Every store variant with an id, its backorder setting and the date on its page, by variant id."""
        rows = self.session.execute(
            select(StoreSku.variant_id, StoreSku.sku, StoreSku.backorders_allowed, SkuEta.page_date)
            .outerjoin(SkuEta, (SkuEta.shop_id == StoreSku.shop_id) & (SkuEta.sku == StoreSku.sku))
            .where(StoreSku.shop_id == shop_id, StoreSku.variant_id.is_not(None))
            .order_by(StoreSku.variant_id)).all()
        return [CatalogVariant(str(variant_id), sku, bool(allowed), page_date)
                for variant_id, sku, allowed, page_date in rows]

    def group(self, shop_id: int) -> SellingPlanGroupRow | None:
        return self.session.scalar(select(SellingPlanGroupRow).where(SellingPlanGroupRow.shop_id == shop_id))

    def save_group(self, shop_id: int, *, group_id: str | None, plan_id: str | None, digest: str | None,
                   settings: str | None, synced_at: datetime | None = None) -> SellingPlanGroupRow:
        row = self.group(shop_id)
        if row is None:
            row = SellingPlanGroupRow(shop_id=shop_id)
            self.session.add(row)
        row.group_id, row.plan_id, row.settings_digest, row.settings = group_id, plan_id, digest, settings
        row.last_error = None
        if synced_at is not None:
            row.synced_at = synced_at
        self.session.flush()
        return row

    def record_error(self, shop_id: int, message: str) -> None:
        row = self.group(shop_id)
        if row is None:
            row = SellingPlanGroupRow(shop_id=shop_id)
            self.session.add(row)
        row.last_error = message[:2000]

    def attached(self, shop_id: int) -> Sequence[SellingPlanVariant]:
        return self.session.scalars(select(SellingPlanVariant).where(SellingPlanVariant.shop_id == shop_id)
                                    .order_by(SellingPlanVariant.id)).all()

    def set_attached(self, shop_id: int, variants: Mapping[str, str | None], at: datetime) -> None:
        """The variants now on the group (variant id -> sku): others are forgotten, new ones added."""
        have = {row.variant_id: row for row in self.attached(shop_id)}
        gone = [variant_id for variant_id in have if variant_id not in variants]
        if gone:
            self.session.execute(delete(SellingPlanVariant).where(SellingPlanVariant.shop_id == shop_id,
                                                                  SellingPlanVariant.variant_id.in_(gone)))
        for variant_id, sku in variants.items():
            if variant_id not in have:
                self.session.add(SellingPlanVariant(shop_id=shop_id, variant_id=variant_id, sku=sku, attached_at=at))
        self.session.flush()

    def plan_ids(self, shop_id: int) -> set[str]:
        """The selling plan ids that are the connector's own for this shop (order lines name them)."""
        row = self.group(shop_id)
        return {row.plan_id} if row is not None and row.plan_id else set()

    def shops_with_group(self) -> set[int]:
        """Shops that have a group in the store (so turning the route off still deletes it)."""
        return set(self.session.scalars(select(SellingPlanGroupRow.shop_id)
                                        .where(SellingPlanGroupRow.group_id.is_not(None))))
