"""The hard requirements (INTERCHANGE.md, "Hard requirements") against an independent oracle.

The oracle below is written from the contract text alone, with plain strings, and shares no code
with ``matching.rules``: if both were wrong the same way, only a second reading of the contract
would catch it. The only thing taken from the product is the table of default capacities,
because the contract leaves those defaults to "the product's documented default".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from matching.domain import Candidate, Job
from matching.rules import (
    DEFAULT_CAPACITIES,
    Requirement,
    check_feasibility,
    default_capacities,
    effective_demands,
    meets_hard_requirements,
    person_capacities,
)
from matching.vocabulary import Accommodation, Dimension, DisabilityCategory

# --- the contract, as plain data ---------------------------------------------------------

DIMENSIONS = ("vision", "hearing", "speech", "mobility", "upper_limb", "cognition", "psychosocial")
ACCOMMODATIONS = (
    "wheelchair_access", "accessible_toilet", "screen_reader", "braille", "sign_language",
    "captioning", "flexible_hours", "remote", "job_coach", "quiet_space", "adapted_equipment",
)  # fmt: skip
CATEGORIES = ("visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple")
# Rule 1, word for word: which dimensions an offered accommodation covers.
COVERS = {
    "screen_reader": {"vision"},
    "braille": {"vision"},
    "sign_language": {"hearing", "speech"},
    "captioning": {"hearing", "speech"},
    "wheelchair_access": {"mobility"},
    "remote": {"mobility"},
    "adapted_equipment": {"upper_limb"},
    "job_coach": {"cognition", "psychosocial"},
    "quiet_space": {"psychosocial"},
    "flexible_hours": {"psychosocial"},
}
RELIEF = 2  # "lowered by 2 (not below 0)"
CERTIFICATES = ("盲人医疗按摩人员资格证", "职业资格证书", "职业技能等级证书", "forklift licence")
RULE_ORDER = ("capacity", "certificate", "accommodation")

Item = tuple[str, str, int | None, int | None]  # (requirement, item, demand, capacity)


def oracle(
    *,
    capacities: Mapping[str, int],
    certificates: Iterable[str],
    needs: Iterable[str],
    demands: Mapping[str, int] | None,
    certificates_required: Iterable[str],
    accommodations: Iterable[str],
) -> Counter[Item]:
    """Every unmet hard requirement, straight from the contract text."""
    offered = {str(a) for a in accommodations}
    covered = {dim for a in offered for dim in COVERS.get(a, ())}
    stated = {str(dim): level for dim, level in (demands or {}).items()}
    unmet: Counter[Item] = Counter()
    # Rule 1: effective demand above capacity; missing demands count as 0.
    for dim in DIMENSIONS:
        demand = stated.get(dim, 0)
        if dim in covered:
            demand = max(0, demand - RELIEF)
        capacity = capacities[dim]
        if demand > capacity:
            unmet[("capacity", dim, demand, capacity)] += 1
    # Rule 2: a required certificate not held (named once however often it is listed).
    for certificate in set(certificates_required) - set(certificates):
        unmet[("certificate", certificate, None, None)] += 1
    # Rule 3: a needed accommodation not offered.
    for need in {str(n) for n in needs} - offered:
        unmet[("accommodation", need, None, None)] += 1
    return unmet


def oracle_capacities(
    category: str | None, grade: int | None, assessed: Mapping[str, int] | None
) -> dict[str, int]:
    """The contract's capacities: assessed levels where given, else the documented default."""
    levels = dict.fromkeys(DIMENSIONS, 3)  # no disability: 3 on every dimension
    if category is not None:
        # rules.py documents that a category without a grade takes the mildest grade, 4
        row = DEFAULT_CAPACITIES[DisabilityCategory(category)][4 if grade is None else grade]
        levels.update({str(dim): level for dim, level in row.items()})
    levels.update({str(dim): level for dim, level in (assessed or {}).items()})
    return levels


def observed(result_unmet: Iterable) -> Counter[Item]:
    return Counter((u.requirement.value, u.item, u.demand, u.capacity) for u in result_unmet)


def assert_agrees(case: dict, expected: Counter[Item]) -> None:
    result = check_feasibility(**case)
    assert observed(result.unmet) == expected
    assert result.feasible is (not expected)
    failed = {requirement for requirement, *_ in expected}
    assert [r.value for r in result.failed_requirements] == [r for r in RULE_ORDER if r in failed]


# --- strategies --------------------------------------------------------------------------

