"""Soak test: mixed traffic against ``jobmatch serve --workers 2`` on 127.0.0.1, bounded in time;
then every acknowledged write is checked in the database.

Traffic (each client thread in a loop, keep-alive connections): recommendations for people and
for jobs, referral creation with a fresh ``Idempotency-Key`` (now and then sent twice, as a
client that lost the answer would), referral outcomes, job posts and candidate edits. Each
client edits only its own people and referrals, so "the last acknowledged value" is well
defined and can be checked afterwards.

A request fails when it gets no answer, a 5xx, or a status its operation never legitimately
returns. The run fails (exit 1) on any failed request or any acknowledged write missing or
different afterwards.

    python benchmarks/soak.py --home /tmp/soak --seconds 60            # the CI version
    python benchmarks/soak.py --home var/soak --seconds 600            # make soak

The home is prepared on first use (a synthetic world imported, vectors embedded, accounts made)
and reused afterwards; ``--fresh`` starts over.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching.lifecycle import EMPLOYER_OUTCOMES, NEXT_OUTCOMES  # noqa: E402
from matching.settings import Settings  # noqa: E402
from matching.store import Store  # noqa: E402
from matching.store.tables import CandidateRow  # noqa: E402
from matching.vocabulary import Outcome  # noqa: E402

#: Statuses (and, for errors, the error codes) each operation may legitimately answer; anything
#: else is a failed request. ``None``: any body.
EXPECTED: dict[str, dict[int, set[str] | None]] = {
    # 409 candidate_inactive: a confirmed hire took the person out of matching.
    "recommend_jobs": {200: None, 409: {"candidate_inactive"}},
    "recommend_people": {200: None},
    # The job closed or filled meanwhile, the pair is still pending, or the person was hired.
    "refer": {
        200: None,
        201: None,
        409: {"job_closed", "infeasible", "referral_pending", "candidate_inactive"},
    },
    "replay": {200: None},
    # Only lifecycle steps are sent, with the If-Match of the last version this client saw:
    # every one must be accepted.
    "outcome": {200: None},
    "report": {200: None},
    "review": {200: None},
    "post_job": {201: None},
    "edit_candidate": {200: None},
}
WEIGHTS = {
    "recommend_jobs": 30,
    "recommend_people": 10,
    "refer": 15,
    "outcome": 10,
    "post_job": 10,
    "edit_candidate": 25,
}
PURPOSE = {"purpose": "soak"}


def prepare(home: Path, candidates: int, jobs: int) -> dict[str, Any]:
    """A home with a synthetic world, every vector embedded and the soak's accounts."""
    manifest = home / "soak.json"
    if manifest.is_file():
        return json.loads(manifest.read_text())
    from demo.world import generate_world
    from matching.catalog import Catalog
    from matching.embedding import Embedder, EmbeddingCache
    from matching.engine import embed_catalog
    from matching.interchange import import_directory
    from matching.occupations import OccupationVocabulary
    from serving.auth import create_account

    files = home / "soak-world"
    generate_world(files, seed=17, candidates=candidates, jobs=jobs)
    settings = Settings(home=home)
    store = Store.open(settings)
    try:
        assert import_directory(store, files).ok
        occupations = OccupationVocabulary.load()
        embed_catalog(
            Catalog.from_store(store, settings, occupations),
            EmbeddingCache(store, Embedder.from_settings(settings)),
            occupations,
        )
        people = [json.loads(line) for line in (files / "candidates.jsonl").open()]
        employers = [json.loads(line) for line in (files / "employers.jsonl").open()]
        province = Counter(p["region_code"][:2] for p in people).most_common(1)[0][0]
        mine = [p["id"] for p in people if p["region_code"].startswith(province)]
        employer = next(e for e in employers if e["region_code"].startswith(province))
        all_jobs = [json.loads(line) for line in (files / "jobs.jsonl").open()]
        open_jobs = [j["id"] for j in all_jobs if j["region_code"].startswith(province)]
        employer_jobs = [j["id"] for j in all_jobs if j["employer_id"] == employer["id"]]
        counselor = create_account(store, name="soak-counselor", role="counselor", region=province)
        poster = create_account(
            store, name="soak-employer", role="employer", employer=employer["id"]
        )
    finally:
        store.close()
    found = {
        "province": province,
        "candidates": mine,
        "jobs": open_jobs,
        "employer": employer,
        "employer_jobs": employer_jobs,
        "counselor_token": counselor[1],
        "employer_token": poster[1],
    }
    manifest.write_text(json.dumps(found, ensure_ascii=False))
    manifest.chmod(0o600)
    return found


