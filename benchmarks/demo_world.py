"""How long the demo world takes to generate, and a digest of what it wrote.

    python benchmarks/demo_world.py --work /tmp/demo-world --candidates 20000 --jobs 5000

Writes one world with :func:`demo.world.generate_world` (fixed seed and date) and prints the
seconds it took and the SHA-256 of each file: the same seed, sizes and date must give the
same digests on every machine and after any refactoring of the generator.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import shutil
import time
from pathlib import Path

from demo.world import generate_world


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--candidates", type=int, default=20000)
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 6, 30))
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    started = time.perf_counter()
    summary = generate_world(
        args.work, seed=args.seed, candidates=args.candidates, jobs=args.jobs, today=args.today
    )
    seconds = time.perf_counter() - started
    print(f"{summary} in {seconds:.1f} s")
    for path in sorted(args.work.glob("*.jsonl")):
        print(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}")


if __name__ == "__main__":
    main()