levels = st.integers(0, 3)
# Keys arrive as plain strings (from JSON) or as enum members (from the domain records).
dimension_keys = st.sampled_from(DIMENSIONS) | st.sampled_from(list(Dimension))
partial_levels = st.dictionaries(dimension_keys, levels)
accommodation_values = st.sampled_from(ACCOMMODATIONS) | st.sampled_from(list(Accommodation))
accommodation_lists = st.lists(accommodation_values, max_size=6)
certificate_lists = st.lists(st.sampled_from(CERTIFICATES), max_size=4)
full_capacities = st.fixed_dictionaries(dict.fromkeys(DIMENSIONS, levels))
categories = st.none() | st.sampled_from(CATEGORIES)
grades = st.none() | st.integers(1, 4)

job_sides = st.fixed_dictionaries(
    {
        "demands": st.none() | partial_levels,
        "certificates_required": certificate_lists,
        "accommodations": accommodation_lists,
    }
)
person_sides = st.fixed_dictionaries(
    {"certificates": certificate_lists, "needs": accommodation_lists}
)


# --- properties --------------------------------------------------------------------------


@hypothesis_settings(max_examples=400, deadline=None)
@given(capacities=full_capacities, person=person_sides, job=job_sides)
def test_feasibility_agrees_with_the_contract(
    capacities: dict[str, int], person: dict, job: dict
) -> None:
    case = {"capacities": capacities, **person, **job}
    assert_agrees(case, oracle(**case))


def bits(items: Iterable[str], vocabulary: tuple[str, ...]) -> list[int]:
    """A set as a bit set of one uint64 word (both vocabularies are shorter than 64)."""
    return [sum(1 << vocabulary.index(str(item)) for item in set(map(str, items)))]


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    people=st.lists(st.tuples(full_capacities, person_sides), min_size=1, max_size=5),
    jobs=st.lists(job_sides, min_size=1, max_size=5),
)
def test_the_vectorised_rule_agrees_with_check_feasibility_on_every_pair(
    people: list[tuple[dict[str, int], dict]], jobs: list[dict]
) -> None:
    dims = list(Dimension)
    capacities = np.array([[c[d.value] for d in dims] for c, _ in people], dtype=np.int8)
    effective = [
        effective_demands(j["demands"], map(Accommodation, j["accommodations"])) for j in jobs
    ]
    verdict = meets_hard_requirements(
        # People as a column against jobs as a row: every pair at once.
        capacities=capacities[:, None],
        certificates=np.array(
            [bits(p["certificates"], CERTIFICATES) for _, p in people], np.uint64
        )[:, None],
        needs=np.array([bits(p["needs"], ACCOMMODATIONS) for _, p in people], np.uint64)[:, None],
        demands=np.array([[e[d] for d in dims] for e in effective], dtype=np.int8)[None, :],
        certificates_required=np.array(
            [bits(j["certificates_required"], CERTIFICATES) for j in jobs], np.uint64
        )[None, :],
        accommodations=np.array(
            [bits(j["accommodations"], ACCOMMODATIONS) for j in jobs], np.uint64
        )[None, :],
    )
    expected = [
        [check_feasibility(capacities=c, **p, **j).feasible for j in jobs] for c, p in people
    ]
    assert verdict.tolist() == expected


@hypothesis_settings(max_examples=400, deadline=None)
@given(
    category=categories,
    grade=grades,
    assessed=st.none() | partial_levels,
    person=person_sides,
    job=job_sides,
)
def test_feasibility_through_person_capacities_agrees_with_the_contract(
    category: str | None,
    grade: int | None,
    assessed: dict | None,
    person: dict,
    job: dict,
) -> None:
    enum_category = None if category is None else DisabilityCategory(category)
    capacities = person_capacities(enum_category, grade, assessed)
    expected_capacities = oracle_capacities(category, grade, assessed)
    assert {d.value: level for d, level in capacities.items()} == expected_capacities
    case = {"capacities": capacities, **person, **job}
    assert_agrees(case, oracle(**{**case, "capacities": expected_capacities}))


