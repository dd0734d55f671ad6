"""An SSH server's host key as the connector trusts it: pinned by a setting, or trusted on first use.

A supplier's SFTP server proves who it is with its host key. ``host_key`` in the supplier's
settings pins one; without it, the key the server presents on the first connection is stored on the
supplier row (its type and SHA256 fingerprint, as ``ssh-keygen -l`` prints them) and every later
connection must present the same key, compared in constant time. Otherwise the connection is
refused (HostKeyChanged) before any password or private key is sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass

from connector.domain.errors import ConfigError

_FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")


@dataclass(frozen=True)
class HostKey:
    """A host key by its SHA256 fingerprint (``SHA256:`` and 43 base64 characters, no padding) and its
    type (``ssh-ed25519``, ``ssh-rsa``, ...; None when only the fingerprint was given)."""

    fingerprint: str
    kind: str | None = None

    def __post_init__(self) -> None:
        if not _FINGERPRINT.fullmatch(self.fingerprint):
            raise ConfigError("host_key", f"not a SHA256 fingerprint: {self.fingerprint[:60]!r} "
                                          "(expected SHA256: and 43 base64 characters, as ssh-keygen -l prints)")

    @classmethod
    def of_blob(cls, kind: str, blob: bytes) -> HostKey:
        """The key whose public blob (the base64 part of an OpenSSH public key line, decoded) is ``blob``."""
        digest = base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")
        return cls(f"SHA256:{digest}", kind)

    @classmethod
    def parse(cls, text: str) -> HostKey:
        """From a public key line (``ssh-ed25519 AAAA... [comment]``), a fingerprint (``SHA256:...``) or
        both (``ssh-ed25519 SHA256:...``). Raises ConfigError naming ``host_key``."""
        words = text.split()
        if len(words) == 1 and words[0].startswith("SHA256:"):
            return cls(words[0])
        if len(words) >= 2 and words[1].startswith("SHA256:"):
            return cls(words[1], words[0])
        if len(words) >= 2:
            try:
                blob = base64.b64decode(words[1], validate=True)
            except (binascii.Error, ValueError):
                blob = b""
            if blob[4:4 + len(words[0])] == words[0].encode():  # the blob starts with its own type
                return cls.of_blob(words[0], blob)
        raise ConfigError("host_key", "must be the server's public key line (ssh-ed25519 AAAA...), as "
                                      "ssh-keyscan prints it, or its fingerprint (SHA256:...)")

    def matches(self, other: HostKey) -> bool:
        """The same key: fingerprints compared in constant time (a fingerprint covers the key's type too)."""
        return hmac.compare_digest(self.fingerprint.encode("ascii"), other.fingerprint.encode("ascii"))

    def __str__(self) -> str:
        return f"{self.kind} {self.fingerprint}" if self.kind else self.fingerprint


@dataclass
class HostKeyTrust:
    """One supplier's trust on first use, shared between the poll and the SFTP adapter.

    ``pinned``: the key stored from an earlier connection (None: the next connection is the first).
    ``seen``: set by the adapter to the key the server presented, once that key was accepted; the
    poll stores it when nothing was pinned yet.
    """

    pinned: HostKey | None = None
    seen: HostKey | None = None
