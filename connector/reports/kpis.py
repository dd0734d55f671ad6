"""The backorder KPIs of one shop over a period (issue 15 item 1): `connector report`, /app/kpis, the digest.

Reads through ``KpiRepository`` (set-based queries, aggregates in the database) in one transaction and
hands the rows to the definitions in connector/domain/kpis.py. ``as_json`` and ``as_csv`` are the
report's machine-readable shapes (key names and order documented in docs/reports.md and tested).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from connector.db.repositories import ShopSettingRepository
from connector.db.uow import UnitOfWork
from connector.domain import kpis as k
from connector.domain.clock import utcnow
from connector.reports.kpi_repository import KpiRepository, RedemptionRepository
from connector.shop_settings import ShopSettingSpec, registry

DEFAULT_DAYS = 90
MANAGEABLE_SETTING = "notify.grace_days"
"""The wait customers are not told about: the time-to-fill KPI's "manageable" threshold (docs/reports.md)."""
SETTINGS = (MANAGEABLE_SETTING, "reports.review_backorders_per_month", "reports.review_wait_days")


def default_period(now: datetime | None = None) -> k.Period:
    """The last 90 days, today included."""
    return k.Period.last_days((now or utcnow()).date(), DEFAULT_DAYS)


def period_from(start: date | None, end: date | None, now: datetime | None = None) -> k.Period:
    """A period from optional ends: a missing end is today, a missing start 90 days before the end."""
    end = end or (now or utcnow()).date()
    return k.Period(start or end - timedelta(days=DEFAULT_DAYS - 1), end)


def _bounds(period: k.Period) -> tuple[datetime, datetime]:
    return (datetime.combine(period.start, time(), UTC),
            datetime.combine(period.end + timedelta(days=1), time(), UTC))


def _settings(uow: UnitOfWork, shop_id: int) -> dict[str, Any]:
    specs: dict[str, ShopSettingSpec] = {spec.key: spec for spec in registry() if spec.key in SETTINGS}
    stored = uow.repo(ShopSettingRepository).stored(shop_id)
    return {key: json.loads(stored[key]) if key in stored else specs[key].default for key in SETTINGS}


def shop_kpis(uow: UnitOfWork, shop_id: int, shop: str, period: k.Period, now: datetime | None = None) -> k.Kpis:
    """Every KPI of the shop over ``period``; "open now" and ages as of ``now``."""
    now = now or utcnow()
    start, end = _bounds(period)
    with uow:
        settings = _settings(uow, shop_id)
        repo = uow.repo(KpiRepository)
        manageable = int(settings[MANAGEABLE_SETTING])
        open_rows = repo.open_rows(shop_id)
        by_age = repo.open_ages(shop_id, now)
        opened = repo.opened_by_day(shop_id, start, end)
        closed = repo.closed_by_day(shop_id, start, end)
        fills, fills_weekly = repo.fill_summaries(shop_id, start, end, manageable)
        by_via = repo.filled_by_via(shop_id, start, end)
        skus = repo.sku_stats(shop_id, start, end, now)
        samples = repo.date_samples(shop_id, start, end)
        changes = repo.date_changes(shop_id, start, end)
        sent = repo.messages_sent(shop_id, start, end)
        issued = repo.codes_issued(shop_id, start, end)
        redeemed = uow.repo(RedemptionRepository).redeemed(shop_id, start, end)
        noticed, cancelled = repo.delay_notices(shop_id, start, end)
        dropship_lines = repo.dropship_lines(shop_id, start, end)
    return k.Kpis(
        shop=shop, period=period, generated_at=now,
        open_now=k.open_now(open_rows),
        weekly=k.weekly_flow(opened, closed, period),
        ages=k.ages(by_age),
        time_to_fill=k.time_to_fill_from(fills, fills_weekly, period, manageable),
        suppliers=k.supplier_accuracy(samples, changes),
        skus=k.sku_rankings(skus, period, float(settings["reports.review_backorders_per_month"]),
                            float(settings["reports.review_wait_days"])),
        messages=k.messages(sent, issued, redeemed, noticed, cancelled),
        dropship=k.dropship(by_via, dropship_lines),
    )


def as_json(kpis: k.Kpis) -> str:
    return json.dumps(kpis.as_dict(), indent=2)


def _flatten(prefix: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flatten(f"{prefix}.{key}" if prefix else key, inner)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _flatten(f"{prefix}.{i}", inner)
    else:
        yield prefix, "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def as_csv(kpis: k.Kpis) -> str:
    """One ``metric,value`` row per number, metric names the JSON's key paths (``time_to_fill.median_days``,
    ``weekly.0.opened``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["metric", "value"])
    writer.writerows(_flatten("", kpis.as_dict()))
    return out.getvalue()


def as_text(kpis: k.Kpis) -> list[str]:
    """The human summary `connector report` prints under the status counts."""
    d = kpis.as_dict()
    t = d["time_to_fill"]
    o = d["open_now"]
    value = ", ".join(f"{amount} {cur}" for cur, amount in o["value"].items()) or "no prices"
    lines = [f"KPIs {d['period']['from']} .. {d['period']['to']} ({d['period']['days']} days)",
             f"  waiting now: {o['count']} backorders, {o['units']} units, {value}",
             "  age (days): " + ", ".join(f"{b['days']}: {b['count']}" for b in d["age"]["buckets"])
             + (f"; oldest {d['age']['oldest_days']} days" if d["age"]["oldest_days"] is not None else ""),
             f"  opened {sum(w['opened'] for w in d['weekly'])}, closed {sum(w['closed'] for w in d['weekly'])} "
             f"over {len(d['weekly'])} weeks"]
    if t["filled"]:
        lines.append(f"  time to fill: median {t['median_days']} days, 90th percentile {t['p90_days']} days, "
                     f"{round(t['within_manageable_share'] * 100)}% within {t['manageable_days']} days "
                     f"({t['filled']} filled)")
    for s in d["supplier_accuracy"]:
        lines.append(f"  supplier {s['supplier']}: {s['samples']} dates, mean {s['mean_days_late']} days late, "
                     f"spread {s['spread_days']}, on time {s['on_time_share']}, slipped {s['slipped']}"
                     f"/{s['date_changes']} changes")
    flagged = [r for r in d["skus"]["most_often"] + d["skus"]["longest"] if r["review"]]
    for sku in sorted({r["sku"] for r in flagged}):
        row = next(r for r in flagged if r["sku"] == sku)
        lines.append(f"  review ordering: {sku} ({'; '.join(row['reasons'])})")
    m = d["messages"]
    lines.append("  messages: " + (", ".join(f"{kind} {n}" for kind, n in m["sent"].items()) or "none")
                 + f"; codes issued {m['consolation_codes_issued']}, redeemed {m['consolation_codes_redeemed']}; "
                   f"delay notices {m['delay_notices']}, cancelled after one {m['cancelled_after_delay_notice']}")
    ds = d["dropship"]
    if ds["filled"]:
        margin = ", ".join(f"{amount} {cur}" for cur, amount in ds["margin"].items()) or "unknown"
        lines.append(f"  drop-ship: {ds['dropship_filled']} of {ds['filled']} filled, margin {margin}")
    return lines
