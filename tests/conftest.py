"""Shared fixtures: a fresh home and store per test, on SQLite and (when reachable) PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from matching.embedding import Embedder
from matching.occupation_coding import OccupationCoder
from matching.occupations import OccupationVocabulary
from matching.settings import Settings
from matching.store import Store
from serving.runtime import Resources
from tests.api_client import Api, serve_world

POSTGRES_URL = os.environ.get("JOBMATCH_TEST_POSTGRES_URL")
# Tests on PostgreSQL carry the ``postgres`` marker, so ``-m "not postgres"`` leaves them out.
BACKENDS = ["sqlite"] + (
    [pytest.param("postgresql", marks=pytest.mark.postgres)] if POSTGRES_URL else []
)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing may download weights at run time.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    for name in list(os.environ):
        if name.startswith("JOBMATCH_") and name != "JOBMATCH_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    assert POSTGRES_URL
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


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
    """The app over the small hand-written world, with one token per account of ACCOUNTS."""
    yield from serve_world(settings, resources, tmp_path)
