"""The e2e stack on a module's own seed: simulators (the Shopify one on Shopify's real 2026-04 Admin
schema), the connector and its workers, on SQLite or PostgreSQL (``database_url``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sandbox.stack import LocalStack, start_stack
from tests.conftest import shared_fixture


@pytest.fixture
def seeded_stack(database_url: str) -> Iterator[Callable[..., LocalStack]]:
    """``seeded_stack(SEED, **start_stack options)`` starts one; every stack started is stopped after."""
    started: list[LocalStack] = []

    def start(seed: dict[str, Any], **options: Any) -> LocalStack:
        schema = shared_fixture("schemas/shopify_admin_2026-04.graphql")
        running = start_stack(database_url=database_url, seed=json.loads(json.dumps(seed)),  # a copy: seeds are mutated
                              shopify_schema=schema, **options)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
