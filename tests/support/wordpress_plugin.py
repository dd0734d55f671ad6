"""Running the WooCommerce plugin (extensions/woocommerce/backorder-connector) on the PHP CLI, with the
WordPress stand-ins of tests/support/wordpress.php, and a store customer's data for its privacy tests."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from connector.db.inbox import insert_event
from connector.db.models import Backorder, Order, OrderLine
from connector.domain.clock import utcnow
from connector.notify.models import Message
from tests.conftest import ROOT, unavailable

PLUGIN = ROOT / "extensions" / "woocommerce" / "backorder-connector"
MAIN = PLUGIN / "backorder-connector.php"
STUBS = Path(__file__).with_name("wordpress.php")


def php_binary() -> str:
    php = shutil.which("php")
    if php is None:
        unavailable("the PHP CLI is not installed (apt-get install php-cli; .ci/run installs it)")
    return php  # type: ignore[return-value]


def run_plugin(tmp_path: Path, body: str, *, setup: str = "", load: bool = True) -> Any:
    """Run ``body`` (PHP that sets ``$out``) after the stand-ins, ``setup`` and (``load``) the plugin;
    the JSON of ``$out``. PHP warnings and notices fail the run."""
    script = tmp_path / "case.php"
    loading = f"wp_test_load_plugin({json.dumps(str(MAIN))});" if load else ""
    script.write_text(f"<?php\nrequire {json.dumps(str(STUBS))};\n{setup}\n{loading}\n$out = null;\n{body}\n"
                      "echo json_encode($out);\n")
    run = subprocess.run([php_binary(), "-d", "display_errors=stderr", "-d", "error_reporting=-1", str(script)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and not run.stderr, run.stdout + run.stderr
    return json.loads(run.stdout)


def customer_order(container: Any, shop_id: int, email: str, number: int, *, message: bool = True) -> None:
    """An order of ``email`` with a backorder, a message sent about it and the store's order webhook."""
    now = utcnow()
    with container.uow() as uow:
        order = Order(shop_id=shop_id, platform_order_id=str(number), name=f"#{number}", status="open",
                      customer_email=email, ordered_at=now, platform_updated_at=now)
        line = OrderLine(shop_id=shop_id, order=order, platform_line_id=f"{number}-1", sku="TEA-1", quantity=2)
        uow.session.add_all([order, line])  # type: ignore[union-attr]
        uow.session.flush()  # type: ignore[union-attr]
        backorder = Backorder(shop_id=shop_id, order_line_id=line.id, sku="TEA-1", quantity_backordered=2,
                              status="open")
        uow.session.add(backorder)  # type: ignore[union-attr]
        uow.session.flush()  # type: ignore[union-attr]
        if message:
            uow.session.add(Message(  # type: ignore[union-attr]
                shop_id=shop_id, backorder_id=backorder.id, order_id=order.id, kind="delay", date_key="2026-12-05",
                recipient=email, subject=f"Your order #{number} is delayed", status="sent", sent_at=now))
        uow.commit()
    body = json.dumps({"id": number, "status": "processing", "billing": {"email": email.upper()}}).encode()
    insert_event(container.engine, shop_id, "order.created", f"order-{number}", {}, body)
