"""bench/allocate.py runs end to end with tiny numbers, so the benchmark cannot rot."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def test_the_allocation_bench_runs_and_reports_both_targets(capsys) -> None:
    path = Path(__file__).resolve().parents[2] / "bench" / "allocate.py"
    spec = importlib.util.spec_from_file_location("bench_allocate", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--backorders", "600", "--skus", "10"]) == 0
    out = capsys.readouterr().out
    assert "600 open backorders across 10 SKUs" in out
    assert "target: allocation <= 3x the bare read:" in out
    assert "grow with SKUs, not backorders" in out and "): met" in out  # statements equal for 600 and 60
    assert "CPU seconds, this process + database server: bare read" in out
