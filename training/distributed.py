"""Scale-out on a Dask cluster (``--engine dask``): fitting the LambdaRank models, and
embedding a backlog of texts (:class:`DaskEmbedder`).

When the training rows outgrow one machine, LightGBM's data-parallel learner runs on the
workers of a Dask cluster through :class:`lightgbm.dask.DaskLGBMRanker`: each worker holds
some partitions of the rows, builds histograms of its own rows, and the workers combine them
over LightGBM's own sockets (so workers must reach each other on the ports LightGBM opens).

LambdaRank compares the items of one query group with each other, so a group must live whole
in one partition: :func:`group_partitions` cuts the rows only at group boundaries, and the
``group`` array handed to LightGBM is chunked alike (chunk *i* holds the sizes of the groups
in row partition *i*, summing to that partition's row count).

The model is fitted with the same estimator settings (parameters, seed, monotone constraints),
starting scores (the baseline prior) and categorical feature as
:func:`training.train.fit_booster`, and comes back as a plain :class:`lightgbm.Booster`, so the
bundle, MLflow and serving do not know which engine trained it. It is *not* identical to the
single-machine model (histogram bins and bagging are computed per worker), only as good:
``tests/integration/test_distributed.py`` holds it within 0.03 NDCG@10 of the local one. Nor are
two Dask fits of the same rows always identical to each other: ``lightgbm.dask`` orders the
machines by ``Client.who_has``, which passes the keys through a set, so which partition becomes
rank 0 (whose rows bin its share of the features, and whose model comes back) varies between
fits. The promotion rule, not bit-equality, is what keeps a Dask-trained challenger honest.

Embedding scales the other way: texts are independent, so :class:`DaskEmbedder` cuts them into
chunks, each worker embeds its chunks with its own copy of the model (loaded once per worker
process, from the same folder, backend and export cache as the local :class:`Embedder`), and
the vectors come back in order. Only a bounded number of chunks is in flight, so a national
backlog of millions of texts never sits on the scheduler at once. The vectors are those the
local embedder gives (same model, same backend): ``tests/integration/test_distributed.py``
checks it.

Needs the ``scale`` extra (``dask[distributed]``); every worker needs the same LightGBM.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightgbm as lgb
import numpy as np

from matching.embedding import Embedder, EmbeddingCache
from matching.features import CATEGORICAL, FEATURES
from matching.onnx_embedding import Backend
from matching.store.database import Store
from training.config import Engine

if TYPE_CHECKING:
    from distributed import Client, Future

LOCAL_WORKERS = 2


def connect(scheduler: str | None = None) -> Client:
    """A client of the Dask scheduler at ``scheduler`` (e.g. ``tcp://10.0.0.5:8786``).

    ``None`` starts a private cluster on this machine (it closes with the client): 2 workers
    with 1 thread each, no dashboard. They are threads of this process (``processes=False``):
    LightGBM releases the GIL and keeps its network state per thread, so they still train as
    two LightGBM machines talking over sockets, and the cluster starts in a fraction of a
    second instead of the several seconds two spawned worker processes take. Close the client
    when done (``with connect(...) as client:``).
    """
    from distributed import Client

    if scheduler is None:
        return Client(
            n_workers=LOCAL_WORKERS,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
            # No dashboard; its small HTTP server (health, metrics) on any free port.
            scheduler_kwargs={"dashboard": False, "dashboard_address": ":0"},
        )
    return Client(scheduler)


def group_partitions(group_sizes: np.ndarray, partitions: int) -> np.ndarray:
    """How many consecutive groups go to each partition: at most ``partitions`` partitions,
    each non-empty, cut only between groups, with row counts as even as the groups allow."""
    sizes = np.asarray(group_sizes, dtype=np.int64)
    if len(sizes) == 0:
        raise ValueError("no query group to partition")
    if partitions < 1:
        raise ValueError(f"partitions must be at least 1, not {partitions}")
    ends = np.cumsum(sizes)  # row index just after each group
    targets = ends[-1] * np.arange(1, partitions) / partitions
    # The group boundary nearest each even row cut (the index of the group it closes).
    after = np.searchsorted(ends, targets)
    before = np.maximum(after - 1, 0)
    nearer_before = np.abs(ends[before] - targets) <= np.abs(ends[after] - targets)
    closing = np.where(nearer_before, before, after)
    cuts = np.unique(np.concatenate([closing + 1, [len(sizes)]]))
    cuts = cuts[cuts > 0]
    return np.diff(np.concatenate([[0], cuts]))


def fit_booster_dask(
    features: np.ndarray,
    labels: np.ndarray,
    group_sizes: np.ndarray,
    *,
    client: Client,
    settings: dict[str, Any],
    init_score: np.ndarray | None = None,
    partitions: int | None = None,
) -> lgb.Booster:
    """Fit one LambdaRank model on grouped rows (groups contiguous, sizes in order) on the
    workers of ``client``, with the estimator ``settings`` and starting scores of the local
    fit; ``partitions`` defaults to the number of workers."""
    import dask.array as da
    from lightgbm.dask import DaskLGBMRanker

    features = np.asarray(features)
    labels = np.asarray(labels)
    sizes = np.asarray(group_sizes, dtype=np.int64)
    if int(sizes.sum()) != len(features) or len(labels) != len(features):
        raise ValueError(
            f"{len(features)} rows and {len(labels)} labels, but the groups hold {sizes.sum()}"
        )
    wanted = partitions or max(1, len(client.nthreads()))
    groups_per_part = group_partitions(sizes, wanted)
    part_ends = np.cumsum(groups_per_part)
    rows_per_part = [int(s.sum()) for s in np.split(sizes, part_ends[:-1])]

    x = da.from_array(features, chunks=(tuple(rows_per_part), features.shape[1]))
    y = da.from_array(labels, chunks=(tuple(rows_per_part),))
    group = da.from_array(sizes, chunks=(tuple(int(n) for n in groups_per_part),))
    start = (
        None if init_score is None else da.from_array(init_score, chunks=(tuple(rows_per_part),))
    )

    model = DaskLGBMRanker(client=client, **settings)
    with warnings.catch_warnings():
        # Every fit says so (n_jobs is always among the estimator's parameters); each worker
        # uses its own thread count, which is what we want.
        warnings.filterwarnings("ignore", "Parameter n_jobs will be ignored", UserWarning)
        model.fit(
            x,
            y,
            group=group,
            init_score=start,
            feature_name=list(FEATURES),
            categorical_feature=[FEATURES.index(c) for c in CATEGORICAL],
        )
    booster: lgb.Booster = model.to_local().booster_
    return booster


#: Texts per task: big enough that a task's overhead (a few ms) is small against embedding it
#: (seconds), small enough that a lost worker costs little to redo.
EMBED_CHUNK = 1024
#: Chunks in flight per worker thread: one running, one queued, so no worker waits on the
#: client between chunks.
CHUNKS_PER_THREAD = 2


class DaskEmbedder:
    """An :class:`Embedder` whose ``encode`` runs on the workers of a Dask cluster.

    It has the embedder's interface (``model_id``, ``dim``, ``encode``), so an
    :class:`~matching.embedding.EmbeddingCache` over it embeds a home's missing texts on the
    cluster and stores them as usual. Every worker needs the model folder (and, for an ONNX
    backend, may share the export cache) at the same paths as this machine.
    """

    def __init__(self, embedder: Embedder, client: Client, *, chunk: int = EMBED_CHUNK) -> None:
        """Embed like ``embedder`` on the workers of ``client``, ``chunk`` texts per task."""
        if chunk < 1:
            raise ValueError(f"chunk must be at least 1, not {chunk}")
        self.embedder = embedder
        self.client = client
        self.chunk = chunk
        self.model_id = embedder.model_id

    @property
    def dim(self) -> int:
        """Length of the vectors (the local embedder's)."""
        return self.embedder.dim

    @property
    def batch(self) -> int:
        """Texts worth handing over at once: enough to keep every worker thread busy."""
        return self.chunk * CHUNKS_PER_THREAD * max(1, sum(self.client.nthreads().values()))

    def encode(
        self, texts: list[str], *, progress: bool = False, batch_size: int = 64
    ) -> np.ndarray:
        """Vectors of ``texts`` in order, shape ``(len(texts), dim)``, float32, computed on
        the cluster; at most :attr:`batch` texts are out on the cluster at a time."""
        from distributed import as_completed

        texts = list(texts)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        spec = (
            str(self.embedder.path),
            self.embedder.backend,
            _cache_str(self.embedder),
            self.embedder.threads,
        )
        starts = iter(range(0, len(texts), self.chunk))
        in_flight = max(1, self.batch // self.chunk)
        pending = as_completed()
        where: dict[Future, int] = {}

        def submit_next() -> None:
            start = next(starts, None)
            if start is None:
                return
            future = self.client.submit(
                _embed_chunk,
                spec,
                texts[start : start + self.chunk],
                batch_size,
                pure=False,
            )
            where[future] = start
            pending.add(future)

        for _ in range(in_flight):
            submit_next()
        for future in pending:
            start = where.pop(future)
            vectors = future.result()
            out[start : start + len(vectors)] = vectors
            future.release()
            submit_next()
        return out


@contextmanager
def cached_encoder(
    store: Store, embedder: Embedder, *, engine: Engine, scheduler: str | None = None
) -> Iterator[EmbeddingCache]:
    """The store's embedding cache over ``embedder``, embedding what it misses here
    (``engine="local"``) or on the Dask cluster at ``scheduler`` (``"dask"``; ``None``: a
    local two-worker cluster), which stays connected while the block runs."""
    if engine == "local":
        yield EmbeddingCache(store, embedder)
        return
    if engine != "dask":
        raise ValueError(f"unknown engine {engine!r}: 'local' or 'dask'")
    with connect(scheduler) as client:
        remote = DaskEmbedder(embedder, client)
        yield EmbeddingCache(store, remote, batch=remote.batch)


def _cache_str(embedder: Embedder) -> str | None:
    return str(embedder.cache) if embedder.cache is not None else None


@lru_cache(maxsize=4)
def _worker_embedder(
    path: str, backend: Backend, cache: str | None, threads: int | None
) -> Embedder:
    """One embedder per worker process and model: loading a model costs seconds, so it is
    kept between chunks (the embedder loads itself once, under its own lock)."""
    return Embedder(
        Path(path), backend=backend, cache=Path(cache) if cache else None, threads=threads
    )


def _embed_chunk(
    spec: tuple[str, Backend, str | None, int | None], texts: list[str], batch_size: int
) -> np.ndarray:
    """Run on a worker: the vectors of one chunk."""
    return _worker_embedder(*spec).encode(texts, batch_size=batch_size)
