"""``kill -9`` in the middle of ``jobmatch retrain`` leaves the previous champion serving.

A real ``jobmatch retrain`` process runs on a small synthetic world whose first champion was
promoted by an earlier run; it is given a configuration with many trees (so that it is still
working when we strike) and is killed with SIGKILL either while it trains or right after it
registered its challenger (while it rebuilds the indexes and, had it won, promotes).
Afterwards the alias still names the old champion, the bundle in service
is that champion's and loads, a matcher answers with it, and the next retrain (lock free) runs
to completion.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from matching.embedding import Embedder
from matching.engine import open_matcher
from matching.occupations import OccupationVocabulary
from matching.ranker import Ranker
from matching.settings import Settings
from matching.store import Store
from tests.synthetic_home import synthetic_home
from training.config import shipped_config
from training.retrain import LOCK_FILE, exclusive_lock, retrain
from training.tracking import EXPERIMENT, Tracker

JOBMATCH = Path(sys.executable).with_name("jobmatch")
FAST = {"n_estimators": 40, "min_child_samples": 5}
# Still training when we strike: the shipped small trees fit 400 rounds of this world in
# about a second on a quiet machine, so the run ended before the kill and took its scratch
# folder with it.
SLOW = {"n_estimators": 5000, "min_child_samples": 5}
# Struck after registration, the run need not still be fitting: 5000 rounds a direction only
# pushed registration past the deadline on a busy machine (load 12-20), 400 did not.
REGISTERED = {"n_estimators": 400, "min_child_samples": 5}
DEADLINE_S = 300.0


@dataclass
class World:
    home: Path
    embedder: Embedder
    occupations: OccupationVocabulary
    champion_version: str
    champion_ranker: str
    today: dt.date


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A home with a small world, embedded once, and a champion promoted by a first run.

    The world is dated today: ``jobmatch retrain`` has no ``--now`` and uses today's date.
    """
    today = dt.date.today()
    made = synthetic_home(tmp_path_factory.mktemp("retrain-kill"), today=today)
    settings, embedder, occupations = made.settings, made.embedder, made.occupations
    # Too few validation queries for the exposure-parity gate (tested in test_promotion.py).
    config = shipped_config().with_changes(
        {"lightgbm": FAST, "promotion": {"parity_min": 0.0, "parity_max": float("inf")}}
    )
    first = retrain(settings, config, now=today, embedder=embedder, occupations=occupations)
    assert first.promoted
    yield World(
        settings.home, embedder, occupations, first.model_version, first.ranker_version, today
    )


