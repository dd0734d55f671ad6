"""For job-run tests: a real SMTP sink that counts what it accepted, and a shop with a data export
whose e-mail (jobs.install.email_export) is the one-off job under test."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

from aiosmtpd.controller import Controller

from connector.bootstrap import Container
from connector.db.models import Shop
from connector.domain.clock import utcnow
from connector.domain.model import Platform, ShopCredentials
from connector.install.models import DataExport
from connector.shops import add_shop

EMAIL_EXPORT = "jobs.install.email_export"


class SmtpSink:
    """aiosmtpd on a free loopback port. ``stall_first`` holds the first message's DATA unanswered
    (then refuses it with 451), so a worker can be killed while it is inside the job."""

    def __init__(self, *, stall_first: bool = False) -> None:
        self.accepted: list[bytes] = []
        self.data_seen = threading.Event()
        self._stall = stall_first
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.data_seen.set()
        if self._stall:
            self._stall = False
            await asyncio.sleep(60)
            return "451 try again later"
        self.accepted.append(envelope.content)
        return "250 OK"

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.controller.stop()


def shop_with_export(c: Container, domain: str = "runs.myshopify.com") -> tuple[int, int]:
    """(shop id, export id): a shop with a contact e-mail and one stored customer data export."""
    info = add_shop(c.uow(), c.box, Platform.SHOPIFY, domain, ShopCredentials(access_token="t"))
    with c.uow() as uow:
        session = uow.session
        assert session is not None
        shop = session.get(Shop, info.id)
        assert shop is not None
        shop.contact_email = "merchant@example.com"
        export = DataExport(shop_id=info.id, request_id="req-1", customer_ref="c-1", content='{"orders": []}',
                            download_token_hash="x", emailed_to="merchant@example.com", expires_at=utcnow())
        session.add(export)
        session.flush()
        export_id = export.id
        uow.commit()
    return info.id, export_id
