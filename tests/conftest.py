"""Shared fixtures: a fresh home and store per test, on SQLite and (when reachable) PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from matching.embedding import Embedder
from matching.occupation_coding import OccupationCoder
from matching.occupations import OccupationVocabulary
from matching.settings import Settings
from matching.store import Store
from serving.runtime import Resources
from tests.api_client import Api, serve_world, world_state

POSTGRES_URL = os.environ.get("JOBMATCH_TEST_POSTGRES_URL")
# Tests on PostgreSQL carry the ``postgres`` marker, so ``-m "not postgres"`` leaves them out.
BACKENDS = ["sqlite"] + (
    [pytest.param("postgresql", marks=pytest.mark.postgres)] if POSTGRES_URL else []
)


def _offline_and_unconfigured(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing may download weights at run time, and no JOBMATCH_* setting of the shell applies.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    for name in list(os.environ):
        if name.startswith("JOBMATCH_") and name != "JOBMATCH_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    _offline_and_unconfigured(monkeypatch)


@contextmanager
def empty_database(backend: str, folder: Path) -> Iterator[str]:
    """A URL of an empty database of ``backend``: a SQLite file in ``folder``, or a fresh
    PostgreSQL schema, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'test.db'}"
        return
    assert POSTGRES_URL
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    with empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings of a fresh home under tmp_path."""
    return Settings(home=tmp_path / "home", database_url=database_url)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    """A migrated, empty store."""
    opened = Store.open(settings)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real m3e-small model, loaded once for the whole session."""
    return Embedder(Settings().resolved_embedding_model)


@pytest.fixture(scope="session")
def resources(embedder: Embedder) -> Resources:
    """The model, vocabulary and coder, loaded once for every app of the session.

    The coder here uses character n-grams only: with embeddings it embeds the whole
    vocabulary, which the coder's own tests cover.
    """
    occupations = OccupationVocabulary.load()
    return Resources(embedder, occupations, OccupationCoder(occupations))


@pytest.fixture
def api(settings: Settings, resources: Resources, tmp_path: Path) -> Iterator[Api]:
    """The app over the small hand-written world, with one token per account of ACCOUNTS,
    fresh for each test: for tests that change the world."""
    yield from serve_world(settings, resources, tmp_path)


def serve_shared_world(
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    resources: Resources,
    *,
    policy: Mapping[str, Any] | None = None,
    **world: Any,
) -> Iterator[Api]:
    """The app of :func:`~tests.api_client.serve_world` (``world``: its world and accounts)
    over a fresh database of ``backend``, for a module's tests to share; ``policy``: settings
    other than the defaults."""
    folder = tmp_path_factory.mktemp("world")
    with pytest.MonkeyPatch.context() as monkeypatch, empty_database(backend, folder) as url:
        _offline_and_unconfigured(monkeypatch)
        settings = Settings(home=folder / "home", database_url=url, **(policy or {}))
        yield from serve_world(settings, resources, folder, **world)


def read_only(shared: Api) -> Iterator[Api]:
    """``shared`` for one test, which fails if it changed the world (it would change what the
    next test reads): such a test takes a fresh app instead."""
    before = world_state(shared.settings)
    yield shared
    assert world_state(shared.settings) == before, (
        "this test changed the shared world: it must use the `api` fixture"
    )


@pytest.fixture(scope="module", params=BACKENDS)
def _module_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, resources: Resources
) -> Iterator[Api]:
    yield from serve_shared_world(request.param, tmp_path_factory, resources)


@pytest.fixture
def read_api(_module_world: Api) -> Iterator[Api]:
    """The app over the small hand-written world shared by the tests of one module that only
    read it: one migration, import and start per module and backend instead of one per test.
    A test that changes the world fails (see :func:`read_only`): it takes ``api``."""
    yield from read_only(_module_world)
