"""The `connector` command."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from connector import cli_support
from connector.cli_support import _container, _fail_cleanly, _settings, render_table


def _bootstrap(settings: Any, **kwargs: Any) -> Any:
    from connector.bootstrap import bootstrap

    return bootstrap(settings, **kwargs)


cli_support.use_bootstrap(_bootstrap)


def _sandbox_entry(name: str) -> Callable[..., Any]:
    """The sandbox's ``name`` entry point (group ``connector.sandbox`` in pyproject.toml).

    The sandbox is its own package, never imported by the product: `connector demo` and
    `connector sandbox` find it through its entry points, and say so when it is not installed.
    """
    from importlib.metadata import entry_points

    found = entry_points(group="connector.sandbox", name=name)
    if not found:
        raise click.ClickException("the sandbox is not installed (pip install -e . from the repository)")
    return found[name].load()  # type: ignore[no-any-return]


@click.group()
def main() -> None:
    """Backorder connector for Shopify and WooCommerce."""


@main.command()
def keygen() -> None:
    """Print a new CONNECTOR_SECRET_KEY (Fernet key)."""
    from connector.crypto import generate_key

    click.echo(generate_key())


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@_fail_cleanly
def db_upgrade() -> None:
    """Apply every migration (run on release)."""
    from connector.db.engine import make_engine, upgrade

    settings = _settings()
    upgrade(make_engine(settings.database_url))
    click.echo("database is up to date")


@main.group()
def shops() -> None:
    """Installed shops."""


@shops.group("add")
def shops_add() -> None:
    """Install a shop by hand (operators, tests, the demo)."""


@shops_add.command("shopify")
@click.argument("domain")
@click.option("--access-token", required=True, help="Admin API access token.")
@click.option("--api-base", default=None, help="Replace https://DOMAIN (scheme and host only).")
@_fail_cleanly
def shops_add_shopify(domain: str, access_token: str, api_base: str | None) -> None:
    """Add a Shopify shop (DOMAIN is the *.myshopify.com domain)."""
    from connector.domain.model import Platform, ShopCredentials
    from connector.shops import add_shop

    c = _container(auto_upgrade=True)
    info = add_shop(c.uow(), c.box, Platform.SHOPIFY, domain, ShopCredentials(access_token=access_token), api_base)
    click.echo(f"added shopify shop {info.domain} (id {info.id})")


@shops_add.command("woocommerce")
@click.argument("store_url")
@click.option("--consumer-key", required=True)
@click.option("--consumer-secret", required=True)
@click.option("--webhook-secret", required=True, help="The secret set on the store's webhooks.")
@click.option("--api-base", default=None, help="Replace the store URL's scheme and host.")
@_fail_cleanly
def shops_add_woocommerce(store_url: str, consumer_key: str, consumer_secret: str, webhook_secret: str,
                          api_base: str | None) -> None:
    """Add a WooCommerce store."""
    from connector.domain.model import Platform, ShopCredentials
    from connector.shops import add_shop

    c = _container(auto_upgrade=True)
    creds = ShopCredentials(consumer_key=consumer_key, consumer_secret=consumer_secret,
                            webhook_secret=webhook_secret)
    info = add_shop(c.uow(), c.box, Platform.WOOCOMMERCE, store_url, creds, api_base)
    click.echo(f"added woocommerce store {info.domain} (id {info.id})")


@shops.command("list")
@click.option("--json", "as_json", is_flag=True)
@_fail_cleanly
def shops_list(as_json: bool) -> None:
    """List installed shops (never their credentials)."""
    from connector.shops import list_shops

    rows = list_shops(_container(auto_upgrade=True).uow())
    if as_json:
        click.echo(json.dumps([{"id": r.id, "platform": r.platform, "domain": r.domain, "api_base": r.api_base,
                                "status": r.status} for r in rows], indent=2))
        return
    if not rows:
        click.echo("no shops installed")
    for r in rows:
        click.echo(f"{r.id:>4}  {r.platform:<12} {r.domain:<40} {r.status:<10} {r.api_base or ''}")


@main.command()
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL as added.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--status", default=None,
              help="Comma-separated: open,allocated,cancelled,fulfilled,withdrawn (default: all but withdrawn).")
@_fail_cleanly
def backorders(shop_name: str, as_json: bool, status: str | None) -> None:
    """List a shop's backorders."""
    from connector.capture.reporting import list_backorders
    from connector.shops import resolve_shop

    c = _container(auto_upgrade=True)
    info = resolve_shop(c.uow(), shop_name)
    rows = list_backorders(c.uow(), info.id, status.split(",") if status else None)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    shown = [{**r, "fulfilled_via": r["fulfilled_via"] or ""} for r in rows]
    click.echo(render_table(shown, ["order_name", "line_id", "sku", "quantity", "quantity_backordered",
                                    "quantity_shipped", "status", "fulfilled_via", "created_at", "time_to_fill"]))


