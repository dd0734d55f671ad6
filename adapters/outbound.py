"""The outbound address guard: every URL a merchant, a store or a supplier controls is called through it.

Rules (``OutboundPolicy()``, the default):

- ``https`` only;
- the host must resolve to public addresses only: loopback, private (RFC 1918), link-local
  (169.254.0.0/16 with the cloud metadata address, fe80::/10), carrier-grade NAT (100.64.0.0/10),
  unique-local (fc00::/7), unspecified, multicast, reserved and any other non-global range are
  refused, and so is an IPv4-mapped IPv6 address (::ffff:0:0/96) of any of them;
- the check is made on the address actually connected to: the guarded session resolves the host
  once per request, checks that address, and connects to exactly it (TLS SNI and certificate
  checks still use the host name), so a name that answers a public address to a pre-flight check
  and a private one a moment later (DNS rebinding) is still refused;
- redirects are followed only through the same guard: each hop is checked again.

The resolving and pinning is requests-hardened's (Saleor's ``IPFilterAdapter``); this module adds
the https rule, its own classifier on the pinned address (a second, stricter opinion), the
development switch, a pre-flight ``check_url`` for clear errors at configuration and connect time,
and ``check_host`` for connections that do not use requests (SFTP).

Development (``network.allow_private_targets``, off by default; on in the sandbox, the demo and
the tests) lets loopback and private addresses and plain ``http`` through. The policy is
process-wide, set once by the composition root (``connector.bootstrap``) from the settings,
because the transports are built deep inside adapters that never see the settings.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests_hardened.ip_filter import InvalidIPAddress
from requests_hardened.ip_filter_adapter import IPFilterAdapter

from connector.domain.errors import PermanentError

log = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
"""host, port -> the addresses the host resolves to (strings)."""


class OutboundRefused(PermanentError, requests.RequestException):
    """The guard refused a call: a scheme other than https, or a host that is not a public address.

    A requests exception (so the HTTP transport maps it like any refused request, never retried)
    and a connector error (so services and the CLI can show it). The message names the host and
    the reason, never the path or query (they may carry secrets)."""


@dataclass(frozen=True)
class OutboundPolicy:
    allow_private_targets: bool = False
    """Development: loopback and private addresses and plain http may be called."""
    allow_local_files: bool = False
    """Supplier feeds may be read from local paths and file:// URLs."""


_policy = OutboundPolicy()


def configure(policy: OutboundPolicy) -> OutboundPolicy:
    """Set the process-wide policy (the composition root does this); returns the previous one."""
    global _policy
    previous, _policy = _policy, policy
    return previous


def current_policy() -> OutboundPolicy:
    return _policy


# -- the classifier ----------------------------------------------------------------------------------

METADATA = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
CGNAT = ipaddress.ip_network("100.64.0.0/10")
EXTRA_REFUSED = tuple(ipaddress.ip_network(n) for n in (
    "192.0.0.0/24",     # IETF protocol assignments
    "192.88.99.0/24",   # 6to4 relay anycast
    "::/96",            # IPv4-compatible IPv6 (deprecated): ::127.0.0.1
    "64:ff9b::/96",     # NAT64: embeds any IPv4 address
    "64:ff9b:1::/48",   # local-use NAT64
    "2002::/16",        # 6to4: embeds any IPv4 address
    "2001:20::/28",     # ORCHIDv2
    "5f00::/16",        # SRv6 SIDs
    "3fff::/20",        # documentation
))


