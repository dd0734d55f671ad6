"""Tables for knowing when: suppliers, what they report, and each SKU's date (purchase orders are the
purchasing feature's: connector/purchasing/models.py).

Shared contract between supplier polling (writes supplier_stock, snapshots, sku_eta and the
backorders' dates), product-page publishing (reads sku_eta, writes its published_* columns) and
customer messages (reads backorders.promised_date / expected_date).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from connector.db.models import Base, UTCDateTime
from connector.domain.clock import utcnow


class Supplier(Base):
    __tablename__ = "suppliers"
    __table_args__ = (UniqueConstraint("shop_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    """http_json | feed"""
    settings: Mapped[str] = mapped_column(Text, default="{}")
    """JSON: URL, pagination, field mapping, formats, schedule. No secrets."""
    secret: Mapped[str | None] = mapped_column(Text)
    """Fernet token of the JSON auth secrets (bearer token, password, API key, SFTP key)."""
    handling_days: Mapped[int] = mapped_column(Integer, default=0)
    transit_days: Mapped[int] = mapped_column(Integer, default=0)
    lead_time_days: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="active")
    etag: Mapped[str | None] = mapped_column(String(255))
    last_modified: Mapped[str | None] = mapped_column(String(255))
    page_state: Mapped[str | None] = mapped_column(Text)
    """JSON kept by the adapter between polls (each page's validators and where it led)."""
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    host_key_fingerprint: Mapped[str | None] = mapped_column(String(64))
    """An SFTP source's host key trusted on first use: its SHA256 fingerprint ("SHA256:..."); every later
    connection must present the same key (None: the next connection is the first). Cleared or replaced
    by ``connector suppliers trust-host-key``."""
    host_key_type: Mapped[str | None] = mapped_column(String(64))
    """That key's type ("ssh-ed25519", "ssh-rsa", ...)."""
    host_key_trusted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    push_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    """The public part of the supplier's push URL (None: the supplier cannot push)."""
    push_secret: Mapped[str | None] = mapped_column(Text)
    """Fernet token of the supplier's push HMAC key (made by the connector, shown once)."""
    poll_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """A poll or a pushed batch of this supplier runs until then at the latest (None: none runs)."""


class SupplierPush(Base):
    """The supplier's inbox: one accepted push, raw, under its event id (connector/supply/push.py)."""

    __tablename__ = "supplier_pushes"
    __table_args__ = (UniqueConstraint("supplier_id", "event_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    """changed (poll the supplier now) | rows (the rows are in the body)"""
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    """pending | processing | done | failed"""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SupplierStock(Base):
    """What a supplier last said about one SKU (the last good data stays in force)."""

    __tablename__ = "supplier_stock"
    __table_args__ = (UniqueConstraint("supplier_id", "sku"), Index("ix_supplier_stock_shop_sku", "shop_id", "sku"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(Integer)
    """The supplier's shop. No foreign key of its own (migration 0035): the row goes with its supplier,
    which goes with its shop, and a check per row was half the cost of storing a big feed."""
    supplier_id: Mapped[int] = mapped_column(Integer)
    """PostgreSQL: no foreign key (migration 0039): triggers do its work once per insert statement instead
    of once per row (``tr_supplier_stock_supplier`` refuses rows of a supplier that is not there, and locks
    it as the key did; ``tr_suppliers_delete_stock`` deletes a deleted supplier's rows). SQLite, which has
    no statement triggers, has the key (``ON DELETE CASCADE``, migration 0042): cheaper than a row trigger."""
    sku: Mapped[str] = mapped_column(String(255).with_variant(String(255, collation="C"), "postgresql"))
    """PostgreSQL: collation "C" (migration 0039), so the two indexes on it compare bytes (the same order
    as the database's C.UTF-8) instead of calling strcoll for every comparison."""
    quantity: Mapped[int | None] = mapped_column(Integer)
    restock_date: Mapped[date | None] = mapped_column(Date)
    lead_time_days: Mapped[int | None] = mapped_column(Integer)
    dropship: Mapped[bool] = mapped_column(Boolean, default=False)
    unit_cost: Mapped[float | None] = mapped_column(Numeric(12, 2))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    line_hash: Mapped[int | None] = mapped_column(BigInteger)
    """Fingerprint of the feed line that set this row (None: not from a feed line); see feed_scan."""
    first_load_snapshot_id: Mapped[int | None] = mapped_column(Integer)
    """The supplier's first load that wrote this row (its snapshot; None: a later poll wrote it, with a
    change row). A first load writes no change row per SKU: connector/supply/history.py expands it."""


class SupplierFeedState(Base):
    """Per feed supplier: the fingerprints of the lines behind its stored stock (``line_hash`` of its
    rows), as blobs of 8-byte integers, so a poll loads them in one read and skips unchanged lines."""

    __tablename__ = "supplier_feed_state"

    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"), primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    line_hashes: Mapped[bytes] = mapped_column(LargeBinary)
    """The base: every fingerprint at the last full write."""
    added: Mapped[bytes | None] = mapped_column(LargeBinary)
    removed: Mapped[bytes | None] = mapped_column(LargeBinary)
    """Fingerprints added to and removed from the base since (a steady poll writes these small blobs,
    not the whole set again)."""
    lines: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SupplierSnapshot(Base):
    """One poll of one supplier: its outcome and counts (history for date-accuracy reports)."""

    __tablename__ = "supplier_snapshots"
    __table_args__ = (Index("ix_supplier_snapshots_supplier", "supplier_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="running")
    """running | ok | unchanged | failed | postponed (the shop's catalogue could not be read first:
    connector/supply/first_poll.py; the supplier was not read)"""
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_bad: Mapped[int] = mapped_column(Integer, default=0)
    rows_changed: Mapped[int] = mapped_column(Integer, default=0)
    bad_rows: Mapped[str | None] = mapped_column(Text)
    """JSON list of the first bad rows: {line, reason}."""
    error: Mapped[str | None] = mapped_column(Text)


class SupplierChange(Base):
    """What one poll changed for one SKU: the history of stock and dates (read it through
    connector/supply/history.py, which adds the rows of first loads)."""

    __tablename__ = "supplier_changes"
    __table_args__ = (Index("ix_supplier_changes_shop_sku", "shop_id", "sku"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(Integer)
    supplier_id: Mapped[int] = mapped_column(Integer)
    """The snapshot's shop and supplier. No foreign keys of their own (migration 0035): a change goes with
    its snapshot, which goes with its supplier and shop. A first load writes none (migration 0037): its
    stock rows name its snapshot, and connector/supply/history.py reads them as this table's rows."""
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("supplier_snapshots.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[int | None] = mapped_column(Integer)
    restock_date: Mapped[date | None] = mapped_column(Date)
    previous_quantity: Mapped[int | None] = mapped_column(Integer)
    previous_restock_date: Mapped[date | None] = mapped_column(Date)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CatalogRead(Base):
    """When the connector last read a shop's catalogue into ``store_skus`` (none: never read). Tells a
    store that sells nothing (read, no SKUs) from one not read yet, whose first supplier poll must wait."""

    __tablename__ = "catalog_reads"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    skus: Mapped[int] = mapped_column(Integer, default=0)


class StoreSku(Base):
    """The store's catalogue as the connector last read it: where a SKU lives and its stock."""

    __tablename__ = "store_skus"
    __table_args__ = (UniqueConstraint("shop_id", "sku"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(255))
    product_id: Mapped[str | None] = mapped_column(String(64))
    variant_id: Mapped[str | None] = mapped_column(String(64))
    """Shopify variant id; WooCommerce variation id (None for a simple product)."""
    inventory_item_id: Mapped[str | None] = mapped_column(String(64))
    available: Mapped[int | None] = mapped_column(Integer)
    backorders_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    price: Mapped[float | None] = mapped_column(Numeric(12, 2))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SkuEta(Base):
    """One SKU's expected in-stock date, and what is on its product page."""

    __tablename__ = "sku_eta"
    __table_args__ = (UniqueConstraint("shop_id", "sku"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(255))
    expected_date: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(40), default="none")
    """store_stock | supplier_stock | supplier_restock | lead_time | purchase_order | none"""
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id", ondelete="SET NULL"))
    page_date: Mapped[date | None] = mapped_column(Date)
    """The date the product page should show: the expected date while the store has no stock of its own
    and a supplier or purchase order gives one; None otherwise (nothing shown, backorders may be switched off)."""
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_date: Mapped[date | None] = mapped_column(Date)
    """The date now on the product page (None: nothing published)."""
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publish_error: Mapped[str | None] = mapped_column(Text)
