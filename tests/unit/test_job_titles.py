"""Job-title normalisation: what names the occupation is kept, the rest set aside for display."""

from __future__ import annotations

import pytest

from matching.job_titles import normalise_title, place_names
from matching.occupations import normalize_text


@pytest.mark.parametrize(
    ("title", "core", "stripped"),
    [
        (
            "高级Java开发工程师（长沙）",
            "java开发工程师",
            {"seniority": ["高级"], "places": ["长沙"]},
        ),
        ("资深UI设计师", "ui设计师", {"seniority": ["资深"]}),
        ("储备干部", "干部", {"seniority": ["储备"]}),
        ("销售代表-长沙", "销售代表", {"places": ["长沙"]}),
        ("湖南省长沙市岳麓区收银员", "收银员", {"places": ["湖南省", "长沙市", "岳麓区"]}),
        ("长沙某某科技有限公司-会计", "会计", {"employer": ["长沙某某科技有限公司"]}),
        ("文员（双休）", "文员", {"recruitment": ["双休"]}),
        ("保洁员（包吃住）", "保洁员", {"recruitment": ["包吃住"]}),
        ("仓管员（夜班）", "仓管员", {"remarks": ["夜班"]}),
        ("在线客服【听障人士优先】4000-6000元/月", "在线客服", None),
        ("普工", "普工", {}),
        ("文员", "文员", {}),
    ],
)
def test_normalise_title(title: str, core: str, stripped: dict[str, list[str]] | None) -> None:
    parts = normalise_title(title)
    assert parts.title == title
    assert parts.core == core
    if stripped is not None:
        assert parts.stripped == stripped


@pytest.mark.parametrize("title", ["北京", "实习生", "高级", "急聘"])
def test_nothing_is_stripped_that_would_leave_no_title(title: str) -> None:
    # A title that is only a place, a seniority or a recruiting word keeps its words.
    assert normalise_title(title).core == title


def test_a_place_inside_a_trade_name_is_kept() -> None:
    # Only places at either end are stripped: 北京烤鸭 keeps its dish, not its city.
    assert normalise_title("烤鸭师（北京）").core == "烤鸭师"
    assert normalise_title("西安肉夹馍师傅").core == "肉夹馍师傅"
    assert "长沙" in place_names() and "湖南" in place_names() and "岳麓区" in place_names()
    assert all(len(name) >= 2 for name in place_names())


@pytest.mark.parametrize(
    ("title", "core"),
    [
        # Issue 16: a recruiting word that qualifies a generic head is part of the occupation.
        ("招聘助理", "招聘助理"),
        ("招聘专员", "招聘专员"),
        ("招聘主管（五险一金）", "招聘主管"),
        # 残疾人 named as what the work is about is kept; as whom a post is for, stripped.
        ("残疾人专职委员", "残疾人专职委员"),
        ("残疾人之家辅导员", "残疾人之家辅导员"),
        ("残疾人保洁员", "保洁员"),
        ("残疾人专岗-文员", "文员"),
        ("数据标注 残疾人优先", "数据标注"),
    ],
)
def test_words_that_are_part_of_the_occupation_are_kept(title: str, core: str) -> None:
    assert normalise_title(title).core == core


@pytest.mark.parametrize(
    ("title", "core", "recruitment"),
    [
        ("电商仓打包员 日结 200/天", "电商仓打包员", ["日结", "200/天"]),
        ("跑业务 底薪+提成", "跑业务", ["底薪+提成"]),
        ("快递驿站店员 女士优先", "快递驿站店员", ["女士优先"]),
        ("衣车工 计件 多劳多得", "衣车工", ["计件", "多劳多得"]),
        ("开荒保洁 临时工", "开荒保洁", ["临时工"]),
        ("急招普工18-45岁男女不限", "普工", ["急招", "18-45岁", "男女不限"]),
        ("洗碗阿姨 50岁以下", "洗碗阿姨", ["50岁以下"]),
        ("月薪6000叉车司机", "叉车司机", ["月薪6000"]),
        ("招聘：仓库打包工 月入6000+", "仓库打包工", ["招聘", "月入6000+"]),
        # Pay in words, 可 before a term, head counts in Chinese numerals, repeated 急!
        ("【急招】普工+包吃住+月入过万", "普工", ["急招", "包吃住", "月入过万"]),
        ("保洁员 收入上万", "保洁员", ["收入上万"]),
        ("客服专员 可兼职", "客服专员", ["可兼职"]),
        ("诚聘文员一名", "文员", ["诚聘", "一名"]),
        ("招聘两名保安", "保安", ["招聘", "两名"]),
        ("急！急！急！招聘搬运工", "搬运工", ["急!急!急!", "招聘"]),
    ],
)
def test_board_terms_pay_and_ages_are_set_aside(
    title: str, core: str, recruitment: list[str]
) -> None:
    parts = normalise_title(title)
    assert parts.core == core
    assert sorted(parts.recruitment) == sorted(recruitment)


@pytest.mark.parametrize(
    "title", ["A2大车司机", "12345热线接线员", "4S店机修", "3D建模师", "急救员", "名厨"]
)
def test_numbers_that_are_not_pay_or_age_are_kept(title: str) -> None:
    parts = normalise_title(title)
    assert parts.core == normalize_text(title)
    assert parts.recruitment == ()
