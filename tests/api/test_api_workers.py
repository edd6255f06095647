"""Issue 11, "a write visible to the next request on every worker": ``jobmatch serve --workers 2``
over the small hand-written world, on loopback. After each write through one connection, fresh
connections (each accepted by whichever worker the kernel hands it to, told apart by the
``worker`` of ``/readyz``) ask for the recommendations the write changed, until both workers
have answered; every answer already reflects the write, and neither worker rebuilt its matcher.
Real m3e model (loaded by each worker), real SQLite database, real HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from matching.interchange import import_directory
from matching.settings import Settings
from matching.store import Store
from serving.auth import Role, create_account
from tests.world import CANDIDATES, write_world

pytestmark = pytest.mark.slow

WORKERS = 2
# Fresh connections tried per write before giving up on reaching every worker.
ATTEMPTS = 60


@dataclass
class Server:
    base: str
    token: str

    def answer(self, method: str, url: str, **kwargs: Any) -> tuple[int, httpx.Response]:
        """Send one request on a new connection; the worker that answered it and the answer."""
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=60) as client:
            response = client.request(method, url, **kwargs)
            # The same keep-alive connection, so the same worker.
            worker = client.get("/readyz").json()["worker"]
        return worker, response

    def readiness(self) -> dict[int, dict[str, Any]]:
        """``/readyz`` of every worker, by process id (fresh connections until all answered)."""
        found: dict[int, dict[str, Any]] = {}
        for _ in range(ATTEMPTS):
            with httpx.Client(base_url=self.base, timeout=60) as client:
                body = client.get("/readyz").json()
            found[body["worker"]] = body
            if len(found) == WORKERS:
                break
        return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    home = tmp_path / "home"
    store = Store.open(Settings(home=home))
    try:
        assert import_directory(store, write_world(tmp_path / "world")).ok
        token = create_account(store, name="c", role=Role.COUNSELOR, region="43")[1]
    finally:
        store.close()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "serving.cli", "serve", "--port", str(port)]
        + ["--workers", str(WORKERS)],
        env={**os.environ, "JOBMATCH_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "server.log").open("wb"),
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            assert process.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the workers did not become ready"
            try:
                ready = Server(base, token).readiness()
                if len(ready) == WORKERS and all(b["status"] == "ready" for b in ready.values()):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        yield Server(base, token)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def seen_by_every_worker(server: Server, url: str, expected: list[str]) -> None:
    """Fresh connections ask ``url`` until every worker answered; each answer is ``expected``."""
    answered: set[int] = set()
    for _ in range(ATTEMPTS):
        worker, response = server.answer("GET", url)
        assert response.status_code == 200, response.text
        assert [r["id"] for r in response.json()["results"]] == expected, (worker, url)
        answered.add(worker)
        if len(answered) == WORKERS:
            return
    pytest.fail(f"only workers {sorted(answered)} answered {ATTEMPTS} connections")


def test_a_write_is_seen_by_the_next_request_on_every_worker(server: Server) -> None:
    person = {**CANDIDATES[1], "id": "c-new", "name": "王五", "registered_at": "2025-06-01"}
    _, made = server.answer("POST", "/v1/candidates", json=person)
    assert made.status_code == 201, made.text
    seen_by_every_worker(server, "/v1/candidates/c-new/recommendations", ["j2"])
    # A need the job does not offer makes it infeasible: gone everywhere at once.
    edit = {"needs": ["captioning", "wheelchair_access"]}
    _, made = server.answer("PATCH", "/v1/candidates/c-new", json=edit)
    assert made.status_code == 200, made.text
    seen_by_every_worker(server, "/v1/candidates/c-new/recommendations", [])
    # Each write was applied in place: one matcher build per worker, the first.
    ready = server.readiness()
    assert len(ready) == WORKERS
    assert all(body["matcher_builds"] == 1 for body in ready.values()), ready