@hypothesis_settings(max_examples=120, deadline=None)
@given(
    category=categories,
    grade=grades,
    assessed=partial_levels,
    person=person_sides,
    job=job_sides,
)
def test_feasibility_of_domain_records_agrees_with_the_contract(
    category: str | None, grade: int | None, assessed: dict, person: dict, job: dict
) -> None:
    # The same check fed from validated records, as the product does it.
    candidate = Candidate.model_validate(
        {
            "id": "c1",
            "region_code": "430102",
            "registered_at": "2024-01-01",
            "disability_category": category,
            "disability_grade": grade if category is not None else None,
            "capacities": assessed,
            **person,
        }
    )
    posting = Job.model_validate(
        {
            "id": "j1",
            "employer_id": "e1",
            "title": "客服",
            "region_code": "430102",
            "work_mode": "quota",
            "posted_at": "2024-01-01",
            **job,
        }
    )
    capacities = person_capacities(
        candidate.disability_category, candidate.disability_grade, candidate.capacities
    )
    result = check_feasibility(
        capacities=capacities,
        certificates=candidate.certificates,
        needs=candidate.needs,
        demands=posting.demands,
        certificates_required=posting.certificates_required,
        accommodations=posting.accommodations,
    )
    expected = oracle(
        capacities=oracle_capacities(category, candidate.disability_grade, assessed),
        certificates=person["certificates"],
        needs=person["needs"],
        demands=job["demands"],
        certificates_required=job["certificates_required"],
        accommodations=job["accommodations"],
    )
    assert observed(result.unmet) == expected


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    capacities=full_capacities,
    person=person_sides,
    job=job_sides,
    extra=accommodation_values,
    better=dimension_keys,
)
def test_more_accommodation_or_capacity_never_makes_a_job_infeasible(
    capacities: dict[str, int], person: dict, job: dict, extra: str, better: str
) -> None:
    # Direction tests: offering one more accommodation, or being more capable on one
    # dimension, can only remove unmet requirements (a remaining one may get smaller).
    def failing(capacities: dict[str, int], job: dict) -> set[tuple[str, str]]:
        result = check_feasibility(capacities=capacities, **person, **job)
        return {(u.requirement.value, u.item) for u in result.unmet}

    before = failing(capacities, job)
    more_offered = {**job, "accommodations": [*job["accommodations"], extra]}
    assert failing(capacities, more_offered) <= before
    stronger = {**capacities, str(better): min(3, capacities[str(better)] + 1)}
    assert failing(stronger, job) <= before


# --- rule 1 by example -------------------------------------------------------------------


@pytest.mark.parametrize("accommodation", ACCOMMODATIONS)
def test_each_accommodation_covers_exactly_its_dimensions(accommodation: str) -> None:
    # Demand 3 everywhere, capacity 1 everywhere: a covered dimension drops to 3 - 2 = 1 and
    # passes; every other dimension fails with demand 3 against capacity 1.
    result = check_feasibility(
        capacities=dict.fromkeys(Dimension, 1),
        certificates=[],
        needs=[],
        demands=dict.fromkeys(DIMENSIONS, 3),
        certificates_required=[],
        accommodations=[accommodation],
    )
    failing = {u.item for u in result.unmet}
    assert failing == set(DIMENSIONS) - COVERS.get(accommodation, set())
    assert all((u.demand, u.capacity) == (3, 1) for u in result.unmet)


def test_two_accommodations_on_one_dimension_lower_it_once() -> None:
    # screen reader and braille both cover vision: 3 - 2 = 1, not 3 - 4
    result = check_feasibility(
        capacities=dict.fromkeys(Dimension, 0),
        certificates=[],
        needs=[],
        demands={"vision": 3},
        certificates_required=[],
        accommodations=["screen_reader", "braille"],
    )
    assert observed(result.unmet) == Counter({("capacity", "vision", 1, 0): 1})


def test_relief_never_goes_below_zero() -> None:
    result = check_feasibility(
        capacities=dict.fromkeys(Dimension, 0),
        certificates=[],
        needs=[],
        demands={"mobility": 1},
        certificates_required=[],
        accommodations=["wheelchair_access"],
    )
    assert result.feasible and result.failed_requirements == []


def test_missing_demands_count_as_zero() -> None:
    for demands in (None, {}):
        result = check_feasibility(
            capacities=dict.fromkeys(Dimension, 0),
            certificates=[],
            needs=[],
            demands=demands,
            certificates_required=[],
            accommodations=[],
        )
        assert result.feasible


