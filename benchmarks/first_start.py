"""Time from ``jobmatch serve`` to a healthy ``/readyz`` on a home that has never served.

    .venv/bin/python benchmarks/first_start.py --work /tmp/first-start --runs 3
    .venv/bin/python benchmarks/first_start.py --work /tmp/first-start --runs 1 --phases

Each run makes a fresh home holding four employers and nothing else (as a new service centre
starts), starts ``jobmatch serve --workers 1`` on 127.0.0.1, polls ``/readyz`` every 0.1 s and
stops the server. The first start used to embed the whole occupation vocabulary (162 s on
two cores); its vectors now ship with the package, so what is left is importing the libraries,
loading the model and the coder, migrating the empty database and building an empty matcher.
A second start on the same home is timed too.

``--phases`` also breaks a first start down, in a fresh interpreter on another fresh home: the
imports ``jobmatch serve`` makes, then the steps of the app's lifespan (opening and migrating
the store, loading the resources, building the first matcher), each with its wall time and
the process's CPU time (which a loaded machine disturbs less), and when the background work
(the embedding model's warm-up, the occupation coder) is done after readiness.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

EMPLOYERS = [
    {"id": f"e{i}", "name": f"用人单位{i}", "type": "private", "region_code": "430104"}
    for i in range(1, 5)
]


def jobmatch() -> list[str]:
    """The ``jobmatch`` command of this interpreter's environment."""
    script = Path(sys.executable).with_name("jobmatch")
    return [str(script)] if script.exists() else [sys.executable, "-m", "serving.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fresh_home(root: Path) -> Path:
    """A home with four employers imported, never served."""
    shutil.rmtree(root, ignore_errors=True)
    data = root / "data"
    data.mkdir(parents=True)
    (data / "employers.jsonl").write_text(
        "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in EMPLOYERS), encoding="utf-8"
    )
    env = {**os.environ, "JOBMATCH_HOME": str(root / "home")}
    subprocess.run([*jobmatch(), "import", str(data)], env=env, check=True, capture_output=True)
    return root / "home"


def time_to_ready(home: Path, timeout: float) -> float:
    """Seconds from starting the server to the first 200 from ``/readyz``."""
    port = free_port()
    env = {**os.environ, "JOBMATCH_HOME": str(home)}
    started = time.perf_counter()
    server = subprocess.Popen(
        [*jobmatch(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < timeout:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited with {server.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                    if r.status == 200:
                        return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise TimeoutError(f"not ready after {timeout} s")
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def phases(home: Path) -> None:
    """Print the breakdown of a first start on ``home`` (run in a fresh interpreter)."""
    started, cpu = time.perf_counter(), time.process_time()
    rows: list[tuple[str, float, float]] = []

    def mark(step: str) -> None:
        rows.append((step, time.perf_counter() - started, time.process_time() - cpu))

    os.environ["JOBMATCH_HOME"] = str(home)
    import serving.cli  # noqa: F401 (what `jobmatch serve` imports before uvicorn)

    mark("import the jobmatch command")
    import uvicorn  # noqa: F401

    from matching.occupations import OccupationVocabulary
    from matching.settings import Settings
    from matching.store import open_store
    from serving.app import app_from_env
    from serving.runtime import Runtime, load_resources

    mark("import uvicorn and the app")
    app_from_env()
    mark("create the app")
    # The lifespan's steps (serving/app.py), one by one.
    settings = Settings()
    store = open_store(settings, OccupationVocabulary.load())
    mark("open and migrate the store")
    resources = load_resources(settings, store)
    mark("load the resources (model and coder start in the background)")
    Runtime(settings, store, resources).load()
    mark("build the first matcher: ready")
    resources.embedder.warm_up()
    mark("background: embedding model loaded")
    resources.coder  # noqa: B018 (waits for the background build)
    mark("background: occupation coder built")
    store.close()
    previous = 0.0
    for step, wall, cpu_s in rows:
        print(f"  {wall:6.2f} s (+{wall - previous:5.2f} s) CPU {cpu_s:6.2f} s  {step}")
        previous = wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/jobmatch-first-start"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--phases", action="store_true", help="also break a first start down")
    parser.add_argument("--phases-of", type=Path, help=argparse.SUPPRESS)  # the child's home
    args = parser.parse_args()
    if args.phases_of:
        phases(args.phases_of)
        return

    first: list[float] = []
    second: list[float] = []
    for run in range(args.runs):
        home = fresh_home(args.work / f"run{run}")
        first.append(time_to_ready(home, args.timeout))
        second.append(time_to_ready(home, args.timeout))
        print(
            f"run {run}: first start {first[-1]:.1f} s, second start {second[-1]:.1f} s "
            f"(load average {os.getloadavg()[0]:.1f})"
        )
    print(
        f"first start: median {statistics.median(first):.1f} s (max {max(first):.1f}); "
        f"second start: median {statistics.median(second):.1f} s"
    )
    if args.phases:
        print(f"a first start step by step (load average {os.getloadavg()[0]:.1f}):")
        home = fresh_home(args.work / "phases")
        subprocess.run([sys.executable, __file__, "--phases-of", str(home)], check=True)
    shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    main()
