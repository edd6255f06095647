"""Recall and latency of the HNSW index against exact search, and embedding throughput.

    .venv/bin/python benchmarks/index_recall.py                 # 10k and 100k random vectors
    .venv/bin/python benchmarks/index_recall.py --real 3000     # plus m3e vectors of job texts

For every collection size the same vectors are indexed twice, exactly (``IndexFlatIP``) and
with HNSW (the ``VectorIndex`` defaults: M = 32, efConstruction = 40), and searched with
held-out queries: recall@10 is the share of the exact top 10 that HNSW finds, and latency is
that of single-query ``VectorIndex.search`` calls (as a counselor's request makes them).

Two kinds of random data: *isotropic* unit vectors, the worst case for any approximate index
(in 512 dimensions every point is about as far from a query as every other, so "nearest"
barely means anything), and *embedding-like* ones near a 24-dimensional subspace, which is how
text embeddings spread. ``--real`` embeds synthetic job texts with the bundled m3e-small.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from collections.abc import Iterator

import numpy as np

from matching.domain import Job
from matching.embedding import Embedder, job_text
from matching.index import VectorIndex, set_threads
from matching.occupations import OccupationVocabulary
from matching.settings import Settings

K = 10


def isotropic(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    """Unit vectors spread evenly over the sphere."""
    return _normalised(rng.standard_normal((n, dim)))


def embedding_like(rng: np.random.Generator, n: int, dim: int, rank: int = 24) -> np.ndarray:
    """Unit vectors near a random ``rank``-dimensional subspace, plus noise."""
    x = rng.standard_normal((n, rank)) @ rng.standard_normal((rank, dim))
    return _normalised(x + 0.3 * rng.standard_normal((n, dim)))


def _normalised(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def synthetic_job_texts(rng: np.random.Generator, n: int) -> list[str]:
    """Texts of made-up jobs: a 2022 occupation as title, some of its tasks as skills."""
    vocabulary = OccupationVocabulary.load()
    occupations = [occ for occ in vocabulary if occ.tasks]
    texts = []
    for i in range(n):
        occ = occupations[rng.integers(len(occupations))]
        tasks = list(rng.permutation(occ.tasks))
        title = str(rng.choice([occ.name, *occ.aliases]))
        job = Job(
            id=f"j{i}",
            employer_id="e",
            title=title,
            occupation=occ.code,
            skills=[task[:12].rstrip("，；。") for task in tasks[:3]],
            region_code="430104",
            work_mode="quota",
            description="".join(tasks[: rng.integers(1, 4)]),
            posted_at=dt.date(2025, 1, 1),
        )
        texts.append(job_text(job, vocabulary))
    return texts


def m3e_vectors(rng: np.random.Generator, n: int) -> np.ndarray:
    """m3e-small vectors of ``n`` synthetic job texts; prints the throughput.

    Besides wall-clock texts/s it prints texts per CPU-second: on a shared host the wall
    clock also counts other processes' turns, CPU time only this one's work.
    """
    texts = synthetic_job_texts(rng, n)
    embedder = Embedder.from_settings(Settings())
    embedder.encode(texts[:64])  # warm-up: first calls allocate
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = embedder.encode(texts, progress=True)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"m3e-small on {len(os.sched_getaffinity(0))} CPUs (load average {os.getloadavg()[0]:.1f}):"
        f" {n / wall:.1f} texts/s, {n / cpu:.1f} texts per CPU-second,"
        f" mean {np.mean([len(t) for t in texts]):.0f} characters per text"
    )
    return vectors


def measure(
    name: str, data: np.ndarray, queries: int, ef_searches: list[int]
) -> Iterator[dict[str, object]]:
    """Rows of the result table for one collection (its last ``queries`` rows are queries)."""
    vectors, held_out = data[:-queries], data[-queries:]
    ids = [str(i) for i in range(len(vectors))]
    start = time.perf_counter()
    exact = VectorIndex.build(ids, vectors, exact_below=len(ids) + 1)
    exact_build = time.perf_counter() - start
    start = time.perf_counter()
    hnsw = VectorIndex.build(ids, vectors, exact_below=0)
    hnsw_build = time.perf_counter() - start
    truth = [{id_ for id_, _ in hits} for hits in exact.search(held_out, K)]

    p50, p99 = _latency(exact, held_out)
    yield _row(name, len(ids), "exact", "-", exact_build, 1.0, p50, p99)
    for ef in ef_searches:
        hnsw.ef_search = ef
        found = hnsw.search(held_out, K)
        recall = np.mean(
            [len(t & {id_ for id_, _ in f}) / K for t, f in zip(truth, found, strict=True)]
        )
        p50, p99 = _latency(hnsw, held_out)
        yield _row(name, len(ids), "hnsw", ef, hnsw_build, float(recall), p50, p99)


def _latency(index: VectorIndex, queries: np.ndarray) -> tuple[float, float]:
    """p50 and p99 of single-query search, in milliseconds."""
    for query in queries[:10]:  # warm caches
        index.search(query, K)
    times = []
    for query in queries:
        start = time.perf_counter()
        index.search(query, K)
        times.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 99))


def _row(
    data: str,
    n: int,
    kind: str,
    ef: object,
    build_s: float,
    recall: float,
    p50: float,
    p99: float,
) -> dict[str, object]:
    return {
        "data": data,
        "n": f"{n:,}",
        "index": kind,
        "efSearch": ef,
        "build s": f"{build_s:.1f}",
        "recall@10": f"{recall:.3f}",
        "p50 ms": f"{p50:.2f}",
        "p99 ms": f"{p99:.2f}",
    }


def _print_table(rows: list[dict[str, object]]) -> None:
    headers = list(rows[0])
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in headers]
    print(" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(str(row[h]).rjust(w) for h, w in zip(headers, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=500, help="held-out queries per size")
    parser.add_argument("--ef", type=int, nargs="+", default=[64, 128, 256], help="efSearch")
    parser.add_argument(
        "--data", nargs="*", default=["isotropic", "embedding-like"], help="random data kinds"
    )
    parser.add_argument("--real", type=int, default=0, help="also N m3e vectors of job texts")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    print(f"faiss threads for builds: {set_threads()}, load average {os.getloadavg()[0]:.1f}")
    generators = {"isotropic": isotropic, "embedding-like": embedding_like}
    rows: list[dict[str, object]] = []
    for kind in args.data:
        for n in args.sizes:
            data = generators[kind](rng, n + args.queries, args.dim)
            rows.extend(measure(kind, data, args.queries, args.ef))
            _print_table(rows)
    if args.real:
        vectors = m3e_vectors(rng, args.real + args.queries)
        rows.extend(measure("m3e jobs", vectors, args.queries, args.ef))
    print()
    _print_table(rows)


if __name__ == "__main__":
    main()
