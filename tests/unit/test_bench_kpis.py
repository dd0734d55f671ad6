"""bench/kpis.py runs end to end with tiny numbers on SQLite, so the benchmark cannot rot."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def test_the_kpi_bench_times_every_kpi_beside_a_bare_read(capsys) -> None:
    path = Path(__file__).resolve().parents[2] / "bench" / "kpis.py"
    spec = importlib.util.spec_from_file_location("bench_kpis", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--closed", "200", "--waiting", "30", "--skus", "7", "--runs", "2", "--backend", "sqlite"]) == 0
    out = capsys.readouterr().out
    assert "200 closed + 30 waiting backorders across 7 SKUs" in out
    assert "KPIs saw 30 waiting, 200 closed (170 filled" in out  # the second shop's rows are not counted
    assert "bare read: the shop backorders as plain rows" in out and "(230 rows)" in out
    line = next(text for text in out.splitlines() if text.startswith("every KPI over the year"))
    assert line.endswith("met") or line.endswith("MISSED")