@dataclass
class Ledger:
    """What the server acknowledged, to be found in the database afterwards."""

    referrals: dict[str, str] = field(default_factory=dict)  # id -> last acknowledged outcome
    jobs: set[str] = field(default_factory=set)
    salaries: dict[str, float] = field(default_factory=dict)  # candidate -> last acknowledged
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _error_code(answer: httpx.Response) -> str | None:
    try:
        return str(answer.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


@dataclass
class Mine:
    """A referral this client made, as it last saw it."""

    job: str
    outcome: Outcome
    etag: str | None
    awaiting_review: bool = False


def next_step(
    referral: Mine, employer_jobs: set[str], rng: random.Random
) -> tuple[str, Outcome | None]:
    """The next move on a referral that the lifecycle allows (``matching.lifecycle``): the
    counselor reviews an employer's report awaiting review; the employer reports its own
    decision on its own jobs; otherwise the counselor records any allowed next outcome."""
    if referral.awaiting_review:
        return "review", None
    allowed = NEXT_OUTCOMES[referral.outcome]
    theirs = sorted(set(allowed) & EMPLOYER_OUTCOMES, key=lambda o: o.value)
    if referral.job in employer_jobs and theirs and rng.random() < 0.5:
        return "report", rng.choice(theirs)
    return "outcome", rng.choice(allowed)


def client_loop(
    n: int, base: str, world: dict[str, Any], deadline: float, ledger: Ledger, seed: int
) -> None:
    rng = random.Random(seed * 1000 + n)
    people: list[str] = world["candidates"][n :: world["clients"]]  # this client's own people
    counselor = {"Authorization": f"Bearer {world['counselor_token']}"}
    employer = {"Authorization": f"Bearer {world['employer_token']}"}
    referred: set[tuple[str, str]] = set()
    mine: dict[str, Mine] = {}  # referrals this client made that can still move
    employer_jobs: set[str] = set(world.get("employer_jobs", []))
    posted = 0
    run = uuid.uuid4().hex[:8]  # job ids of earlier runs on the same home are taken
    with httpx.Client(base_url=base, timeout=60) as http:

        def send(op: str, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
            started = time.perf_counter()
            try:
                answer = http.request(method, url, **kwargs)
            except httpx.HTTPError as error:
                with ledger.lock:
                    ledger.failures.append(f"{op} {method} {url}: {type(error).__name__} {error}")
                return None
            took = time.perf_counter() - started
            codes = EXPECTED[op].get(answer.status_code, set())
            with ledger.lock:
                ledger.latencies[op].append(took)
                ledger.statuses[(op, answer.status_code)] += 1
                if codes is not None and _error_code(answer) not in codes:
                    ledger.failures.append(
                        f"{op} {method} {url}: {answer.status_code} {answer.text[:300]}"
                    )
            return answer

        ops, weights = zip(*WEIGHTS.items(), strict=True)
        while time.monotonic() < deadline:
            op = rng.choices(ops, weights)[0]
            person = rng.choice(people)
            if op == "recommend_jobs":
                send(
                    "recommend_jobs",
                    "GET",
                    f"/v1/candidates/{person}/recommendations",
                    params={"k": 10},
                    headers=counselor,
                )
            elif op == "recommend_people":
                job = rng.choice(world["jobs"])
                send(
                    op,
                    "GET",
                    f"/v1/jobs/{job}/recommendations",
                    params={"k": 10},
                    headers=counselor,
                )
            elif op == "refer":
                shown = send(
                    "recommend_jobs",
                    "GET",
                    f"/v1/candidates/{person}/recommendations",
                    params={"k": 10},
                    headers=counselor,
                )
                if shown is None or shown.status_code != 200:
                    continue
                fresh = [
                    r["id"] for r in shown.json()["results"] if (person, r["id"]) not in referred
                ]
                if not fresh:
                    continue
                job = fresh[0]
                referred.add((person, job))
                key = f"soak-{uuid.uuid4().hex}"
                body = {
                    "candidate_id": person,
                    "job_id": job,
                    "override_reason": "本人意愿（压测）",
                }
                made = send(
                    op,
                    "POST",
                    "/v1/referrals",
                    json=body,
                    headers={**counselor, "Idempotency-Key": key},
                )
                if made is not None and made.status_code in (200, 201):
                    referral = made.json()["id"]
                    with ledger.lock:
                        ledger.referrals[referral] = made.json()["outcome"]
                    mine[referral] = Mine(
                        job, Outcome(made.json()["outcome"]), made.headers.get("ETag")
                    )
                    if rng.random() < 0.2:  # the client lost the answer and sends it again
                        again = send(
                            "replay",
                            "POST",
                            "/v1/referrals",
                            json=body,
                            headers={**counselor, "Idempotency-Key": key},
                        )
                        if again is not None and again.status_code == 200:
                            if again.json()["id"] != referral:
                                with ledger.lock:
                                    ledger.failures.append(f"replay of {key} gave another referral")
            elif op == "outcome":
                if not mine:
                    continue
                referral = rng.choice(sorted(mine))
                seen = mine[referral]
                step, outcome = next_step(seen, employer_jobs, rng)
                tag = {"If-Match": seen.etag} if seen.etag else {}
                if step == "review":
                    done = send(
                        step,
                        "POST",
                        f"/v1/referrals/{referral}/review",
                        json={"confirm": True},
                        headers=counselor,
                    )
                    now = Outcome(done.json()["referral"]["outcome"]) if done else None
                else:
                    assert outcome is not None
                    done = send(
                        step,
                        "PATCH",
                        f"/v1/referrals/{referral}",
                        json={"outcome": outcome.value},
                        headers={**(employer if step == "report" else counselor), **tag},
                    )
                    now = outcome
                if done is not None and done.status_code == 200 and now is not None:
                    with ledger.lock:
                        ledger.referrals[referral] = now.value
                    seen.outcome, seen.etag = now, done.headers.get("ETag")
                    seen.awaiting_review = step == "report"
                    if not NEXT_OUTCOMES[now] and not seen.awaiting_review:
                        del mine[referral]  # final: nothing more can happen to it
            elif op == "post_job":
                posted += 1
                job_id = f"soak-j{n}-{run}-{posted}"
                job = {
                    "id": job_id,
                    "employer_id": world["employer"]["id"],
                    "title": rng.choice(["客服专员", "数据录入员", "仓库管理员", "图书整理员"]),
                    "region_code": world["employer"]["region_code"],
                    "work_mode": "quota",
                    "skills": ["客户服务", "打字"],
                    "salary_min": 3000,
                    "salary_max": 4500,
                    "posted_at": dt.date.today().isoformat(),
                }
                done = send(
                    op, "POST", "/v1/jobs", json=job, params={"suggestions": 0}, headers=employer
                )
                if done is not None and done.status_code == 201:
                    employer_jobs.add(job_id)
                    with ledger.lock:
                        ledger.jobs.add(job_id)
            elif op == "edit_candidate":
                salary = float(rng.randrange(2000, 9000, 50))
                done = send(
                    op,
                    "PATCH",
                    f"/v1/candidates/{person}",
                    json={"expected_salary": salary},
                    headers=counselor,
                )
                if done is not None and done.status_code == 200:
                    with ledger.lock:
                        ledger.salaries[person] = salary


def verify(home: Path, ledger: Ledger) -> list[str]:
    """Every acknowledged write, as acknowledged, in the database."""
    missing: list[str] = []
    store = Store.open(Settings(home=home))
    try:
        with store.session() as session:
            referrals = {r.id: r for r in store.iter_records(session, "referrals")}
            jobs = store.all_ids(session, "jobs")
            for referral, outcome in ledger.referrals.items():
                found = referrals.get(referral)
                if found is None or found.outcome.value != outcome:
                    missing.append(f"referral {referral}: {found and found.outcome} != {outcome}")
            missing += [f"job {j} missing" for j in sorted(ledger.jobs - jobs)]
            for person, salary in ledger.salaries.items():
                record = store.to_record("candidates", session.get(CandidateRow, person))
                if record.expected_salary != salary:  # type: ignore[attr-defined]
                    missing.append(f"candidate {person}: {record.expected_salary} != {salary}")  # type: ignore[attr-defined]
    finally:
        store.close()
    return missing


def wait_ready(base: str, server: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode} before it was ready")
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit(f"server not ready within {seconds:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=4, help="Concurrent client threads.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--candidates", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=80)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fresh", action="store_true", help="Prepare the home again.")
    parser.add_argument("--out", type=Path, help="Write the report as JSON here.")
    args = parser.parse_args(argv)

    home = args.home.resolve()
    if args.fresh:
        shutil.rmtree(home, ignore_errors=True)
    prepared = time.monotonic()
    world = {**prepare(home, args.candidates, args.jobs), "clients": args.clients}
    prepared = time.monotonic() - prepared
    env = {
        **os.environ,
        "JOBMATCH_HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    env.pop("JOBMATCH_DATABASE_URL", None)
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from serving.cli import app; app()",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(args.port),
            "--workers",
            str(args.workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(home / "soak-server.log").open("wb"),
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{args.port}"
    ledger = Ledger()
    try:
        wait_ready(base, server, 900)
        started = time.monotonic()
        deadline = started + args.seconds
        threads = [
            threading.Thread(target=client_loop, args=(n, base, world, deadline, ledger, args.seed))
            for n in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        alive = server.poll() is None
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    missing = verify(home, ledger)
    every = np.array([t for ts in ledger.latencies.values() for t in ts]) * 1000
    total = len(every)
    report = {
        "seconds": round(elapsed, 1),
        "clients": args.clients,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "requests": total,
        "throughput_rps": round(total / elapsed, 1),
        "p50_ms": round(float(np.percentile(every, 50)), 1) if total else None,
        "p99_ms": round(float(np.percentile(every, 99)), 1) if total else None,
        "per_operation": {
            op: {
                "requests": len(ts),
                "p50_ms": round(float(np.percentile(np.array(ts) * 1000, 50)), 1),
                "p99_ms": round(float(np.percentile(np.array(ts) * 1000, 99)), 1),
            }
            for op, ts in sorted(ledger.latencies.items())
        },
        "statuses": {f"{op} {code}": n for (op, code), n in sorted(ledger.statuses.items())},
        "failed_requests": len(ledger.failures),
        "failures": ledger.failures[:20],
        "acknowledged_writes": len(ledger.referrals) + len(ledger.jobs) + len(ledger.salaries),
        "missing_writes": missing[:20],
        "server_alive_at_end": alive,
        "prepare_seconds": round(prepared, 1),
    }
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    ok = not ledger.failures and not missing and alive and total > 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
