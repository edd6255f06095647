"""Single-request latency of the matching engine, person → jobs and job → people, at scale.

    .venv/bin/python benchmarks/latency.py                       # everything, 10-20 min
    .venv/bin/python benchmarks/latency.py --jobs 10000 100000 --candidates 100000 1000000 \\
        --requests 300 --index-cache /tmp/latency-indexes    # reruns skip the index builds
    .venv/bin/python benchmarks/latency.py --jobs 10000 --candidates 100000   # a few minutes

Times ``Matcher.jobs_for_candidate`` over 10k and 100k open jobs and
``Matcher.candidates_for_job`` over 100k and 1M active candidates, one request at a time
(k = 10, as a counselor's screen asks), with the query's vector already computed: the matcher
holds the vectors of everything in its catalog, as ``open_matcher`` leaves it. Each request
runs the whole engine: the open/vacant (or active) filter, index search, feasibility, the
features, LightGBM scoring of the retrieval pool, the policy tiers, ``pred_contrib`` of the
top k and their explanations. The target is p99 ≤ 30 ms on the 2-core serving host.

Each configuration is also timed within the query's own county (``--region-digits 6``), as
a counselor asks: only a sliver of the index is eligible there, the hard case for retrieval.
The big catalogs (a million people cannot be generated or embedded by m3e in a benchmark):

* **Records.** One synthetic world (default 20k candidates, 5k jobs) is generated and read
  back through the domain models; bigger catalogs copy its open jobs or people with new ids
  (``model_copy``), each copy in one of the world's counties, up to the wanted number. The
  referral history is the world's own (copies have none). ``Catalog.from_records`` is timed,
  with the resident memory it adds.
* **Vectors.** Synthetic 512-d unit vectors with cluster structure stand in for m3e-small,
  so that HNSW recall and search effort are like those on text embeddings: each occupation
  has a topic direction, each record one of 200 cluster centres, a vector is
  ``normalise(topic + 0.5 centre + noise)`` (cosines about 0.7-0.8 within an occupation, 0-0.2
  across), so a job's nearest people are mostly people the job is feasible for, as in real data.
* **Indexes.** ``VectorIndex.build`` with the project's defaults (exact below
  ``Settings().exact_index_below``, else HNSW M 32, efConstruction 40, efSearch 128), over the
  open jobs and active candidates as ``open_matcher`` builds them; build time is reported.
* **Ranker.** A LambdaRank ranker (both directions, the default parameters) is trained on the
  world's referral history with :func:`training.train.ranking_sets` and
  :func:`training.train.fit_ranker`, on the same synthetic vectors, so scoring, contributions
  and explanations cost what a trained model costs.

Requests are timed with ``time.perf_counter`` after a warm-up, queries drawn at random from
the active candidates or the open jobs. The stage table comes from a second pass that wraps
each stage's function in a timer: means over all requests and over the slowest 1%, index
searches per request and the deepest. The load average is printed with every configuration,
and the CPU time per request (all threads: BLAS may use both cores) shows how much of the wall
time was this process's own. Peak memory with 1M candidates: about 9.5-11.5 GiB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import inspect
import json
import os
import platform
import resource
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

import matching.engine as engine
from demo.world import generate_world
from matching.catalog import Catalog
from matching.domain import Candidate, Employer, Job, Referral
from matching.engine import Matcher
from matching.features import HistoryIndex
from matching.index import VectorIndex
from matching.occupations import OccupationVocabulary
from matching.ranker import Direction, Ranker
from matching.settings import Settings
from training.config import shipped_config
from training.dataset import ranking_sets
from training.train import fit_ranker

K = 10
AREA = ", same area"
DIM = 512
CENTRES = 200
CENTRE_WEIGHT = 0.5  # a shared cluster centre's share next to the occupation's topic (1)
NOISE = 0.5  # norm of the noise added to topic + centre (before normalising)
RecordT = TypeVar("RecordT", Job, Candidate)


# -- the machine ------------------------------------------------------------------------------


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.is_file() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.processor() or "unknown"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def rss_mb() -> float:
    """Resident memory of this process now, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- the world and its replicas -----------------------------------------------------------------


