"""`connector suppliers add|list|poll|push-secret|history|trust-host-key` and `connector dates`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from connector.cli_support import _container, _fail_cleanly, render_table
from connector.domain.errors import InvalidPayload


@click.group()
def suppliers() -> None:
    """Suppliers: their stock and restock dates, polled on a schedule."""


def _load_spec(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            spec = yaml.safe_load(text)
        else:
            spec = json.loads(text)
    except (ValueError, Exception) as exc:  # yaml.YAMLError and json errors alike
        raise InvalidPayload(f"{path}: not valid {path.suffix.lstrip('.') or 'JSON'}: {exc}") from None
    if not isinstance(spec, dict):
        raise InvalidPayload(f"{path}: a supplier spec must be a mapping")
    return spec


@suppliers.command("add")
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL.")
@click.option("--file", "spec_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Supplier spec (YAML or JSON): name, kind, settings, secret, handling/transit/lead days.")
@_fail_cleanly
def suppliers_add(shop_name: str, spec_file: Path) -> None:
    """Add a supplier, or update the one with the same name; its secret is stored encrypted."""
    from connector.shops import resolve_shop
    from connector.supply.suppliers import add_supplier

    c = _container(auto_upgrade=True)
    info = resolve_shop(c.uow(), shop_name)
    spec = _load_spec(spec_file)
    supplier_id = add_supplier(c.uow(), c.box, info.id, spec, clients=c.supplier_client)
    click.echo(f"{info.domain}: supplier {spec['name']!r} saved (id {supplier_id}); "
               f"schedule {json.dumps((spec.get('settings') or {}).get('schedule'))}")


@suppliers.command("list")
@click.option("--shop", "shop_name", help="Only this shop's suppliers.")
@click.option("--json", "as_json", is_flag=True)
@_fail_cleanly
def suppliers_list(shop_name: str | None, as_json: bool) -> None:
    """Every supplier with its schedule, last success and failures."""
    from connector.shops import resolve_shop
    from connector.supply.suppliers import list_suppliers

    c = _container(auto_upgrade=True)
    shop_id = resolve_shop(c.uow(), shop_name).id if shop_name else None
    rows = list_suppliers(c.uow(), shop_id)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        row["schedule"] = json.dumps(row["schedule"]) if row["schedule"] else "-"
    click.echo(render_table(rows, ["id", "shop_id", "name", "kind", "status", "schedule", "last_success_at",
                                   "consecutive_failures", "last_error"]))


def _supplier_id(c: Any, shop_name: str, name: str) -> tuple[int, int]:
    from connector.shops import resolve_shop
    from connector.supply.repository import SupplyRepository

    info = resolve_shop(c.uow(), shop_name)
    with c.uow() as uow:
        row = uow.repo(SupplyRepository).supplier_by_name(info.id, name)
        if row is None:
            raise InvalidPayload(f"{info.domain} has no supplier named {name!r}")
        return row.id, info.id


@suppliers.command("poll")
@click.argument("name")
@click.option("--shop", "shop_name", required=True)
@click.option("--publish/--no-publish", default=True, help="Also put changed dates on the product pages.")
@_fail_cleanly
def suppliers_poll(name: str, shop_name: str, publish: bool) -> None:
    """Poll one supplier now (with progress), then refresh the shop's dates."""
    from connector.supply.dates import notify_available, refresh_dates
    from connector.supply.suppliers import poll_supplier

    c = _container(auto_upgrade=True)
    supplier_id, shop_id = _supplier_id(c, shop_name, name)

    def progress(rows: int) -> None:
        click.echo(f"\r  reading {name}: {rows:,} rows", nl=False, err=True)

    report = poll_supplier(c.uow(), c.box, supplier_id, clients=c.supplier_client,
                           progress=progress if sys.stderr.isatty() else None, wait_seconds=60,
                           keep_unchanged=True,  # asked for by hand: leave a record even when unchanged
                           catalogue=c.catalog_for)  # a shop's first poll reads its catalogue first
    if sys.stderr.isatty():
        click.echo("", err=True)
    click.echo(f"{name}: {report.status}; {report.rows_total} rows, {report.rows_bad} bad, "
               f"{report.rows_changed} changed"
               + (f", {report.rows_not_sold} not sold by the shop (not stored)" if report.rows_not_sold else "")
               + (f"; error: {report.error}" if report.error else ""))
    if report.status == "failed":
        sys.exit(1)
    if report.status == "postponed":  # the store's catalogue could not be read: try again later
        sys.exit(75)  # EX_TEMPFAIL
    dates = refresh_dates(c.uow(), shop_id, set_promised=not notify_available())
    click.echo(f"dates: {len(dates.changed_skus)} SKU dates changed, "
               f"{len(dates.backorders_changed)} backorders' dates changed")
    if publish and dates.changed_skus:
        from connector.supply.publish import publish_dates

        result = publish_dates(c.uow(), c.catalog_for(shop_id), shop_id)
        click.echo(f"product pages: {result.written} written, {result.removed} removed, {result.failed} failed")