@main.command()
@click.option("--shop", "shop_name", required=True)
@click.option("--deferred-revenue", "deferred", is_flag=True,
              help="Per order day: sold on backorder but not yet shipped, and shipped but not yet charged.")
@click.option("--json", "as_json", is_flag=True, help="The KPIs as JSON (with --deferred-revenue: that report).")
@click.option("--csv", "as_csv", is_flag=True, help="The KPIs as metric,value CSV (--deferred-revenue: that report).")
@click.option("--reorder", is_flag=True, help="Reorder advice per SKU from sales history, most urgent first.")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day of the KPI period (default: 90 days before --to).")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last day of the KPI period (default: today).")
@_fail_cleanly
def report(shop_name: str, deferred: bool = False, as_json: bool = False, as_csv: bool = False,
           date_from: Any = None, date_to: Any = None, reorder: bool = False) -> None:
    """Counts of a shop's backorders by status and the backorder KPIs (--deferred-revenue: what is not yet
    shipped or charged)."""
    from connector.capture.reporting import list_backorders
    from connector.shops import resolve_shop

    c = _container(auto_upgrade=True)
    info = resolve_shop(c.uow(), shop_name)
    if deferred:
        from connector.reports.cli import echo_deferred_revenue

        echo_deferred_revenue(c.uow(), info.id, "json" if as_json else "csv" if as_csv else "table")
        return
    if reorder:
        from connector.reorder.cli import echo_reorder

        echo_reorder(c.uow(), info.id, "json" if as_json else "csv" if as_csv else "table")
        return
    from connector.reports.cli import echo_kpis

    try:
        kpi_text = echo_kpis(c.uow(), info.id, info.domain, date_from, date_to,
                             "json" if as_json else "csv" if as_csv else "text")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--from/--to") from exc
    if kpi_text is None:
        return
    rows = list_backorders(c.uow(), info.id)
    counts: dict[str, int] = {}
    units: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
        units[row["status"]] = units.get(row["status"], 0) + row["quantity_backordered"]
    click.echo(f"{info.platform} {info.domain}")
    for name in sorted(counts):
        click.echo(f"  {name:<10} {counts[name]:>6} lines {units[name]:>7} units")
    filled = sorted(r["time_to_fill_seconds"] for r in rows if r["time_to_fill_seconds"] is not None)
    if filled:
        from connector.domain.shipping import human_duration

        click.echo(f"  time to fill: median {human_duration(filled[len(filled) // 2])}, "
                   f"longest {human_duration(filled[-1])} over {len(filled)} fulfilled")
    for line in kpi_text:
        click.echo(line)


@main.group()
def jobs() -> None:
    """Run a job by hand."""


JOB_NAMES = ("reconcile", "sync-marks", "sweep", "prune")
MERCHANT_JOB_NAMES = ("poll-suppliers", "refresh-dates", "publish-dates", "sync-catalog", "evaluate-messages",
                      "check-pileups", "route-dropship", "poll-shipments", "purchase-orders", "read-stock",
                      "collect-payments", "sync-selling-plans", "health-check",
                      "read-sales-history", "weekly-digest")
"""The merchant's jobs (jobs/merchant.py MERCHANT_JOBS, which the app's Jobs page runs) beyond JOB_NAMES:
recorded in the job-run ledger and run in this process."""


