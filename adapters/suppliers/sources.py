"""Where a feed's bytes come from: HTTPS, SFTP (paramiko), or a local path.

Network sources go through the outbound guard (adapters/outbound.py): https to public addresses only,
plain http and private addresses only in development (network.allow_private_targets). Local paths and
file:// URLs are read only when the operator allows local files (suppliers.allow_local_files, or
development); errors about a local file name the file, never its contents.

Each source answers "unchanged" when the file is the same as last time (HTTP ETag /
Last-Modified with a 304; size and modification time for a local or SFTP file) so an unchanged
feed is never read. Timeouts and connection failures are retried with backoff; after the last
attempt they raise SupplierUnavailable.
"""

from __future__ import annotations

import io
import logging
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

import requests

from adapters import outbound
from adapters.http import HttpRetry
from adapters.suppliers.host_keys import connect_verified
from adapters.suppliers.transport import auth_headers, conditional_headers, make_transport, supplier_request
from connector.domain.errors import ConfigError, HostKeyChanged, SupplierRejected, SupplierUnavailable
from connector.domain.host_key import HostKeyTrust
from connector.domain.supply import Validators

log = logging.getLogger(__name__)

CHUNK_BYTES = 256 * 1024


class ChunkStream(io.RawIOBase):
    """A readable binary stream over an iterator of byte chunks (a streamed HTTP body, decompressed)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
            except (requests.RequestException, OSError) as exc:
                raise SupplierUnavailable(f"feed transfer broke off: {type(exc).__name__}") from None
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


@dataclass
class Opened:
    unchanged: bool
    stream: IO[bytes] | None
    validators: Validators
    close: Callable[[], None]


def _noop() -> None:
    return None


def open_source(settings: Mapping[str, Any], secret: Mapping[str, Any], validators: Validators | None,
                *, name: str = "feed", trust: HostKeyTrust | None = None) -> Opened:
    """``trust``: an SFTP server's host key trusted on first use (see adapters/suppliers/host_keys.py)."""
    source = str(settings["source"])
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("http", "https"):
        if scheme == "http" and not outbound.current_policy().allow_private_targets:
            raise SupplierRejected(f"supplier {name}: feed URLs must be https:// (plain http only in development: "
                                   "network.allow_private_targets)")
        return _open_http(source, settings, secret, validators, name)
    if scheme == "sftp":
        return _open_sftp(source, settings, secret, validators, trust, name)
    if scheme in ("", "file"):
        return _open_local(unquote(urlsplit(source).path) if scheme == "file" else source, validators)
    raise ConfigError("source", f"unsupported feed scheme {scheme!r}: use a path, https:// or sftp://")


def _file_validators(size: int, mtime: float) -> Validators:
    return Validators(etag=f"size={size};mtime={mtime:.6f}")


def _open_local(path: str, validators: Validators | None) -> Opened:
    try:
        outbound.require_local_files()
    except outbound.OutboundRefused as exc:
        raise SupplierRejected(f"feed source is a local file: {exc}") from None
    file = Path(path)
    try:
        stat = file.stat()
    except OSError as exc:
        raise SupplierRejected(f"feed file {path}: {exc.strerror or type(exc).__name__}") from None
    current = _file_validators(stat.st_size, stat.st_mtime)
    if validators is not None and validators.etag == current.etag:
        return Opened(True, None, current, _noop)
    stream = file.open("rb")
    return Opened(False, stream, current, stream.close)


def _open_http(url: str, settings: Mapping[str, Any], secret: Mapping[str, Any], validators: Validators | None,
               name: str) -> Opened:
    transport = make_transport(f"supplier {name}", settings)
    headers = {**auth_headers(settings.get("auth"), secret), **conditional_headers(validators),
               "Accept-Encoding": "gzip"}
    response = supplier_request(transport, "GET", url, headers=headers, stream=True)
    if response.status_code == 304:
        response.close()
        return Opened(True, None, validators or Validators(), _noop)
    if response.status_code != 200:
        response.close()
        raise SupplierRejected(f"supplier {name}: feed answered {response.status_code}")
    current = Validators(response.headers.get("ETag"), response.headers.get("Last-Modified"))
    stream = io.BufferedReader(ChunkStream(response.iter_content(CHUNK_BYTES)), CHUNK_BYTES)
    return Opened(False, stream, current, response.close)


