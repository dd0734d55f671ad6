"""bench/reorder.py runs end to end with tiny numbers, so the benchmark cannot rot."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def test_the_reorder_bench_runs_and_reports_its_target_beside_the_bare_read(capsys) -> None:
    path = Path(__file__).resolve().parents[2] / "bench" / "reorder.py"
    spec = importlib.util.spec_from_file_location("bench_reorder", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--skus", "60", "--days", "90", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "reorder advice, sqlite: 60 SKUs, 90 days" in out
    assert "bare read of the same rows: best" in out
    assert "60 SKUs advised" in out and "too_little_history" in out and "slow_mover" in out
    assert "target: advice for every SKU in under 10 s" in out and out.rstrip().endswith(": met")