@jobs.command("run")
@click.argument("name", type=click.Choice(JOB_NAMES + MERCHANT_JOB_NAMES))
@click.option("--shop", "shop_name", default=None, help="Shop domain or store URL (per-shop jobs).")
@_fail_cleanly
def jobs_run(name: str, shop_name: str | None) -> None:
    """Run NAME now, in this process."""
    from connector.shops import resolve_shop

    c = _container(auto_upgrade=True)
    if name == "sweep":
        from jobs.sweep import sweep

        click.echo(f"re-enqueued {sweep(grace_seconds=0)} events")
        return
    if name == "prune":  # retention: finished webhook events, spent OAuth states and pending connects
        from connector.privacy import retention

        pruned = retention.prune(c.engine, retention.RetentionPolicy.from_settings(c.settings),
                                 max_batches=1_000_000)  # by hand: until nothing is left
        click.echo("deleted " + ", ".join(f"{table}: {n}" for table, n in pruned.deleted.items()))
        return
    if not shop_name:
        raise click.UsageError(f"{name} needs --shop")
    info = resolve_shop(c.uow(), shop_name)
    if name not in JOB_NAMES:  # a merchant's job: recorded and run as the app's Jobs page runs it
        from jobs.merchant import run_here

        outcomes = run_here(c, info.id, name)
        for outcome in outcomes:
            detail = json.dumps(outcome.result, default=str) if outcome.status == "done" else outcome.error
            click.echo(f"{name} run {outcome.run_id}: {outcome.status} {detail or ''}".rstrip())
        if any(outcome.status != "done" for outcome in outcomes):
            raise SystemExit(1)
        return
    if name == "sync-marks":
        from jobs.shops import sync_marks

        click.echo(f"marked {sync_marks(info.id)} orders")
        return
    from datetime import timedelta

    from connector.capture.reconcile import reconcile_shop

    settings = c.settings
    with click.progressbar(length=0, label=f"reconciling {info.domain}", show_pos=True) as bar:
        report_ = reconcile_shop(
            c.uow(), c.platform_for(info.id), info.id,
            overlap=timedelta(minutes=settings.reconcile_overlap_minutes),
            initial_lookback=timedelta(hours=settings.reconcile_initial_lookback_hours),
            progress=lambda seen: bar.update(1),
        )
    if report_.alerted:  # the store refused to mark some orders: tell the merchant (once per order)
        from jobs.dropship import deliver_alerts

        deliver_alerts(info.id)
    click.echo(f"orders seen: {report_.seen}; outcomes: {report_.outcomes}; orders marked: {report_.marked}"
               + (f"; refused by the store: {len(report_.refused)}" if report_.refused else ""))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@_fail_cleanly
def serve(host: str, port: int) -> None:
    """Run the web app with its in-process workers and scheduler (embedded default)."""
    from werkzeug.serving import run_simple

    from connector.app import create_app
    from connector.bootstrap import bootstrap
    from jobs.schedules import build_scheduler
    from jobs.sweep import sweep

    settings = _settings().require("secret_key", "shopify_api_secret", "api_token")
    container = bootstrap(settings, start_workers=True)
    app = create_app(container=container)
    container.scheduler = build_scheduler(container)
    container.scheduler.start()
    sweep(grace_seconds=0)  # anything stored before a restart is queued again
    click.echo(f"connector listening on http://{host}:{port} (workers: {settings.worker_threads})", err=True)
    try:
        from connector.logs import PathOnlyRequestLog

        run_simple(host, port, app, threaded=True, use_reloader=False, request_handler=PathOnlyRequestLog)
    finally:
        container.close()


