"""Pile-up alerts: one alert per crossing when a SKU's open backorders pass a threshold.

Thresholds (per shop, ``alerts.thresholds``): ``count`` (open backorders of the SKU), ``age_days``
(age of the oldest one) and ``value`` (units short times the order line's price, else the store's price;
units with neither are left out and said so, and with no price at all the value is "not known", never 0.00).
A crossing is a row in pileup_alerts; a partial unique index allows one uncleared row per (shop, SKU,
threshold), so a rerun or a concurrent check cannot alert twice. When the figure falls back below the
threshold the row is cleared, and the next crossing alerts again. The alert goes by email and/or Slack; each
channel is delivered once, a transient failure is retried on the next check.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connector.domain.clock import utcnow
from connector.domain.errors import DeliveryError, DeliveryRejected, DeliveryUnavailable
from connector.notify import email as notify_email
from connector.notify import settings as notify_settings
from connector.notify import templates as message_templates
from connector.notify.models import PileupAlert
from connector.notify.repository import NotifyRepository, WaitingBackorder

if TYPE_CHECKING:
    from connector.notify.evaluate import Notifier

log = logging.getLogger(__name__)

LABELS = {"count": "Open backorders", "age_days": "Oldest backorder (days)", "value": "Value waiting"}


@dataclass(frozen=True)
class SkuPile:
    sku: str
    count: int
    units: int
    oldest_days: int
    value: float
    title: str = ""
    """The product's title on the latest waiting order line (empty when the store gave none)."""
    values: tuple[tuple[str, float], ...] = ()
    """The value waiting per currency (the orders' currency; "" when not given), largest first; units without
    a price are not in it."""
    unpriced_units: int = 0
    """Units waiting whose price the store gave neither on the order line nor for the SKU."""

    def figure(self, threshold: str) -> float:
        return {"count": float(self.count), "age_days": float(self.oldest_days), "value": self.value}[threshold]

    @property
    def value_known(self) -> bool:
        """False when no waiting unit has a price: the value is not known (never "0.00")."""
        return any(amount for _, amount in self.values) or not self.unpriced_units

    @property
    def value_text(self) -> str:
        """"EUR 480.00" (and "USD 12.00" when orders came in more currencies); "480.00" without one; "not known
        (no price from the store)" when no unit has a price; units without a price are said to be left out."""
        if not self.value_known:
            return "not known (no price from the store)"
        parts = [f"{currency} {amount:,.2f}".strip() for currency, amount in self.values if amount]
        text = " and ".join(parts) or f"{self.value:,.2f}"
        if self.unpriced_units:
            text += f" ({self.unpriced_units} unit{'s' if self.unpriced_units != 1 else ''} without a price " \
                    "not counted)"
        return text

    @property
    def oldest_text(self) -> str:
        """"12 days", "1 day", "less than a day" (ordered today)."""
        if self.oldest_days <= 0:
            return "less than a day"
        return f"{self.oldest_days} day{'s' if self.oldest_days != 1 else ''}"

    def figures(self, crossed: str, limit: float) -> list[dict[str, Any]]:
        """Each figure once, in words; the one that crossed says so and names the alert's threshold."""
        currency = self.values[0][0] if len(self.values) == 1 else ""
        limit_text = {"count": f"{limit:g}", "age_days": f"{limit:g} day{'s' if limit != 1 else ''}",
                      "value": f"{currency} {limit:,.2f}".strip()}[crossed]
        rows = [("count", "Open backorders", f"{self.count} ({self.units} unit{'s' if self.units != 1 else ''} short)"),
                ("age_days", "Oldest backorder", self.oldest_text),
                ("value", "Value waiting", self.value_text)]
        return [{"label": label, "text": text, "crossed": key == crossed,
                 "limit_text": limit_text if key == crossed else ""} for key, label, text in rows]


@dataclass
class AlertReport:
    crossed: list[tuple[str, str]] = field(default_factory=list)
    cleared: list[tuple[str, str]] = field(default_factory=list)
    sent: int = 0


