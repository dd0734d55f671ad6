"""bench/burst.py's per-order figures and their verdicts against issue 17's targets (the bench itself
needs gunicorn, Redis and PostgreSQL: it is run by hand, bench/README.md)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any


def _bench() -> Any:
    path = Path(__file__).resolve().parents[2] / "bench" / "burst.py"
    spec = importlib.util.spec_from_file_location("bench_burst", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench


def test_cpu_per_order_is_met_at_the_targets_and_missed_above_them() -> None:
    bench = _bench()
    met = bench.per_order({"rq-workers": 16.0, "postgres": 10.0, "web": 99.0}, 2000)
    assert "RQ workers 8.0 ms (target <= 8 ms: met; before 32-38 ms)" in met
    assert "PostgreSQL 5.0 ms (target <= 5 ms: met; before 8.7 ms)" in met
    missed = bench.per_order({"rq-workers": 30.0, "postgres": 7.4}, 1000)
    assert "RQ workers 30.0 ms (target <= 8 ms: MISSED" in missed
    assert "PostgreSQL 7.4 ms (target <= 5 ms: MISSED" in missed


def test_no_order_processed_gives_no_figure() -> None:
    assert _bench().per_order({"rq-workers": 1.0, "postgres": 1.0}, 0) == "no order processed"
