"""The outbound guard's address classifier and its pre-flight checks (adapters/outbound.py)."""

from __future__ import annotations

import socket

import pytest

from adapters import outbound
from adapters.outbound import OutboundPolicy, OutboundRefused, check_host, check_url, refusal_reason

STRICT = OutboundPolicy()
DEVELOPMENT = OutboundPolicy(allow_private_targets=True)


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("::1", "loopback"),
    ("10.0.0.7", "private"),
    ("172.16.5.4", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "cloud metadata"),
    ("fd00:ec2::254", "cloud metadata"),
    ("169.254.10.10", "link-local"),
    ("fe80::1", "link-local"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("fc00::1", "unique-local"),
    ("fd12:3456::1", "unique-local"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("224.0.0.251", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
    ("::ffff:10.1.2.3", "IPv4-mapped private"),
    ("::ffff:169.254.169.254", "IPv4-mapped cloud metadata"),
    ("::ffff:100.64.0.1", "IPv4-mapped carrier-grade NAT"),
    ("::127.0.0.1", "reserved"),
    ("64:ff9b::7f00:1", "reserved"),
    ("2002:7f00:1::1", "reserved"),
    ("192.0.2.10", "private"),
    ("198.18.0.1", "private"),
])
def test_every_non_public_range_is_refused_with_its_name(address, reason):
    assert refusal_reason(address) == reason


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "23.227.38.65", "2606:4700:4700::1111",
                                     "::ffff:8.8.8.8"])
def test_public_addresses_pass(address):
    assert refusal_reason(address) is None


def fixed(*addresses: str):  # type: ignore[no-untyped-def]
    return lambda host, port: list(addresses)


def test_a_host_passes_only_when_every_address_it_resolves_to_is_public():
    assert check_host("shop.example", 443, policy=STRICT, resolver=fixed("93.184.216.34")) == "93.184.216.34"
    with pytest.raises(OutboundRefused, match="loopback"):
        check_host("shop.example", 443, policy=STRICT, resolver=fixed("93.184.216.34", "127.0.0.1"))


def test_the_real_resolver_is_used_by_default_and_localhost_is_refused():
    with pytest.raises(OutboundRefused, match="localhost: resolves to a loopback address"):
        check_host("localhost", 22, policy=STRICT)


def test_check_url_wants_https_outside_development():
    with pytest.raises(OutboundRefused, match="https"):
        check_url("http://shop.example/", policy=STRICT, resolver=fixed("93.184.216.34"))
    with pytest.raises(OutboundRefused, match="https"):
        check_url("ftp://shop.example/", policy=STRICT, resolver=fixed("93.184.216.34"))
    check_url("https://shop.example/", policy=STRICT, resolver=fixed("93.184.216.34"))


@pytest.mark.parametrize("url", ["https://127.0.0.1/", "https://[::1]:8443/", "https://169.254.169.254/latest",
                                 "https://[::ffff:127.0.0.1]/", "https://0.0.0.0:9/", "https://10.0.0.1/"])
def test_check_url_refuses_address_literals_that_are_not_public(url):
    with pytest.raises(OutboundRefused, match="only public addresses"):
        check_url(url, policy=STRICT)


def test_a_name_that_does_not_resolve_is_refused_by_the_pre_flight_check():
    def nowhere(host: str, port: int) -> list[str]:
        raise socket.gaierror("no such name")

    with pytest.raises(OutboundRefused, match="does not resolve"):
        check_url("https://nowhere.example/", policy=STRICT, resolver=nowhere)


def test_development_allows_loopback_and_plain_http():
    check_url("http://127.0.0.1:8702/wp-json", policy=DEVELOPMENT)
    assert check_host("localhost", 22, policy=DEVELOPMENT) == "localhost"


def test_local_files_need_the_operator_setting_or_development(guard_on_unit):
    with pytest.raises(OutboundRefused, match="suppliers.allow_local_files"):
        outbound.require_local_files()
    outbound.configure(OutboundPolicy(allow_local_files=True))
    outbound.require_local_files()
    outbound.configure(DEVELOPMENT)
    outbound.require_local_files()


@pytest.fixture
def guard_on_unit():  # type: ignore[no-untyped-def]
    previous = outbound.configure(STRICT)
    yield
    outbound.configure(previous)
