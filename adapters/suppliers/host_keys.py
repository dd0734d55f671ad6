"""An SFTP server's host key checked before any credential is sent (paramiko's client side).

The expected key is the supplier's ``host_key`` setting when given (a public key line as
``ssh-keyscan`` prints it, or a ``SHA256:`` fingerprint), else the key trusted on first use
(``HostKeyTrust.pinned``, stored on the supplier row by the poll). With neither, this is the first
use: the key is accepted and reported in ``HostKeyTrust.seen`` for the poll to store. A different
key raises HostKeyChanged, naming both fingerprints and the command that trusts the new one.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Mapping
from typing import Any

from connector.domain.errors import HostKeyChanged
from connector.domain.host_key import HostKey, HostKeyTrust

log = logging.getLogger(__name__)

RSA_ALGORITHMS = ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")
"""The signature algorithms an ``ssh-rsa`` host key is negotiated under."""


def configured_host_key(settings: Mapping[str, Any]) -> HostKey | None:
    """The key pinned by the ``host_key`` setting, if any (ConfigError when it cannot be read)."""
    value = settings.get("host_key")
    return HostKey.parse(str(value)) if value else None


def connect_verified(transport: Any, *, settings: Mapping[str, Any], trust: HostKeyTrust | None, username: str,
                     password: str | None, pkey: Any, timeout: float, where: str, name: str) -> None:
    """Negotiate the session on ``transport`` (a paramiko.Transport), check the server's host key,
    then authenticate. Raises HostKeyChanged (nothing sent), paramiko's errors otherwise."""
    configured = configured_host_key(settings)
    expected = configured or (trust.pinned if trust is not None else None)
    if expected is not None and expected.kind:
        _prefer(transport, expected.kind)  # a server with several keys shows the one we know
    transport.start_client(timeout=timeout)
    key = transport.get_remote_server_key()
    seen = HostKey.of_blob(key.get_name(), key.asbytes())
    if expected is not None and not expected.matches(seen):
        if configured is not None:
            hint = "if the supplier really changed its server key, put the new one in the supplier's host_key setting"
        else:
            hint = ("if the supplier really changed its server key, trust the new one with `connector suppliers "
                    f"trust-host-key {shlex.quote(name)} --shop SHOP --fingerprint {seen.fingerprint}`")
        raise HostKeyChanged(f"sftp {where}: host key changed: expected {expected}, got {seen}; {hint}",
                             str(expected), str(seen))
    if pkey is not None:
        transport.auth_publickey(username, pkey)
    elif password is not None:
        transport.auth_password(username, password)
    if trust is not None:
        trust.seen = seen
    if expected is None:
        log.info("sftp host key seen for the first time", extra={"where": where, "host_key": str(seen)})


def _prefer(transport: Any, kind: str) -> None:
    """Put the known key's algorithms first in the negotiation (the others stay, so a server whose key
    type changed is told apart from one we cannot talk to)."""
    options = transport.get_security_options()
    current = tuple(options.key_types)
    wanted = RSA_ALGORITHMS if kind == "ssh-rsa" else (kind,)
    first = tuple(algorithm for algorithm in wanted if algorithm in current)
    options.key_types = first + tuple(algorithm for algorithm in current if algorithm not in first)
