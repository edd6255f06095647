"""The matching engine: retrieve, keep only feasible pairs, featurise, rank, apply policy,
explain.

For a person, the open jobs a counselor should refer them to, best first, each with reasons;
for a job, the people to propose. The engine knows nothing of HTTP or MLflow: it is handed a
catalog, vectors, indexes and a ranker.
"""

from __future__ import annotations

import datetime as dt
import functools
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from matching.catalog import Catalog
from matching.embedding import Embedder, EmbeddingCache, candidate_text, job_text
from matching.explain import explain
from matching.features import (
    FEATURES,
    HistoryIndex,
    build_features,
    could_claim,
    failed_market_streak,
    feasible,
    feasible_for_everyone,
    pair_similarity,
    region_proximity,
    vacant,
)
from matching.index import VectorIndex
from matching.lifecycle import StreakRule
from matching.locks import ReadWriteLock
from matching.occupations import OccupationVocabulary
from matching.policy import (
    EVERYONE,
    FIRST_CLAIM,
    PRIORITY_GROUP,
    policy_tiers,
    served_order,
    strongest_claims,
)
from matching.ranker import Direction, Ranker
from matching.regions import in_region
from matching.settings import Settings
from matching.store import Store

NON_PERSONALISED = "non-personalised"
# The first index search asks for this many times the retrieval pool; when fewer feasible
# items are among the hits, retrieval checks every eligible item first (Matcher._retrieve).
FIRST_SEARCH = 3
# Feasible items under 1/EXACT_SHARE of the index are scored exactly rather than searched in
# the index restricted to them (HNSW restricted to a small share visits most of its graph).
EXACT_SHARE = 8


def _everything(items: np.ndarray) -> np.ndarray:
    return np.ones(len(items), dtype=bool)


# Rows per slice: 512 KiB of 512-d vectors, within a core's L2 cache, and one BLAS thread. A
# county's 17,000 people of a million took 2.5 ms so, 4.8 ms in slices of 4,096 rows (8 MiB).
_NEARNESS_SLICE = 256