def refusal_reason(address: Address | str) -> str | None:
    """Why an address must not be called, or None for a public (globally routable unicast) one."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        inner = refusal_reason(ip.ipv4_mapped)
        return f"IPv4-mapped {inner}" if inner else None
    if ip in METADATA:
        return "cloud metadata"
    checks: tuple[tuple[bool, str], ...] = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.version == 4 and ip in CGNAT, "carrier-grade NAT"),
        (ip.version == 6 and ip in ipaddress.ip_network("fc00::/7"), "unique-local"),
        (ip.version == 6 and ip.is_site_local, "site-local"),
        (ip.is_multicast, "multicast"),
        (ip.is_reserved, "reserved"),
        (ip.is_private, "private"),
        (any(ip in net for net in EXTRA_REFUSED if net.version == ip.version), "reserved"),
        (not ip.is_global, "non-public"),
    )
    for hit, reason in checks:
        if hit:
            return reason
    return None


def system_resolver(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def _refuse(host: str, reason: str) -> OutboundRefused:
    log.warning("outbound call refused", extra={"host": host, "reason": reason})
    return OutboundRefused(f"{host}: {reason}")


def check_host(host: str, port: int, *, policy: OutboundPolicy | None = None,
               resolver: Resolver | None = None) -> str:
    """The address to connect to for ``host``: every address it resolves to must be public.

    Connect to the returned address (not the name again), so the checked address is the one used.
    Under the development policy the host is returned unchanged. Raises OutboundRefused;
    a name that does not resolve raises socket.gaierror (an OSError: worth retrying later).
    """
    policy = policy or _policy
    if policy.allow_private_targets:
        return host
    host = host.strip("[]")
    if not host:
        raise _refuse("(none)", "no host")
    addresses = (resolver or system_resolver)(host, port)
    if not addresses:
        raise socket.gaierror(f"{host} resolves to no address")
    for address in addresses:
        reason = refusal_reason(address)
        if reason:
            raise _refuse(host, f"resolves to a {reason} address ({address}); only public addresses may be called")
    return addresses[0]


def check_url(url: str, *, policy: OutboundPolicy | None = None, resolver: Resolver | None = None) -> None:
    """A pre-flight check of a URL (for clear errors when it is configured or a store connects).

    The guarded session checks again when it connects; this only refuses early.
    """
    policy = policy or _policy
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in ("https", "http") or not host:
        raise _refuse(host or "(none)", "must be an https:// URL")
    if scheme == "http" and not policy.allow_private_targets:
        raise _refuse(host, "must be an https:// URL (plain http only with network.allow_private_targets, "
                            "for development)")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise _refuse(host, "has an invalid port") from None
    try:
        check_host(host, port, policy=policy, resolver=resolver)
    except socket.gaierror:
        raise _refuse(host, "does not resolve") from None


# -- the guarded session -----------------------------------------------------------------------------

class _PinnedAdapter(IPFilterAdapter):
    """requests-hardened's adapter (resolve once, refuse private addresses, connect to that address with
    the host name kept for Host, SNI and the certificate), with this module's classifier on top."""

    def __init__(self) -> None:
        super().__init__(is_https_proto=True, allow_loopback=False)

    def build_connection_pool_key_attributes(self, request: requests.PreparedRequest, verify: Any,
                                             cert: Any = None) -> Any:
        host = urlsplit(request.url or "").hostname or ""
        try:
            host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        except InvalidIPAddress as exc:
            address = str(exc.args[0]) if exc.args else "?"
            why = refusal_reason(address) or "non-public"
            raise _refuse(host, f"resolves to a {why} address ({address}); "
                                "only public addresses may be called") from None
        pinned = str(host_params["host"]).strip("[]")
        reason = refusal_reason(pinned)
        if reason:
            raise _refuse(host, f"resolves to a {reason} address ({pinned}); only public addresses may be called")
        return host_params, pool_kwargs


class GuardedSession(requests.Session):
    """A requests Session whose every request (and every redirect hop) passes the outbound guard.

    ``policy`` None follows the process-wide policy at the time of each request.
    """

    ENV_CACHE_SIZE = 256
    """Hosts whose environment settings (proxies, CA bundle) one session keeps (``merge_environment_settings``)."""

    def __init__(self, policy: OutboundPolicy | None = None) -> None:
        super().__init__()
        self._fixed_policy = policy
        self._pinned = _PinnedAdapter()
        self._env: dict[tuple[Any, ...], dict[str, Any]] = {}

    def merge_environment_settings(self, url: str | bytes | None, proxies: Any, stream: Any, verify: Any,
                                   cert: Any) -> Any:
        """requests' merge, read once per host and per-request options: requests reads the proxy
        variables by walking the whole process environment on every request (about a third of a
        millisecond of CPU each in a worker); the environment does not change while a process runs."""
        parts = urlsplit(url.decode() if isinstance(url, bytes) else url or "")
        try:
            key = (parts.scheme, parts.netloc, tuple(sorted((proxies or {}).items())), stream, verify, cert,
                   self.trust_env, tuple(sorted(self.proxies.items())), self.stream, self.verify, self.cert)
            hash(key)
        except TypeError:  # an unhashable option: no caching
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        found = self._env.get(key)
        if found is None:
            if len(self._env) >= self.ENV_CACHE_SIZE:
                self._env.clear()
            found = dict(super().merge_environment_settings(url, proxies, stream, verify, cert))
            self._env[key] = found
        return {**found, "proxies": dict(found["proxies"])}

    def get_adapter(self, url: str) -> HTTPAdapter:  # type: ignore[override]
        policy = self._fixed_policy or _policy
        if policy.allow_private_targets:
            return super().get_adapter(url)  # type: ignore[return-value]
        parts = urlsplit(url)
        if parts.scheme.lower() != "https":
            raise _refuse(parts.hostname or "(none)", "must be an https:// URL (plain http only with "
                                                      "network.allow_private_targets, for development)")
        return self._pinned

    def close(self) -> None:
        super().close()
        self._pinned.close()


def guarded_session(policy: OutboundPolicy | None = None) -> requests.Session:
    return GuardedSession(policy)


def require_local_files(what: str = "local feed files") -> None:
    """Refuse reading local paths (file:// sources) unless the operator allowed it."""
    if not (_policy.allow_local_files or _policy.allow_private_targets):
        raise OutboundRefused(f"{what} are disabled: set suppliers.allow_local_files "
                              "(CONNECTOR_ALLOW_LOCAL_FILES) to read feeds from this machine's files")