def piles(uow: Any, shop_id: int, today: date) -> list[SkuPile]:
    # waiting backorders pile up: units short, and units set aside from arriving stock but not yet shipped
    notes = uow.repo(NotifyRepository)
    prices = notes.store_prices(shop_id)
    by_sku: dict[str, list[WaitingBackorder]] = defaultdict(list)
    for waiting in notes.waiting_backorders(shop_id):
        by_sku[waiting.sku].append(waiting)
    return [_pile(sku, rows, prices.get(sku), today) for sku, rows in sorted(by_sku.items())]


def _pile(sku: str, rows: list[WaitingBackorder], store_price: float | None, today: date) -> SkuPile:
    """Each waiting unit is valued at its order line's price in the order's currency, else at the store's
    price of the SKU (the store's prices are in the currency its orders are in)."""
    values: dict[str, Decimal] = defaultdict(Decimal)
    unpriced = 0
    for r in rows:
        price = r.unit_price if r.unit_price is not None else \
            (Decimal(str(store_price)) if store_price is not None else None)
        if price is None:  # not valued at 0: the value says it does not know
            unpriced += r.quantity
            continue
        values[r.currency or ""] += price * r.quantity
    titled = [r.title.strip() for r in rows if r.title and r.title.strip()]
    return SkuPile(sku, len(rows), sum(r.quantity for r in rows),
                   max((today - r.created_at.date()).days for r in rows),
                   round(float(sum(values.values(), Decimal(0))), 2), title=titled[-1] if titled else "",
                   values=tuple(sorted(((c, round(float(v), 2)) for c, v in values.items()), key=lambda cv: -cv[1])),
                   unpriced_units=unpriced)


def check_pileups(notifier: Notifier, shop_id: int, *, slack_timeout: float = 10.0) -> AlertReport:
    shop = notify_settings.load(notifier.uow(), shop_id)
    report = AlertReport()
    today = notifier.today()
    uow = notifier.uow()
    with uow.shop_lock(shop_id):
        with uow:
            current = {p.sku: p for p in piles(uow, shop_id, today)}
            notes = uow.repo(NotifyRepository)
            open_alerts = {(a.sku, a.threshold): a for a in notes.open_alerts(shop_id)}
            for (sku, threshold), alert in open_alerts.items():
                limit = shop.alert_thresholds.get(threshold)
                pile = current.get(sku)
                if limit is None or pile is None or pile.figure(threshold) < limit:
                    alert.cleared_at = utcnow()
                    report.cleared.append((sku, threshold))
            crossings = []
            for sku, pile in current.items():
                for threshold, limit in shop.alert_thresholds.items():
                    if pile.figure(threshold) >= limit and (sku, threshold) not in open_alerts:
                        crossings.append(PileupAlert(
                            shop_id=shop_id, sku=sku, threshold=threshold, limit_value=limit,
                            observed=pile.figure(threshold), status="pending", channels=""))
                        report.crossed.append((sku, threshold))
            if notes.record_crossings(crossings):
                uow.commit()
            else:  # another process recorded the same crossing first
                log.info("pile-up crossing already recorded", extra={"shop_id": shop_id})
                report.crossed.clear()
        report.sent = _deliver(notifier, shop_id, shop, current, slack_timeout)
    log.info("pile-ups checked", extra={"shop_id": shop_id, "crossed": report.crossed, "cleared": report.cleared})
    return report


