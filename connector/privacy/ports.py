"""What the privacy services are given: settings, storage, the credential box, and a way to drop a
shop's cached store client.

connector/bootstrap.py's Container provides every member; the entry points (webhooks/compliance.py,
webhooks/install.py, jobs/install.py, the CLI) pass it in, so privacy never imports bootstrap.
"""

from __future__ import annotations

from typing import Protocol

from connector.config import Settings
from connector.crypto import CredentialBox
from connector.db.uow import UnitOfWork


class PrivacyPorts(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def box(self) -> CredentialBox: ...

    def uow(self) -> UnitOfWork:
        ...

    def forget_platform(self, shop_id: int) -> None:
        """Drop the shop's cached store client (its credentials or status changed)."""
        ...