def lower_priority(niceness: int) -> None:
    """Lower this process's CPU priority by ``niceness``, where Linux will honour it (``connector worker
    --nice``). On separate machines (dynos) it changes nothing; on one machine shared with the web process
    a burst of webhooks is answered first and the backlog is worked from the CPU left over (events are
    durable in the inbox, so waiting costs only time). docs/operations.md.

    With CFS autogroups (``/proc/sys/kernel/sched_autogroup_enabled``, the default on desktop and many
    server kernels) a nice value only ranks a process among the others of its session; sessions
    compete as groups, each at its autogroup's nice. A worker started in a session of its own (systemd,
    a process supervisor, bench/burst.py) therefore also lowers its autogroup's nice, which only it and
    its children share; a worker sharing a terminal's session with the web process is ranked by its
    own nice alone (the group is not its to change)."""
    import os

    os.nice(niceness)
    if os.getsid(0) != os.getpid():
        return
    try:
        with open("/proc/self/autogroup", "w") as autogroup:
            autogroup.write(str(niceness))
    except OSError:  # not Linux, autogroups off, or /proc read-only: the process nice is all there is
        pass


@main.command()
@click.option("--poll-seconds", default=5.0, show_default=True, type=float,
              help="Without REDIS_URL: how often the database is swept for stored events.")
@click.option("--burst", is_flag=True, help="With REDIS_URL: stop once the queue is empty.")
@click.option("--metrics-port", type=int, default=None, envvar="CONNECTOR_WORKER_METRICS_PORT",
              help="Serve this worker's Prometheus metrics on this port (when not in multiprocess mode).")
@click.option("--nice", "niceness", type=click.IntRange(0, 19), default=0, show_default=True,
              envvar="CONNECTOR_WORKER_NICE",
              help="Lower this process's CPU priority by this much, so that on a machine shared with the web "
                   "process answering webhooks comes first (the Procfile asks for 19; 0: as started).")
@_fail_cleanly
def worker(poll_seconds: float, burst: bool, metrics_port: int | None, niceness: int) -> None:
    """Run jobs: RQ workers when REDIS_URL is set, else sweep the database for stored events."""
    import time

    from connector.bootstrap import bootstrap
    from connector.observability import init_sentry
    from jobs.sweep import sweep

    if niceness:
        lower_priority(niceness)  # before the container: its threads and RQ's scheduler inherit it
    settings = _settings().require("secret_key")
    init_sentry(settings, component="worker")
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr="127.0.0.1")
    if settings.redis_url:
        from connector.bootstrap import run_queue_worker

        rq_container = bootstrap(settings)  # built once, bound for the jobs; its queue is RQ
        click.echo("worker started (RQ)", err=True)
        try:
            run_queue_worker(rq_container, burst=burst)
        finally:
            rq_container.close()
        return
    container = bootstrap(settings, start_workers=True)
    click.echo("worker started", err=True)
    try:
        while True:
            sweep(grace_seconds=0)
            container.queue.wait_idle(timeout=60)
            time.sleep(poll_seconds)
    except KeyboardInterrupt:
        pass
    finally:
        container.close()


@main.command()
@_fail_cleanly
def clock() -> None:
    """Run every schedule declared in jobs/schedules.py; only one clock acts at a time.

    With REDIS_URL the jobs go to the RQ workers; on the embedded default the clock runs them in
    its own worker threads. Start a second clock for fail-over: it waits and takes over.
    """
    import signal
    import threading

    from connector.bootstrap import bootstrap
    from connector.clock import lease_for, run_clock
    from connector.observability import init_sentry

    settings = _settings().require("secret_key")
    init_sentry(settings, component="clock")
    container = bootstrap(settings, start_workers=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"clock started: shop jobs every {settings.reconcile_interval_minutes:g} min", err=True)
    try:
        run_clock(container, lease_for(container), stop)
    except KeyboardInterrupt:
        pass
    finally:
        container.close()


@main.command()
@click.option("--seed", type=click.Path(exists=True, dir_okay=False), default=None,
              help="JSON seed of shops, products and stock (default: the embedded demo seed).")
@click.option("--webhook-url", default="http://127.0.0.1:8000", show_default=True,
              help="Base URL of the connector that receives the simulators' webhooks.")
@click.option("--shopify-port", default=8701, show_default=True, type=int)
@click.option("--woocommerce-port", default=8702, show_default=True, type=int)
@click.option("--smtp-port", default=8725, show_default=True, type=int,
              help="Port of the local SMTP sink that keeps every email (set smtp.port to it).")
