"""Shared test set-up: third-party fixtures from ../shared, real services, the Shopify schema.

Fixtures from ``../shared/fixtures`` are read in place, never copied into the project. Where that
folder is absent the tests that need it skip with the reason; with CI=true they fail instead.
The same rule holds for PostgreSQL and Redis.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_FIXTURES = Path(os.environ.get("CONNECTOR_SHARED_FIXTURES", ROOT.parent / "shared" / "fixtures"))
IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

# Development mode (network.allow_private_targets) for every test and every `connector` process a test starts
# without its own environment: the simulators listen on loopback, over plain http. Tests of the outbound guard
# turn it off for themselves (tests/support/outbound_support.py).
os.environ.setdefault("CONNECTOR_ALLOW_PRIVATE_TARGETS", "true")


@pytest.fixture(autouse=True)
def development_outbound_policy():  # type: ignore[no-untyped-def]
    """Each test starts with the development policy, whatever a container built before it set."""
    from adapters import outbound

    outbound.configure(outbound.OutboundPolicy(allow_private_targets=True))
    yield


@pytest.fixture(autouse=True, scope="session")
def shop_settings_in_use():  # type: ignore[no-untyped-def]
    """The per-shop settings registry in use, as bootstrap puts it, for tests that build a unit of work
    without a container (connector/settings_registry.py)."""
    from connector import shop_settings
    from connector.settings_registry import registry

    shop_settings.use(registry())
    yield


def unavailable(reason: str) -> None:
    """Skip outside CI, fail in CI: a missing dependency must not turn CI green."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def shared_fixture(relative: str) -> Path:
    path = SHARED_FIXTURES / relative
    if not path.exists():
        unavailable(f"third-party fixture {relative} not found under {SHARED_FIXTURES}")
    return path


def load_json_fixture(relative: str) -> Any:
    return json.loads(shared_fixture(relative).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def shopify_schema_sdl() -> str:
    """Shopify's real Admin GraphQL schema (SDL), read once per session."""
    return shared_fixture("schemas/shopify_admin_2026-04.graphql").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def shopify_schema(shopify_schema_sdl: str):  # type: ignore[no-untyped-def]
    from graphql import build_schema

    return build_schema(shopify_schema_sdl, assume_valid=True)


def _postgres_reachable_or_unavailable() -> str:
    """A fresh, empty database on the real PostgreSQL server; skip (fail in CI) when it is down."""
    import uuid

    import psycopg

    admin = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    name = f"connector_test_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        unavailable(f"PostgreSQL not reachable at {admin}: {exc}")
    base, _, _ = admin.rpartition("/")
    return f"{base}/{name}"


def _drop_postgres(url: str) -> None:
    import psycopg

    admin = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    name = url.rpartition("/")[2]
    with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url():  # type: ignore[no-untyped-def]
    url = _postgres_reachable_or_unavailable()
    yield url
    _drop_postgres(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):  # type: ignore[no-untyped-def]
    """Each storage test runs on SQLite and on the real PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/connector.db"
        return
    url = _postgres_reachable_or_unavailable()
    yield url
    _drop_postgres(url)
