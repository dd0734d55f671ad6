"""bench/open_backorders.py runs end to end with tiny numbers on SQLite, so the benchmark cannot rot."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def test_the_open_backorders_bench_times_a_quiet_refresh_and_evaluation_beside_a_bare_read(capsys) -> None:
    bench_dir = Path(__file__).resolve().parents[2] / "bench"
    sys.path.insert(0, str(bench_dir))  # the bench imports bench/kpis.py as a sibling
    try:
        spec = importlib.util.spec_from_file_location("bench_open_backorders", bench_dir / "open_backorders.py")
        assert spec is not None and spec.loader is not None
        bench = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(bench)
        assert bench.main(["--waiting", "60", "--skus", "7", "--runs", "2", "--backend", "sqlite"]) == 0
    finally:
        sys.path.remove(str(bench_dir))
    out = capsys.readouterr().out
    assert "sqlite: 60 open backorders across 7 SKUs" in out
    assert "first pass: 60 backorders dated, 60 messages reserved (60 capture_notice)" in out
    for name in ("bare read: the shop's open backorders as plain rows", "dates refresh, nothing new",
                 "message decisions, nothing new"):
        line = next(text for text in out.splitlines() if text.startswith(name))
        assert "a waiting backorder" in line and line.endswith("60 rows)")