def _nearness(vectors: np.ndarray, rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``vectors[rows] @ query`` a slice at a time: a public-welfare post's claimants can be a
    fifth of a national register, and gathering all their vectors at once copied hundreds of
    megabytes per request."""
    out = np.empty(len(rows), dtype=np.float32)
    for start in range(0, len(rows), _NEARNESS_SLICE):
        part = rows[start : start + _NEARNESS_SLICE]
        out[start : start + len(part)] = vectors[part] @ query
    return out


def nearest_feasible(
    query: np.ndarray,
    eligible: np.ndarray,
    is_feasible: Callable[[np.ndarray], np.ndarray],
    vectors: np.ndarray,
    pool: int,
) -> np.ndarray:
    """The ``pool`` feasible eligible items nearest to ``query``, by exact inner product
    (ties keep the order of ``eligible``)."""
    if not len(eligible):
        return eligible
    # Gathering the eligible rows copies them: past a quarter of the catalog, one product
    # with every row is cheaper.
    if len(eligible) * 4 < len(vectors):
        similarity = _nearness(vectors, eligible, query)
    else:
        similarity = (vectors @ query)[eligible]
    return most_similar_feasible(similarity, eligible, is_feasible, pool)


def most_similar_feasible(
    similarity: np.ndarray,
    eligible: np.ndarray,
    is_feasible: Callable[[np.ndarray], np.ndarray],
    pool: int,
) -> np.ndarray:
    """The ``pool`` feasible items of ``eligible`` with the highest ``similarity`` (one value
    per eligible item), best first; ties keep the order of ``eligible``.

    Most queries fill the pool from the first few hundred nearest items, so those are found
    by partition rather than by sorting the whole catalog, and feasibility is checked nearest
    first, a few pools at a time; past that head the rest is sorted.
    """
    head = pool * 4
    if len(eligible) > 2 * head:
        cut = np.partition(similarity, len(similarity) - head)[len(similarity) - head]
        # Everything tied with the cut comes along, so the head is exactly the start of the
        # stable full order.
        first = np.flatnonzero(similarity >= cut)
        first = first[np.argsort(-similarity[first], kind="stable")]
        found = eligible[first]
        found = found[is_feasible(found)]
        if len(found) >= pool:
            return found[:pool]
        rest = np.ones(len(eligible), dtype=bool)
        rest[first] = False
        order = np.flatnonzero(rest)
        order = order[np.argsort(-similarity[order], kind="stable")]
        parts, count = [found], len(found)
    else:
        order = np.argsort(-similarity, kind="stable")
        parts, count = [], 0
    ranked = eligible[order]
    start, step = 0, head
    while count < pool and start < len(ranked):
        chunk = ranked[start : start + step]
        chunk = chunk[is_feasible(chunk)]
        parts.append(chunk)
        count += len(chunk)
        start, step = start + step, step * 2
    return np.concatenate(parts)[:pool] if parts else eligible[:0]


@dataclass(frozen=True, slots=True)
class Match:
    """One ranked result: the job or person, its score, the reasons, and who ranked it."""

    id: str
    score: float
    reasons: list[str]
    model: str


class UnknownRecord(LookupError):
    """The query names a candidate or job the catalog does not hold."""


def _reading(method: Callable[..., list[Match]]) -> Callable[..., list[Match]]:
    """Run a query with the matcher's lock held shared (no update half applied under it)."""

    @functools.wraps(method)
    def locked(self: Matcher, *args: Any, **kwargs: Any) -> list[Match]:
        with self.lock.reading():
            return method(self, *args, **kwargs)

    return locked


# Rule 6's claimants for one snapshot and day: catalog, history, day, rows, tiers.
_Claimants = tuple["weakref.ref[Catalog]", "weakref.ref[HistoryIndex]", int, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class _IndexMap:
    """Storage positions of one index (one generation) as catalog rows: ``rows`` (-1: none),
    whether every live position ``i`` holds row ``i``, and the index's tombstoned positions
    applied so far (the first ``len(removed)`` of :attr:`VectorIndex.tombstoned`)."""

    generation: int
    rows: np.ndarray
    in_order: bool
    removed: np.ndarray


class Matcher:
    """Ranks jobs for candidates and candidates for jobs over one catalog snapshot."""

    def __init__(
        self,
        catalog: Catalog,
        ranker: Ranker,
        settings: Settings,
        *,
        job_vectors: np.ndarray,
        candidate_vectors: np.ndarray,
        job_index: VectorIndex | None = None,
        candidate_index: VectorIndex | None = None,
    ) -> None:
        self.catalog = catalog
        self.ranker = ranker
        self.settings = settings
        self.history = HistoryIndex(catalog, StreakRule.of(settings))
        self.job_vectors = job_vectors
        self.candidate_vectors = candidate_vectors
        self.job_index = job_index
        self.candidate_index = candidate_index
        # Queries share it; applying changed records (matching.live) takes it alone.
        self.lock = ReadWriteLock()
        for direction in ranker.boosters:  # made now, so that no request waits for it
            ranker.contribution_table(direction)
        self._index_rows: dict[int, _IndexMap] = {}
        # Rule 6's claimants of the last day asked (_claimants_on), keyed by the snapshot.
        self._claimants: _Claimants | None = None

    # -- retrieval ------------------------------------------------------------------------

    def _retrieve(
        self,
        query: np.ndarray,
        index: VectorIndex | None,
        positions: dict[str, int],
        eligible: np.ndarray,
        is_feasible: Callable[[np.ndarray], np.ndarray],
        vectors: np.ndarray,
        *,
        pool: int | None = None,
        allowed: np.ndarray | None = None,
        feasible_everywhere: Callable[[], np.ndarray] | None = None,
    ) -> np.ndarray:
        """Up to ``pool`` (default ``retrieval_pool``) feasible eligible items, nearest first.

        Fewer than ``exact_index_below`` eligible items (or no index: small catalogs) are
        scored exactly. Otherwise searches the index for :data:`FIRST_SEARCH` times the pool
        and drops infeasible items: most queries fill the pool so; under a quarter of the
        index eligible (a priority group), the search is restricted to the eligible items.
        When the hits do not fill the pool (few of the nearest items are feasible: a person
        with rare needs), the hard requirements are checked for every eligible item first
        and only the feasible ones are searched (:meth:`_nearest_of`).

        A caller holding ``eligible`` as a mask over catalog rows passes it as ``allowed``,
        and one that can decide every catalog row at once passes ``feasible_everywhere``
        (one flag per row; ``eligible`` must then be ascending): over a million people,
        scattering the rows into a mask and gathering the verdicts back cost milliseconds.
        """
        pool = self.settings.retrieval_pool if pool is None else pool
        # Fewer eligible items than an exact index holds are scored exactly, as that index
        # would: a search for three pools among 20,000 people visits most of them anyway,
        # and in a counselor's region (half of them) it fell back to checking all.
        few = len(eligible) < self.settings.exact_index_below
        # Past a quarter ineligible, most hits of an unrestricted search would be useless.
        small_share = index is not None and len(eligible) * 4 < len(index)
        if index is None or not len(index) or few:
            return nearest_feasible(query, eligible, is_feasible, vectors, pool)
        if allowed is None:
            allowed = np.zeros(len(positions), dtype=bool)
            allowed[eligible] = True
        rows = self._rows_of(index, positions)
        searched = len(eligible) if small_share else len(index)
        wanted = min(pool * FIRST_SEARCH, searched)
        restricted = self._storage_mask(index, positions, allowed) if small_share else None
        items = rows[index.search_storage(query, wanted, allowed=restricted)]
        items = items[items >= 0]
        items = items[allowed[items]]
        found = items[is_feasible(items)] if len(items) else items
        if len(found) >= pool or wanted >= searched:
            return found[:pool]
        # Only items the hard requirements admit are searched, so only those come back.
        if feasible_everywhere is None:
            feasible_items = eligible[is_feasible(eligible)]
        else:
            feasible_items = np.flatnonzero(allowed & feasible_everywhere())
        return self._nearest_of(query, index, positions, feasible_items, vectors, pool)

    def _nearest_of(
        self,
        query: np.ndarray,
        index: VectorIndex | None,
        positions: dict[str, int],
        items: np.ndarray,
        vectors: np.ndarray,
        pool: int,
    ) -> np.ndarray:
        """Up to ``pool`` of ``items`` (catalog rows), nearest first: scored exactly
        when they are under 1/:data:`EXACT_SHARE` of the index and fewer than
        ``exact_index_below`` (or there is no index), else searched in the index restricted
        to them."""
        # Gathering the vectors of tens of thousands of items costs more than the search.
        most = self.settings.exact_index_below
        if index is None or len(items) < min(len(index) // EXACT_SHARE, most):
            return nearest_feasible(query, items, _everything, vectors, pool)
        rows = self._rows_of(index, positions)
        allowed = np.zeros(len(positions), dtype=bool)
        allowed[items] = True
        found = rows[
            index.search_storage(query, pool, allowed=self._storage_mask(index, positions, allowed))
        ]
        return found[allowed[found]]

    def _rows_of(self, index: VectorIndex, positions: dict[str, int]) -> np.ndarray:
        """Catalog row of each storage position of ``index`` (-1: none), cached per index and
        extended as items are appended (a Python look-up per hit cost milliseconds)."""
        return self._index_map(index, positions).rows

    def _storage_mask(
        self, index: VectorIndex, positions: dict[str, int], allowed: np.ndarray
    ) -> np.ndarray:
        """``allowed`` (one flag per catalog row) as one flag per storage position of
        ``index``, False for positions holding no row. While the live positions are the
        catalog's rows in order (an index built over the catalog), the flags are the same,
        removed positions cleared, and not gathered again (2 ms over a million)."""
        mapped = self._index_map(index, positions)
        if not mapped.in_order:
            return (mapped.rows >= 0) & allowed[mapped.rows]
        flags = allowed[: len(mapped.rows)]
        if len(mapped.removed):
            flags = flags.copy()
            flags[mapped.removed] = False
        return flags

    def _index_map(self, index: VectorIndex, positions: dict[str, int]) -> _IndexMap:
        """The cached :class:`_IndexMap` of ``index``, caught up with the positions appended
        and removed since it was last asked (a replaced vector is both: its old position must
        map to no row, or a restricted search could serve the person under it)."""
        key = id(index)
        mapped = self._index_rows.get(key)
        if mapped is None or mapped.generation != index.generation:
            none = np.empty(0, dtype=np.int64)
            mapped = _IndexMap(index.generation, none, True, none)
        stored, tombstoned = index.storage_ids, index.tombstoned
        done, seen = len(mapped.rows), len(mapped.removed)
        if done == len(stored) and seen == len(tombstoned):
            return mapped
        rows, in_order = mapped.rows, mapped.in_order
        if done < len(stored):
            fresh = np.fromiter(
                (positions.get(i, -1) if i is not None else -1 for i in stored[done:]),
                dtype=np.int64,
                count=len(stored) - done,
            )
            in_order = in_order and bool(np.array_equal(fresh, np.arange(done, len(stored))))
            rows = np.concatenate([rows, fresh])
        else:
            rows = rows.copy()  # readers may hold the cached one
        gone = np.asarray(tombstoned[seen:], dtype=np.int64)
        rows[gone] = -1
        mapped = _IndexMap(index.generation, rows, in_order, np.concatenate([mapped.removed, gone]))
        self._index_rows[key] = mapped
        return mapped

    # -- ranking --------------------------------------------------------------------------

    @_reading
    def jobs_for_candidate(
        self,
        candidate_id: str,
        k: int,
        *,
        on: dt.date | None = None,
        personalised: bool = True,
        region_prefix: str = "",
    ) -> list[Match]:
        """The top ``k`` open, feasible jobs for a candidate, best first (only jobs whose
        region code starts with ``region_prefix``, e.g. a counselor's area)."""
        c = self.catalog.candidates.index.get(candidate_id)
        if c is None:
            raise UnknownRecord(f"no candidate with id {candidate_id}")
        day = (on or dt.date.today()).toordinal()
        open_jobs = self.catalog.jobs.open_on(day)
        keep = vacant(self.catalog, self.history, open_jobs, np.full(len(open_jobs), day))
        if region_prefix:
            keep &= in_region(self.catalog.jobs.region_number[open_jobs], region_prefix)
        open_jobs = open_jobs[keep]
        jobs = self._retrieve(
            self.candidate_vectors[c],
            self.job_index,
            self.catalog.jobs.index,
            open_jobs,
            lambda js: feasible(self.catalog, c, js),
            self.job_vectors,
        )
        candidates = np.full(len(jobs), c, dtype=np.int64)
        # The person's own stored choice (PIPL art. 24) holds whatever the caller asks.
        if not personalised or self.catalog.candidates.declined[c]:
            return self._non_personalised(candidates, jobs, k)
        return self._rank(candidates, jobs, day, Direction.JOBS_FOR_CANDIDATE, k)

    @_reading
    def candidates_for_job(
        self,
        job_id: str,
        k: int,
        *,
        on: dt.date | None = None,
        personalised: bool = True,
        region_prefix: str = "",
    ) -> list[Match]:
        """The top ``k`` active candidates for whom the job is feasible, best first (only
        people whose region code starts with ``region_prefix``).

        ``personalised=False`` orders everyone by distance and registration date only; people
        who declined personalised ranking (PIPL art. 24) are always ordered so, and take
        their places in the list in proportion (see :meth:`_place_declined`)."""
        j = self.catalog.jobs.index.get(job_id)
        if j is None:
            raise UnknownRecord(f"no job with id {job_id}")
        day = (on or dt.date.today()).toordinal()
        people = self.catalog.candidates
        keep = people.active & (people.registered <= day)
        if region_prefix:
            keep &= in_region(people.region_number, region_prefix)
        active = np.flatnonzero(keep)
        candidates = self._retrieve(
            self.job_vectors[j],
            self.candidate_index,
            self.catalog.candidates.index,
            active,
            lambda cs: feasible(self.catalog, cs, j),
            self.candidate_vectors,
            allowed=keep,
            feasible_everywhere=lambda: feasible_for_everyone(self.catalog, j),
        )
        # Rule 6: the people entitled to a public-welfare post are proposed for it, not only
        # those among the nearest retrieved.
        if self.catalog.jobs.public_welfare[j]:
            claims = self._claims(j, keep, day, max(k, self.settings.retrieval_pool))
            candidates = np.r_[candidates, np.setdiff1d(claims, candidates)]
        jobs = np.full(len(candidates), j, dtype=np.int64)
        return self._rank(
            candidates, jobs, day, Direction.CANDIDATES_FOR_JOB, k, personalised=personalised
        )

    def _claims(self, job: int, eligible: np.ndarray, day: int, keep: int) -> np.ndarray:
        """Rule 6 for a public-welfare post: at most ``keep`` of the ``eligible`` people (a
        mask over catalog rows) entitled to it whom its hard requirements admit, the strongest
        tier first, then the nearest (:func:`matching.policy.strongest_claims`).

        Each tier's nearest feasible members are retrieved as everyone's are (:meth:`_retrieve`
        over that tier), and a weaker tier only while the stronger ones leave places: checking
        and scoring every entitled person of a national register (a fifth of a million) cost
        about 90 ms a request."""
        claimants, tiers = self._claimants_on(job, day)
        taking = eligible[claimants]
        claimants, tiers = claimants[taking], tiers[taking]
        query = self.job_vectors[job]
        found: list[np.ndarray] = []
        found_tiers: list[np.ndarray] = []
        for tier in (FIRST_CLAIM, PRIORITY_GROUP):
            if sum(map(len, found)) >= keep:
                break
            members = self._retrieve(
                query,
                self.candidate_index,
                self.catalog.candidates.index,
                claimants[tiers == tier],
                lambda cs: feasible(self.catalog, cs, job),
                self.candidate_vectors,
                pool=keep,
            )
            found.append(members)
            found_tiers.append(np.full(len(members), tier, dtype=np.int8))
        claim = np.concatenate(found)
        nearness = _nearness(self.candidate_vectors, claim, query)
        return claim[strongest_claims(np.concatenate(found_tiers), nearness, keep)]

    def _claimants_on(self, job: int, day: int) -> tuple[np.ndarray, np.ndarray]:
        """The people (catalog rows) entitled to public-welfare posts on ``day`` by rule 6,
        with their tiers, for ``job``, one of those posts.

        The tiers depend on the person and the day only (every public-welfare post gives the
        same), so they are worked out once per day and catalog snapshot: over a national
        register that took 7 ms a request. Live updates replace the catalog and history
        objects, which is what makes the kept answer stale."""
        catalog, history, settings = self.catalog, self.history, self.settings
        kept = self._claimants
        # Weak references: a kept id could be a new snapshot's once the old one is freed.
        if kept is not None and kept[0]() is catalog and kept[1]() is history and kept[2] == day:
            return kept[3], kept[4]
        rows = np.arange(len(catalog.candidates))
        # Streaks only of people who could hold a claim: not of a whole register.
        maybe = rows[could_claim(catalog, history, rows, settings)]
        streak = failed_market_streak(catalog, history, maybe, np.full(len(maybe), day))
        tiers = policy_tiers(
            catalog, maybe, np.full(len(maybe), job), streak, settings, for_person=False
        )
        entitled = tiers < EVERYONE
        maybe, tiers = maybe[entitled], tiers[entitled]
        self._claimants = (weakref.ref(catalog), weakref.ref(history), day, maybe, tiers)
        return maybe, tiers

    def _rank(
        self,
        candidates: np.ndarray,
        jobs: np.ndarray,
        day: int,
        direction: Direction,
        k: int,
        *,
        personalised: bool = True,
    ) -> list[Match]:
        if len(jobs) == 0:
            return []
        similarity = pair_similarity(self.candidate_vectors, self.job_vectors, candidates, jobs)
        features = build_features(
            self.catalog, self.history, candidates, jobs, day, similarity, self.settings
        )
        scores = self.ranker.score(features, direction)
        key = scores
        declined = np.zeros(len(candidates), dtype=bool)
        if direction is Direction.CANDIDATES_FOR_JOB:
            declined = (
                self.catalog.candidates.declined[candidates]
                if personalised
                else np.ones(len(candidates), dtype=bool)
            )
            if declined.any():
                key = self._place_declined(candidates, jobs, scores, declined)
                # Shown score of a declined person: closeness only, as in their own lists.
                proximity = region_proximity(
                    self.catalog.candidates.region[candidates], self.catalog.jobs.region[jobs]
                )
                scores = np.where(declined, proximity / 3, scores)
        tiers = self._policy_tiers(candidates, jobs, features, direction)
        order = served_order(
            key, tiers, self._quota_gaps(jobs), self.settings.quota_gap_tie_break_decimals
        )[:k]
        contributions = self.ranker.contributions(features[order], direction)
        matches = []
        for row, position in enumerate(order):
            c, j = int(candidates[position]), int(jobs[position])
            if declined[position]:
                record = self.catalog.candidates.records[c]
                reasons = [
                    "按距离与登记时间排序（未使用个性化推荐）",
                    f"登记于 {record.registered_at.isoformat()}",
                ]
                ident = self.catalog.candidates.ids[c]
                matches.append(Match(ident, float(scores[position]), reasons, NON_PERSONALISED))
                continue
            reasons = explain(self.catalog, c, j, features[position], contributions[row])
            ident = (
                self.catalog.jobs.ids[j]
                if direction is Direction.JOBS_FOR_CANDIDATE
                else (self.catalog.candidates.ids[c])
            )
            matches.append(Match(ident, float(scores[position]), reasons, self.ranker.name))
        return matches

    def _quota_gaps(self, jobs: np.ndarray) -> np.ndarray:
        """The quota gap of each job's employer, the tie-break among equally fit results
        (README, "Quota compliance"); an unknown gap counts as none. For people for one job
        every gap is the same, so only jobs for a person change order."""
        return np.nan_to_num(self.catalog.jobs.quota_gap[jobs], nan=0.0)

    def _policy_tiers(
        self, candidates: np.ndarray, jobs: np.ndarray, features: np.ndarray, direction: Direction
    ) -> np.ndarray:
        """Priority tiers of DOMAIN.md rule 6 (lower goes first), applied over the score."""
        return policy_tiers(
            self.catalog,
            candidates,
            jobs,
            features[:, FEATURES.index("person_failed_market_streak")],
            self.settings,
            for_person=direction is Direction.JOBS_FOR_CANDIDATE,
        )

    def _place_declined(
        self, candidates: np.ndarray, jobs: np.ndarray, scores: np.ndarray, declined: np.ndarray
    ) -> np.ndarray:
        """An ordering key (higher first) that places people who declined personalised
        ranking without profiling them.

        They are ordered among themselves by distance to the job, then by registration date
        (longest waiting first), and interleaved with the others at the same relative rank
        (the i-th of m takes the place of quantile (i + 0.5) / m of the others' list; on a
        tie the other goes first): as a group neither pushed down for declining nor lifted,
        and nothing of their place comes from their profile. The others keep their order.
        """
        people = self.catalog.candidates
        mine = np.flatnonzero(declined)
        proximity = region_proximity(
            people.region[candidates[mine]], self.catalog.jobs.region[jobs[mine]]
        )
        mine = mine[np.lexsort((people.registered[candidates[mine]], -proximity))]
        others = np.flatnonzero(~declined)
        others = others[np.argsort(-scores[others], kind="stable")]
        # Relative rank in each list; on equal ranks the other person goes first.
        quantile = np.empty(len(scores), dtype=np.float64)
        quantile[others] = (np.arange(len(others)) + 0.5) / max(len(others), 1)
        quantile[mine] = (np.arange(len(mine)) + 0.5) / len(mine)
        merged = np.lexsort((declined, quantile))
        key = np.empty(len(scores), dtype=np.float64)
        key[merged] = np.arange(len(scores), 0, -1, dtype=np.float64)
        return key

    def _non_personalised(self, candidates: np.ndarray, jobs: np.ndarray, k: int) -> list[Match]:
        """PIPL art. 24: feasible jobs ordered by distance and posting date only."""
        c = self.catalog.candidates
        proximity = region_proximity(c.region[candidates], self.catalog.jobs.region[jobs])
        posted = self.catalog.jobs.posted[jobs]
        order = np.lexsort((-posted, -proximity))[:k]
        matches = []
        for position in order:
            record = self.catalog.jobs.records[int(jobs[position])]
            reasons = [
                "按距离与发布时间排序（未使用个性化推荐）",
                f"发布于 {record.posted_at.isoformat()}",
            ]
            matches.append(
                Match(record.id, float(proximity[position]) / 3, reasons, NON_PERSONALISED)
            )
        return matches


def sync_index(
    directory: Path, ids: list[str], vectors: np.ndarray, exact_below: int
) -> VectorIndex:
    """The persisted index in ``directory``, brought up to date with ``ids``/``vectors``.

    Only the difference is applied: ids no longer wanted (a job closed, a person deactivated)
    are removed, new or changed ones added. The index is saved again only if it changed.
    """
    if not VectorIndex.exists(directory):
        index = VectorIndex.build(ids, vectors, exact_below=exact_below)
        index.save(directory)
        return index
    index = VectorIndex.load(directory)
    wanted = dict(zip(ids, range(len(ids)), strict=True))
    stale = [i for i in index.ids if i not in wanted]
    present = [i for i in ids if i in index]
    changed = []
    if present:
        old = index.vectors(present)
        new = vectors[[wanted[i] for i in present]]
        changed = [present[n] for n in np.flatnonzero(np.abs(old - new).max(axis=1) > 1e-6)]
    fresh = [i for i in ids if i not in index] + changed
    if stale:
        index.remove(stale)
    if fresh:
        index.add(fresh, vectors[[wanted[i] for i in fresh]])
    if stale or fresh:
        index.save(directory)
    return index


def embed_catalog(
    catalog: Catalog,
    cache: EmbeddingCache,
    occupations: OccupationVocabulary | None,
    *,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectors of every job and every candidate of the catalog, in catalog order (cached)."""
    job_vectors = cache.vectors(
        [job_text(j, occupations) for j in catalog.jobs.records], progress=progress
    )
    candidate_vectors = cache.vectors(
        [candidate_text(c, occupations) for c in catalog.candidates.records], progress=progress
    )
    return job_vectors, candidate_vectors


def open_matcher(
    store: Store,
    settings: Settings,
    embedder: Embedder,
    ranker: Ranker,
    occupations: OccupationVocabulary,
    *,
    on: dt.date | None = None,
    progress: bool = False,
) -> Matcher:
    """A matcher over everything in the store, with vectors from the embedding cache and the
    retrieval indexes in the home (open jobs; active candidates) brought up to date."""
    ranker.check_compatible(embedder.model_id)
    catalog = Catalog.from_store(store, settings, occupations)
    job_vectors, candidate_vectors = embed_catalog(
        catalog, EmbeddingCache(store, embedder), occupations, progress=progress
    )
    return matcher_over(
        catalog, job_vectors, candidate_vectors, settings, embedder.model_id, ranker, on=on
    )


def matcher_over(
    catalog: Catalog,
    job_vectors: np.ndarray,
    candidate_vectors: np.ndarray,
    settings: Settings,
    embedding_model_id: str,
    ranker: Ranker,
    *,
    on: dt.date | None = None,
) -> Matcher:
    """A matcher over a catalog snapshot and its vectors, with the retrieval indexes in the
    home (jobs not closed on ``on``, those posted for later included, so that a server
    running for days finds them once they open; active candidates) brought up to date."""
    ranker.check_compatible(embedding_model_id)
    today = (on or dt.date.today()).toordinal()
    open_jobs = np.flatnonzero(catalog.jobs.closes >= today)
    active = np.flatnonzero(catalog.candidates.active)
    root = settings.home / "index" / embedding_model_id
    job_index = sync_index(
        root / "jobs",
        [catalog.jobs.ids[i] for i in open_jobs],
        job_vectors[open_jobs],
        settings.exact_index_below,
    )
    candidate_index = sync_index(
        root / "candidates",
        [catalog.candidates.ids[i] for i in active],
        candidate_vectors[active],
        settings.exact_index_below,
    )
    return Matcher(
        catalog,
        ranker,
        settings,
        job_vectors=job_vectors,
        candidate_vectors=candidate_vectors,
        job_index=job_index,
        candidate_index=candidate_index,
    )
