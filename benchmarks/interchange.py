"""Import / re-import / export / round-trip timings of the interchange commands.

    python benchmarks/interchange.py --work /tmp/interchange --candidates 20000 --jobs 5000

Generates a synthetic world, imports it into an empty home, imports it again (nothing may
change), exports it, imports the export into a second empty home, exports again and checks
the two exports are byte-identical.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from demo.world import generate_world


def jobmatch(home: Path, *args: str) -> tuple[float, str]:
    """Run the real console command in a home; returns (seconds, last line of output)."""
    started = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).with_name("jobmatch")), *args],
        env={**os.environ, "JOBMATCH_HOME": str(home)},
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, done.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--candidates", type=int, default=20000)
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--referrals", type=int, default=50000)
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    world = generate_world(
        args.work / "world",
        seed=1,
        candidates=args.candidates,
        jobs=args.jobs,
        referrals=args.referrals,
    )
    print(f"world: {world}")
    steps = [
        ("import into empty home", args.work / "h1", ("import", str(args.work / "world"))),
        ("re-import (no change)", args.work / "h1", ("import", str(args.work / "world"))),
        ("export", args.work / "h1", ("export", str(args.work / "out1"))),
        ("import export into empty home", args.work / "h2", ("import", str(args.work / "out1"))),
        ("export again", args.work / "h2", ("export", str(args.work / "out2"))),
    ]
    for name, home, command in steps:
        seconds, last = jobmatch(home, *command)
        print(f"{name:32s} {seconds:7.1f} s   {last}")
    names = [f"{kind}.jsonl" for kind in ("employers", "jobs", "candidates", "referrals")]
    _, mismatch, errors = filecmp.cmpfiles(
        args.work / "out1", args.work / "out2", names, shallow=False
    )
    print("round trip byte-identical:", not mismatch and not errors)


if __name__ == "__main__":
    main()
