"""What ``jobmatch occupations suggest`` and the API answer for a job title.

One record per title: the title as given, its normalised core, the words set aside, and the
suggested codes (:func:`suggestion_record`); :func:`write_suggestions` codes a whole file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from matching.job_titles import normalise_title
from matching.occupation_coding import OccupationCoder, Suggestion


def suggestion_record(title: str, suggestions: list[Suggestion]) -> dict[str, Any]:
    """One line of ``jobmatch occupations suggest``'s output (and of the API's answer):
    ``{"query", "normalised", "stripped", "results": [{"code", "name", "score", "level"}]}``."""
    parts = normalise_title(title)
    return {
        "query": title,
        "normalised": parts.core,
        "stripped": parts.stripped,
        "results": [
            {"code": s.code, "name": s.name, "score": round(s.score, 4), "level": s.level}
            for s in suggestions
        ],
    }


def write_suggestions(
    coder: OccupationCoder, titles_path: Path, out_path: Path | None, k: int
) -> int:
    """Code every title of a file: the batch contract of ``jobmatch occupations suggest``.

    ``titles_path`` holds one title per line (UTF-8; surrounding whitespace stripped, blank
    lines skipped). ``out_path`` (``None``: standard output) gets one JSON line per title, in
    input order, as :func:`suggestion_record` writes it, scores rounded to 4 decimals and
    Chinese written as is. Returns the number of titles written.
    """
    with Path(titles_path).open(encoding="utf-8-sig") as handle:
        titles = [line.strip() for line in handle]
    titles = [title for title in titles if title]
    suggestions = coder.suggest_many(titles, k=k)
    lines = (
        json.dumps(suggestion_record(title, results), ensure_ascii=False) + "\n"
        for title, results in zip(titles, suggestions, strict=True)
    )
    if out_path is None:
        sys.stdout.writelines(lines)
        sys.stdout.flush()
    else:
        with Path(out_path).open("w", encoding="utf-8", newline="\n") as out:
            out.writelines(lines)
    return len(titles)
