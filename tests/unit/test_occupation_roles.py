"""A title naming several roles (保安/保洁): split by matching.job_titles.title_roles, and the
roles' suggestions taken in turn by matching.occupation_coding.merge_roles."""

from __future__ import annotations

import pytest

from matching.job_titles import title_roles
from matching.occupation_coding import Suggestion, merge_roles

GUARD = Suggestion("4-07-05-01", "保安员", 0.9)
GUARDS = Suggestion("4-07-05-00", "安全保护服务人员", 0.05, "group")
PATROL = Suggestion("3-02-02-01", "保卫管理员", 0.04)
CLEANER = Suggestion("4-09-08-01", "保洁员", 0.95)
CLEANERS = Suggestion("4-09-08-00", "环境卫生服务人员", 0.03, "group")
HOUSEKEEPER = Suggestion("4-10-01-06", "家政服务员", 0.01)


@pytest.mark.parametrize(
    ("core", "roles"),
    [
        ("保安/保洁", ["保安", "保洁"]),
        ("收银员、理货员", ["收银员", "理货员"]),
        ("保洁或保安", ["保洁", "保安"]),
        ("厨师/帮厨/洗碗工", ["厨师", "帮厨", "洗碗工"]),
        ("保安/保安", ["保安/保安"]),  # one role named twice
        ("配/理/拣/发货", ["配/理/拣/发货"]),  # one-character parts: one role (an alias)
        ("内/外科护士", ["内/外科护士"]),
        ("保洁员", ["保洁员"]),
        ("", [""]),
    ],
)
def test_title_roles(core: str, roles: list[str]) -> None:
    assert title_roles(core) == roles


def test_roles_are_taken_in_turn_the_first_named_first() -> None:
    merged = merge_roles([[GUARD, PATROL, HOUSEKEEPER], [CLEANER, HOUSEKEEPER]], 5)
    assert [s.code for s in merged] == ["4-07-05-01", "4-09-08-01", "3-02-02-01", "4-10-01-06"]


def test_merged_scores_never_rise_and_one_group_at_most() -> None:
    merged = merge_roles([[GUARD, GUARDS, PATROL], [CLEANER, CLEANERS, HOUSEKEEPER]], 5)
    assert [s.code for s in merged] == [
        "4-07-05-01", "4-09-08-01", "4-07-05-00", "3-02-02-01", "4-10-01-06",
    ]  # fmt: skip
    assert [s.level for s in merged].count("group") == 1
    scores = [s.score for s in merged]
    assert scores == sorted(scores, reverse=True)
    assert merged[1].score == GUARD.score  # 保洁员's 0.95 capped by the 0.9 before it
    assert merge_roles([[GUARD, PATROL], [CLEANER]], 2) == [GUARD, merged[1]]


def test_one_role_is_returned_as_it_is() -> None:
    assert merge_roles([[CLEANER, CLEANERS, HOUSEKEEPER]], 2) == [CLEANER, CLEANERS]
