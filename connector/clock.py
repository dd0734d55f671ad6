"""The clock: one process per deployment runs the schedules declared in jobs/schedules.py.

Every clock started competes for one lease; the holder builds the scheduler (whatever
``jobs.schedules.build_scheduler`` declares) and enqueues; the others stand by and try again
every few seconds. Leases:

- PostgreSQL (the database in production): a session-level advisory lock on a dedicated
  autocommit connection. A dead holder's connection closes and the lock is released at once; a
  hung or cut-off holder is disconnected by the server after ``idle_session_timeout`` (the holder
  renews every few seconds, so only a holder that stopped renewing is idle that long).
- Redis (SQLite database with REDIS_URL): SET NX with an expiry, renewed by the holder.
- SQLite without Redis (one host): an exclusive file lock next to the database file.

A holder that fails to renew stops its scheduler before anything else, so two clocks act at
once for at most one renewal period, and the jobs they enqueue are idempotent anyway.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from connector.bootstrap import Container

log = logging.getLogger(__name__)

CLOCK_NAMESPACE = 0x42_43  # "BC"; shop locks use 0x424F
CLOCK_KEY = 1
RENEW_SECONDS = 5.0
LEASE_SECONDS = 30
"""A dead or cut-off holder loses the lease after at most this long (Redis expiry, PostgreSQL idle timeout)."""
STANDBY_POLL_SECONDS = 5.0


class Lease(Protocol):
    def acquire(self) -> bool: ...

    def renew(self) -> bool: ...

    def release(self) -> None: ...


class PostgresLease:
    def __init__(self, engine: Engine, lease_seconds: int = LEASE_SECONDS) -> None:
        self.engine = engine
        self.lease_seconds = lease_seconds
        self._connection: Connection | None = None

    def acquire(self) -> bool:
        try:
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError as exc:
            log.warning("clock cannot reach the database", extra={"error": type(exc).__name__})
            return False
        try:
            connection.execute(text(f"SET idle_session_timeout = '{int(self.lease_seconds)}s'"))
            connection.execute(text("SET tcp_keepalives_idle = 5"))
            connection.execute(text("SET tcp_keepalives_interval = 5"))
            connection.execute(text("SET tcp_keepalives_count = 3"))
            got = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:ns, :key)"),
                                         {"ns": CLOCK_NAMESPACE, "key": CLOCK_KEY}))
        except SQLAlchemyError:
            connection.invalidate()
            connection.close()
            return False
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    def renew(self) -> bool:
        connection = self._connection
        if connection is None:
            return False
        try:
            # still ours? (the session survives only as long as the lock does)
            held = connection.scalar(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                "AND classid = :ns AND objid = :key AND granted"), {"ns": CLOCK_NAMESPACE, "key": CLOCK_KEY})
            return bool(held)
        except SQLAlchemyError:
            self._drop(invalidate=True)
            return False

    def release(self) -> None:
        connection = self._connection
        if connection is None:
            return
        try:
            connection.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), {"ns": CLOCK_NAMESPACE, "key": CLOCK_KEY})
            self._drop(invalidate=False)
        except SQLAlchemyError:
            self._drop(invalidate=True)

    def _drop(self, *, invalidate: bool) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            if invalidate:  # never hand a connection that may still hold the lock back to the pool
                connection.invalidate()
            connection.close()


_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class RedisLease:
    KEY = "connector:clock:leader"

    def __init__(self, redis: Any, lease_seconds: int = LEASE_SECONDS) -> None:
        self.redis = redis
        self.ttl_ms = int(lease_seconds * 1000)
        self.token = uuid.uuid4().hex

    def acquire(self) -> bool:
        try:
            return bool(self.redis.set(self.KEY, self.token, nx=True, px=self.ttl_ms))
        except Exception as exc:  # noqa: BLE001 - redis down: stand by
            log.warning("clock cannot reach redis", extra={"error": type(exc).__name__})
            return False

    def renew(self) -> bool:
        try:
            return bool(self.redis.eval(_RENEW, 1, self.KEY, self.token, self.ttl_ms))
        except Exception:  # noqa: BLE001 - cannot prove we still hold it: step down
            return False

    def release(self) -> None:
        try:
            self.redis.eval(_RELEASE, 1, self.KEY, self.token)
        except Exception:  # noqa: BLE001 - it expires anyway
            pass


class FileLease:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def renew(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def lease_for(container: Container) -> Lease:
    engine = container.engine
    if engine.dialect.name == "postgresql":
        return PostgresLease(engine)
    redis = getattr(container.queue, "redis", None)
    if redis is not None:
        return RedisLease(redis)
    database = make_url(str(engine.url)).database or "connector.db"
    return FileLease(Path(database).expanduser().resolve().with_suffix(".clock.lock"))


def run_clock(container: Container, lease: Lease, stop: threading.Event, *,
              renew_seconds: float = RENEW_SECONDS, standby_seconds: float = STANDBY_POLL_SECONDS) -> None:
    """Stand by until the lease is ours, then run the schedules while it stays ours; until ``stop``."""
    from jobs.schedules import build_scheduler, enqueue_shop_jobs
    from jobs.sweep import SWEEP

    announced = False
    while not stop.is_set():
        if not lease.acquire():
            if not announced:
                log.info("clock standing by: another clock holds the lease")
                announced = True
            stop.wait(standby_seconds)
            continue
        announced = False
        log.info("clock leading: running the schedules", extra={"pid": os.getpid()})
        scheduler = build_scheduler(container)
        container.scheduler = scheduler
        try:
            scheduler.start()
            container.queue.enqueue(SWEEP)  # anything stored while no clock ran is queued again
            enqueue_shop_jobs(container)
            while not stop.wait(renew_seconds):
                if not lease.renew():
                    log.warning("clock lost its lease: stopping the schedules")
                    break
        except Exception:  # noqa: BLE001 - e.g. the queue unreachable at take-over: step down, retry
            log.exception("clock failed while leading; standing by")
        finally:
            scheduler.shutdown(wait=False)
            container.scheduler = None
            lease.release()
        if not stop.is_set():
            stop.wait(standby_seconds)
