"""Two API workers over one store (two apps, each with its own matcher, as two uvicorn
workers have): a write through one is seen by the next request on the other, without either
rebuilding its matcher; a bulk import is rebuilt in the background while the previous
matcher serves. Real m3e model, real database, HTTP through the apps' lifespans."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from matching.domain import Candidate
from matching.interchange import import_directory
from matching.settings import Settings
from matching.store import Store
from serving.app import create_app
from serving.auth import Role, create_account
from serving.runtime import Resources, Runtime
from tests.world import CANDIDATES, write_world

pytestmark = pytest.mark.slow


@dataclass
class Worker:
    client: TestClient

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.client.app.state.runtime  # type: ignore[attr-defined]
        return runtime


@dataclass
class Pair:
    one: Worker
    two: Worker
    tokens: dict[str, str]
    settings: Settings

    def call(self, worker: Worker, method: str, url: str, who: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}", **kwargs.pop("headers", {})}
        return worker.client.request(method, url, headers=headers, **kwargs)


@pytest.fixture
def pair(settings: Settings, resources: Resources, tmp_path: Path) -> Iterator[Pair]:
    settings = settings.model_copy(update={"incremental_limit": 5})
    store = Store.open(settings)
    assert import_directory(store, write_world(tmp_path / "world")).ok
    tokens = {
        "counselor": create_account(store, name="c", role=Role.COUNSELOR, region="43")[1],
        "employer2": create_account(store, name="e", role=Role.EMPLOYER, employer="e2")[1],
    }
    store.close()
    apps = [create_app(settings, resources=lambda _s, _st: resources) for _ in range(2)]
    with (
        TestClient(apps[0], raise_server_exceptions=False) as one,
        TestClient(apps[1], raise_server_exceptions=False) as two,
    ):
        yield Pair(Worker(one), Worker(two), tokens, settings)


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()["results"]]


def test_a_write_on_one_worker_is_seen_by_the_next_request_on_the_other(pair: Pair) -> None:
    one, two = pair.one, pair.two
    assert "j2" in ids(pair.call(two, "GET", "/v1/candidates/c2/recommendations", "counselor"))
    # A new person registered on worker one is recommendable on worker two at once.
    person = {**CANDIDATES[1], "id": "c-new", "name": "王五", "registered_at": "2025-06-01"}
    assert pair.call(one, "POST", "/v1/candidates", "counselor", json=person).status_code == 201
    assert ids(pair.call(two, "GET", "/v1/candidates/c-new/recommendations", "counselor")) == ["j2"]
    assert "c-new" in ids(pair.call(two, "GET", "/v1/jobs/j2/recommendations", "counselor"))
    # An edit that makes the job infeasible (a need it does not offer) takes it away there.
    edit = {"needs": ["captioning", "wheelchair_access"]}
    assert (
        pair.call(one, "PATCH", "/v1/candidates/c-new", "counselor", json=edit).status_code == 200
    )
    assert ids(pair.call(two, "GET", "/v1/candidates/c-new/recommendations", "counselor")) == []
    # A deactivated person leaves the other worker's people-for-a-job.
    assert "c2" in ids(pair.call(two, "GET", "/v1/jobs/j2/recommendations", "counselor"))
    assert pair.call(one, "POST", "/v1/candidates/c2/deactivate", "counselor").status_code == 200
    assert "c2" not in ids(pair.call(two, "GET", "/v1/jobs/j2/recommendations", "counselor"))
    # A job posted on worker two is proposed by worker one at once, and gone once closed.
    job = {
        "id": "j9",
        "employer_id": "e2",
        "title": "推拿师",
        "skills": ["推拿"],
        "region_code": "430104",
        "work_mode": "massage",
        "accommodations": ["screen_reader"],
        "posted_at": "2025-06-01",
    }
    assert pair.call(two, "POST", "/v1/jobs", "employer2", json=job).status_code == 201
    assert "j9" in ids(pair.call(one, "GET", "/v1/candidates/c1/recommendations", "counselor"))
    assert pair.call(two, "POST", "/v1/jobs/j9/close", "employer2").status_code == 200
    assert "j9" not in ids(pair.call(one, "GET", "/v1/candidates/c1/recommendations", "counselor"))
    # All of it without rebuilding either matcher.
    assert one.runtime.builds == 1 and two.runtime.builds == 1
    assert one.runtime.last_error is None and two.runtime.last_error is None


def test_a_referral_outcome_counts_in_the_other_workers_history_at_once(pair: Pair) -> None:
    one, two = pair.one, pair.two
    c2 = np.array([two.runtime.matcher.catalog.candidates.index["c2"]])
    tomorrow = np.array([dt.date.today().toordinal() + 1])
    before = two.runtime.matcher.history.person_interviewed.count_before(c2, tomorrow)[0]
    made = pair.call(one, "PATCH", "/v1/referrals/r2", "counselor", json={"outcome": "interviewed"})
    assert made.status_code == 200, made.text
    pair.call(two, "GET", "/v1/candidates/c2/recommendations", "counselor")
    history = two.runtime.matcher.history
    assert history.person_interviewed.count_before(c2, tomorrow)[0] == before + 1
    assert two.runtime.builds == 1


def test_a_bulk_import_is_rebuilt_in_the_background_while_the_old_matcher_serves(
    pair: Pair, tmp_path: Path
) -> None:
    two = pair.two
    people = [
        {**CANDIDATES[1], "id": f"c-bulk-{n}", "name": f"批量{n}", "registered_at": "2025-06-01"}
        for n in range(8)
    ]
    for person in people:
        Candidate.model_validate(person)
    store = Store.open(pair.settings)
    try:
        assert import_directory(store, write_world(tmp_path / "bulk", {"candidates": people})).ok
    finally:
        store.close()
    # 8 changes > the limit of 5: the request is answered by the matcher in service.
    started = time.perf_counter()
    assert (
        pair.call(two, "GET", "/v1/candidates/c2/recommendations", "counselor").status_code == 200
    )
    assert time.perf_counter() - started < 5
    assert two.runtime.wait_for_rebuild(120)
    assert two.runtime.builds == 2 and two.runtime.last_error is None
    assert ids(pair.call(two, "GET", "/v1/candidates/c-bulk-3/recommendations", "counselor"))