def _open_sftp(url: str, settings: Mapping[str, Any], secret: Mapping[str, Any],
               validators: Validators | None, trust: HostKeyTrust | None = None, name: str = "feed") -> Opened:
    import paramiko

    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 22
    username = parts.username or str(settings.get("username") or secret.get("username") or "")
    path = unquote(parts.path)
    if not host or not path or not username:
        raise ConfigError("source", "sftp source must be sftp://user@host[:port]/path")
    policy = HttpRetry(max_attempts=int(settings.get("max_attempts", 4)),
                         base_delay=float(settings.get("retry_base_delay", 1.0)), max_delay=30.0)
    timeout = float(settings.get("timeout_seconds", 30.0))
    pkey = None
    if secret.get("private_key"):
        import io

        pkey = paramiko.Ed25519Key.from_private_key(io.StringIO(str(secret["private_key"]))) \
            if "OPENSSH" in str(secret["private_key"]) else \
            paramiko.RSAKey.from_private_key(io.StringIO(str(secret["private_key"])))
    attempt = 0
    while True:
        attempt += 1
        transport = None
        try:
            sock = socket.create_connection((_sftp_address(host, port), port), timeout=timeout)
            transport = paramiko.Transport(sock)
            transport.banner_timeout = timeout
            connect_verified(transport, settings=settings, trust=trust, username=username,
                             password=secret.get("password"), pkey=pkey, timeout=timeout, where=f"{host}:{port}",
                             name=name)  # the host key is checked before any credential is sent
            sftp = paramiko.SFTPClient.from_transport(transport)
            assert sftp is not None
            sftp.get_channel().settimeout(timeout)  # type: ignore[union-attr]
            stat = sftp.stat(path)
            current = _file_validators(int(stat.st_size or 0), float(stat.st_mtime or 0))
            if validators is not None and validators.etag == current.etag:
                transport.close()
                return Opened(True, None, current, _noop)
            handle = sftp.open(path, "rb", bufsize=1024 * 1024)
            handle.prefetch(int(stat.st_size or 0))

            def close(transport: Any = transport, handle: Any = handle) -> None:
                try:
                    handle.close()
                finally:
                    transport.close()

            return Opened(False, handle, current, close)  # type: ignore[arg-type]
        except HostKeyChanged:  # not retried: a person checks with the supplier
            if transport is not None:
                transport.close()
            raise
        except paramiko.AuthenticationException:
            if transport is not None:
                transport.close()
            raise SupplierRejected(f"sftp {host}:{port}: authentication failed for {username}") from None
        except FileNotFoundError:
            if transport is not None:
                transport.close()
            raise SupplierRejected(f"sftp {host}:{port}: no file {path}") from None
        except (OSError, paramiko.SSHException, EOFError) as exc:
            if transport is not None:
                transport.close()
            if attempt >= policy.max_attempts:
                raise SupplierUnavailable(f"sftp {host}:{port}: {type(exc).__name__} after {attempt} attempts"
                                          ) from None
            delay = policy.backoff(attempt)
            log.warning("sftp %s:%s: %s; retrying in %.2fs", host, port, type(exc).__name__, delay)
            time.sleep(delay)


def _sftp_address(host: str, port: int) -> str:
    """The checked address to connect to (outbound guard: public addresses only outside development)."""
    try:
        return outbound.check_host(host, port)
    except outbound.OutboundRefused as exc:
        raise SupplierRejected(f"sftp {host}:{port}: address refused: {exc}") from None
