"""The board-style evaluation titles (issue 16): they parse, every code is in the vocabulary,
none repeats a title of the older sets, and each lies in the half its hash puts it in."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from matching.job_titles import normalise_title
from matching.occupations import OccupationVocabulary, normalize_text

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
BOARD = {
    "dev": BENCHMARKS / "occupation_titles_board_dev.tsv",
    "test": BENCHMARKS / "occupation_titles_board_test.tsv",
}
OLDER = [BENCHMARKS / "occupation_titles.tsv", BENCHMARKS / "occupation_titles_hard.tsv"]


def read(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """``(title, codes)`` rows of an evaluation file, as benchmarks/occupation_coding.py reads
    them (``#`` lines are comments; a note may follow the codes)."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        assert 2 <= len(fields) <= 3, f"{path.name}:{number}: title, codes and a note at most"
        title, codes = fields[0], tuple(fields[1].split(","))
        assert title.strip() and all(codes), f"{path.name}:{number}: empty title or code"
        rows.append((title, codes))
    return rows


@pytest.fixture(scope="module")
def vocab() -> OccupationVocabulary:
    return OccupationVocabulary.load()


@pytest.mark.parametrize("half", sorted(BOARD))
def test_every_code_is_an_occupation_or_a_group(half: str, vocab: OccupationVocabulary) -> None:
    groups = dict(vocab.groups())
    rows = read(BOARD[half])
    assert len(rows) >= 150
    unknown = [(t, c) for t, codes in rows for c in codes if c not in vocab and c not in groups]
    assert unknown == []
    # Written in the dashed form, once each.
    assert all(len(set(codes)) == len(codes) for _, codes in rows)
    assert all(vocab.get(c) is None or vocab.get(c).code == c for _, cs in rows for c in cs)


def test_halves_follow_the_hash_and_repeat_no_title() -> None:
    seen: set[str] = set()
    for half, path in BOARD.items():
        for title, _ in read(path):
            key = normalize_text(title)
            assert key not in seen, f"{title} appears twice"
            seen.add(key)
            byte = hashlib.sha256(key.encode()).digest()[0]
            assert ("dev" if byte % 2 == 0 else "test") == half, f"{title} is in the wrong half"
    assert len(seen) >= 300
    older = {normalize_text(t) for path in OLDER for t, _ in read(path)}
    assert seen.isdisjoint(older)


def test_no_two_board_titles_share_a_normalised_core() -> None:
    cores = [normalise_title(t).core for path in BOARD.values() for t, _ in read(path)]
    assert len(cores) == len(set(cores))
