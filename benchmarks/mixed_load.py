"""Recommendation latency over HTTP on a working day's mix: read-only, and right after writes.

    python benchmarks/mixed_load.py --workdir /tmp/mixed            # 10k jobs, 20k people
    python benchmarks/mixed_load.py --workdir /tmp/mixed --reuse    # same home again

One worker (``jobmatch serve --workers 1``) on loopback over a home of a synthetic world
(``demo.world.generate_world``: by default 20,000 people, 10,000 jobs and the
referrals the generator gives them) with a learned ranker. Setting the home up is not
timed: the world is generated and imported, every catalog text and the occupation
vocabulary get a fixed pseudo-random unit vector seeded by the text's hash, stored in the
embedding cache under the real m3e model id (as benchmarks/retrain.py and latency.py do at
this scale: m3e on two cores embeds 15-25 texts a second, so 30,000 texts would take half an
hour; latency does not depend on the vectors' values, and occupation suggestions in this
home are meaningless), and both rankers are trained on it (``training.retrain``).

Then, one request at a time, the way a counselor works:

1. read-only: ``--reads`` person→jobs and ``--reads // 3`` job→people recommendations;
2. after-write: ``--writes`` rounds of one write, then one recommendation. The writes cycle
   through a candidate edit (expected salary; every fourth also a new skill, so its text
   is embedded again by the real model), a referral (to the person's top job, as the
   counselor would) and a referral outcome; the recommendation after it alternates between
   person→jobs for the person just written and for someone else, and job→people.

Reported: p50/p99 of each, the writes' own latency, the after-write/read-only p99 ratio, and
how many full matcher builds the server made (from its ``/readyz``: 1 means every write was
applied in place).

Then, the server stopped, the same read-only queries (same people, same jobs, same k, the
counselor's region) go once more to the engine alone, in this process, over a matcher built
from the home as the server builds it (``Matcher.jobs_for_candidate`` and
``candidates_for_job``, one at a time). On a shared machine absolute times move with the
load; HTTP p99 / engine p99 in one run says what the HTTP path adds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo.world import generate_world  # noqa: E402
from matching.catalog import OUTCOMES, Catalog  # noqa: E402
from matching.embedding import Embedder, EmbeddingCache, model_id_for  # noqa: E402
from matching.engine import embed_catalog, open_matcher  # noqa: E402
from matching.interchange import import_directory  # noqa: E402
from matching.lifecycle import NEXT_OUTCOMES  # noqa: E402
from matching.occupation_coding import OccupationCoder  # noqa: E402
from matching.occupations import OccupationVocabulary  # noqa: E402
from matching.settings import Settings  # noqa: E402
from matching.store import Store  # noqa: E402
from matching.vocabulary import Outcome  # noqa: E402
from serving.runtime import load_ranker  # noqa: E402
from training.config import shipped_config  # noqa: E402
from training.retrain import retrain  # noqa: E402


class HashVectors:
    """A fixed pseudo-random unit vector per text, filed under the real model's id so that
    the server (which loads the real model) finds every vector of the home cached."""

    dim = 512

    def __init__(self, model_id: str) -> None:
        self.model_id = model_id

    def encode(self, texts: list[str], **_: Any) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            out[row] = np.random.default_rng(seed).standard_normal(self.dim)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def set_up(home: Path, files: Path, *, candidates: int, jobs: int, seed: int) -> str:
    """Generate, import, fill the embedding cache and train; returns a summary line."""
    shutil.rmtree(home, ignore_errors=True)
    started = time.perf_counter()
    summary = generate_world(files, seed=seed, candidates=candidates, jobs=jobs)
    settings = Settings(home=home)
    vectors = HashVectors(model_id_for(settings.resolved_embedding_model))
    occupations = OccupationVocabulary.load()
    store = Store.open(settings)
    try:
        report = import_directory(store, files)
        if not report.ok:
            raise SystemExit(f"import failed: {report}")
        cache = EmbeddingCache(store, vectors)  # type: ignore[arg-type]
        embed_catalog(Catalog.from_store(store, settings, occupations), cache, occupations)
        OccupationCoder(occupations, cache)  # the server's coder then finds its vectors
    finally:
        store.close()
    result = retrain(
        settings,
        shipped_config(),
        embedder=vectors,  # type: ignore[arg-type]
        occupations=occupations,
    )
    line = f"{summary}; ranker {result.reason}; set up in {time.perf_counter() - started:.0f} s"
    (home / "ready").write_text(line + "\n")
    return line


def cli(env: dict[str, str], *args: str) -> str:
    jobmatch = str(Path(sys.executable).with_name("jobmatch"))
    done = subprocess.run([jobmatch, *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def percentiles(values: list[float]) -> str:
    ms = np.array(values) * 1000
    return f"p50 {np.percentile(ms, 50):6.1f} ms, p99 {np.percentile(ms, 99):6.1f} ms (n={len(ms)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--reuse", action="store_true", help="reuse the home set up before")
    parser.add_argument("--candidates", type=int, default=20_000)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--writes", type=int, default=300)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--port", type=int, default=8797)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    home, files = args.workdir / "home", args.workdir / "files"
    if args.reuse and (home / "ready").is_file():
        print(f"home: reusing {home} ({(home / 'ready').read_text().strip()})", flush=True)
    else:
        print(
            "home: "
            + set_up(home, files, candidates=args.candidates, jobs=args.jobs, seed=args.seed),
            flush=True,
        )

    env = {**os.environ, "JOBMATCH_HOME": str(home.resolve())}
    settings = Settings(home=home)
    store = Store.open(settings)
    try:
        catalog = Catalog.from_store(store, settings, None)
        today = dt.date.today().toordinal()
        # The counselor works in the province most people are in (the world spans a few).
        provinces, counts = np.unique(catalog.candidates.region.astype("U2"), return_counts=True)
        region = str(provinces[np.argmax(counts)])
        people = [
            catalog.candidates.ids[i]
            for i in np.flatnonzero(
                catalog.candidates.active
                & (catalog.candidates.registered <= today)
                & (catalog.candidates.region.astype("U2") == region)
            )
        ]
        open_jobs = [
            catalog.jobs.ids[i]
            for i in catalog.jobs.open_on(today)
            if catalog.jobs.region[i].startswith(region)
        ]
        mine = set(people)
        pending = [
            catalog.history.ids[i]
            for i in np.flatnonzero(catalog.history.outcome == OUTCOMES.index(Outcome.PENDING))
            if catalog.candidates.ids[catalog.history.candidate[i]] in mine
        ]
    finally:
        store.close()
    token = cli(
        env, "users", "create", "--role", "counselor", "--region", region, "--name", "mixed"
    )
    rng = np.random.default_rng(args.seed)
    # The read-only queries, drawn once: the engine-only pass repeats them.
    warm_up = [str(p) for p in rng.choice(people, 30)]
    reads = {
        "person->jobs": [str(p) for p in rng.choice(people, args.reads)],
        "job->people": [str(j) for j in rng.choice(open_jobs, max(1, args.reads // 3))],
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("jobmatch")),
            "serve",
            "--port",
            str(args.port),
            "--workers",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        started = time.monotonic()
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() - started > 900 or server.poll() is not None:
                raise SystemExit("the server did not become ready")
            time.sleep(1)
        print(f"server ready in {time.monotonic() - started:.1f} s", flush=True)
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
        ) as client:
            report = run(client, rng, people, open_jobs, pending, warm_up, reads, args)
            ready = client.get("/readyz").json()
    finally:
        server.terminate()
        server.wait(timeout=30)
    report.update(engine_only(settings, region, warm_up, reads, args.k))
    print(
        f"\n{len(people)} active people and {len(open_jobs)} open jobs in region {region} "
        f"(the counselor's); one worker; "
        f"nproc {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} at the end"
    )
    for name, values in report.items():
        if values:
            print(f"  {name:<34} {percentiles(values)}")
    read_p99 = max(
        np.percentile(report[n], 99) for n in ("read-only person->jobs", "read-only job->people")
    )
    write_p99 = max(
        np.percentile(report[n], 99)
        for n in (
            "after-write person->jobs (same)",
            "after-write person->jobs (other)",
            "after-write job->people",
        )
    )
    print(f"  after-write p99 / read-only p99: {write_p99 / read_p99:.2f}")
    for direction in reads:
        http = np.percentile(report[f"read-only {direction}"], 99)
        engine = np.percentile(report[f"engine only {direction}"], 99)
        print(f"  read-only {direction} p99 / engine-only p99: {http / engine:.2f}")
    print(f"  server: {ready}")


def engine_only(
    settings: Settings,
    region: str,
    warm_up: list[str],
    reads: dict[str, list[str]],
    k: int,
) -> dict[str, list[float]]:
    """The read-only queries again, on a matcher of this process built as the server builds
    it (the embedding model is loaded only for its id: every vector is cached)."""
    store = Store.open(settings)
    try:
        embedder = Embedder.from_settings(settings)
        matcher = open_matcher(
            store, settings, embedder, load_ranker(settings), OccupationVocabulary.load()
        )
    finally:
        store.close()
    queries = {
        "person->jobs": matcher.jobs_for_candidate,
        "job->people": matcher.candidates_for_job,
    }

    def timed(query: Any, ident: str) -> float:
        began = time.perf_counter()
        query(ident, k, region_prefix=region)
        return time.perf_counter() - began

    for person in warm_up:
        timed(matcher.jobs_for_candidate, person)
    return {
        f"engine only {direction}": [timed(queries[direction], i) for i in ids]
        for direction, ids in reads.items()
    }


def run(
    client: httpx.Client,
    rng: np.random.Generator,
    people: list[str],
    open_jobs: list[str],
    pending: list[str],
    warm_up: list[str],
    reads: dict[str, list[str]],
    args: argparse.Namespace,
) -> dict[str, list[float]]:
    k = {"k": args.k}
    report: dict[str, list[float]] = {
        "read-only person->jobs": [],
        "read-only job->people": [],
        "write: candidate edit": [],
        "write: referral": [],
        "write: outcome": [],
        "after-write person->jobs (same)": [],
        "after-write person->jobs (other)": [],
        "after-write job->people": [],
    }

    def timed(
        name: str | None, method: str, url: str, *, refused: str = "", **kwargs: Any
    ) -> httpx.Response:
        began = time.perf_counter()
        answer = client.request(method, url, **kwargs)
        if refused and answer.status_code == 409 and answer.json()["error"]["code"] == refused:
            return answer  # a refusal the rules give (the caller skips the round): not timed
        if answer.status_code >= 400:
            raise SystemExit(f"{method} {url}: {answer.status_code} {answer.text[:300]}")
        if name:
            report[name].append(time.perf_counter() - began)
        return answer

    for person in warm_up:  # warm the caches
        timed(None, "GET", f"/v1/candidates/{person}/recommendations", params=k)
    for person in reads["person->jobs"]:
        timed("read-only person->jobs", "GET", f"/v1/candidates/{person}/recommendations", params=k)
    for job in reads["job->people"]:
        timed("read-only job->people", "GET", f"/v1/jobs/{job}/recommendations", params=k)
    for round_ in range(args.writes):
        person = str(rng.choice(people))
        kind = round_ % 3
        if kind == 0:
            changes: dict[str, Any] = {"expected_salary": int(rng.integers(2000, 8000))}
            if round_ % 4 == 0:
                current = timed(
                    None, "GET", f"/v1/candidates/{person}", params={"purpose": "benchmark"}
                ).json()
                changes["skills"] = [*current["skills"], f"技能{round_}"]
            timed("write: candidate edit", "PATCH", f"/v1/candidates/{person}", json=changes)
        elif kind == 1:
            top = timed(None, "GET", f"/v1/candidates/{person}/recommendations", params=k).json()
            if not top["results"]:
                continue
            body = {"candidate_id": person, "job_id": top["results"][0]["id"]}
            answer = timed(
                "write: referral",
                "POST",
                "/v1/referrals",
                json=body,
                headers={"Idempotency-Key": f"mixed-{os.getpid()}-{round_}"},
                # A person already referred to that job and still waiting (an earlier run
                # on a reused home) cannot be referred to it again.
                refused="referral_pending",
            )
            if answer.status_code == 409:
                continue
            pending.append(answer.json()["id"])
        else:
            referral = pending.pop(int(rng.integers(len(pending))))
            # Only steps the lifecycle allows from pending (a hire follows an interview).
            outcome = str(rng.choice(sorted(o.value for o in NEXT_OUTCOMES[Outcome.PENDING])))
            timed("write: outcome", "PATCH", f"/v1/referrals/{referral}", json={"outcome": outcome})
        step = (round_ // 3) % 3  # every write kind is followed by every read kind
        if step == 0:
            timed(
                "after-write person->jobs (same)",
                "GET",
                f"/v1/candidates/{person}/recommendations",
                params=k,
            )
        elif step == 1:
            timed(
                "after-write person->jobs (other)",
                "GET",
                f"/v1/candidates/{rng.choice(people)}/recommendations",
                params=k,
            )
        else:
            timed(
                "after-write job->people",
                "GET",
                f"/v1/jobs/{rng.choice(open_jobs)}/recommendations",
                params=k,
            )
    return report


if __name__ == "__main__":
    main()
