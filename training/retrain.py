"""The weekly retraining job, as a pipeline of named steps, each one module of ``training/``:

1. **config** (:mod:`training.config`): every setting, from the shipped ``training/ranker.toml``,
   a user file and the command line;
2. **dataset** (:mod:`training.dataset`): re-embed changed records (the embedding cache does
   only those), snapshot the store, split the referrals by time (the most recent
   ``[validation] weeks`` of known outcomes validate, the older ones train) and cut the
   ranking sets;
3. **train** (:mod:`training.train`): fit both LambdaRank models on the training window (the
   *challenger*);
4. **validation** (:mod:`training.validation`): score challenger, champion and the baseline
   on the same held-out queries, each ranked as serving ranks it;
5. **promotion** (:mod:`training.promotion`): decide, and if the challenger wins put its
   bundle in service, regenerate the model card and move the ``champion`` alias (last);
6. **tracking** (:mod:`training.tracking`): log everything to MLflow and register the
   challenger; the faiss indexes are brought up to date either way.

The promoted model is the one trained on the training window, not a refit on all data: the
validation numbers then describe exactly the model in service, and the most recent weeks
reach the model one week later. Everything is written to temporary directories first and put
in place by atomic renames, so a crash at any point leaves the previous champion (alias and
bundle) in service; the lock is an ``flock``, released by the kernel even on ``kill -9``.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from matching.catalog import Catalog
from matching.embedding import Embedder
from matching.engine import embed_catalog, matcher_over
from matching.features import HistoryIndex
from matching.lifecycle import StreakRule
from matching.occupations import OccupationVocabulary
from matching.ranker import Ranker
from matching.settings import Settings
from matching.store import Store
from training.config import TrainingConfig
from training.dataset import data_window, ranking_sets, time_split
from training.distributed import cached_encoder
from training.model_card import CardFacts, render_model_card, write_model_card
from training.promotion import contest, promote, restore_serving
from training.tracking import Tracker, git_commit, run_parameters
from training.train import fit_ranker
from training.validation import Validation, read_categories, validation_queries

LOCK_FILE = "retrain.lock"


class RetrainLocked(RuntimeError):
    """Another retraining holds the lock of this home."""


@dataclass(frozen=True)
class RetrainResult:
    """What one retraining did."""

    run_id: str
    model_version: str  # registered version of jobmatch-ranker
    ranker_version: str
    promoted: bool
    reason: str
    previous_champion: str | None
    metrics: dict[str, float]
    champion_metrics: dict[str, float] | None
    data_window: dict[str, Any]


@contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold ``path`` locked (flock, non-blocking) for the block; refuse if someone holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RetrainLocked(
                f"another retraining is running (lock {path} is held); not starting a second one"
            ) from None
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def rebuild_indexes(
    catalog: Catalog,
    job_vectors: np.ndarray,
    candidate_vectors: np.ndarray,
    settings: Settings,
    embedding_model_id: str,
    ranker: Ranker,
    on: dt.date,
) -> None:
    """Bring the faiss indexes up to date with the snapshot and check that ``ranker`` serves
    one query."""
    matcher = matcher_over(
        catalog, job_vectors, candidate_vectors, settings, embedding_model_id, ranker, on=on
    )
    active = np.flatnonzero(matcher.catalog.candidates.active)
    if len(active):
        matcher.jobs_for_candidate(matcher.catalog.candidates.ids[int(active[0])], 1, on=on)


def home_tag(settings: Settings) -> str:
    """A short id of the home, tagged on its runs: a shared tracking server may hold runs
    of several homes, and only this home's lock speaks for this home's runs."""
    return hashlib.sha256(str(settings.home.resolve()).encode()).hexdigest()[:16]


def tidy_after_crash(
    settings: Settings, tracker: Tracker, run_tags: Mapping[str, str], keep: Path
) -> None:
    """Clear what a killed run left behind: its scratch folder, a half-written bundle and
    its MLflow run, still RUNNING. Called under the lock, so no such run is alive."""
    for pattern, where in (
        (".retrain-*", settings.home),
        (".ranker-*", settings.ranker_dir.parent),
    ):
        for leftover in where.glob(pattern):
            if leftover.is_dir() and leftover != keep:
                shutil.rmtree(leftover, ignore_errors=True)
    tracker.end_abandoned_runs(run_tags)


def retrain(
    settings: Settings,
    config: TrainingConfig,
    *,
    now: dt.date | None = None,
    model_card_dir: Path | None = None,
    embedder: Embedder | None = None,
    occupations: OccupationVocabulary | None = None,
) -> RetrainResult:
    """One retraining of the home's rankers with ``config`` (see the module docstring).

    ``now`` (default today) is the last referral day considered. The model card goes to
    ``$JOBMATCH_HOME/models/MODEL_CARD.md`` and, if given, ``model_card_dir``. Raises
    :class:`RetrainLocked` if another run holds the lock and
    :class:`training.dataset.NotEnoughData` if the data cannot support training or validation.
    """
    settings.ensure_home()
    with (
        exclusive_lock(settings.home / LOCK_FILE),
        tempfile.TemporaryDirectory(prefix=".retrain-", dir=settings.home) as scratch,
    ):
        return _run(
            settings,
            config,
            today=now or dt.date.today(),
            scratch=Path(scratch),
            model_card_dir=model_card_dir,
            embedder=embedder or Embedder.from_settings(settings),
            occupations=occupations or OccupationVocabulary.load(),
        )


def _run(
    settings: Settings,
    config: TrainingConfig,
    *,
    today: dt.date,
    scratch: Path,
    model_card_dir: Path | None,
    embedder: Embedder,
    occupations: OccupationVocabulary,
) -> RetrainResult:
    tracker = Tracker(settings)
    run_tags = {"home": home_tag(settings)}
    tidy_after_crash(settings, tracker, run_tags, keep=scratch)
    previous = restore_serving(settings, tracker, scratch / "serving")
    store = Store.open(settings)
    try:
        # dataset
        catalog = Catalog.from_store(store, settings, occupations)
        with cached_encoder(
            store, embedder, engine=config.training.engine, scheduler=config.scheduler
        ) as encoder:
            job_vectors, candidate_vectors = embed_catalog(catalog, encoder, occupations)
        vectors = {"job_vectors": job_vectors, "candidate_vectors": candidate_vectors}
        split = time_split(catalog, weeks=config.validation.weeks, as_of=today.toordinal())
        window = data_window(catalog, split, today.toordinal())
        history = HistoryIndex(catalog, StreakRule.of(settings))
        sets = ranking_sets(
            catalog, history, settings=settings, rows=split.train, config=config, **vectors
        )
        window.update({f"train_rows_{d.value}": len(rows) for d, rows in sets.items()})
        # train
        challenger = fit_ranker(sets, embedding_model_id=embedder.model_id, config=config)
        # validation
        queries = validation_queries(
            catalog,
            history,
            split,
            settings=settings,
            spec=config.validation,
            seed=config.training.seed,
            **vectors,
        )
        categories = read_categories(store, catalog, queries)
        validation = Validation(
            catalog, history, settings, **vectors, queries=queries, categories=categories
        )
        scores = contest(challenger, validation, tracker, config, scratch)
        challenger.metrics = scores.metrics
        decision = scores.decision
        # tracking
        commit = git_commit()
        with tracker.run(
            f"retrain-{challenger.version}",
            tags={**run_tags, "git_commit": commit, "champion_before": previous or "none"},
        ) as run_id:
            tracker.log(
                run_id,
                params=run_parameters(config, challenger, settings, window),
                metrics={
                    **scores.metrics,
                    **{f"champion.{k}": v for k, v in (scores.champion_metrics or {}).items()},
                    **{
                        f"baseline.{k}": v
                        for k, v in scores.baseline_metrics.items()
                        if ".cold_start." in k
                    },
                },
            )
            tracker.log_bundle(run_id, challenger)
            version = tracker.register(run_id)
            decision_tags = {
                "decision": "promoted" if decision.promote else "refused",
                "decision_reason": decision.reason,
            }
            tracker.log(run_id, tags=decision_tags)
            tracker.set_version_tags(version, decision_tags)
            # promotion
            serving = (
                challenger
                if decision.promote
                else Ranker.in_service(settings.ranker_dir) or Ranker()
            )
            rebuild_indexes(
                catalog, job_vectors, candidate_vectors, settings, embedder.model_id, serving, today
            )
            if decision.promote:
                card = render_model_card(
                    CardFacts(
                        ranker_version=challenger.version,
                        model_version=version,
                        run_id=run_id,
                        git_commit=commit,
                        embedding_model_id=embedder.model_id,
                        trained_at=challenger.trained_at or "",
                        data_window=window,
                        metrics=scores.metrics,
                        champion_metrics=scores.champion_metrics,
                        categories=sorted(
                            {name.split(".")[2] for name in scores.metrics if ".category." in name}
                        ),
                        reason=decision.reason,
                        config={**config.flat(), "retrieval_pool": settings.retrieval_pool},
                    )
                )
                tracker.log_file(run_id, write_model_card(card, [scratch / "card"])[0])
                promote(settings, tracker, challenger, version, card, model_card_dir, scratch)
    finally:
        store.close()
    return RetrainResult(
        run_id=run_id,
        model_version=version,
        ranker_version=challenger.version,
        promoted=decision.promote,
        reason=decision.reason,
        previous_champion=previous,
        metrics=scores.metrics,
        champion_metrics=scores.champion_metrics,
        data_window=window,
    )