@click.option("--shopify-schema", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Shopify Admin schema (SDL) to validate documents against; default: a built-in subset.")
@_fail_cleanly
def sandbox(seed: str | None, webhook_url: str, shopify_port: int, woocommerce_port: int,
            shopify_schema: str | None, smtp_port: int = 8725) -> None:
    """Run the Shopify and WooCommerce simulators on loopback until interrupted."""
    import time

    from connector.logs import configure
    start_sandbox = _sandbox_entry("sandbox")

    configure("INFO")
    running = start_sandbox(seed, webhook_url=webhook_url, shopify_port=shopify_port,
                            woocommerce_port=woocommerce_port, shopify_schema=shopify_schema,
                            smtp_port=smtp_port)
    click.echo(f"shopify simulator:     {running.shopify_url}")
    click.echo(f"woocommerce simulator: {running.woocommerce_url}")
    click.echo(f"supplier simulator:    {running.supplier_url}  (/api/pages, /feed.csv; /control/stock)")
    click.echo(f"smtp sink:             {running.smtp.host}:{running.smtp.port}  (keeps every email sent)")
    click.echo(f"webhooks go to:        {webhook_url}")
    click.echo("run the connector against these in development mode (they are on loopback, over http): "
               "CONNECTOR_ALLOW_PRIVATE_TARGETS=true")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        running.stop()


@main.command()
@_fail_cleanly
def demo() -> None:
    """The whole capture chain against the sandbox, on a throwaway embedded database."""
    run_demo = _sandbox_entry("demo")

    sys.exit(run_demo(click.echo))


# Each feature's commands, assembled here (the modules declare them; none registers itself).
from connector import job_runs_cli  # noqa: E402
from connector.dropship import cli as dropship_cli  # noqa: E402
from connector.install import cli as install_cli  # noqa: E402
from connector.install import scopes_cli, settings_cli  # noqa: E402
from connector.merchant import cli as merchant_cli  # noqa: E402
from connector.notify import cli as notify_cli  # noqa: E402
from connector.payments import cli as payments_cli  # noqa: E402
from connector.privacy import cli as privacy_cli  # noqa: E402
from connector.purchasing import cli as purchasing_cli  # noqa: E402
from connector.reorder import cli as reorder_cli  # noqa: E402
from connector.supply import cli as supply_cli  # noqa: E402

for _module in (dropship_cli, install_cli, notify_cli, supply_cli, purchasing_cli, payments_cli, merchant_cli,
                reorder_cli):
    for _command in getattr(_module, "COMMANDS", ()):
        main.add_command(_command)
for _module in (install_cli, privacy_cli, scopes_cli, settings_cli):
    for _command in getattr(_module, "SHOPS_COMMANDS", ()):
        shops.add_command(_command)
for _command in job_runs_cli.JOBS_COMMANDS:
    jobs.add_command(_command)
for _command in purchasing_cli.SUPPLIERS_COMMANDS:
    supply_cli.suppliers.add_command(_command)

from connector.payments import cli_plans  # noqa: E402  (selling plans: into the payments group, or their own)

_payments = main.commands.get("payments")
if not isinstance(_payments, click.Group):
    _payments = cli_plans.payments
    main.add_command(_payments)
for _command in cli_plans.PAYMENTS_COMMANDS:
    _payments.add_command(_command)


@notify_cli.notify.command("run")
@click.option("--shop", "shop_name", required=True, help="Shop domain or store URL as added.")
@_fail_cleanly
def notify_run(shop_name: str) -> None:
    """Evaluate the shop's open backorders and send what is due now (and check pile-ups)."""
    from connector.shops import resolve_shop
    from jobs.notify import check_pileups, evaluate_backorders

    c = _container(auto_upgrade=True)
    try:
        info = resolve_shop(c.uow(), shop_name)
        report = evaluate_backorders(info.id)
        pileups = check_pileups(info.id)
    finally:
        c.close()
    click.echo(f"{info.domain}: decided {report.describe()}; sent {report.sent}, "
               f"failed {report.failed}, cancelled {report.cancelled}; pile-up alerts {len(pileups.crossed)}")

if __name__ == "__main__":
    main()
