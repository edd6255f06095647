"""The weekly retraining job: train a challenger, compare it with the champion, promote or not.

One run, under an exclusive lock in the home:

1. re-embed changed records (the embedding cache does only those) and snapshot the store;
2. split the referrals by time: the most recent ``validation_weeks`` weeks of referrals with a
   known outcome validate, the older ones train;
3. fit both LambdaRank models on the training window (the *challenger*);
4. score challenger and champion on the same validation queries, each ranked as serving
   ranks it (retrieval of the nearest feasible items, then the ranker; a sample of at most
   ``max_validation_queries`` per direction): NDCG@5/@10, recall@10, MAP, coverage for both
   directions, NDCG@10 per disability category (both directions) and
   exposure per category (people for a job);
5. log everything to MLflow (:mod:`training.tracking`) and register the challenger;
6. bring the faiss indexes up to date, and if the challenger wins (:func:`decide`): put its
   bundle in service (``Settings.ranker_dir``), regenerate the model card, move the
   ``champion`` alias (last).

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
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from matching.catalog import OUTCOMES, Catalog
from matching.embedding import Embedder
from matching.engine import embed_catalog, matcher_over
from matching.features import FEATURES, HistoryIndex, build_features, feasible, pair_similarity
from matching.lifecycle import StreakRule
from matching.occupations import OccupationVocabulary
from matching.policy import policy_tiers, served_scores
from matching.ranker import Direction, Ranker
from matching.settings import Settings
from matching.store import Store
from matching.vocabulary import DisabilityCategory, Outcome
from training.distributed import Engine, cached_encoder
from training.evaluate import Method, Query, Retrieval, build_queries, evaluate
from training.metrics import ndcg_at
from training.model_card import CARD_FILE, CardFacts, render_model_card, write_model_card
from training.tracking import Tracker, git_commit
from training.train import NotEnoughData, fit_ranker, ranking_sets

CONFIG_FILE = Path(__file__).resolve().parent.parent / "models" / "ranker.toml"
LOCK_FILE = "retrain.lock"
NO_CATEGORY = "none"
PRIMARY = Direction.JOBS_FOR_CANDIDATE  # where the signal is; the promotion hinges on it
TOP_K = 10
_PENDING = OUTCOMES.index(Outcome.PENDING)


class RetrainLocked(RuntimeError):
    """Another retraining holds the lock of this home."""


@dataclass(frozen=True)
class RetrainConfig:
    """Training and promotion settings (``models/ranker.toml``; options override them)."""

    params: Mapping[str, Any] = field(default_factory=dict)
    negatives: int = 10
    seed: int = 0
    validation_weeks: int = 4
    max_validation_queries: int = 2000  # per direction; a fixed random sample beyond it
    margin: float = 0.005
    tolerance: float = 0.05
    min_category_queries: int = 5
    # Exposure parity (people for a job): each category's share of top-10 slots over its
    # share of feasible people must lie within [parity_min, parity_max].
    parity_min: float = 0.8
    parity_max: float = 1.25
    engine: Engine = "local"  # where LightGBM runs (training/distributed.py)
    scheduler: str | None = None  # Dask scheduler address; None: a local two-worker cluster

    @classmethod
    def load(cls, path: Path | None = None) -> RetrainConfig:
        """The configuration in ``path`` (default: ``models/ranker.toml`` of the checkout;
        the built-in defaults where that file is absent, e.g. an installed wheel)."""
        if path is None and not CONFIG_FILE.is_file():
            return cls()
        data = tomllib.loads((path or CONFIG_FILE).read_text(encoding="utf-8"))
        training, promotion = data.get("training", {}), data.get("promotion", {})
        return cls(params=dict(data.get("lightgbm", {})), **training, **promotion)

    def with_overrides(
        self,
        *,
        margin: float | None = None,
        tolerance: float | None = None,
        params: Mapping[str, Any] | None = None,
        negatives: int | None = None,
        seed: int | None = None,
        validation_weeks: int | None = None,
        engine: Engine | None = None,
        scheduler: str | None = None,
    ) -> RetrainConfig:
        """A copy with the given values replaced (``params`` are merged)."""
        changes: dict[str, Any] = {
            "margin": margin,
            "tolerance": tolerance,
            "negatives": negatives,
            "seed": seed,
            "validation_weeks": validation_weeks,
            "engine": engine,
            "scheduler": scheduler,
        }
        changes = {k: v for k, v in changes.items() if v is not None}
        if params:
            changes["params"] = {**self.params, **params}
        return replace(self, **changes)


@dataclass(frozen=True)
class Decision:
    """Whether the challenger replaces the champion, and why."""

    promote: bool
    reason: str


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


@dataclass(frozen=True)
class Split:
    """History rows for training and validation, and the first validation day."""

    train: np.ndarray
    validation: np.ndarray
    cutoff: int


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


def time_split(catalog: Catalog, *, weeks: int, as_of: int) -> Split:
    """Train on referrals before the last ``weeks`` weeks of known outcomes, validate on those.

    Only referrals made on or before ``as_of`` are used; pending ones never validate (their
    outcome is unknown) and are left out of training by the dataset.
    """
    h = catalog.history
    made = h.referred <= as_of
    resolved = made & (h.outcome != _PENDING)
    if not resolved.any():
        raise NotEnoughData("no referral with a known outcome: record outcomes first")
    cutoff = int(h.referred[resolved].max()) - 7 * weeks + 1
    return Split(
        train=np.flatnonzero(made & (h.referred < cutoff)),
        validation=np.flatnonzero(resolved & (h.referred >= cutoff)),
        cutoff=cutoff,
    )


def data_window(catalog: Catalog, split: Split, as_of: int) -> dict[str, Any]:
    """First/last referral dates and counts of both windows (logged and on the model card)."""
    h = catalog.history
    window: dict[str, Any] = {"as_of": dt.date.fromordinal(as_of).isoformat()}
    for name, rows in (("train", split.train), ("validation", split.validation)):
        rows = rows[h.outcome[rows] != _PENDING]
        days = h.referred[rows]
        window[f"{name}_referrals"] = len(rows)
        window[f"{name}_first_referral"] = (
            dt.date.fromordinal(int(days.min())).isoformat() if len(days) else "none"
        )
        window[f"{name}_last_referral"] = (
            dt.date.fromordinal(int(days.max())).isoformat() if len(days) else "none"
        )
    return window


def read_categories(
    store: Store, catalog: Catalog, queries: Mapping[Direction, list[Query]]
) -> np.ndarray:
    """The disability category of each person the validation ``queries`` involve (catalog
    order; ``none`` if unrecorded or not involved).

    The category is sealed personal data (PIPL art. 28): only the people evaluated are
    decrypted, only that field, only to evaluate the ranker per category, and the read is
    written to the audit log.
    """
    involved: set[int] = set()
    for direction, direction_queries in queries.items():
        for query in direction_queries:
            if direction is Direction.JOBS_FOR_CANDIDATE:
                involved.add(query.query)
            else:
                involved.update(query.items.tolist())
    ids = [catalog.candidates.ids[i] for i in sorted(involved)]
    categories = np.full(len(catalog.candidates), NO_CATEGORY, dtype=object)
    with store.session() as session:
        found = store.sealed_field(session, "disability_category", ids)
        for candidate_id, category in found.items():
            if category:
                categories[catalog.candidates.index[candidate_id]] = DisabilityCategory(
                    category
                ).value
        store.audit(
            session,
            actor="retrain",
            action="read disability_category",
            subject=f"{len(found)} candidates",
            purpose="per-category fairness evaluation",
        )
    return categories


@dataclass
class _Validation:
    """What scoring needs: the snapshot, vectors, queries and the category of each person."""

    catalog: Catalog
    history: HistoryIndex
    settings: Settings
    job_vectors: np.ndarray
    candidate_vectors: np.ndarray
    queries: dict[Direction, list[Query]]
    categories: np.ndarray


def _ranked(scores: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    # The same ordering as training.evaluate.evaluate: allowed items, best first, stable.
    return np.flatnonzero(allowed)[np.argsort(-scores[allowed], kind="stable")]


def _scoring(
    ranker: Ranker,
    validation: _Validation,
    queries: list[Query],
    rankings: list[tuple[Query, np.ndarray]],
) -> Method:
    """An evaluation method scoring with ``ranker`` that also keeps each query's ranking
    (for the per-category numbers, without scoring twice).

    The features of every query's pairs are built and scored in one batch up front (per query
    the fixed cost of ~40 numpy calls would dominate); the method then hands out slices.
    """
    catalog = validation.catalog
    if not queries:
        return lambda query: (np.empty(0), np.empty(0, dtype=bool))
    pairs = [query.pairs() for query in queries]
    people = np.concatenate([p for p, _ in pairs])
    jobs = np.concatenate([j for _, j in pairs])
    sizes = [len(query.items) for query in queries]
    days = np.repeat([query.day for query in queries], sizes)
    similarity = pair_similarity(validation.candidate_vectors, validation.job_vectors, people, jobs)
    features = build_features(
        catalog, validation.history, people, jobs, days, similarity, validation.settings
    )
    direction = queries[0].direction
    scores = ranker.score(features, direction, threads=0)
    # Validation scores the order serving shows: the rule-6 tiers first, then the score.
    tiers = policy_tiers(
        catalog,
        people,
        jobs,
        features[:, FEATURES.index("person_failed_market_streak")],
        validation.settings,
        for_person=direction is Direction.JOBS_FOR_CANDIDATE,
    )
    allowed = feasible(catalog, people, jobs) & np.concatenate([q.retrieved for q in queries])
    ends = np.cumsum(sizes)
    span = {
        id(query): (int(end) - size, int(end))
        for query, size, end in zip(queries, sizes, ends, strict=True)
    }

    def method(query: Query) -> tuple[np.ndarray, np.ndarray]:
        start, end = span[id(query)]
        served = served_scores(scores[start:end], tiers[start:end])
        rankings.append((query, _ranked(served, allowed[start:end])))
        return served, allowed[start:end]

    return method


def evaluate_ranker(ranker: Ranker, validation: _Validation) -> dict[str, float]:
    """Validation metrics of a ranker, flat and named for MLflow (``direction.metric``).

    Overall metrics come from :func:`training.evaluate.evaluate`. Per category: NDCG@10 of the
    queries whose person is of the category (jobs for a person: the query person; people for
    a job: each person with a positive outcome), and for people for a job the share of top-10
    slots against the share of feasible people.
    """
    catalog, categories = validation.catalog, validation.categories
    metrics: dict[str, float] = {}
    for direction, queries in validation.queries.items():
        rankings: list[tuple[Query, np.ndarray]] = []
        method = _scoring(ranker, validation, queries, rankings)
        overall = evaluate(catalog, queries, method, k=TOP_K)
        for key, value in overall.items():
            metrics[f"{direction.value}.{key.replace('@', '_at_')}"] = float(value)

        per_category: dict[str, list[float]] = {}
        slots: dict[str, int] = {}
        eligible: dict[str, int] = {}
        seen: dict[str, int] = {}
        cold: list[float] = []
        for query, ranked in rankings:
            everything = query.relevance[query.relevance > 0]
            score = ndcg_at(query.relevance[ranked], TOP_K, everything)
            if _cold_start(validation.history, query):
                cold.append(score)
            if direction is Direction.JOBS_FOR_CANDIDATE:
                owners = {categories[query.query]}
            else:
                owners = set(categories[query.items[query.relevance > 0]].tolist())
                for category in categories[query.items[ranked[:TOP_K]]].tolist():
                    slots[category] = slots.get(category, 0) + 1
                for category in categories[query.items[ranked]].tolist():
                    eligible[category] = eligible.get(category, 0) + 1
                for category in set(categories[query.items[ranked]].tolist()):
                    seen[category] = seen.get(category, 0) + 1
            for category in owners:
                per_category.setdefault(category, []).append(score)
        # The cold-start slice: queries whose person (job) had no referral before the day.
        metrics[f"{direction.value}.cold_start.ndcg_at_{TOP_K}"] = (
            float(np.mean(cold)) if cold else 0.0
        )
        metrics[f"{direction.value}.cold_start.queries"] = float(len(cold))
        prefix = f"{direction.value}.category"
        for category, scores in sorted(per_category.items()):
            metrics[f"{prefix}.{category}.ndcg_at_{TOP_K}"] = float(np.mean(scores))
            metrics[f"{prefix}.{category}.queries"] = float(len(scores))
        total_slots, total_eligible = sum(slots.values()), sum(eligible.values())
        for category in sorted(eligible):
            exposure = slots.get(category, 0) / max(1, total_slots)
            share = eligible[category] / max(1, total_eligible)
            metrics[f"{prefix}.{category}.exposure"] = exposure
            metrics[f"{prefix}.{category}.feasible_share"] = share
            metrics[f"{prefix}.{category}.exposure_ratio"] = exposure / share if share else 0.0
            metrics[f"{prefix}.{category}.exposure_queries"] = float(seen.get(category, 0))
    return metrics


def _cold_start(history: HistoryIndex, query: Query) -> bool:
    """Whether the query's person (job) had no referral before the query's day."""
    owner, day = np.array([query.query]), np.array([query.day])
    if query.direction is Direction.JOBS_FOR_CANDIDATE:
        return history.person_referred.count_before(owner, day)[0] == 0
    return history.job_referred.count_before(owner, day)[0] == 0


def decide(
    challenger: Mapping[str, float],
    champion: Mapping[str, float] | None,
    config: RetrainConfig,
    baseline: Mapping[str, float] | None = None,
) -> Decision:
    """Promote only if the challenger is better by the margin and fair to every category.

    Rules, in order: the challenger is not worse than the ``baseline`` scorer on the
    cold-start slice of either direction (people and jobs without history, where a model
    that learned who gets referred fails first), counted when the slice has at least
    ``min_category_queries`` queries; every disability category's exposure ratio (people for
    a job) lies within [``parity_min``, ``parity_max``], counting categories with at least
    ``min_category_queries`` queries (fewer are reported, not gating); then, against a
    champion: jobs-for-a-person NDCG@10 higher by at least ``margin``; people-for-a-job
    NDCG@10 not lower by more than ``margin`` (that side's signal is weak, so equality would
    be noise); and no disability category's NDCG@10, in either direction, lower by more than
    ``tolerance``, counting categories with at least ``min_category_queries`` queries.
    """
    key = f"ndcg_at_{TOP_K}"
    for direction in Direction:
        name = f"{direction.value}.cold_start.{key}"
        queries = challenger.get(f"{direction.value}.cold_start.queries", 0)
        if baseline is None or name not in challenger or queries < config.min_category_queries:
            continue
        if challenger[name] < baseline[name]:
            return Decision(
                False,
                f"{name} {challenger[name]:.4f} is below the baseline scorer's "
                f"{baseline[name]:.4f} on the cold-start slice ({queries:.0f} queries)",
            )
    unfair = []
    for name, ratio in sorted(challenger.items()):
        if not name.endswith(".exposure_ratio"):
            continue
        queries = challenger.get(name.removesuffix("ratio") + "queries", 0)
        if queries < config.min_category_queries or name.split(".")[2] == NO_CATEGORY:
            continue
        if not config.parity_min <= ratio <= config.parity_max:
            unfair.append(f"{name} {ratio:.2f}")
    if unfair:
        return Decision(
            False,
            f"exposure parity outside [{config.parity_min}, {config.parity_max}]: "
            + "; ".join(unfair),
        )
    if champion is None:
        return Decision(True, "no champion yet")
    primary = f"{PRIMARY.value}.{key}"
    gain = challenger[primary] - champion[primary]
    if gain < config.margin:
        return Decision(
            False,
            f"{primary} {challenger[primary]:.4f} vs champion {champion[primary]:.4f}: "
            f"gain {gain:+.4f} below the margin {config.margin}",
        )
    other = f"{Direction.CANDIDATES_FOR_JOB.value}.{key}"
    if challenger[other] < champion[other] - config.margin:
        return Decision(
            False,
            f"{other} {challenger[other]:.4f} vs champion {champion[other]:.4f}: "
            f"worse by more than the margin {config.margin}",
        )
    drops = []
    for name, before in sorted(champion.items()):
        if ".category." not in name or not name.endswith(f".{key}"):
            continue
        queries = challenger.get(name.removesuffix(key) + "queries", 0)
        after = challenger.get(name)
        if after is None or queries < config.min_category_queries:
            continue
        if before - after > config.tolerance:
            drops.append(f"{name} {after:.4f} vs {before:.4f}")
    if drops:
        return Decision(
            False,
            f"disability category NDCG@{TOP_K} dropped by more than the tolerance "
            f"{config.tolerance}: " + "; ".join(drops),
        )
    return Decision(
        True,
        f"{primary} {challenger[primary]:.4f} vs champion {champion[primary]:.4f} "
        f"(gain {gain:+.4f} >= margin {config.margin}); no category dropped more than "
        f"{config.tolerance}",
    )


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


def restore_serving(settings: Settings, tracker: Tracker, scratch: Path) -> str | None:
    """Make ``Settings.ranker_dir`` hold the champion's bundle again if it drifted.

    The alias is the truth: a crash between putting a bundle in service and moving the alias
    (or a hand-copied bundle) is undone here. Returns the champion's registered version.
    """
    champion = tracker.load_champion(scratch)
    if champion is None:
        return None
    current = Ranker.in_service(settings.ranker_dir)
    # A save killed between its renames serves from <ranker_dir>.old: put it back in place.
    if (
        current is None
        or current.version != champion.ranker.version
        or not settings.ranker_dir.is_dir()
    ):
        champion.ranker.save(settings.ranker_dir)
    return champion.version


def retrain(
    settings: Settings,
    *,
    now: dt.date | None = None,
    config: RetrainConfig | None = None,
    margin: float | None = None,
    tolerance: float | None = None,
    params: Mapping[str, Any] | None = None,
    model_card_dir: Path | None = None,
    embedder: Embedder | None = None,
    occupations: OccupationVocabulary | None = None,
) -> RetrainResult:
    """One retraining of the home's rankers (see the module docstring).

    ``now`` (default today) is the last referral day considered; ``config`` defaults to
    ``models/ranker.toml``; ``margin``, ``tolerance`` and ``params`` override it. The model
    card goes to ``$JOBMATCH_HOME/models/MODEL_CARD.md`` and, if given, ``model_card_dir``.
    Raises :class:`RetrainLocked` if another run holds the lock and
    :class:`training.train.NotEnoughData` if the data cannot support training or validation.
    """
    config = (config or RetrainConfig.load()).with_overrides(
        margin=margin, tolerance=tolerance, params=params
    )
    settings.ensure_home()
    with (
        exclusive_lock(settings.home / LOCK_FILE),
        tempfile.TemporaryDirectory(prefix=".retrain-", dir=settings.home) as scratch,
    ):
        return _retrain(
            settings,
            config,
            today=now or dt.date.today(),
            scratch=Path(scratch),
            model_card_dir=model_card_dir,
            embedder=embedder or Embedder.from_settings(settings),
            occupations=occupations or OccupationVocabulary.load(),
        )


def _retrain(
    settings: Settings,
    config: RetrainConfig,
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
        catalog = Catalog.from_store(store, settings, occupations)
        with cached_encoder(
            store, embedder, engine=config.engine, scheduler=config.scheduler
        ) as encoder:
            job_vectors, candidate_vectors = embed_catalog(catalog, encoder, occupations)
        as_of = today.toordinal()
        split = time_split(catalog, weeks=config.validation_weeks, as_of=as_of)
        window = data_window(catalog, split, as_of)
        history = HistoryIndex(catalog, StreakRule.of(settings))
        sets = ranking_sets(
            catalog,
            history,
            job_vectors=job_vectors,
            candidate_vectors=candidate_vectors,
            settings=settings,
            rows=split.train,
            negatives=config.negatives,
            seed=config.seed,
        )
        for direction, ranking_set in sets.items():
            window[f"train_rows_{direction.value}"] = len(ranking_set)
        challenger = fit_ranker(
            sets,
            embedding_model_id=embedder.model_id,
            params=dict(config.params),
            seed=config.seed,
            engine=config.engine,
            scheduler=config.scheduler,
        )
        retrieval = Retrieval(job_vectors, candidate_vectors, settings.retrieval_pool)
        queries = {
            d: build_queries(
                catalog,
                history,
                split.validation,
                d,
                retrieval=retrieval,
                max_queries=config.max_validation_queries,
                seed=config.seed,
            )
            for d in Direction
        }
        if not queries[PRIMARY]:
            raise NotEnoughData(
                f"no validation query with a positive outcome in the last "
                f"{config.validation_weeks} weeks (from {window['validation_first_referral']}); "
                "record more outcomes or widen validation_weeks"
            )
        validation = _Validation(
            catalog,
            history,
            settings,
            job_vectors,
            candidate_vectors,
            queries,
            read_categories(store, catalog, queries),
        )
        metrics = evaluate_ranker(challenger, validation)
        challenger.metrics = metrics
        champion = tracker.load_champion(scratch / "champion")
        champion_metrics, decision = None, None
        if champion is not None:
            try:
                champion.ranker.check_compatible(embedder.model_id)
            except ValueError as exc:
                # It could not serve anyway: the challenger replaces it without a contest.
                decision = Decision(True, f"champion v{champion.version} cannot serve: {exc}")
            else:
                champion_metrics = evaluate_ranker(champion.ranker, validation)
        baseline_metrics = evaluate_ranker(Ranker(), validation)
        decision = decision or decide(metrics, champion_metrics, config, baseline_metrics)
        categories = sorted({name.split(".")[2] for name in metrics if ".category." in name})

        commit = git_commit()
        with tracker.run(
            f"retrain-{challenger.version}",
            tags={**run_tags, "git_commit": commit, "champion_before": previous or "none"},
        ) as run_id:
            tracker.log(
                run_id,
                params={
                    **{f"lgbm.{k}": v for k, v in challenger.params.items()},
                    "negatives": config.negatives,
                    "validation_weeks": config.validation_weeks,
                    "max_validation_queries": config.max_validation_queries,
                    "retrieval_pool": settings.retrieval_pool,
                    "margin": config.margin,
                    "tolerance": config.tolerance,
                    "min_category_queries": config.min_category_queries,
                    "parity_min": config.parity_min,
                    "parity_max": config.parity_max,
                    "embedding_model_id": embedder.model_id,
                    "features": len(challenger.features),
                    "ranker_version": challenger.version,
                    **{f"data.{k}": v for k, v in window.items()},
                },
                metrics={
                    **metrics,
                    **{f"champion.{k}": v for k, v in (champion_metrics or {}).items()},
                    **{
                        f"baseline.{k}": v
                        for k, v in baseline_metrics.items()
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
                        metrics=metrics,
                        champion_metrics=champion_metrics,
                        categories=categories,
                        reason=decision.reason,
                        config={
                            "validation_weeks": config.validation_weeks,
                            "max_validation_queries": config.max_validation_queries,
                            "retrieval_pool": settings.retrieval_pool,
                            "margin": config.margin,
                            "tolerance": config.tolerance,
                            "min_category_queries": config.min_category_queries,
                        },
                    )
                )
                staged = write_model_card(card, [scratch / "card"])[0]
                tracker.log_file(run_id, staged)
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
        metrics=metrics,
        champion_metrics=champion_metrics,
        data_window=window,
    )


def promote(
    settings: Settings,
    tracker: Tracker,
    ranker: Ranker,
    version: str,
    card: str,
    model_card_dir: Path | None,
    scratch: Path,
) -> None:
    """Put the bundle in service, write the model card, and move the alias (last).

    If any step raises, the previous bundle and card are put back before the error goes on,
    so the alias and the bundle in service never disagree after a failed promotion.
    """
    card_dirs = [settings.home / "models"] + ([model_card_dir] if model_card_dir else [])
    backup = scratch / "previous"
    backup.mkdir(parents=True, exist_ok=True)
    previous = settings.ranker_dir if settings.ranker_dir.is_dir() else None
    if previous is not None:
        shutil.copytree(previous, backup / "ranker")
    cards = {
        d: (d / CARD_FILE).read_text(encoding="utf-8")
        for d in card_dirs
        if (d / CARD_FILE).is_file()
    }
    try:
        ranker.save(settings.ranker_dir)
        write_model_card(card, card_dirs)
        tracker.set_champion(version)
    except BaseException:
        if previous is not None:
            Ranker.load(backup / "ranker").save(settings.ranker_dir)
        else:
            shutil.rmtree(settings.ranker_dir, ignore_errors=True)
        for directory in card_dirs:
            if directory in cards:
                write_model_card(cards[directory], [directory])
            else:
                (directory / CARD_FILE).unlink(missing_ok=True)
        raise
