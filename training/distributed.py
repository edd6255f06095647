"""Scale-out: fitting the LambdaRank models on a Dask cluster (``--engine dask``).

When the training rows outgrow one machine, LightGBM's data-parallel learner runs on the
workers of a Dask cluster through :class:`lightgbm.dask.DaskLGBMRanker`: each worker holds
some partitions of the rows, builds histograms of its own rows, and the workers combine them
over LightGBM's own sockets (so workers must reach each other on the ports LightGBM opens).

LambdaRank compares the items of one query group with each other, so a group must live whole
in one partition: :func:`group_partitions` cuts the rows only at group boundaries, and the
``group`` array handed to LightGBM is chunked alike (chunk *i* holds the sizes of the groups
in row partition *i*, summing to that partition's row count).

The model is fitted with the same parameters and categorical feature as
:func:`matching.ranker.fit_booster` and comes back as a plain :class:`lightgbm.Booster`, so
the bundle, MLflow and serving do not know which engine trained it. It is *not* identical to
the single-machine model (histogram bins and bagging are computed per worker), only as good:
``tests/test_distributed.py`` holds it within 0.03 NDCG@10 of the local one. Nor are two Dask
fits of the same rows always identical to each other: ``lightgbm.dask`` orders the machines by
``Client.who_has``, which passes the keys through a set, so which partition becomes rank 0
(whose rows bin its share of the features, and whose model comes back) varies between fits.
The promotion rule, not bit-equality, is what keeps a Dask-trained challenger honest.

Needs the ``scale`` extra (``dask[distributed]``); every worker needs the same LightGBM.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Literal

import lightgbm as lgb
import numpy as np

from matching.features import CATEGORICAL, FEATURES
from matching.ranker import DEFAULT_PARAMS

if TYPE_CHECKING:
    from distributed import Client

#: Where LightGBM trains: in this process, or on a Dask cluster (the ``scale`` extra).
Engine = Literal["local", "dask"]
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
    params: dict[str, Any] | None = None,
    seed: int = 0,
    partitions: int | None = None,
) -> lgb.Booster:
    """Fit one LambdaRank model on grouped rows (groups contiguous, sizes in order) on the
    workers of ``client``; ``partitions`` defaults to the number of workers."""
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

    settings = {**DEFAULT_PARAMS, **(params or {}), "random_state": seed}
    model = DaskLGBMRanker(client=client, **settings)
    with warnings.catch_warnings():
        # Every fit says so (n_jobs is always among the estimator's parameters); each worker
        # uses its own thread count, which is what we want.
        warnings.filterwarnings("ignore", "Parameter n_jobs will be ignored", UserWarning)
        model.fit(
            x,
            y,
            group=group,
            feature_name=list(FEATURES),
            categorical_feature=[FEATURES.index(c) for c in CATEGORICAL],
        )
    booster: lgb.Booster = model.to_local().booster_
    return booster
