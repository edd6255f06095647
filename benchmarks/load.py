"""Recommendation latency and throughput of the HTTP API under concurrent load.

Starts ``jobmatch serve --workers N`` on loopback over an existing home (one that holds an
imported world, e.g. after ``make demo``), makes a counselor account, and sends a bounded
number of ``GET /v1/candidates/{id}/recommendations`` requests from several threads.

    python benchmarks/load.py --home var --region 43 --requests 600 --concurrency 8
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--region", default="43", help="Counselor's region prefix.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()

    env = {**os.environ, "JOBMATCH_HOME": str(args.home.resolve())}
    jobmatch = str(Path(sys.executable).with_name("jobmatch"))
    token = (
        subprocess.run(
            [
                jobmatch,
                "users",
                "create",
                "--role",
                "counselor",
                "--region",
                args.region,
                "--name",
                "load-test",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    people = []
    with (args.home / "demo-data" / "candidates.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["region_code"].startswith(args.region):
                people.append(record["id"])
    server = subprocess.Popen(
        [jobmatch, "serve", "--port", str(args.port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{args.port}"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(2)
        else:
            raise SystemExit("server not ready within 600 s")
        rng = np.random.default_rng(0)
        chosen = rng.choice(people, size=args.requests)
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            for person in chosen[:20]:  # warm every worker's caches
                client.get(f"/v1/candidates/{person}/recommendations", params={"k": args.k})

            def one(person: str) -> tuple[float, int]:
                started = time.perf_counter()
                answer = client.get(
                    f"/v1/candidates/{person}/recommendations", params={"k": args.k}
                )
                return time.perf_counter() - started, answer.status_code

            started = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                results = list(pool.map(one, chosen))
            elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies = np.array([seconds for seconds, _ in results]) * 1000
    failures = sum(code != 200 for _, code in results)
    print(
        f"{args.requests} requests, {args.concurrency} concurrent, {args.workers} workers, "
        f"{len(people)} people in region {args.region}, nproc {os.cpu_count()}"
    )
    print(
        f"throughput {args.requests / elapsed:.1f} req/s; latency ms p50 "
        f"{np.percentile(latencies, 50):.1f}, p99 {np.percentile(latencies, 99):.1f}, "
        f"max {latencies.max():.1f}; non-200: {failures}"
    )


if __name__ == "__main__":
    main()