@dataclass
class World:
    employers: list[Employer]
    jobs: list[Job]
    candidates: list[Candidate]
    referrals: list[Referral]
    counties: list[str]
    today: dt.date


def read_world(directory: Path, today: dt.date) -> World:
    def read(name: str, model: Any) -> list[Any]:
        with (directory / f"{name}.jsonl").open(encoding="utf-8") as handle:
            return [model.model_validate(json.loads(line)) for line in handle if line.strip()]

    employers = read("employers", Employer)
    jobs = read("jobs", Job)
    candidates = read("candidates", Candidate)
    referrals = read("referrals", Referral)
    counties = sorted({j.region_code for j in jobs} | {c.region_code for c in candidates})
    return World(employers, jobs, candidates, referrals, counties, today)


def replicate(
    base: Sequence[RecordT], count: int, counties: list[str], rng: np.random.Generator
) -> tuple[list[RecordT], np.ndarray]:
    """``count`` copies of ``base`` records (cycled) with new ids and random counties.

    Returns the copies and, for each, the position of its original in ``base``.
    """
    origin = np.arange(count) % len(base)
    region = rng.integers(0, len(counties), size=count)
    copies = [
        base[o].model_copy(update={"id": f"{base[o].id}-r{n}", "region_code": counties[r]})
        for n, (o, r) in enumerate(zip(origin.tolist(), region.tolist(), strict=True))
    ]
    return copies, origin


# -- synthetic vectors --------------------------------------------------------------------------


def _topic_key(record: Job | Candidate) -> str:
    if isinstance(record, Job):
        return record.occupation or record.title
    if record.target_occupations:
        return record.target_occupations[0]
    return record.skills[0] if record.skills else ""


class SyntheticVectors:
    """Clustered unit vectors standing in for m3e-small embeddings (see the module docstring)."""

    def __init__(self, seed: int, dim: int = DIM, centres: int = CENTRES, noise: float = NOISE):
        self.dim, self.noise = dim, noise
        self.rng = np.random.default_rng(seed)
        self.centres = CENTRE_WEIGHT * _normalised(
            self.rng.standard_normal((centres, dim), dtype=np.float32)
        )
        self._topics: dict[str, np.ndarray] = {}

    def topic(self, key: str) -> np.ndarray:
        if key not in self._topics:
            digest = hashlib.sha256(key.encode("utf-8")).digest()
            rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
            self._topics[key] = _normalised(rng.standard_normal((1, self.dim)))[0]
        return self._topics[key]

    def topics(self, records: Sequence[Job | Candidate]) -> np.ndarray:
        """The topic direction of each record (n, dim)."""
        keys = [_topic_key(r) for r in records]
        unique = sorted(set(keys))
        rows = {key: n for n, key in enumerate(unique)}
        table = np.stack([self.topic(key) for key in unique]) if unique else np.zeros((0, self.dim))
        return table[[rows[key] for key in keys]].astype(np.float32)

    def vectors(
        self, topics: np.ndarray, rng: np.random.Generator, block: int = 65536
    ) -> np.ndarray:
        """A unit vector near each topic row: topic + a random shared centre + noise."""
        out = np.empty((len(topics), self.dim), dtype=np.float32)
        for start in range(0, len(topics), block):
            stop = min(start + block, len(topics))
            centre = self.centres[rng.integers(0, len(self.centres), size=stop - start)]
            noise = rng.standard_normal((stop - start, self.dim), dtype=np.float32)
            noise *= self.noise / np.sqrt(self.dim)
            out[start:stop] = _normalised(topics[start:stop] + centre + noise)
        return out