def write_config(path: Path, sections: dict[str, dict[str, float]]) -> Path:
    """A user configuration replacing some settings (the rest stays as shipped)."""
    lines = []
    for section, values in sections.items():
        lines += [f"[{section}]"] + [f"{key} = {value!r}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert tomllib.loads(path.read_text(encoding="utf-8")) == sections
    return path


def start_retrain(home: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "JOBMATCH_HOME": str(home)}
    return subprocess.Popen(
        [str(JOBMATCH), "retrain", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def lock_held_by(home: Path, pid: int) -> bool:
    lock = home / LOCK_FILE
    return lock.is_file() and lock.read_text(encoding="utf-8").strip() == str(pid)


def model_versions(home: Path) -> int:
    """Registered versions in the home's MLflow store (read-only, never blocks the job)."""
    try:
        with sqlite3.connect(f"file:{home / 'mlflow.db'}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT count(*) FROM model_versions").fetchone()[0])
    except sqlite3.Error:
        return 0


def wait_for(process: subprocess.Popen[str], ready: Callable[[], bool]) -> None:
    """Poll until ``ready()``; fail if the process ends first (it was meant to be killed)."""
    start = time.monotonic()
    while not ready():
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"retrain ended (exit {process.returncode}) before the kill:\n{output}")
        if time.monotonic() - start > DEADLINE_S:
            process.kill()
            pytest.fail("retrain never reached the point where it should be killed")
        time.sleep(0.02)


def runs_with_status(tracker: Tracker, status: str) -> list[str]:
    experiment = tracker.client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    runs = tracker.client.search_runs(
        [experiment.experiment_id], filter_string=f"attributes.status = '{status}'"
    )
    return sorted(run.info.run_id for run in runs)


@pytest.mark.slow
@pytest.mark.parametrize("moment", ["training", "after-registration"])
def test_kill_9_mid_retrain_leaves_the_champion_serving(
    world: World, tmp_path: Path, moment: str
) -> None:
    home = tmp_path / "home"
    shutil.copytree(world.home, home)
    settings = Settings(home=home)
    if moment == "training":
        slow = write_config(tmp_path / "slow.toml", {"lightgbm": SLOW})
        process = start_retrain(home, "--config", str(slow))
        wait_for(process, lambda: lock_held_by(home, process.pid) and any(home.glob(".retrain-*")))
        time.sleep(1.5)  # into the dataset / LightGBM fit
    else:
        # The kill lands after registration, while the job rebuilds the indexes (and would
        # put a winner's bundle in service), before any alias moves.
        several = write_config(tmp_path / "registered.toml", {"lightgbm": REGISTERED})
        process = start_retrain(home, "--config", str(several), "--margin=-1", "--tolerance=1")
        registered = model_versions(home)
        wait_for(process, lambda: model_versions(home) > registered)
    assert process.poll() is None, "retrain finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    if process.stdout:
        process.stdout.close()

    # The alias still names the previous champion, and its bundle loads by alias.
    tracker = Tracker(settings)
    left_running = runs_with_status(tracker, "RUNNING")
    if moment == "after-registration":
        assert len(left_running) == 1  # the killed run: nothing could end it
    assert list(home.glob(".retrain-*")), "the killed run's scratch folder"
    champion = tracker.load_champion(tmp_path / "download")
    assert champion is not None and champion.version == world.champion_version
    assert champion.ranker.version == world.champion_ranker

    # The bundle in service is that champion's, and a matcher answers with it.
    in_service = Ranker.load(settings.ranker_dir)
    assert in_service.version == world.champion_ranker
    assert in_service.features == champion.ranker.features
    store = Store.open(settings)
    try:
        matcher = open_matcher(
            store, settings, world.embedder, in_service, world.occupations, on=world.today
        )
    finally:
        store.close()
    answered = []
    for candidate in matcher.catalog.candidates.ids[:50]:
        answered = matcher.jobs_for_candidate(candidate, 5, on=world.today)
        if answered:
            break
    assert answered, "no candidate got a recommendation from the champion"
    assert all(m.model == in_service.name and m.reasons for m in answered)

    # The kernel released the flock with the process: the next run takes it and completes.
    with exclusive_lock(home / LOCK_FILE):
        pass
    # The file's validation weeks give way to the command line's; its trees stay.
    fast = write_config(tmp_path / "fast.toml", {"lightgbm": FAST, "validation": {"weeks": 1}})
    following = subprocess.run(
        [str(JOBMATCH), "retrain", "--config", str(fast), "--validation-weeks", "4"],
        env={**os.environ, "JOBMATCH_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        check=False,
    )
    assert following.returncode == 0, following.stdout + following.stderr
    assert "validation NDCG@10" in following.stdout
    newest = tracker.client.search_runs(
        [tracker.experiment_id()], order_by=["attributes.start_time DESC"], max_results=1
    )[0]
    assert newest.data.params["validation.weeks"] == "4"
    assert newest.data.params["lightgbm.n_estimators"] == str(FAST["n_estimators"])
    after = Tracker(settings).champion_version()
    assert after is not None
    # The next run tidied up after the killed one: its MLflow run is KILLED, not RUNNING
    # forever, and its scratch folder is gone.
    assert runs_with_status(tracker, "RUNNING") == []
    assert runs_with_status(tracker, "KILLED") == left_running
    assert not list(home.glob(".retrain-*"))
    assert Ranker.load(settings.ranker_dir).version == (
        Tracker(settings).load_champion(tmp_path / "after").ranker.version  # type: ignore[union-attr]
    )
