"""psycopg keeps its parse of the long multi-row INSERTs a batch of orders sends (connector/db/engine.py
``cache_long_statements``): the second batch of the same size is converted from psycopg's cache, not parsed
again. Fails when a psycopg upgrade drops the constants the engine raises, so the lost speed is seen. Real
PostgreSQL."""

from __future__ import annotations

from psycopg import _queries
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from connector.db.engine import STATEMENT_CACHE_LENGTH, STATEMENT_CACHE_PARAMS, make_engine


def test_a_batch_insert_of_the_same_size_is_converted_from_psycopgs_cache(postgres_url) -> None:
    engine = make_engine(postgres_url)
    assert _queries.MAX_CACHED_STATEMENT_LENGTH >= STATEMENT_CACHE_LENGTH
    assert _queries.MAX_CACHED_STATEMENT_PARAMS >= STATEMENT_CACHE_PARAMS
    table = Table("cache_probe", MetaData(), Column("id", Integer, primary_key=True),
                  *[Column(f"column_{n}", String(20)) for n in range(15)])
    rows = [{f"column_{n}": f"row {r} column {n}" for n in range(15)} for r in range(50)]
    try:
        with engine.begin() as connection:
            table.create(connection)
            first = connection.execute(insert(table).returning(table.c.id), rows).all()  # 750 parameters
            hits = _queries._query2pg.cache_info().hits
            second = connection.execute(insert(table).returning(table.c.id), rows).all()
            assert _queries._query2pg.cache_info().hits > hits  # the same text: psycopg's cached parse
        assert len(first) == len(second) == 50 and set(first).isdisjoint(second)
    finally:
        engine.dispose()
