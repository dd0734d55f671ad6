"""bench/app_pages.py runs end to end with tiny numbers on SQLite, so the benchmark cannot rot."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def test_the_app_pages_bench_times_every_page_beside_a_bare_baseline(capsys) -> None:
    path = Path(__file__).resolve().parents[2] / "bench" / "app_pages.py"
    spec = importlib.util.spec_from_file_location("bench_app_pages", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--backorders", "120", "--closed", "10", "--skus", "7", "--requests", "2", "--warmup", "1",
                       "--backend", "sqlite", "--reorder-skus", "150", "--reorder-days", "60"]) == 0
    out = capsys.readouterr().out
    assert "120 waiting + 10 closed backorders" in out
    assert "bare Flask, static page of the same size" in out
    assert "reorder advice for 150 SKUs (60 days of sales) computed and stored in" in out
    for label in ("backorders: default (waiting, oldest first)", "backorders: last page", "order timeline",
                  "page /app ", "reorder: default (most urgent first)", "reorder: last page"):
        line = next(text for text in out.splitlines() if text.startswith(label))
        assert " 200 " in line and (line.endswith("met") or line.endswith("MISSED"))
    assert "CSV export of the waiting view (120 rows" in out
    assert "every page under 200 ms (p95):" in out
