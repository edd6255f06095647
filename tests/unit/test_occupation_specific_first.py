"""A group suggested first gives way to an occupation inside it that names the title's
qualifier (matching.occupation_coding.specific_first)."""

from __future__ import annotations

from matching.occupation_coding import Suggestion, specific_first

TEACHING = Suggestion("2-08-00-00", "教学人员", 0.6, "group")
PRIMARY = Suggestion("2-08-02-04", "小学教师", 0.1)
MIDDLE = Suggestion("2-08-02-03", "初级中学教师", 0.2)
SALES = Suggestion("4-01-02-01", "营销员", 0.3)
PRODUCTION = Suggestion("6-00-00-00", "生产制造及有关人员", 0.5, "group")
SHOES = Suggestion("6-05-04-01", "制鞋工", 0.2)
SHOE_REPAIR = Suggestion("4-12-04-02", "修鞋工", 0.1)  # named too, but outside the group
PATTERNS = Suggestion("6-05-01-01", "服装制版师", 0.3)
WASHING = Suggestion("6-05-01-05", "服装水洗工", 0.1)


def test_the_occupation_naming_the_qualifier_goes_first_with_the_groups_score() -> None:
    ranked = specific_first("小学语文老师", [TEACHING, SALES, MIDDLE, PRIMARY])
    assert [s.code for s in ranked] == ["2-08-02-04", "2-08-00-00", "4-01-02-01", "2-08-02-03"]
    assert ranked[0].score == TEACHING.score and ranked[0].name == "小学教师"
    scores = [s.score for s in ranked]
    assert scores == sorted(scores, reverse=True)


def test_only_an_occupation_inside_the_group_takes_its_place() -> None:
    ranked = specific_first("鞋厂普工", [PRODUCTION, SHOE_REPAIR, SHOES])
    assert [s.code for s in ranked] == ["6-05-04-01", "6-00-00-00", "4-12-04-02"]
    # Outside the group, naming the qualifier is not enough.
    assert specific_first("鞋厂普工", [PRODUCTION, SHOE_REPAIR]) == [PRODUCTION, SHOE_REPAIR]


def test_a_worker_title_takes_a_workers_occupation_not_a_masters() -> None:
    ranked = specific_first("服装厂普工", [PRODUCTION, PATTERNS, WASHING])
    assert [s.code for s in ranked] == ["6-05-01-05", "6-00-00-00", "6-05-01-01"]


def test_the_one_naming_most_of_the_qualifier_wins_the_earliest_of_equals() -> None:
    electrician = Suggestion("6-31-01-03", "电工", 0.3)
    assembler = Suggestion("6-25-04-07", "电子设备装接工", 0.2)
    ranked = specific_first("电子厂普工", [PRODUCTION, electrician, assembler])
    assert ranked[0].code == "6-25-04-07"
    tutor = Suggestion("2-08-02-09", "小学辅导师", 0.05)
    ranked = specific_first("小学老师", [TEACHING, PRIMARY, tutor])
    assert ranked[0].code == "2-08-02-04"


def test_the_group_stays_first_when_nothing_says_more_than_it() -> None:
    # Only generic; no generic ending; a qualifier no member names; a group named exactly.
    assert specific_first("老师", [TEACHING, PRIMARY]) == [TEACHING, PRIMARY]
    nursing = Suggestion("2-05-08-00", "护理人员", 0.5, "group")
    internal = Suggestion("2-05-08-01", "内科护士", 0.3)
    assert specific_first("注册护士", [nursing, internal]) == [nursing, internal]
    assert specific_first("书法老师", [TEACHING, MIDDLE]) == [TEACHING, MIDDLE]
    exact = Suggestion("2-08-00-00", "教学人员", 1.0, "group")
    assert specific_first("小学教学人员", [exact, PRIMARY]) == [exact, PRIMARY]
    # The group's own name says as much of the qualifier: 中医 is in 中医医师.
    chinese = Suggestion("2-05-02-00", "中医医师", 0.5, "group")
    surgery = Suggestion("2-05-02-02", "中医外科医师", 0.3)
    assert specific_first("中医师", [chinese, surgery]) == [chinese, surgery]


def test_no_group_first_or_nothing_after_it_changes_nothing() -> None:
    assert specific_first("小学语文老师", [PRIMARY, TEACHING]) == [PRIMARY, TEACHING]
    assert specific_first("小学语文老师", [TEACHING]) == [TEACHING]
    assert specific_first("小学语文老师", []) == []