def _deliver(notifier: Notifier, shop_id: int, shop: notify_settings.ShopNotifySettings,
             current: dict[str, SkuPile], slack_timeout: float) -> int:
    wanted = [name for name, on in (("email", shop.alert_email), ("slack", shop.slack_webhook_url)) if on]
    with notifier.uow() as uow:
        notes = uow.repo(NotifyRepository)
        due = [(a.id, a.sku, a.threshold, float(a.limit_value), float(a.observed), a.channels or "")
               for a in notes.pending_alerts(shop_id)]
        found = uow.shops.get(shop_id)
        assert found is not None
        domain = found.domain
        custom = message_templates.custom(uow, shop_id, "pileup_alert", shop.language)
    sent = 0
    for alert_id, sku, threshold, limit, observed, done in due:
        with notifier.uow() as uow:  # claim: pending -> sending, so a concurrent check does not send too
            claimed = uow.repo(NotifyRepository).claim_alert(alert_id)
            uow.commit()
            if not claimed:
                continue
        delivered = [c for c in done.split(",") if c]
        pile = current.get(sku) or SkuPile(sku, 0, 0, 0, 0.0)
        context = {"sku": sku, "shop_name": shop.sender_name or domain, "shop_domain": domain,
                   "threshold_text": LABELS[threshold], "observed": f"{observed:g}", "limit": f"{limit:g}",
                   "count": pile.count, "units": pile.units, "oldest_days": pile.oldest_days,
                   "value": f"{pile.value:.2f}", "value_text": pile.value_text, "title": pile.title,
                   "product": f"{pile.title} (SKU {sku})" if pile.title else f"SKU {sku}",
                   "figures": pile.figures(threshold, limit),
                   "figure_text": _figure_text(threshold, pile, observed), "order_name": f"SKU {sku}",
                   "support_email": ""}
        status, error = "sent", None
        for channel in wanted:
            if channel in delivered:
                continue
            try:
                _send(notifier, channel, shop, context, alert_id, slack_timeout, custom)
                delivered.append(channel)
            except DeliveryUnavailable as exc:
                status, error = "pending", str(exc)
            except DeliveryError as exc:
                status, error = ("failed" if status != "pending" else status), str(exc)
        if not wanted:
            status, error = "failed", "no alert email or Slack webhook configured"
        with notifier.uow() as uow:
            row = uow.repo(NotifyRepository).alert(alert_id)
            assert row is not None
            row.status, row.error, row.channels = status, error, ",".join(delivered)
            if status == "sent":
                row.sent_at = utcnow()
            uow.commit()
        sent += status == "sent"
        log.info("pile-up alert %s", status, extra={"shop_id": shop_id, "sku": sku, "threshold": threshold,
                                                    "channels": delivered, "error": error})
    return sent


def _figure_text(threshold: str, pile: SkuPile, observed: float) -> str:
    """The crossed figure for the subject: "25 open backorders", "oldest 12 days", "EUR 480.00 waiting"."""
    if threshold == "count":
        return f"{pile.count or observed:g} open backorders"
    if threshold == "age_days":
        days = pile.oldest_days or observed
        if days <= 0:
            return "oldest waiting less than a day"
        return f"oldest waiting {days:g} day{'s' if days != 1 else ''}"
    return f"{pile.value_text} waiting"


def _send(notifier: Notifier, channel: str, shop: notify_settings.ShopNotifySettings, context: dict[str, Any],
          alert_id: int, slack_timeout: float, custom: notify_email.Custom | None = None) -> None:
    """``custom``: the shop's own wording of the alert in its language (message_templates), else shipped."""
    subject, text, _ = notify_email.render("pileup_alert", context, language=shop.language, custom=custom)
    if channel == "email":
        email = notify_email.build("pileup_alert", context, sender_name=context["shop_name"],
                                   sender_email=shop.sender_email or notifier.default_sender,
                                   recipient=shop.alert_email, reply_to=None, message_key=f"alert-{alert_id}",
                                   language=shop.language, custom=custom)
        notifier.mailer.send(email)
        return
    if notifier.slack is None:
        raise DeliveryRejected("slack: no Slack channel wired into this notifier")
    notifier.slack(notify_settings.open_slack_url(shop, notifier.box), slack_timeout).post(
        f":warning: {subject}", fields={f["label"]: f["text"] for f in context["figures"]})
