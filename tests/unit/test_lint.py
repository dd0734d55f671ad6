"""The house lint and type checks (ruff with pyproject.toml's rules, mypy on the shipped packages) as tests, so
that CI, which runs the README's test command, fails on a lint or type error as it does on a failing test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=900)


def test_ruff_finds_nothing() -> None:
    done = _run("ruff", "check", "--no-cache", ".")
    assert done.returncode == 0, f"ruff check found problems:\n{done.stdout}{done.stderr}"


@pytest.mark.slow
def test_mypy_finds_nothing() -> None:
    done = _run("mypy")  # the packages pyproject.toml's [tool.mypy] names
    assert done.returncode == 0, f"mypy found problems:\n{done.stdout}{done.stderr}"
