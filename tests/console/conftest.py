"""Fixtures of the console tests: the small hand-written world plus one more job and a pending
referral, an account per role that can sign in, and the app over it (in-process client, or a
real uvicorn server on 127.0.0.1 for the browser tests)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from matching.embedding import Embedder
from matching.interchange import import_directory
from matching.occupation_coding import OccupationCoder
from matching.occupations import OccupationVocabulary
from matching.settings import Settings
from matching.store import Store
from serving.app import create_app
from serving.auth import Role, create_account
from serving.runtime import Resources
from serving.signin import set_password
from tests.world import CANDIDATES, EMPLOYERS, JOBS, REFERRALS

PASSWORD = "console-pass-2025"

# c1 (visual, needs a screen reader) and c2 (hearing, needs captioning) can both do j3.
JOB_J3: dict[str, Any] = {
    "id": "j3",
    "employer_id": "e1",
    "title": "客服专员",
    "occupation": "客户服务管理员",
    "skills": ["客户服务", "电子表格"],
    "region_code": "430104",
    "work_mode": "quota",
    "salary_min": 3000,
    "salary_max": 4000,
    "openings": 3,
    "demands": {"vision": 1, "hearing": 2},
    "accommodations": ["screen_reader", "captioning"],
    "posted_at": "2025-06-01",
}
REFERRAL_R3: dict[str, Any] = {
    "id": "r3",
    "candidate_id": "c2",
    "job_id": "j3",
    "referred_at": "2025-06-10",
    "outcome": "pending",
}
CONSOLE_WORLD = {
    "employers": EMPLOYERS,
    "jobs": [*JOBS, JOB_J3],
    "candidates": CANDIDATES,
    "referrals": [*REFERRALS, REFERRAL_R3],
}

#: Account name → scope; every one signs in with PASSWORD.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "王老师": {"role": Role.COUNSELOR, "region": "4301"},
    "芙蓉区李老师": {"role": Role.COUNSELOR, "region": "430102"},
    "长沙市图书馆": {"role": Role.EMPLOYER, "employer": "e1"},
    "统计员": {"role": Role.MANAGER},
    "管理员": {"role": Role.ADMIN},
}


def ngram_resources() -> Resources:
    """The real m3e model and vocabulary; the occupation coder on character n-grams only
    (with embeddings it first embeds the whole vocabulary, which its own tests cover)."""
    occupations = OccupationVocabulary.load()
    embedder = Embedder(Settings().resolved_embedding_model)
    return Resources(embedder, occupations, OccupationCoder(occupations))


@pytest.fixture(scope="session")
def resources() -> Resources:
    return ngram_resources()


def write_console_world(directory: Path) -> Path:
    import json

    directory.mkdir(parents=True, exist_ok=True)
    for kind, records in CONSOLE_WORLD.items():
        with (directory / f"{kind}.jsonl").open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return directory


@dataclass
class Console:
    settings: Settings
    tokens: dict[str, str]


def prepare_console_home(settings: Settings, directory: Path) -> Console:
    """Import the console world into a home and give every account of ACCOUNTS a password."""
    store = Store.open(settings)
    assert import_directory(store, write_console_world(directory)).ok
    tokens = {}
    for name, scope in ACCOUNTS.items():
        account, token = create_account(store, name=name, **scope)
        with store.session() as session:
            set_password(store, session, account, PASSWORD, actor="test")
        tokens[name] = token
    store.close()
    return Console(settings, tokens)


@pytest.fixture
def console_home(settings: Settings, tmp_path: Path) -> Console:
    """A home with the console world and an account per role with a console password."""
    return prepare_console_home(settings, tmp_path / "world")


@pytest.fixture
def client(console_home: Console, resources: Resources) -> Iterator[TestClient]:
    app = create_app(console_home.settings, resources=lambda _settings, _store: resources)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve an app with uvicorn on a free port of 127.0.0.1 for as long as the block runs."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the console server did not start")
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def live_server(console_home: Console, resources: Resources) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1 (a real server for a real browser)."""
    app = create_app(console_home.settings, resources=lambda _settings, _store: resources)
    with serving(app) as url:
        yield url
