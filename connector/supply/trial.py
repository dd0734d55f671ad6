"""A supplier's "test connection": read the first rows of its feed or API as a poll would, store nothing.

The client is the one a poll uses (built by the SupplierClientFactory, so the outbound guard, auth
and mapping apply the same way), asked for everything (no cache validators). Reading stops after
``shown`` readable rows once ``scan`` records have been looked at for unreadable ones, or at the
end of the feed. An SFTP server's host key is checked against the one stored for the supplier
(a different key is refused, as a poll refuses it) and the key seen is reported, so the merchant
can compare it with the one the supplier gives before trusting it; nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connector.domain.host_key import HostKey, HostKeyTrust
from connector.domain.supply import BadRow, SupplierRow
from connector.ports import SupplierClientFactory

SHOWN_ROWS = 20
"""Readable rows a test connection shows."""
SCAN_RECORDS = 500
"""Records read at most (readable and not) while looking for unreadable ones to show beside them."""
SHOWN_BAD = 20


@dataclass
class Sample:
    rows: list[SupplierRow] = field(default_factory=list)
    """The first readable rows (at most ``SHOWN_ROWS``)."""
    bad: list[BadRow] = field(default_factory=list)
    """The first unreadable rows among those read, with the reason (at most ``SHOWN_BAD``)."""
    bad_count: int = 0
    read: int = 0
    """Records read (readable and unreadable)."""
    complete: bool = True
    """False: reading stopped before the end of the feed."""
    unchanged: bool = False
    """The source answered "not modified" (should not happen: nothing is sent to compare with)."""
    host_key: HostKey | None = None
    """The SFTP server's key, as seen on this connection (None for HTTP sources)."""
    host_key_stored: HostKey | None = None
    """The key stored for the supplier, that this connection was checked against (None: first use)."""

    @property
    def host_key_new(self) -> bool:
        """A key seen for the first time: not yet trusted (the first poll, or the merchant, trusts it)."""
        return self.host_key is not None and self.host_key_stored is None


def sample_supplier(kind: str, settings: Mapping[str, Any], secret: Mapping[str, Any] | None, name: str, *,
                    clients: SupplierClientFactory, stored_key: HostKey | None = None,
                    shown: int = SHOWN_ROWS, scan: int = SCAN_RECORDS) -> Sample:
    """Read the start of a supplier's feed or API. Raises what building the client raises (ConfigError
    naming the setting) and what a poll's fetch raises (SupplierUnavailable, SupplierRejected,
    HostKeyChanged, SupplierFeedInvalid)."""
    client = clients(kind, settings, secret, name)
    trust = getattr(client, "host_key_trust", None)  # an SFTP feed: checked against the stored key
    if isinstance(trust, HostKeyTrust):
        trust.pinned = stored_key
    sample = Sample(host_key_stored=stored_key if isinstance(trust, HostKeyTrust) else None)
    with client.fetch(None, {}) as fetched:
        sample.unchanged = fetched.unchanged
        rows = iter(fetched.rows)
        good = 0
        for row in rows:
            good += 1
            if len(sample.rows) < shown:
                sample.rows.append(row)
            if good >= shown and (good + fetched.bad.count >= scan or fetched.bad.count >= SHOWN_BAD):
                sample.complete = next(rows, None) is None
                good += 0 if sample.complete else 1
                break
        sample.bad_count = fetched.bad.count
        sample.bad = list(fetched.bad.kept[:SHOWN_BAD])
        sample.read = good + fetched.bad.count
    if isinstance(trust, HostKeyTrust):
        sample.host_key = trust.seen
    return sample

