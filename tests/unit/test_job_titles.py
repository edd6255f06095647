"""Job-title normalisation: what names the occupation is kept, the rest set aside for display."""

from __future__ import annotations

import pytest

from matching.job_titles import normalise_title, place_names


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