def test_all_three_requirements_fail_together_in_contract_order() -> None:
    result = check_feasibility(
        capacities=person_capacities(DisabilityCategory.VISUAL, 1),
        certificates=["职业资格证书"],
        needs=["screen_reader", "accessible_toilet"],
        demands={"vision": 3, "hearing": 2},
        certificates_required=["盲人医疗按摩人员资格证", "职业资格证书", "盲人医疗按摩人员资格证"],
        accommodations=["screen_reader"],
    )
    # vision 3 - 2 = 1 > 0 (grade 1 visual); hearing 2 <= 3
    assert observed(result.unmet) == Counter(
        {
            ("capacity", "vision", 1, 0): 1,
            ("certificate", "盲人医疗按摩人员资格证", None, None): 1,
            ("accommodation", "accessible_toilet", None, None): 1,
        }
    )
    assert result.failed_requirements == [
        Requirement.CAPACITY,
        Requirement.CERTIFICATE,
        Requirement.ACCOMMODATION,
    ]
    assert not result.feasible


# --- the default-capacities table (shown in the README) ----------------------------------


def test_default_table_covers_every_category_and_grade() -> None:
    assert set(DEFAULT_CAPACITIES) == set(DisabilityCategory)
    assert {c.value for c in DisabilityCategory} == set(CATEGORIES)
    for category, by_grade in DEFAULT_CAPACITIES.items():
        assert set(by_grade) == {1, 2, 3, 4}, category
        for grade, row in by_grade.items():
            assert set(row) <= set(Dimension), (category, grade)
            assert all(0 <= level <= 3 for level in row.values()), (category, grade)


@pytest.mark.parametrize("category", list(DisabilityCategory))
def test_a_more_severe_grade_is_never_more_capable(category: DisabilityCategory) -> None:
    # grade 1 is the most severe: capacities never decrease from grade 1 to grade 4
    rows = [default_capacities(category, grade) for grade in (1, 2, 3, 4)]
    for dim in Dimension:
        column = [row[dim] for row in rows]
        assert column == sorted(column), (category, dim, column)
    assert all(rows[0][dim] <= rows[3][dim] for dim in Dimension)


@pytest.mark.parametrize("category", list(DisabilityCategory))
def test_a_recorded_disability_lowers_some_capacity_at_every_grade(
    category: DisabilityCategory,
) -> None:
    for grade in (1, 2, 3, 4, None):
        assert min(default_capacities(category, grade).values()) < 3, (category, grade)


#: The dimension each single disability category is about.
OWN_DIMENSION = {
    DisabilityCategory.VISUAL: Dimension.VISION,
    DisabilityCategory.HEARING: Dimension.HEARING,
    DisabilityCategory.SPEECH: Dimension.SPEECH,
    DisabilityCategory.PHYSICAL: Dimension.MOBILITY,
    DisabilityCategory.INTELLECTUAL: Dimension.COGNITION,
    DisabilityCategory.MENTAL: Dimension.PSYCHOSOCIAL,
}


@pytest.mark.parametrize("category", list(OWN_DIMENSION))
def test_a_category_lowers_its_own_dimension_most_at_every_grade(
    category: DisabilityCategory,
) -> None:
    # A blind person's default vision, not their hearing, keeps them from a job that needs
    # sight; a deaf person's hearing, not their mobility; and so on for every grade.
    own = OWN_DIMENSION[category]
    for grade in (1, 2, 3, 4):
        levels = default_capacities(category, grade)
        assert levels[own] < 3 and levels[own] == min(levels.values()), (category, grade)


def test_no_disability_means_full_capacity() -> None:
    assert person_capacities(None, None) == dict.fromkeys(Dimension, 3)


@pytest.mark.parametrize("category", list(DisabilityCategory))
def test_a_category_without_grade_takes_the_mildest_grade(category: DisabilityCategory) -> None:
    assert person_capacities(category, None) == person_capacities(category, 4)
    # and the domain accepts such a person (not yet graded)
    candidate = Candidate.model_validate(
        {"id": "c", "region_code": "430102", "registered_at": "2024-01-01",
         "disability_category": category.value}
    )  # fmt: skip
    assert candidate.disability_grade is None


def test_assessed_capacities_override_defaults_per_dimension() -> None:
    # grade 1 visual defaults to vision 0; an assessment of vision 2 replaces it, and an
    # assessment of mobility 1 lowers that dimension; the rest stay at the defaults
    levels = person_capacities(DisabilityCategory.VISUAL, 1, {"vision": 2, Dimension.MOBILITY: 1})
    assert levels == {**dict.fromkeys(Dimension, 3), Dimension.VISION: 2, Dimension.MOBILITY: 1}
    assert person_capacities(DisabilityCategory.VISUAL, 1, {}) == default_capacities(
        DisabilityCategory.VISUAL, 1
    )