@suppliers.command("push-secret")
@click.argument("name")
@click.option("--shop", "shop_name", required=True)
@click.option("--off", is_flag=True, help="Turn push off: remove the URL and key (pushes are refused; polls go on).")
@_fail_cleanly
def suppliers_push_secret(name: str, shop_name: str, off: bool) -> None:
    """Make the supplier's push URL and signing key (shown once; running it again replaces both), or with
    --off turn push off as the app's "Turn push off" does."""
    from connector.supply.push import EVENT_HEADER, SIGNATURE_HEADER, make_push_secret, remove_push_secret

    c = _container(auto_upgrade=True)
    supplier_id, shop_id = _supplier_id(c, shop_name, name)
    if off:
        was_on = remove_push_secret(c.uow(), shop_id, supplier_id)
        click.echo(f"{name}: push turned off (its URL and key removed: pushes are refused, polls go on)" if was_on
                   else f"{name}: push was off already")
        return
    made = make_push_secret(c.uow(), c.box, shop_id, supplier_id)
    base = (c.settings.app_url or "").rstrip("/")
    click.echo(f"{name}: push URL {base}{made.path()}")
    click.echo(f"signing key (shown once, give it to the supplier): {made.secret}")
    click.echo(f"the supplier sends POST with {SIGNATURE_HEADER}: base64 HMAC-SHA256 of the raw body with this "
               f"key, and {EVENT_HEADER}: the body's id; see docs/supply.md")


@suppliers.command("history")
@click.argument("name")
@click.option("--shop", "shop_name", required=True)
@click.option("--limit", default=10, show_default=True)
@_fail_cleanly
def suppliers_history(name: str, shop_name: str, limit: int) -> None:
    """The last polls of one supplier, with bad rows."""
    from connector.supply.suppliers import last_snapshots

    c = _container(auto_upgrade=True)
    supplier_id, _ = _supplier_id(c, shop_name, name)
    snapshots = last_snapshots(c.uow(), supplier_id, limit)
    click.echo(render_table(snapshots, ["id", "status", "started_at", "rows_total", "rows_bad", "rows_changed",
                                        "error"]))
    for snapshot in snapshots:
        for bad in snapshot["bad_rows"][:10]:
            click.echo(f"  poll {snapshot['id']}: line {bad['line']}: {bad['reason']}")


@suppliers.command("trust-host-key")
@click.argument("name")
@click.option("--shop", "shop_name", required=True)
@click.option("--fingerprint", help="Trust the SFTP server key with this fingerprint (SHA256:..., as the refusal "
                                    "and `ssh-keyscan HOST | ssh-keygen -lf -` show it). Without it, the stored "
                                    "key is cleared and the next connection's key is trusted.")
@_fail_cleanly
def suppliers_trust_host_key(name: str, shop_name: str, fingerprint: str | None) -> None:
    """Trust a supplier's new SFTP host key, after checking with the supplier that it really changed."""
    from connector.supply.host_keys import trust_host_key

    c = _container(auto_upgrade=True)
    supplier_id, shop_id = _supplier_id(c, shop_name, name)
    change = trust_host_key(c.uow(), supplier_id, fingerprint, shop_id=shop_id)
    click.echo(f"{name}: host key {change.previous or '(none stored)'} -> "
               + (change.now or "cleared: the next connection's key is trusted"))


@click.command("dates")
@click.option("--shop", "shop_name", required=True)
@click.option("--refresh", is_flag=True, help="Recompute the dates first.")
@click.option("--sync-catalog", is_flag=True, help="Re-read the store's catalogue first.")
@click.option("--publish", is_flag=True, help="Put changed dates on the product pages.")
@click.option("--json", "as_json", is_flag=True)
@_fail_cleanly
def dates(shop_name: str, refresh: bool, sync_catalog: bool, publish: bool, as_json: bool) -> None:
    """Each SKU's expected in-stock date, where it comes from, and what its product page shows."""
    from connector.shops import resolve_shop
    from connector.supply.dates import notify_available, refresh_dates
    from connector.supply.reporting import sku_dates

    c = _container(auto_upgrade=True)
    info = resolve_shop(c.uow(), shop_name)
    if sync_catalog or publish:
        catalog = c.catalog_for(info.id)
    if sync_catalog:
        from connector.supply.catalog import sync_catalog as sync

        sync(c.uow(), catalog, info.id)
    if refresh or sync_catalog:
        refresh_dates(c.uow(), info.id, set_promised=not notify_available())
    if publish:
        from connector.supply.publish import publish_dates

        result = publish_dates(c.uow(), catalog, info.id)
        click.echo(f"product pages: {result.written} written, {result.removed} removed, {result.failed} failed",
                   err=True)
    rows = sku_dates(c.uow(), info.id)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(render_table(rows, ["sku", "expected_date", "source", "supplier", "page_date", "published_date",
                                   "publish_error"]))

COMMANDS = (suppliers, dates,)
