"""CONNECTOR_SECRET_KEY rotation: re-encrypt every stored secret with the newest key.

With ``CONNECTOR_SECRET_KEY="new,old"`` both keys decrypt and the first encrypts (MultiFernet).
``rotate_all`` then rewrites every Fernet token in the database under the new key, after which the
old key can be dropped. Encrypted values are found by their Fernet prefix in every text column of
every table, so secrets that other features store (supplier credentials, ...) are covered too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from cryptography.fernet import InvalidToken

from connector.crypto import FERNET_PREFIX, CredentialBox
from connector.db.uow import UnitOfWork
from connector.install.repository import InstallRepository

log = logging.getLogger(__name__)

__all__ = ["FERNET_PREFIX", "RotationReport", "rotate_all"]


@dataclass
class RotationReport:
    rotated: dict[str, int] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)
    """table.column#id of tokens no configured key decrypts (left as they were)."""
    sealed: int = 0
    """Secret shop settings found in plain text (stored before sealing existed) and sealed now."""


def rotate_all(uow: UnitOfWork, box: CredentialBox) -> RotationReport:
    report = RotationReport()
    with uow:
        cells = uow.repo(InstallRepository)
        for cell in cells.sealed_cells(FERNET_PREFIX):
            try:
                fresh = box.rotate(cell.value)
            except InvalidToken:
                report.unreadable.append(f"{cell.table}.{cell.column}#{cell.row_id}")
                continue
            cells.replace_cell(cell, fresh)
            name = f"{cell.table}.{cell.column}"
            report.rotated[name] = report.rotated.get(name, 0) + 1
        uow.commit()
    from connector.shop_settings import seal_plaintext_secrets

    report.sealed = seal_plaintext_secrets(uow, box)
    log.info("secrets re-encrypted", extra={"rotated": report.rotated, "unreadable": len(report.unreadable),
                                            "sealed": report.sealed})
    return report
