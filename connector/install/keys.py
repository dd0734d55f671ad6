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
from sqlalchemy import String, Text, select, update

from connector.crypto import FERNET_PREFIX, CredentialBox
from connector.db.uow import UnitOfWork
from connector.schema import Base

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
        session = uow.session
        assert session is not None
        for table in Base.metadata.sorted_tables:
            key_columns = list(table.primary_key.columns)
            if len(key_columns) != 1:
                continue
            pk = key_columns[0]
            for column in table.c:
                if not isinstance(column.type, Text | String) or column is pk:
                    continue
                rows = session.execute(select(pk, column).where(column.like(f"{FERNET_PREFIX}%"))).all()
                for row_id, value in rows:
                    try:
                        fresh = box.rotate(value)
                    except InvalidToken:
                        report.unreadable.append(f"{table.name}.{column.name}#{row_id}")
                        continue
                    session.execute(update(table).where(pk == row_id).values({column.name: fresh}))
                    name = f"{table.name}.{column.name}"
                    report.rotated[name] = report.rotated.get(name, 0) + 1
        uow.commit()
    from connector.shop_settings import seal_plaintext_secrets

    report.sealed = seal_plaintext_secrets(uow, box)
    log.info("secrets re-encrypted", extra={"rotated": report.rotated, "unreadable": len(report.unreadable),
                                            "sealed": report.sealed})
    return report
