"""What ``jobmatch occupations suggest`` and the API answer for a job title.

One record per title: the title as given, its normalised core, the words set aside, and the
suggested codes (:func:`suggestion_record`); :func:`write_suggestions` codes a whole file
(:func:`read_titles`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matching.job_titles import normalise_title
from matching.occupation_coding import OccupationCoder, Suggestion
from matching.textfiles import text_lines


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


def read_titles(path: Path) -> list[str]:
    """The titles of a ``--titles`` file: one per line, UTF-8 (a byte-order mark allowed),
    surrounding whitespace stripped, blank lines skipped. Raises
    :class:`~matching.textfiles.NotUtf8Error` for a file in another encoding."""
    return [line.strip() for _, line in text_lines(Path(path))]


def write_suggestions(
    coder: OccupationCoder, titles: Sequence[str], out_path: Path | None, k: int
) -> int:
    """Code ``titles`` (a file's, as :func:`read_titles` reads them): the batch contract of
    ``jobmatch occupations suggest``. ``out_path`` (``None``: standard output) gets one JSON
    line per title, in input order, as :func:`suggestion_record` writes it, scores rounded
    to 4 decimals and Chinese written as is. Returns the number of titles written.
    """
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
