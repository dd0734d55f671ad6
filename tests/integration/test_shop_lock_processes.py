"""connector/db/uow.ShopLocks under real multi-process load on PostgreSQL: one holder per shop at a time.

Each process repeatedly takes the shop lock and does a read-sleep-write increment on a counter
row; without mutual exclusion across processes updates get lost and the total comes out short.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import psycopg

PROCESSES, ROUNDS = 4, 25

SCRIPT = textwrap.dedent("""
    import sys, threading, time
    from sqlalchemy import text
    from connector.db.engine import make_engine
    from connector.db.uow import ShopLocks

    engine, locks = make_engine(sys.argv[1]), ShopLocks()

    def work():
        for _ in range(int(sys.argv[2])):
            with locks.hold(engine, 77):
                with engine.begin() as c:
                    n = c.execute(text("SELECT n FROM lock_probe WHERE id = 1")).scalar_one()
                time.sleep(0.003)
                with engine.begin() as c:
                    c.execute(text("UPDATE lock_probe SET n = :n WHERE id = 1"), {"n": n + 1})

    threads = [threading.Thread(target=work) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
""")


def test_the_shop_lock_keeps_other_processes_and_threads_out_so_no_update_is_lost(postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE lock_probe (id int PRIMARY KEY, n int NOT NULL)")
        conn.execute("INSERT INTO lock_probe VALUES (1, 0)")
    processes = [subprocess.Popen([sys.executable, "-c", SCRIPT, postgres_url, str(ROUNDS)])
                 for _ in range(PROCESSES)]
    assert [p.wait(timeout=120) for p in processes] == [0] * PROCESSES
    with psycopg.connect(postgres_url) as conn:
        total = conn.execute("SELECT n FROM lock_probe WHERE id = 1").fetchone()
        locks_left = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").fetchone()
    assert total == (PROCESSES * 2 * ROUNDS,)
    assert locks_left == (0,)
