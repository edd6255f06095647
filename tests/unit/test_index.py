"""VectorIndex: exact and HNSW search, replacement, removal, persistence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from matching.index import MANIFEST, VectorIndex


def normalised(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    """Isotropic random unit vectors."""
    x = rng.standard_normal((n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def embedding_like(rng: np.random.Generator, n: int, dim: int, rank: int = 24) -> np.ndarray:
    """Random unit vectors near a low-dimensional subspace, as text embeddings are.

    Isotropic random vectors in hundreds of dimensions have no real nearest neighbours (all
    similarities are alike), which no approximate index can find; see benchmarks/.
    """
    x = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, dim))
    x += 0.3 * rng.standard_normal((n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def ids_of(results: list[tuple[str, float]]) -> list[str]:
    return [id_ for id_, _ in results]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


@pytest.mark.parametrize("exact_below", [10**9, 0], ids=["exact", "hnsw"])
def test_search_agrees_with_brute_force(rng: np.random.Generator, exact_below: int) -> None:
    vectors = normalised(rng, 2000, 32)
    queries = normalised(rng, 20, 32)
    ids = [f"v{i}" for i in range(len(vectors))]
    index = VectorIndex.build(ids, vectors, exact_below=exact_below, ef_search=256)
    assert index.kind == ("exact" if exact_below else "hnsw")

    results = index.search(queries, 10)
    scores = queries @ vectors.T
    for row, found in zip(scores, results, strict=True):
        expected = np.argsort(-row)[:10]
        if index.kind == "exact":
            assert ids_of(found) == [ids[i] for i in expected]
        else:  # a small graph searched with a wide beam finds (nearly) all of them
            assert len(set(ids_of(found)) & {ids[i] for i in expected}) >= 9
        got = [score for _, score in found]
        assert got == sorted(got, reverse=True)
        assert np.allclose(got, [row[ids.index(id_)] for id_ in ids_of(found)], atol=1e-5)


@pytest.mark.slow
def test_hnsw_recall_at_10_on_30k(rng: np.random.Generator) -> None:
    data = embedding_like(rng, 30_200, 128)
    vectors, queries = data[:30_000], data[30_000:]
    ids = [str(i) for i in range(len(vectors))]
    hnsw = VectorIndex.build(ids, vectors)  # default threshold: 30k is above it
    exact = VectorIndex.build(ids, vectors, exact_below=10**9)
    assert (hnsw.kind, exact.kind) == ("hnsw", "exact")

    approximate, truth = hnsw.search(queries, 10), exact.search(queries, 10)
    recall = np.mean(
        [len(set(ids_of(a)) & set(ids_of(t))) / 10 for a, t in zip(approximate, truth, strict=True)]
    )
    assert recall >= 0.95


@pytest.mark.parametrize("exact_below", [10**9, 0], ids=["exact", "hnsw"])
def test_add_replace_remove(rng: np.random.Generator, exact_below: int) -> None:
    vectors = normalised(rng, 100, 16)
    index = VectorIndex.build([f"v{i}" for i in range(50)], vectors[:50], exact_below=exact_below)

    index.add(["v50", "v51"], vectors[50:52])
    assert len(index) == 52 and "v51" in index
    assert ids_of(index.search(vectors[51], 1)[0]) == ["v51"]

    # Replacing: the id now stands for the new vector only, and is counted once.
    index.add(["v0"], vectors[99])
    assert len(index) == 52
    assert np.allclose(index.vector("v0"), vectors[99])
    top = index.search(vectors[99], 52)[0]
    assert ids_of(top)[0] == "v0" and ids_of(top).count("v0") == 1
    assert ids_of(index.search(vectors[0], 1)[0]) != ["v0"]

    # A repeated id within one call: the last vector wins.
    index.add(["v60", "v60"], vectors[60:62])
    assert len(index) == 53 and np.allclose(index.vector("v60"), vectors[61])

    assert index.remove(["v1", "v2", "never-added"]) == 2
    assert index.remove(["v1"]) == 0
    assert "v1" not in index and len(index) == 51
    with pytest.raises(KeyError):
        index.vector("v1")
    assert index.vectors(["v3", "v4"]).shape == (2, 16)


@pytest.mark.parametrize("exact_below", [10**9, 0], ids=["exact", "hnsw"])
def test_removed_ids_are_never_returned(rng: np.random.Generator, exact_below: int) -> None:
    vectors = normalised(rng, 400, 16)
    ids = [f"v{i}" for i in range(len(vectors))]
    index = VectorIndex.build(ids, vectors, exact_below=exact_below)
    removed = set(ids[::7])  # under the compaction threshold: tombstones stay in the index
    index.remove(removed)
    assert len(index) == len(ids) - len(removed)

    for results in index.search(vectors[::7], 10):
        assert len(results) == 10
        assert not set(ids_of(results)) & removed
    everything = index.search(vectors[0], 1000)[0]
    assert set(ids_of(everything)) == set(ids) - removed


def test_many_removals_compact_the_index(rng: np.random.Generator) -> None:
    vectors = normalised(rng, 100, 8)
    ids = [f"v{i}" for i in range(100)]
    index = VectorIndex.build(ids, vectors)
    index.remove(ids[:60])
    assert len(index) == 40
    assert set(ids_of(index.search(vectors[0], 100)[0])) == set(ids[60:])
    assert np.allclose(index.vectors(ids[60:]), vectors[60:])


def test_tombstoned_positions_in_the_order_removed_until_renumbered(
    rng: np.random.Generator, tmp_path: Path
) -> None:
    """A removal and a replacement each tombstone the old position; a compaction renumbers
    and starts the list again; a saved index loads with its tombstones listed."""
    vectors = normalised(rng, 20, 8)
    ids = [f"v{i}" for i in range(20)]
    index = VectorIndex.build(ids, vectors, exact_below=0)
    generation = index.generation
    index.remove(["v4"])
    index.add(["v2"], vectors[:1])
    assert index.tombstoned == [4, 2]
    assert index.storage_ids[2] is None and index.storage_ids[-1] == "v2"
    assert index.generation == generation
    index.save(tmp_path / "index")
    assert sorted(VectorIndex.load(tmp_path / "index").tombstoned) == [2, 4]
    index.remove(ids[5:15])  # past the compaction share: renumbered
    assert index.generation > generation
    assert index.tombstoned == []
    assert None not in index.storage_ids


def test_k_larger_than_the_live_count(rng: np.random.Generator) -> None:
    vectors = normalised(rng, 5, 8)
    for exact_below in (10**9, 0):
        index = VectorIndex.build(list("abcde"), vectors, exact_below=exact_below)
        index.remove(["c"])
        results = index.search(vectors[:2], 50)
        assert [len(r) for r in results] == [4, 4]
        assert all("c" not in ids_of(r) for r in results)

    empty = VectorIndex.build([], np.empty((0, 8), dtype=np.float32))
    assert len(empty) == 0 and empty.search(vectors, 3) == [[]] * 5


def test_grows_from_exact_to_hnsw(rng: np.random.Generator) -> None:
    vectors = normalised(rng, 30, 8)
    index = VectorIndex.build([f"v{i}" for i in range(20)], vectors[:20], exact_below=25)
    assert index.kind == "exact"
    index.add([f"v{i}" for i in range(20, 30)], vectors[20:])
    assert index.kind == "hnsw" and len(index) == 30
    assert ids_of(index.search(vectors[25], 1)[0]) == ["v25"]


def test_wrong_shapes_are_refused(rng: np.random.Generator) -> None:
    index = VectorIndex.build(["a"], normalised(rng, 1, 8))
    with pytest.raises(ValueError, match="shape"):
        index.search(normalised(rng, 1, 9), 1)
    with pytest.raises(ValueError, match="2 ids but 1 vectors"):
        index.add(["b", "c"], normalised(rng, 1, 8))


@pytest.mark.parametrize("exact_below", [10**9, 0], ids=["exact", "hnsw"])
def test_save_load_round_trip(rng: np.random.Generator, tmp_path: Path, exact_below: int) -> None:
    vectors = normalised(rng, 300, 16)
    ids = [f"候选人-{i}" for i in range(300)]  # ids are any strings
    index = VectorIndex.build(ids, vectors, exact_below=exact_below, ef_search=64)
    index.remove(ids[:10])
    index.add(["new"], vectors[:1])

    index.save(tmp_path)
    loaded = VectorIndex.load(tmp_path)
    assert (loaded.kind, len(loaded), loaded.ef_search) == (index.kind, len(index), 64)
    assert loaded.ids == index.ids
    assert loaded.search(vectors[:5], 7) == index.search(vectors[:5], 7)
    assert "候选人-3" not in loaded and "new" in loaded

    # A later save replaces the earlier one whole and leaves no stray files (beside the lock
    # file that concurrent savers take turns on).
    loaded.remove(["new"])
    loaded.save(tmp_path)
    assert "new" not in VectorIndex.load(tmp_path)
    saved = sorted(p.suffix for p in tmp_path.iterdir() if p.name != ".save.lock")
    assert saved == [".faiss", ".json"]


def test_interrupted_save_keeps_the_previous_index(
    rng: np.random.Generator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vectors = normalised(rng, 20, 8)
    VectorIndex.build([f"v{i}" for i in range(20)], vectors).save(tmp_path)
    smaller = VectorIndex.build(["x"], vectors[:1])

    def crash(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_text", crash)  # the manifest write fails
    with pytest.raises(OSError, match="disk full"):
        smaller.save(tmp_path)
    monkeypatch.undo()

    assert len(VectorIndex.load(tmp_path)) == 20
    assert json.loads((tmp_path / MANIFEST).read_text("utf-8"))["ids"][0] == "v0"
