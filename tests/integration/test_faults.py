"""Issue 9, "prove it": faults as tests. A locked SQLite file and a stopped PostgreSQL server
(item 16: 503 with Retry-After, reported in /readyz, recovered when it returns), kill -9 during
``jobmatch import`` (nothing half-stored), and a referral replayed with the same
Idempotency-Key, concurrently.

The PostgreSQL test never touches the shared server: it makes its own throwaway cluster
(``pg_createcluster``, port 5439), starts it for the test and stops it afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import create_engine, text

from matching.index import VectorIndex
from matching.settings import Settings
from matching.store import Store
from serving.runtime import Resources
from tests.api_client import Api, error_of, serve_world

pytestmark = pytest.mark.slow

#: Reading a person's record needs a stated purpose.
PURPOSE = {"purpose": "回访"}

ROOT = Path(__file__).resolve().parents[2]


def _unavailable(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    assert error_of(response)["code"] == "database_unavailable"


def _ready(api: Api) -> bool:
    return api.call("GET", "/readyz", None).status_code == 200


# -- a locked SQLite file ----------------------------------------------------------------------


@pytest.fixture
def sqlite_api(tmp_path: Path, resources: Resources) -> Iterator[Api]:  # noqa: F811
    settings = Settings(
        home=tmp_path / "home",
        database_url=f"sqlite:///{tmp_path / 'locked.db'}",
        database_timeout=1,
    )
    yield from serve_world(settings, resources, tmp_path)


def test_a_locked_sqlite_database_is_503_with_retry_after_then_recovers(
    sqlite_api: Api, tmp_path: Path
) -> None:
    api = sqlite_api
    assert _ready(api)
    holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        _unavailable(api.call("PATCH", "/v1/candidates/c1", "counselor", json={"school": "甲"}))
        assert time.monotonic() - started < 10
        ready = api.call("GET", "/readyz", None)
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] is False
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _ready(api)
    changed = api.call("PATCH", "/v1/candidates/c1", "counselor", json={"school": "乙"})
    assert changed.status_code == 200, changed.text
    assert (
        api.call("GET", "/v1/candidates/c1", "counselor", params=PURPOSE).json()["school"] == "乙"
    )


# -- a stopped PostgreSQL server ---------------------------------------------------------------

FAULT_CLUSTER = "jobmatch_faults"
FAULT_PORT = 5439


def _pg_version() -> str | None:
    root = Path("/usr/lib/postgresql")
    versions = sorted((p.name for p in root.iterdir()), key=int) if root.is_dir() else []
    return versions[-1] if versions else None


def _pg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[tuple[str, str]]:
    """A PostgreSQL cluster of this test alone (created once, started here, stopped after)."""
    version = _pg_version()
    if shutil.which("pg_createcluster") is None or shutil.which("pg_ctlcluster") is None:
        pytest.skip("pg_createcluster/pg_ctlcluster absent: no throwaway PostgreSQL cluster")
    if version is None:
        pytest.skip("no PostgreSQL server installed under /usr/lib/postgresql")
    listed = _pg("pg_lsclusters", "-h")
    if not any(line.split()[:2] == [version, FAULT_CLUSTER] for line in listed.stdout.splitlines()):
        made = _pg(
            "pg_createcluster",
            "--port",
            str(FAULT_PORT),
            version,
            FAULT_CLUSTER,
            "--",
            "--auth-host=trust",
            "--auth-local=trust",
        )
        if made.returncode != 0:
            pytest.skip(f"cannot create a throwaway cluster: {made.stderr.strip()[:200]}")
    started = _pg("pg_ctlcluster", version, FAULT_CLUSTER, "start")
    if started.returncode != 0 and "already running" not in started.stderr:
        pytest.skip(f"cannot start the throwaway cluster: {started.stderr.strip()[:200]}")
    url = f"postgresql+psycopg://postgres@127.0.0.1:{FAULT_PORT}/postgres"
    try:
        yield version, url
    finally:
        _pg("pg_ctlcluster", version, FAULT_CLUSTER, "stop", "-m", "fast")


def _wait_until(check: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return False


def test_a_stopped_postgresql_is_503_with_retry_after_then_recovers(
    own_postgres: tuple[str, str],
    tmp_path: Path,
    resources: Resources,  # noqa: F811
) -> None:
    version, url = own_postgres
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    settings = Settings(
        home=tmp_path / "home",
        database_url=f"{url}?options=-csearch_path%3D{schema}",
        database_timeout=2,
    )
    for api in serve_world(settings, resources, tmp_path):
        assert _ready(api)
        assert api.call("GET", "/v1/candidates/c1", "counselor", params=PURPOSE).status_code == 200
        stopped = _pg("pg_ctlcluster", version, FAULT_CLUSTER, "stop", "-m", "fast")
        assert stopped.returncode == 0, stopped.stderr
        try:
            started = time.monotonic()
            _unavailable(api.call("GET", "/v1/candidates/c1", "counselor", params=PURPOSE))
            _unavailable(api.call("PATCH", "/v1/candidates/c1", "counselor", json={"school": "甲"}))
            _unavailable(api.call("GET", "/v1/candidates/c1/recommendations", "counselor"))
            assert time.monotonic() - started < 30
            ready = api.call("GET", "/readyz", None)
            assert ready.status_code == 503 and ready.json()["checks"]["database"] is False
        finally:
            assert _pg("pg_ctlcluster", version, FAULT_CLUSTER, "start").returncode == 0
        # Back: the pool replaces its dead connections and every route answers again.
        assert _wait_until(lambda api=api: _ready(api), 60)
        changed = api.call("PATCH", "/v1/candidates/c1", "counselor", json={"school": "乙"})
        assert changed.status_code == 200, changed.text
        assert (
            api.call("GET", "/v1/candidates/c1", "counselor", params=PURPOSE).json()["school"]
            == "乙"
        )
        assert api.call("GET", "/v1/candidates/c1/recommendations", "counselor").status_code == 200


# -- kill -9 during jobmatch import ------------------------------------------------------------


def _counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return {
            kind: connection.execute(f"SELECT count(*) FROM {kind}").fetchone()[0]
            for kind in ("employers", "jobs", "candidates", "referrals")
        }


def _lines(directory: Path) -> dict[str, int]:
    return {
        kind: sum(1 for _ in (directory / f"{kind}.jsonl").open(encoding="utf-8"))
        for kind in ("employers", "jobs", "candidates", "referrals")
    }


def _cli(*args: str) -> list[str]:
    """The ``jobmatch`` command of this checkout, as a child process."""
    return [sys.executable, "-c", "from serving.cli import app; app()", *args]


def test_kill_9_during_import_stores_each_file_whole_or_not_at_all(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "JOBMATCH_HOME": str(tmp_path / "home"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    world = tmp_path / "world"
    made = subprocess.run(
        _cli("demo-data", str(world), "--seed", "3", "--candidates", "3000", "--jobs", "800"),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr
    expected = _lines(world)
    database = tmp_path / "home" / "jobmatch.db"
    wal = database.with_name("jobmatch.db-wal")

    # Killed while a file's transaction is being written (the write-ahead log is growing).
    importing = subprocess.Popen(
        _cli("import", str(world)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    assert _wait_until(
        lambda: importing.poll() is None and wal.exists() and wal.stat().st_size > 512 * 1024, 240
    ), "the import finished (or never wrote) before it could be killed"
    importing.send_signal(signal.SIGKILL)
    importing.wait(timeout=30)

    after_kill = _counts(database)
    for kind, count in after_kill.items():
        assert count in (0, expected[kind]), f"{kind}: {count} of {expected[kind]} stored"
    assert after_kill != expected, "killed too late to prove anything"
    # Files are stored in dependency order: nothing refers to a record that is not there.
    order = ["employers", "jobs", "candidates", "referrals"]
    stored = [after_kill[k] > 0 for k in order]
    assert stored == sorted(stored, reverse=True)

    # Importing again completes the job, with nothing doubled.
    again = subprocess.run(
        _cli("import", str(world)),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert again.returncode == 0, again.stderr
    assert _counts(database) == expected


# -- a referral replayed with the same Idempotency-Key -----------------------------------------


@pytest.fixture
def api(settings: Settings, resources: Resources, tmp_path: Path) -> Iterator[Api]:  # noqa: F811
    yield from serve_world(settings, resources, tmp_path)


def test_concurrent_replays_of_one_referral_store_it_once(api: Api) -> None:
    body = {"candidate_id": "c3", "job_id": "j2", "override_reason": "本人意愿"}
    start = threading.Barrier(6)
    answers: list[Any] = []

    def send() -> None:
        start.wait()
        answers.append(
            api.call(
                "POST",
                "/v1/referrals",
                "counselor",
                json=body,
                headers={"Idempotency-Key": "replay-key-0001"},
            )
        )

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(201) == 1 and set(statuses) <= {200, 201}, statuses
    ids = {a.json()["id"] for a in answers}
    assert len(ids) == 1
    # A retry much later (the client never saw the answer) gets the same referral back.
    late = api.call(
        "POST",
        "/v1/referrals",
        "counselor",
        json=body,
        headers={"Idempotency-Key": "replay-key-0001"},
    )
    assert late.status_code == 200 and late.json()["id"] in ids
    store = Store.open(api.settings)
    try:
        with store.session() as session:
            referrals = [
                r
                for r in store.iter_records(session, "referrals")
                if (r.candidate_id, r.job_id) == ("c3", "j2")
            ]
    finally:
        store.close()
    assert [r.id for r in referrals] == list(ids)
    assert json.dumps(late.json(), sort_keys=True) == json.dumps(
        next(a.json() for a in answers if a.status_code == 201), sort_keys=True
    )


def test_two_workers_saving_the_vector_index_at_once_leave_it_loadable(tmp_path: Path) -> None:
    """Each API worker saves the shared vector index when its catalog changed. Two saves at
    once each deleted the vectors file of the other, leaving a manifest that named no file:
    every later request of both workers was a 500 (the soak found it). Saves take turns, and a
    reader that lost the race reads the new manifest."""
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((40, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"j{n}" for n in range(40)]
    VectorIndex.build(ids, vectors, exact_below=1000).save(tmp_path)
    failures: list[BaseException] = []
    stop = threading.Event()

    def save(n: int) -> None:
        try:
            for round_ in range(60):
                keep = ids[: 20 + (n + round_) % 20]
                VectorIndex.build(keep, vectors[: len(keep)], exact_below=1000).save(tmp_path)
        except BaseException as error:  # noqa: BLE001  (reported by the test)
            failures.append(error)

    def load() -> None:
        while not stop.is_set():
            try:
                VectorIndex.load(tmp_path)
            except BaseException as error:  # noqa: BLE001
                failures.append(error)
                return

    savers = [threading.Thread(target=save, args=(n,)) for n in range(2)]
    reader = threading.Thread(target=load)
    reader.start()
    for thread in savers:
        thread.start()
    for thread in savers:
        thread.join()
    stop.set()
    reader.join()
    assert failures == []
    assert len(list(tmp_path.glob("vectors-*.faiss"))) == 1
    assert len(VectorIndex.load(tmp_path).ids) >= 20
