"""Wall-clock time of ``jobmatch occupations suggest --titles FILE --k 5`` on a fresh home.

    .venv/bin/python benchmarks/occupation_suggest_time.py --titles 5903

The outside evaluation codes 5,903 real job titles this way, from a home that has never run
(so nothing is cached: every title is embedded). This builds a file of as many distinct
titles from the real-style and hard sets (``benchmarks/occupation_titles*.tsv``): each base
title alone, behind a workplace word (``酒店保洁员``, ``电子厂质检员``: a different normalised
title, so a different text to embed), and a third of them with recruiting noise around it
(``急聘``, ``（长沙）``, ``包吃住``), in a fixed random order; then times the command, start-up
included, and checks that every title got an answer. It prints the wall time, the
command's CPU time and the load average; the embedding backend is the environment's
(``JOBMATCH_EMBEDDING_BACKEND=onnx-int8 python benchmarks/occupation_suggest_time.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
WORKPLACES = (
    "酒店", "医院", "学校", "超市", "商场", "工厂", "电子厂", "食品厂", "服装厂", "物流公司",
    "物业公司", "餐厅", "社区", "银行", "养老院", "连锁店", "写字楼", "景区", "车间", "门店",
)  # fmt: skip
NOISE = (
    ("急聘", ""), ("高级", ""), ("", "（长沙）"), ("", "（包吃住）"), ("诚聘", "（五险一金）"),
    ("", "/兼职"), ("【长白班】", ""), ("", " 18-45岁"), ("储备", ""), ("", "（残疾人优先）"),
)  # fmt: skip


def base_titles() -> list[str]:
    """Titles of the real-style and hard sets (not the board sets, so that the file stays
    the one earlier runs timed)."""
    titles: list[str] = []
    for path in (HERE / "occupation_titles.tsv", HERE / "occupation_titles_hard.tsv"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                titles.append(line.split("\t")[0])
    return list(dict.fromkeys(titles))


def title_file(path: Path, count: int, seed: int = 0) -> int:
    """Write ``count`` distinct titles to ``path``; returns how many normalised ones differ."""
    from matching.job_titles import normalise_title

    rng = random.Random(seed)
    bases = base_titles()
    pool = bases + [place + title for title in bases for place in WORKPLACES]
    rng.shuffle(pool)
    chosen = pool[:count]
    if len(chosen) < count:
        raise SystemExit(f"only {len(chosen)} distinct titles can be made")
    noisy = []
    for index, title in enumerate(chosen):
        if index % 3 == 0:
            before, after = rng.choice(NOISE)
            title = before + title + after
        noisy.append(title)
    path.write_text("".join(t + "\n" for t in noisy), encoding="utf-8")
    return len({normalise_title(t).core for t in noisy})


def jobmatch() -> list[str]:
    """The ``jobmatch`` command of this interpreter's environment."""
    script = Path(sys.executable).with_name("jobmatch")
    return [str(script)] if script.exists() else [sys.executable, "-m", "serving.cli"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, default=5903)
    parser.add_argument("--work", type=Path, default=Path("/tmp/jobmatch-suggest-time"))
    args = parser.parse_args()

    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    titles, out = args.work / "titles.txt", args.work / "suggestions.jsonl"
    distinct = title_file(titles, args.titles)
    env = {**os.environ, "JOBMATCH_HOME": str(args.work / "home")}
    command = [*jobmatch(), "occupations", "suggest", "--titles", str(titles), "--k", "5"]
    started = time.perf_counter()
    subprocess.run([*command, "--out", str(out)], env=env, check=True)
    seconds = time.perf_counter() - started
    # CPU time of the command: steadier than wall time on a shared machine.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    answered = sum(bool(line["results"]) for line in lines)
    print(
        f"{len(lines)} titles ({distinct} distinct normalised), {answered} answered, "
        f"in {seconds:.1f} s on a fresh home, start-up included "
        f"({usage.ru_utime:.1f} s user CPU, {usage.ru_stime:.1f} s system; "
        f"load average {os.getloadavg()[0]:.1f})"
    )
    shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    main()
