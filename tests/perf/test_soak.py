"""Issue 9, "prove it": the 60 s soak (``benchmarks/soak.py``) against ``jobmatch serve
--workers 2`` on 127.0.0.1: mixed traffic, 0 failed requests, every acknowledged write found in
the database afterwards. ``make soak`` runs the 10-minute version."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_a_minute_of_mixed_traffic_fails_no_request_and_loses_no_write(tmp_path: Path) -> None:
    report = tmp_path / "soak.json"
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "soak.py"),
            "--home",
            str(tmp_path / "home"),
            "--seconds",
            "60",
            "--candidates",
            "200",
            "--jobs",
            "60",
            "--port",
            "8793",
            "--out",
            str(report),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert report.is_file(), run.stderr[-3000:]
    found = json.loads(report.read_text())
    assert found["failed_requests"] == 0, found["failures"]
    assert found["missing_writes"] == [], found["missing_writes"]
    assert found["server_alive_at_end"]
    assert found["acknowledged_writes"] > 0 and found["requests"] > 0
    assert run.returncode == 0
