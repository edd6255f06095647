"""The colloquial-title lexicon: its forms become aliases, and a bad row fails the load loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

from matching.occupations import LEXICON_FILE, OccupationVocabulary, read_lexicon

# A csco22.csv-shaped file with one major, middle and minor group and two occupations.
CSV = """level,code,code_num,name,definition,tasks,csco_code_num,alias
1,4-00-00-00,4000000,社会生产服务和生活服务人员,,,,
2,4-07-00-00,4070000,租赁和商务服务人员,,,,
3,4-07-05-00,4070500,安全保护服务人员,,,,
4,4-07-05-01,4070501,保安员,提供安全防范服务的人员。,1.巡逻 2.守护,,"保安,保安员"
4,4-07-05-02,4070502,安检员,从事安全检查的人员。,1.检查,,安检员
"""
HEADER = "# a lexicon\n# Columns: form <TAB> code <TAB> note.\n"


@pytest.fixture
def csv_path(tmp_path: Path) -> Path:
    path = tmp_path / "csco22.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def lexicon(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "lexicon.tsv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_forms_become_aliases_of_occupations_and_groups(csv_path: Path, tmp_path: Path) -> None:
    path = lexicon(tmp_path, "门岗\t4-07-05-01\tgate post\n门卫\t4070501\n护卫人员\t4-07-05-00\n")
    vocab = OccupationVocabulary.load(csv_path, lexicon=path)
    guard = vocab.get("4-07-05-01")
    assert guard is not None and guard.aliases == ("保安", "门岗", "门卫")
    assert vocab.find("门岗") == guard and vocab.resolve_code("门卫") == "4-07-05-01"
    assert vocab.group_aliases("4-07-05-00") == ("护卫人员",)
    # Without a lexicon the classification alone.
    plain = OccupationVocabulary.load(csv_path, lexicon=None)
    assert plain.get("4-07-05-01").aliases == ("保安",)  # type: ignore[union-attr]
    assert plain.find("门岗") is None


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("门岗\t4-07-05-09\n", r"lexicon.tsv:3: 4-07-05-09 is neither an occupation nor a group"),
        ("门岗\t4-07-05-01\n门岗\t4-07-05-02\n", r"lexicon.tsv:4: '门岗' is already listed at"),
        ("门 岗\t4-07-05-01\n门岗\t4-07-05-01\n", r"lexicon.tsv:4: '门岗' is already listed"),
        ("保安\t4-07-05-01\n", r"lexicon.tsv:3: '保安' is already a name or alias of 4-07-05-01"),
        ("安检员\t4-07-05-01\n", r"'安检员' is already a name or alias of 4-07-05-02"),
        ("门岗\t保安员\n", r"lexicon.tsv:3: empty form or malformed code '保安员'"),
        ("门岗 4-07-05-01\n", r"lexicon.tsv:3: expected form<TAB>code<TAB>note"),
        ("\t4-07-05-01\n", r"lexicon.tsv:3: empty form"),
    ],
)
def test_a_bad_row_fails_the_load_naming_its_line(
    csv_path: Path, tmp_path: Path, rows: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        OccupationVocabulary.load(csv_path, lexicon=lexicon(tmp_path, rows))


def test_the_shipped_lexicon_reads_and_names_no_code_twice_per_form() -> None:
    entries = read_lexicon(LEXICON_FILE)
    assert len(entries) >= 50
    assert all(code.count("-") == 3 for _, code, _ in entries)
