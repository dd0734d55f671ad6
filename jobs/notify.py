"""Customer messages and pile-up alerts for one shop.

Contract with the know-when side: after it changes backorders.expected_date (and
dates_updated_at) it enqueues ``jobs.notify.evaluate_backorders`` with the shop id. The job is
idempotent: it sends only what is due and not yet sent (see connector/notify/evaluate.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from connector.job_refs import job_ref
from jobs import runtime

if TYPE_CHECKING:
    from connector.bootstrap import Container
    from connector.db.uow import UnitOfWork
    from connector.notify.alerts import AlertReport
    from connector.notify.evaluate import EvaluationReport, Notifier

def build_notifier(c: Container) -> Notifier:
    from connector.notify.evaluate import Notifier
    from connector.notify.links import customer_link_signer

    settings = c.settings
    return Notifier(
        uow=c.uow,
        mailer=c.smtp_mailer(),
        links=customer_link_signer(settings),
        order_admin=c.order_admin,
        default_sender=settings.smtp_from,
        schedule_check=check_scheduler(c),
        box=c.box if settings.secret_key else None,
        slack=c.slack_webhook,
    )


def check_scheduler(c: Container) -> Callable[[list[Any], float, UnitOfWork | None], None]:
    """Notifier.schedule_check: a durable run of confirm_cancellation (job_runs), in the caller's
    transaction when it passes its open unit of work; else on its own, joining the same check if it waits."""

    def schedule(args: list[Any], delay_seconds: float, uow: UnitOfWork | None = None) -> None:
        session = uow.session if uow is not None else None
        runtime.enqueue_run(c, confirm_cancellation, *args, shop_id=args[0], delay_seconds=delay_seconds,
                            session=session, coalesce=session is None)

    return schedule


def evaluate_backorders(shop_id: int) -> EvaluationReport:
    """Evaluate every open backorder of the shop against the rules and send what is due."""
    from connector.notify.evaluate import evaluate_backorders as evaluate

    return evaluate(build_notifier(runtime.container()), shop_id)


def confirm_cancellation(shop_id: int, decision_id: int, reference: str, expected: str | None,
                         check: int) -> str | None:
    """Check once more on a cancellation the store was still carrying out; record its outcome once
    it is settled, else schedule the next check (connector/notify/cancel_checks.py)."""
    from connector.notify.cancel_checks import confirm_cancellation as confirm

    return confirm(build_notifier(runtime.container()), shop_id, decision_id, reference, expected, check)


def check_pileups(shop_id: int) -> AlertReport:
    """Alert the support team once per threshold crossing of any SKU's open backorders."""
    from connector.notify.alerts import check_pileups as check

    c = runtime.container()
    return check(build_notifier(c), shop_id, slack_timeout=c.settings.http_timeout_seconds)


EVALUATE_BACKORDERS = job_ref(evaluate_backorders)
CHECK_PILEUPS = job_ref(check_pileups)
CONFIRM_CANCELLATION = job_ref(confirm_cancellation)
