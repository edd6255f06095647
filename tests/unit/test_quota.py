"""Quota rules 1-5 of DOMAIN.md, against numbers worked out by hand (in the comments)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from matching.domain import Employer
from matching.quota import (
    MissingQuotaData,
    QuotaStatus,
    achieved_ratio,
    counted_disabled_employees,
    employment_security_fund,
    is_compliant,
    lead_by_example_applies,
    lead_by_example_unmet,
    over_ratio_reward,
    quota_gap,
    quota_status,
    required_disabled_employees,
)
from matching.settings import Settings

# The national defaults of DOMAIN.md, passed explicitly so that JOBMATCH_* variables in the
# environment cannot change what these tests check.
NATIONAL = {
    "quota_ratio": 0.015,
    "severe_counts_as": 2,
    "fund_exempt_staff_max": 30,
    "fund_relief_floor_ratio": 0.01,
    "fund_share_above_floor": 0.5,
    "fund_share_below_floor": 0.9,
    "fund_wage_cap_multiple": 2.0,
    "reward_months": 6.0,
    "lead_by_example_agency_min": 50,
    "lead_by_example_institution_min": 67,
}

SOCIAL_WAGE = 60_000.0  # local average social wage per year; the cap is 2 x 60 000 = 120 000
MIN_WAGE = 1_900.0  # local minimum monthly wage


def policy(**overrides: float) -> Settings:
    return Settings(**{**NATIONAL, **overrides})


NAT = policy()


def employer(**fields: object) -> Employer:
    record = {"id": "e1", "name": "某公司", "type": "private", "region_code": "430102"}
    return Employer.model_validate({**record, **fields})


# --- rule 2: double counting -------------------------------------------------------------


def test_grade_1_2_employees_count_twice() -> None:
    # 3 disabled, 2 of them grade 1-2: 3 + (2 - 1) x 2 = 5
    e = employer(staff_count=100, disabled_staff=3, disabled_staff_severe=2)
    assert counted_disabled_employees(e, NAT) == 5


def test_severe_counts_as_is_a_setting() -> None:
    # a county counting grade 1-2 as three: 3 + (3 - 1) x 2 = 7
    e = employer(staff_count=100, disabled_staff=3, disabled_staff_severe=2)
    assert counted_disabled_employees(e, policy(severe_counts_as=3)) == 7


def test_unknown_severe_count_claims_no_double_counting() -> None:
    e = employer(staff_count=100, disabled_staff=3, disabled_staff_severe=None)
    assert counted_disabled_employees(e, NAT) == 3


# --- rule 1: ratio, required count, gap, compliance --------------------------------------


@pytest.mark.parametrize(
    ("staff", "required"),
    [
        (200, 3.0),  # 200 x 1.5% = 3
        (150, 2.25),  # 150 x 1.5% = 2.25: fractional, as the fund formula uses it
        (31, 0.465),  # 31 x 1.5% = 0.465
        (0, 0.0),
    ],
)
def test_required_is_staff_times_ratio(staff: int, required: float) -> None:
    e = employer(staff_count=staff, disabled_staff=0)
    assert required_disabled_employees(e, NAT) == pytest.approx(required)


def test_ratio_is_a_setting() -> None:
    # a province at 2%: 100 x 2% = 2; 1 counted leaves a gap of 1
    e = employer(staff_count=100, disabled_staff=1)
    assert required_disabled_employees(e, policy(quota_ratio=0.02)) == pytest.approx(2.0)
    assert quota_gap(e, policy(quota_ratio=0.02)) == pytest.approx(1.0)
    # ... while at the national 1.5% the same employer needs 1.5, gap 0.5
    assert quota_gap(e, NAT) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("staff", "disabled", "severe", "gap", "compliant", "ratio"),
    [
        (1000, 3, 2, 10.0, False, 0.005),  # 15 - 5 = 10; 5 / 1000
        (150, 2, 0, 0.25, False, 2 / 150),  # 2.25 - 2
        (200, 3, 0, 0.0, True, 0.015),  # exactly on the quota
        (200, 2, 1, 0.0, True, 0.015),  # 2 + 1 = 3 counted: on the quota through rule 2
        (200, 5, 0, 0.0, True, 0.025),  # above: the gap never goes negative
        (40, 40, 40, 0.0, True, 2.0),  # all severe: counted 80 > staff, ratio above 1
    ],
)
def test_gap_compliance_and_ratio(
    staff: int, disabled: int, severe: int, gap: float, compliant: bool, ratio: float
) -> None:
    e = employer(staff_count=staff, disabled_staff=disabled, disabled_staff_severe=severe)
    assert quota_gap(e, NAT) == pytest.approx(gap)
    assert is_compliant(e, NAT) is compliant
    assert achieved_ratio(e, NAT) == pytest.approx(ratio)


def test_an_employer_without_staff_owes_nothing_and_has_no_ratio() -> None:
    e = employer(staff_count=0, disabled_staff=0)
    assert is_compliant(e, NAT)
    assert quota_gap(e, NAT) == 0.0
    assert achieved_ratio(e, NAT) is None


def test_exactly_on_a_decimal_quota_is_compliant_despite_binary_floats() -> None:
    # 3000 x 0.017 is 51.00000000000001 in floats; exactly it is 51, which 51 employees meet.
    e = employer(staff_count=3000, disabled_staff=51, avg_annual_wage=80_000)
    p = policy(quota_ratio=0.017)
    assert is_compliant(e, p)
    assert quota_gap(e, p) == 0.0
    assert employment_security_fund(e, p, local_avg_social_wage=SOCIAL_WAGE) == 0.0
    assert over_ratio_reward(e, p, local_min_monthly_wage=MIN_WAGE) == 0.0


@hypothesis_settings(max_examples=100, deadline=None)
@given(units=st.integers(1, 500), ratio_thousandths=st.integers(1, 50))
def test_meeting_the_quota_exactly_is_always_compliant(units: int, ratio_thousandths: int) -> None:
    # staff = 1000 x units at a ratio of r per mille requires exactly r x units people
    ratio = ratio_thousandths / 1000
    e = employer(staff_count=1000 * units, disabled_staff=ratio_thousandths * units)
    assert is_compliant(e, policy(quota_ratio=ratio))
    short = employer(staff_count=1000 * units, disabled_staff=ratio_thousandths * units - 1)
    assert not is_compliant(short, policy(quota_ratio=ratio))


# --- rule 3: employment security fund ----------------------------------------------------


@pytest.mark.parametrize(
    ("staff", "disabled", "severe", "wage", "fund"),
    [
        # 0.5% < 1%: 90% of (15 - 5) x min(150 000, 120 000) = 0.9 x 10 x 120 000 = 1 080 000
        (1000, 3, 2, 150_000, 1_080_000),
        # exactly 1%: 50% of (15 - 10) x 80 000 = 200 000 (the wage is under the cap)
        (1000, 10, 0, 80_000, 200_000),
        # 0.9%: 90% of (15 - 9) x 80 000 = 432 000
        (1000, 9, 0, 80_000, 432_000),
        # 1% reached through double counting (5 + 5 = 10): 50% of 5 x 80 000 = 200 000
        (1000, 5, 5, 80_000, 200_000),
        # the smallest employer that pays: 31 staff, none disabled:
        # 90% of 0.465 x 80 000 = 0.9 x 37 200 = 33 480
        (31, 0, 0, 80_000, 33_480),
        # wage exactly at the cap: 90% of (3 - 0) x 120 000 = 324 000
        (200, 0, 0, 120_000, 324_000),
        # on the quota or above: nothing
        (200, 3, 0, 80_000, 0),
        (200, 2, 1, 80_000, 0),
        (200, 9, 0, 80_000, 0),
    ],
)
def test_fund(staff: int, disabled: int, severe: int, wage: float, fund: float) -> None:
    e = employer(
        staff_count=staff,
        disabled_staff=disabled,
        disabled_staff_severe=severe,
        avg_annual_wage=wage,
    )
    assert employment_security_fund(e, NAT, local_avg_social_wage=SOCIAL_WAGE) == pytest.approx(
        fund
    )


@pytest.mark.parametrize("staff", [0, 1, 29, 30])
def test_fund_exempts_employers_of_30_or_fewer(staff: int) -> None:
    # exempt whatever the counts, and the unknown wage is never asked for
    e = employer(staff_count=staff, disabled_staff=0, avg_annual_wage=None)
    assert employment_security_fund(e, NAT, local_avg_social_wage=SOCIAL_WAGE) == 0.0


def test_fund_exemption_threshold_is_a_setting() -> None:
    # with no exemption, 20 staff: 90% of 0.3 x 80 000 = 21 600
    e = employer(staff_count=20, disabled_staff=0, avg_annual_wage=80_000)
    fund = employment_security_fund(
        e, policy(fund_exempt_staff_max=0), local_avg_social_wage=SOCIAL_WAGE
    )
    assert fund == pytest.approx(21_600)


def test_fund_needs_the_employer_wage_only_when_one_is_due() -> None:
    due = employer(staff_count=1000, disabled_staff=0)
    with pytest.raises(MissingQuotaData, match="avg_annual_wage") as caught:
        employment_security_fund(due, NAT, local_avg_social_wage=SOCIAL_WAGE)
    assert caught.value.field == "avg_annual_wage"
    compliant = employer(staff_count=1000, disabled_staff=15)
    assert employment_security_fund(compliant, NAT, local_avg_social_wage=SOCIAL_WAGE) == 0.0


@pytest.mark.parametrize("wage", [-1.0, float("nan"), float("inf")])
def test_fund_refuses_an_impossible_social_wage(wage: float) -> None:
    e = employer(staff_count=1000, disabled_staff=0, avg_annual_wage=80_000)
    with pytest.raises(ValueError, match="local_avg_social_wage"):
        employment_security_fund(e, NAT, local_avg_social_wage=wage)


employers = st.builds(
    lambda staff, disabled, severe, wage: employer(
        staff_count=staff,
        disabled_staff=min(disabled, staff),
        disabled_staff_severe=min(severe, disabled, staff),
        avg_annual_wage=wage,
    ),
    st.integers(0, 5000),
    st.integers(0, 200),
    st.integers(0, 200),
    st.integers(0, 400_000),
)


@hypothesis_settings(max_examples=300, deadline=None)
@given(e=employers)
def test_fund_and_reward_properties(e: Employer) -> None:
    fund = employment_security_fund(e, NAT, local_avg_social_wage=SOCIAL_WAGE)
    reward = over_ratio_reward(e, NAT, local_min_monthly_wage=MIN_WAGE)
    gap = quota_gap(e, NAT)
    assert fund >= 0 and reward >= 0
    # a fund is due exactly when the employer is above the exemption and below the quota
    assert (fund > 0) == (e.staff_count > 30 and gap > 0 and e.avg_annual_wage > 0)
    # never more than 90% of the gap at the capped wage
    assert fund <= gap * 120_000 * 0.9 + 1e-6
    # no employer both pays the fund and earns the reward
    assert not (fund > 0 and reward > 0)
    assert (reward > 0) == (counted_disabled_employees(e, NAT) > e.staff_count * 0.015 + 1e-9)


# --- rule 4: over-ratio reward -----------------------------------------------------------


@pytest.mark.parametrize(
    ("staff", "disabled", "severe", "reward"),
    [
        (200, 5, 0, 22_800),  # (5 - 3) x 1 900 x 6 = 22 800
        (200, 3, 1, 11_400),  # counted 3 + 1 = 4: (4 - 3) x 1 900 x 6 = 11 400
        (150, 3, 0, 8_550),  # fractional: (3 - 2.25) x 1 900 x 6 = 0.75 x 11 400 = 8 550
        (200, 3, 0, 0),  # on the ratio: not above it
        (1000, 3, 0, 0),  # below
        (10, 1, 0, 9_690),  # small firms too: (1 - 0.15) x 1 900 x 6 = 0.85 x 11 400 = 9 690
    ],
)
def test_over_ratio_reward(staff: int, disabled: int, severe: int, reward: float) -> None:
    e = employer(staff_count=staff, disabled_staff=disabled, disabled_staff_severe=severe)
    assert over_ratio_reward(e, NAT, local_min_monthly_wage=MIN_WAGE) == pytest.approx(reward)


def test_reward_months_is_a_setting() -> None:
    # (5 - 3) x 1 900 x 12 = 45 600
    e = employer(staff_count=200, disabled_staff=5)
    reward = over_ratio_reward(e, policy(reward_months=12), local_min_monthly_wage=MIN_WAGE)
    assert reward == pytest.approx(45_600)


# --- rule 5: lead by example -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "establishment", "is_school", "applies"),
    [
        ("agency", 50, False, True),  # 机关, establishment of 50 or more
        ("agency", 49, False, False),
        ("agency", 50, True, True),  # the school exception is for institutions
        ("institution", 67, False, True),  # 事业单位, 67 or more
        ("institution", 66, False, False),
        ("institution", 500, True, False),  # schools and kindergartens are excepted
        ("soe", 5000, False, False),  # only agencies and institutions
        ("private", 5000, False, False),
    ],
)
def test_lead_by_example_applies_below_the_ratio(
    kind: str, establishment: int, is_school: bool, applies: bool
) -> None:
    # 200 staff need 3; none employed: below the ratio
    e = employer(type=kind, establishment_size=establishment, staff_count=200, disabled_staff=0)
    assert lead_by_example_applies(e, NAT, is_school=is_school) is applies
    assert lead_by_example_unmet(e, NAT, is_school=is_school) is applies


def test_lead_by_example_is_met_by_one_disabled_employee() -> None:
    # 1 of the 3 required: still below the ratio, so the rule binds, but "at least one" is met
    e = employer(type="agency", establishment_size=80, staff_count=200, disabled_staff=1)
    assert lead_by_example_applies(e, NAT)
    assert not lead_by_example_unmet(e, NAT)


def test_lead_by_example_does_not_bind_a_compliant_agency() -> None:
    # on the ratio: the rule does not bind, and the unknown establishment is not asked for
    e = employer(type="agency", establishment_size=None, staff_count=200, disabled_staff=3)
    assert not lead_by_example_applies(e, NAT)


def test_lead_by_example_thresholds_are_settings() -> None:
    e = employer(type="agency", establishment_size=30, staff_count=200, disabled_staff=0)
    assert not lead_by_example_applies(e, NAT)
    assert lead_by_example_applies(e, policy(lead_by_example_agency_min=30))


def test_lead_by_example_needs_the_establishment_when_it_decides() -> None:
    e = employer(type="institution", establishment_size=None, staff_count=200, disabled_staff=0)
    with pytest.raises(MissingQuotaData, match="establishment_size"):
        lead_by_example_applies(e, NAT)


# --- unknown data ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda e: required_disabled_employees(e, NAT),
        lambda e: quota_gap(e, NAT),
        lambda e: is_compliant(e, NAT),
        lambda e: achieved_ratio(e, NAT),
        lambda e: employment_security_fund(e, NAT, local_avg_social_wage=SOCIAL_WAGE),
        lambda e: over_ratio_reward(e, NAT, local_min_monthly_wage=MIN_WAGE),
        lambda e: quota_status(e, NAT),
    ],
)
def test_unknown_staff_count_is_reported_not_guessed(call: Callable[[Employer], object]) -> None:
    e = employer(staff_count=None, disabled_staff=2, avg_annual_wage=80_000)
    with pytest.raises(MissingQuotaData) as caught:
        call(e)
    assert caught.value.field == "staff_count"
    assert isinstance(caught.value, ValueError)
    assert "e1" in str(caught.value) and "staff_count is unknown" in str(caught.value)


def test_unknown_disabled_count_is_reported_not_guessed() -> None:
    e = employer(staff_count=200, disabled_staff=None)
    with pytest.raises(MissingQuotaData, match="disabled_staff is unknown"):
        counted_disabled_employees(e, NAT)
    with pytest.raises(MissingQuotaData, match="disabled_staff is unknown"):
        quota_status(e, NAT)


# --- everything at once ------------------------------------------------------------------


def test_quota_status_of_a_non_compliant_agency() -> None:
    # 1000 staff, 3 disabled of whom 2 severe: counted 5, required 15, gap 10, ratio 0.5%
    # fund: 90% x 10 x min(150 000, 120 000) = 1 080 000; reward 0; establishment 120 >= 50
    e = employer(
        type="agency",
        establishment_size=120,
        staff_count=1000,
        disabled_staff=3,
        disabled_staff_severe=2,
        avg_annual_wage=150_000,
    )
    status = quota_status(
        e, NAT, local_avg_social_wage=SOCIAL_WAGE, local_min_monthly_wage=MIN_WAGE
    )
    assert status == QuotaStatus(
        counted=5,
        required=pytest.approx(15.0),
        gap=pytest.approx(10.0),
        ratio_achieved=pytest.approx(0.005),
        compliant=False,
        fund_due=pytest.approx(1_080_000),
        over_ratio_reward=0.0,
        lead_by_example_applies=True,
        lead_by_example_unmet=False,  # it does employ 3
    )


def test_quota_status_without_local_wages_leaves_money_unknown() -> None:
    # 200 staff, 5 disabled: counted 5, required 3, 2 above the ratio
    e = employer(staff_count=200, disabled_staff=5)
    status = quota_status(e, NAT)
    assert status.compliant and status.gap == 0.0 and status.counted == 5
    assert status.fund_due is None and status.over_ratio_reward is None
    assert not status.lead_by_example_applies