def _normalised(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


# -- timing -------------------------------------------------------------------------------------


STAGES = [
    "eligible",
    "search",
    "feasible",
    "features",
    "score",
    "tiers",
    "contrib",
    "explain",
    "other",
]


@dataclass
class StageTimer:
    """Wall time per stage of the current request, from wrappers put around each stage."""

    current: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    searches: int = 0
    widest: int = 0

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.current[name] += time.perf_counter() - started

        return timed

    def wrap_search(self, function: Callable[..., Any]) -> Callable[..., Any]:
        timed = self.wrap("search", function)

        def search(queries: np.ndarray, k: int, **options: Any) -> Any:
            self.searches += 1
            self.widest = max(self.widest, k)
            return timed(queries, k, **options)

        return search

    def reset(self) -> None:
        self.current = defaultdict(float)
        self.searches = 0
        self.widest = 0


@contextmanager
def instrumented(matcher: Matcher, timer: StageTimer) -> Iterator[None]:
    """Wrap the engine's stages in timers for the duration of the block."""
    module_functions = {
        "vacant": "eligible",
        "feasible": "feasible",
        "build_features": "features",
        "explain": "explain",
    }
    saved = {name: getattr(engine, name) for name in module_functions}
    for name, stage in module_functions.items():
        setattr(engine, name, timer.wrap(stage, saved[name]))
    ranker = matcher.ranker
    ranker.score = timer.wrap("score", Ranker.score.__get__(ranker))  # type: ignore[method-assign]
    ranker.contributions = timer.wrap(  # type: ignore[method-assign]
        "contrib", Ranker.contributions.__get__(ranker)
    )
    matcher._policy_tiers = timer.wrap(  # type: ignore[method-assign]
        "tiers", Matcher._policy_tiers.__get__(matcher)
    )
    indexes = [i for i in (matcher.job_index, matcher.candidate_index) if i is not None]
    for index in indexes:
        index.search_storage = timer.wrap_search(  # type: ignore[method-assign]
            VectorIndex.search_storage.__get__(index)
        )
    try:
        yield
    finally:
        for name, function in saved.items():
            setattr(engine, name, function)
        del ranker.score, ranker.contributions, matcher._policy_tiers
        for index in indexes:
            del index.search_storage


def percentile(values: np.ndarray, q: float) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


@dataclass
class Timing:
    wall_ms: np.ndarray
    cpu_ms: np.ndarray
    results: np.ndarray


def time_requests(request: Callable[[str], list[Any]], ids: Sequence[str], warmup: int) -> Timing:
    """Time ``request`` over ``ids`` after the first ``warmup`` of them (not timed: each
    query is asked once, so no timed request is a repeat)."""
    for query in ids[:warmup]:
        request(query)
    wall, cpu, results = [], [], []
    for query in ids[warmup:]:
        cpu_started = time.process_time()
        started = time.perf_counter()
        matches = request(query)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
        results.append(len(matches))
    return Timing(np.array(wall) * 1e3, np.array(cpu) * 1e3, np.array(results))


@dataclass
class StageProfile:
    per_request: list[dict[str, float]]  # ms per stage
    total_ms: np.ndarray
    searches: np.ndarray
    widest: np.ndarray


def profile_stages(
    matcher: Matcher, request: Callable[[str], list[Any]], ids: Sequence[str]
) -> StageProfile:
    timer = StageTimer()
    rows, totals, searches, widest = [], [], [], []
    with instrumented(matcher, timer):
        for query in ids:
            timer.reset()
            started = time.perf_counter()
            request(query)
            total = time.perf_counter() - started
            row = {stage: timer.current.get(stage, 0.0) * 1e3 for stage in STAGES}
            row["other"] = total * 1e3 - sum(row.values())
            rows.append(row)
            totals.append(total * 1e3)
            searches.append(timer.searches)
            widest.append(timer.widest)
    return StageProfile(rows, np.array(totals), np.array(searches), np.array(widest))


# -- configurations -----------------------------------------------------------------------------


@dataclass
class Build:
    """What making one configuration's catalog and index took (s, and MiB resident added)."""

    index_kind: str
    index_size: int
    copies_s: float
    copies_mb: float
    catalog_s: float
    catalog_mb: float
    index_s: float
    index_mb: float


@dataclass
class Result:
    name: str
    direction: Direction
    catalog_size: str
    build: Build
    timing: Timing
    stages: StageProfile
    load: str


def build_and_measure(
    name: str,
    direction: Direction,
    world: World,
    world_vectors: tuple[np.ndarray, np.ndarray],
    ranker: Ranker,
    settings: Settings,
    occupations: OccupationVocabulary,
    vectors: SyntheticVectors,
    *,
    open_jobs: int | None,
    candidates: int | None,
    requests: int,
    warmup: int,
    seed: int,
    index_cache: Path | None,
    region_digits: int,
    region_requests: int,
) -> list[Result]:
    # Each configuration draws from its own stream: the same flags give the same catalog and
    # vectors whatever other configurations run (which --index-cache relies on).
    size = open_jobs if open_jobs is not None else candidates
    rng = np.random.default_rng([seed, 1 + list(Direction).index(direction), size or 0])
    job_base_vectors, candidate_base_vectors = world_vectors
    today = world.today.toordinal()

    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    jobs: list[Job] = list(world.jobs)
    job_vectors = job_base_vectors
    if open_jobs is not None:
        open_base = [j for j in world.jobs if j.is_open(world.today)]
        extra = max(0, open_jobs - len(open_base))
        log(f"{name}: copying {extra:,} open jobs")
        copies, origin = replicate(open_base, extra, world.counties, rng)
        jobs += copies
        job_vectors = np.vstack(
            [job_base_vectors, vectors.vectors(vectors.topics(open_base)[origin], rng)]
        )
    people: list[Candidate] = list(world.candidates)
    candidate_vectors = candidate_base_vectors
    if candidates is not None:
        extra = max(0, candidates - len(world.candidates))
        log(f"{name}: copying {extra:,} candidates")
        copies_c, origin = replicate(world.candidates, extra, world.counties, rng)
        people += copies_c
        candidate_vectors = np.vstack(
            [
                candidate_base_vectors,
                vectors.vectors(vectors.topics(world.candidates)[origin], rng),
            ]
        )
    copies_s, copies_mb = time.perf_counter() - started, rss_mb() - before
    log(f"{name}: records and vectors copied in {copies_s:.1f} s, +{copies_mb:,.0f} MiB")

    gc.collect()
    before = rss_mb()
    log(f"{name}: Catalog.from_records over {len(jobs):,} jobs, {len(people):,} candidates")
    started = time.perf_counter()
    catalog = Catalog.from_records(
        employers=world.employers,
        jobs=jobs,
        candidates=people,
        referrals=world.referrals,
        settings=settings,
        occupations=occupations,
    )
    catalog_s = time.perf_counter() - started
    catalog_mb = rss_mb() - before
    log(f"{name}: catalog in {catalog_s:.1f} s, +{catalog_mb:,.0f} MiB resident")

    open_rows = catalog.jobs.open_on(today)
    active = np.flatnonzero(catalog.candidates.active)
    if direction is Direction.JOBS_FOR_CANDIDATE:
        ids, rows, vecs = catalog.jobs.ids, open_rows, job_vectors
    else:
        ids, rows, vecs = catalog.candidates.ids, active, candidate_vectors
    index, index_s, index_mb = build_index(
        name,
        [ids[i] for i in rows],
        vecs[rows],
        settings,
        None if index_cache is None else index_cache / f"{direction.value}-{size}-seed{seed}",
    )
    # The other side's index is never searched in this direction.
    if direction is Direction.JOBS_FOR_CANDIDATE:
        job_index, candidate_index = index, None
    else:
        job_index, candidate_index = None, index
    matcher = Matcher(
        catalog,
        ranker,
        settings,
        job_vectors=job_vectors,
        candidate_vectors=candidate_vectors,
        job_index=job_index,
        candidate_index=candidate_index,
    )

    query_rng = np.random.default_rng(seed + 1)
    on = world.today
    by_person = direction is Direction.JOBS_FOR_CANDIDATE
    pool = (
        [catalog.candidates.ids[i] for i in active]
        if by_person
        else [catalog.jobs.ids[i] for i in open_rows]
    )
    regions = catalog.candidates.region if by_person else catalog.jobs.region
    rows_of = catalog.candidates.index if by_person else catalog.jobs.index
    ask = matcher.jobs_for_candidate if by_person else matcher.candidates_for_job

    def request(query: str) -> list[Any]:
        return ask(query, K, on=on)

    def request_in_area(query: str) -> list[Any]:
        prefix = str(regions[rows_of[query]])[:region_digits]
        return ask(query, K, on=on, region_prefix=prefix)  # type: ignore[call-arg]

    chosen = query_rng.choice(
        len(pool), size=requests + warmup, replace=requests + warmup > len(pool)
    )
    queries = [pool[i] for i in chosen]
    label = f"{len(open_rows):,} open jobs" if by_person else f"{len(active):,} candidates"
    built = Build(
        index.kind, len(index), copies_s, copies_mb, catalog_s, catalog_mb, index_s, index_mb
    )
    variants = [(name, label, request, requests)]
    if region_digits and region_requests:
        if "region_prefix" in inspect.signature(ask).parameters:
            area = f"the query's {'county' if region_digits >= 6 else 'area'}"
            variants.append((f"{name}{AREA}", f"{label}, {area}", request_in_area, region_requests))
        else:
            log(f"{name}: this Matcher takes no region_prefix; no same-area timing")
    results = []
    for variant, variant_label, ask_one, count in variants:
        picked = queries[: warmup + count]
        log(f"{variant}: timing {count} requests after {warmup} warm-up")
        load = load_average()
        timing = time_requests(ask_one, picked, warmup)
        stages = profile_stages(matcher, ask_one, picked[warmup:])
        results.append(Result(variant, direction, variant_label, built, timing, stages, load))
        log(
            f"{variant}: p50 {percentile(timing.wall_ms, 50):.1f} ms, "
            f"p99 {percentile(timing.wall_ms, 99):.1f} ms (load {load}; "
            f"peak RSS {peak_rss_mb():,.0f} MiB)"
        )
    return results


def build_index(
    name: str, ids: list[str], vectors: np.ndarray, settings: Settings, cached: Path | None
) -> tuple[VectorIndex, float, float]:
    """The index over ``ids``, its build time (s) and the resident memory it added (MiB).

    With ``cached``, an index saved there by an earlier run over the same ids and vectors is
    loaded instead (its build time is the one recorded then); a new one is saved there.
    """
    before = rss_mb()
    if cached is not None and VectorIndex.exists(cached):
        started = time.perf_counter()
        index = VectorIndex.load(cached)
        if index.ids == ids and np.array_equal(index.vectors(ids[:100]), vectors[:100]):
            build_s = json.loads((cached / "build.json").read_text())["build_s"]
            log(
                f"{name}: loaded the {index.kind} index from {cached} in "
                f"{time.perf_counter() - started:.1f} s (built in {build_s:.1f} s)"
            )
            return index, build_s, rss_mb() - before
        log(f"{name}: {cached} holds another index; building")
        del index
    log(f"{name}: VectorIndex.build over {len(ids):,} vectors")
    started = time.perf_counter()
    index = VectorIndex.build(ids, vectors, exact_below=settings.exact_index_below)
    build_s = time.perf_counter() - started
    added = rss_mb() - before
    log(f"{name}: {index.kind} index in {build_s:.1f} s, +{added:,.0f} MiB")
    if cached is not None:
        index.save(cached)
        (cached / "build.json").write_text(json.dumps({"build_s": build_s}))
    return index, build_s, added


# -- the world's ranker -------------------------------------------------------------------------


def train_ranker(
    world: World,
    world_vectors: tuple[np.ndarray, np.ndarray],
    settings: Settings,
    occupations: OccupationVocabulary,
    max_referrals: int,
    seed: int,
) -> Ranker:
    catalog = Catalog.from_records(
        employers=world.employers,
        jobs=world.jobs,
        candidates=world.candidates,
        referrals=world.referrals,
        settings=settings,
        occupations=occupations,
    )
    rows = np.arange(len(catalog.history))
    if len(rows) > max_referrals:
        rows = np.sort(np.random.default_rng(seed).choice(rows, max_referrals, replace=False))
    job_vectors, candidate_vectors = world_vectors
    config = shipped_config().with_changes({"training": {"seed": seed}})
    sets = ranking_sets(
        catalog,
        HistoryIndex(catalog),
        job_vectors=job_vectors,
        candidate_vectors=candidate_vectors,
        settings=settings,
        rows=rows,
        config=config,
    )
    ranker = fit_ranker(sets, embedding_model_id="synthetic-512", config=config)
    for direction, booster in ranker.boosters.items():
        log(f"ranker {direction.value}: {len(sets[direction]):,} rows, {booster.num_trees()} trees")
    return ranker


# -- report -------------------------------------------------------------------------------------


def print_tables(results: list[Result], target_ms: float) -> None:
    print()
    print(f"## Single-request latency, k = {K} (ms; wall clock unless marked cpu)")
    print()
    print(
        "| configuration | index | index build | p50 | p99 | mean | max | cpu p50 | cpu p99 "
        f"| load avg (1/5/15 min) | p99 ≤ {target_ms:g} ms |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        t = r.timing
        p99 = percentile(t.wall_ms, 99)
        print(
            f"| {r.name} ({r.catalog_size}) | {r.build.index_kind} {r.build.index_size:,} "
            f"| {r.build.index_s:.1f} s | {percentile(t.wall_ms, 50):.1f} | {p99:.1f} "
            f"| {t.wall_ms.mean():.1f} | {t.wall_ms.max():.1f} | {percentile(t.cpu_ms, 50):.1f} "
            f"| {percentile(t.cpu_ms, 99):.1f} "
            f"| {r.load} | {'yes' if p99 <= target_ms else 'NO'} |"
        )
    print()
    print("## Building (resident memory added by each step)")
    print()
    print("| configuration | copy records + vectors | Catalog.from_records | VectorIndex.build |")
    print("|---|---|---|---|")
    for r in results:
        if r.name.endswith(AREA):
            continue  # the same catalog and index as the line before
        b = r.build
        print(
            f"| {r.name} | {b.copies_s:.1f} s, +{b.copies_mb:,.0f} MiB "
            f"| {b.catalog_s:.1f} s, +{b.catalog_mb:,.0f} MiB "
            f"| {b.index_kind}: {b.index_s:.1f} s, +{b.index_mb:,.0f} MiB |"
        )
    print()
    print("## Where the time goes (stage pass; mean ms per request, and over the slowest 1%)")
    print()
    print("| configuration | rows | " + " | ".join(STAGES) + " | total | searches | widest k |")
    print("|---|---|" + "---|" * (len(STAGES) + 3))
    for r in results:
        s = r.stages
        slowest = np.argsort(-s.total_ms)[: max(1, len(s.total_ms) // 100)]
        for label, picked in (("all", np.arange(len(s.total_ms))), ("slowest 1%", slowest)):
            means = [np.mean([s.per_request[i][stage] for i in picked]) for stage in STAGES]
            print(
                f"| {r.name} | {label} | "
                + " | ".join(f"{m:.2f}" for m in means)
                + f" | {s.total_ms[picked].mean():.2f} | {s.searches[picked].mean():.1f} "
                f"| {int(s.widest[picked].max()):,} |"
            )
    print()
    print(
        "eligible: open/vacant filter (person → jobs); search: VectorIndex.search_storage (all "
        "rounds, the restricted one included); "
        "feasible: hard requirements of the hits (of every eligible item when scored exactly); "
        "features: build_features of the pool; "
        "score: LightGBM over the pool; tiers: policy tiers; contrib: pred_contrib of the top k; "
        "explain: reasons of the top k; other: the rest (active and region masks, hit id → row "
        "mapping, exact scoring without an index, similarity, sorting)."
    )
    empty = [r.name for r in results if (r.timing.results < K).any()]
    if empty:
        print(f"note: some requests returned fewer than {K} matches in: {', '.join(empty)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--jobs", type=int, nargs="*", default=[10000, 100000], help="open jobs (person → jobs)"
    )
    parser.add_argument(
        "--candidates",
        type=int,
        nargs="*",
        default=[100000, 1000000],
        help="active candidates (job → people)",
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--world-candidates", type=int, default=20000)
    parser.add_argument("--world-jobs", type=int, default=5000)
    parser.add_argument(
        "--train-referrals", type=int, default=25000, help="referrals the ranker learns from"
    )
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--target-ms", type=float, default=30.0)
    parser.add_argument(
        "--region-digits",
        type=int,
        default=6,
        help="also time requests limited to the query's region code prefix of this many digits "
        "(region_prefix: 6 = its county, 4 = its prefecture; 0: not at all)",
    )
    parser.add_argument(
        "--region-requests",
        type=int,
        default=100,
        help="requests for the same-area timing",
    )
    parser.add_argument("--world-dir", type=Path, help="reuse (or write) the generated world here")
    parser.add_argument(
        "--index-cache",
        type=Path,
        help="save the built indexes here and load them on later runs with the same flags",
    )
    args = parser.parse_args()

    print("# jobmatch latency benchmark")
    print(
        f"machine: {os.cpu_count()} CPUs ({len(os.sched_getaffinity(0))} usable), "
        f"{cpu_model()}; Python {platform.python_version()}"
    )
    print(f"load average at start: {load_average()}")
    print(
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '(unset)')}; "
        f"vectors: synthetic {DIM}-d, {CENTRES} centres + occupation topics (not m3e-small)"
    )
    settings = Settings()
    occupations = OccupationVocabulary.load()
    today = dt.date.today()

    with tempfile.TemporaryDirectory(prefix="jobmatch-latency-") as temporary:
        directory = args.world_dir or Path(temporary) / "world"
        if not (directory / "candidates.jsonl").is_file():
            started = time.perf_counter()
            summary = generate_world(
                directory,
                seed=args.seed,
                candidates=args.world_candidates,
                jobs=args.world_jobs,
                today=today,
            )
            log(f"generated {summary} in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        world = read_world(directory, today)
        log(
            f"read the world ({len(world.jobs):,} jobs, {len(world.candidates):,} candidates, "
            f"{len(world.referrals):,} referrals, {len(world.counties)} counties) in "
            f"{time.perf_counter() - started:.1f} s"
        )

    vectors = SyntheticVectors(args.seed)
    rng = np.random.default_rng([args.seed, 0])
    world_vectors = (
        vectors.vectors(vectors.topics(world.jobs), rng),
        vectors.vectors(vectors.topics(world.candidates), rng),
    )
    started = time.perf_counter()
    ranker = train_ranker(
        world, world_vectors, settings, occupations, args.train_referrals, args.seed
    )
    log(f"trained {ranker.name} in {time.perf_counter() - started:.1f} s")

    configurations: list[tuple[str, Direction, int | None, int | None]] = [
        (f"person→jobs {n // 1000}k", Direction.JOBS_FOR_CANDIDATE, n, None) for n in args.jobs
    ] + [
        (
            f"job→people {n // 1000}k" if n < 1_000_000 else f"job→people {n / 1e6:g}M",
            Direction.CANDIDATES_FOR_JOB,
            None,
            n,
        )
        for n in args.candidates
    ]
    results = []
    for name, direction, open_jobs, candidates in configurations:
        results += build_and_measure(
            name,
            direction,
            world,
            world_vectors,
            ranker,
            settings,
            occupations,
            vectors,
            open_jobs=open_jobs,
            candidates=candidates,
            requests=args.requests,
            warmup=args.warmup,
            seed=args.seed,
            index_cache=args.index_cache,
            region_digits=args.region_digits,
            region_requests=args.region_requests,
        )
        gc.collect()
    print_tables(results, args.target_ms)
    print(f"\nload average at end: {load_average()}; peak RSS {peak_rss_mb():,.0f} MiB")


if __name__ == "__main__":
    main()
