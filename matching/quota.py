"""Quota employment (按比例安排残疾人就业): DOMAIN.md, "Rules that the software must apply or
compute", rules 1-5.

Pure functions of an :class:`~matching.domain.Employer` and the :class:`~matching.settings.Settings`
in force; every policy number comes from the settings, because provinces and counties set their
own.

Arithmetic is exact (``fractions.Fraction`` built from each number's decimal text): policy
numbers are decimals written by people (1.5%, 50%, 2x), and in binary floating point a 1.7%
quota of 3000 staff is ``51.00000000000001``, which would make an employer with exactly 51
counted disabled employees non-compliant. Results are converted to ``float`` only at the end.

Unknown data is never guessed. A rule that needs a field the employer record leaves null raises
:class:`MissingQuotaData` (a ``ValueError``) naming that field, so a report can show "unknown:
staff_count missing" instead of a wrong number. A rule asks only for what its answer depends on:
an employer below the fund exemption threshold owes no fund whatever its wage, so a missing
``avg_annual_wage`` does not matter there. One documented default: a null
``disabled_staff_severe`` counts as 0, because double counting (rule 2) is a claim the employer
makes by recording grade 1-2 certificates; it never makes an employer look less compliant than
its head count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from matching.domain import Employer
from matching.settings import Settings
from matching.vocabulary import EmployerType


class MissingQuotaData(ValueError):
    """A quota rule needs a field that the employer record leaves unknown (null)."""

    def __init__(self, employer_id: str, field: str, purpose: str) -> None:
        super().__init__(f"employer {employer_id}: {field} is unknown, needed for {purpose}")
        self.employer_id = employer_id
        self.field = field
        self.purpose = purpose


def _exact(value: float) -> Fraction:
    # str() gives the shortest decimal that round-trips, i.e. the number as a person wrote it.
    return Fraction(str(value))


def _known(employer: Employer, field: str, purpose: str) -> int | float:
    value = getattr(employer, field)
    if value is None:
        raise MissingQuotaData(employer.id, field, purpose)
    return value


def _amount(value: float, name: str) -> Fraction:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite amount of at least 0, got {value!r}")
    return _exact(value)


def _staff(employer: Employer) -> int:
    return int(_known(employer, "staff_count", "the quota (rule 1)"))


def counted_disabled_employees(employer: Employer, settings: Settings) -> int:
    """Double counting (一人按两人计算, DOMAIN.md rule 2): disabled employees as counted for
    the quota.

    ``disabled_staff + (severe_counts_as - 1) x disabled_staff_severe``: an employee holding a
    grade 1 or 2 certificate counts as ``settings.severe_counts_as`` (2 nationally). A null
    ``disabled_staff_severe`` counts as 0 (no double counting claimed).

    Raises :class:`MissingQuotaData` when ``disabled_staff`` is null.
    """
    disabled = int(_known(employer, "disabled_staff", "the quota count (rule 2)"))
    severe = employer.disabled_staff_severe or 0
    return disabled + (settings.severe_counts_as - 1) * severe


def _required(employer: Employer, settings: Settings) -> Fraction:
    return _staff(employer) * _exact(settings.quota_ratio)


def required_disabled_employees(employer: Employer, settings: Settings) -> float:
    """Quota ratio (按比例就业, DOMAIN.md rule 1): how many disabled employees the quota asks
    for, ``staff_count x quota_ratio``.

    Fractional, as the fund formula (rule 3) uses it; 200 staff at 1.5% require 3.0, 150 staff
    require 2.25. Raises :class:`MissingQuotaData` when ``staff_count`` is null.
    """
    return float(_required(employer, settings))


def _excess(employer: Employer, settings: Settings) -> Fraction:
    """Counted minus required: negative below the quota, positive above it."""
    return counted_disabled_employees(employer, settings) - _required(employer, settings)


def quota_gap(employer: Employer, settings: Settings) -> float:
    """How many counted disabled employees the employer lacks for the quota (rule 1), never < 0.

    Fractional (``staff x ratio - counted``), as in the fund formula of rule 3.
    """
    return float(max(Fraction(0), -_excess(employer, settings)))


def is_compliant(employer: Employer, settings: Settings) -> bool:
    """Whether the counted disabled employees reach ``staff_count x quota_ratio`` (rules 1-2).

    An employer with no staff is compliant: the quota asks for nothing.
    """
    return _excess(employer, settings) >= 0


def achieved_ratio(employer: Employer, settings: Settings) -> float | None:
    """Counted disabled employees over staff (rules 1-2); None when ``staff_count`` is 0.

    With double counting the ratio can exceed the head-count share, even exceed 1.
    """
    staff = _staff(employer)
    if staff == 0:
        return None  # no ratio of nobody; is_compliant() says the quota is met
    return float(Fraction(counted_disabled_employees(employer, settings), staff))


def employment_security_fund(
    employer: Employer, settings: Settings, *, local_avg_social_wage: float
) -> float:
    """Employment security fund (残疾人就业保障金, DOMAIN.md rule 3): the amount due per year,
    in CNY.

    ``(staff x ratio - counted) x min(avg_annual_wage, fund_wage_cap_multiple x
    local_avg_social_wage)``, then the current relief: nothing for ``staff_count <=
    fund_exempt_staff_max`` (30); ``fund_share_above_floor`` (50%) of it for an achieved ratio
    at or above ``fund_relief_floor_ratio`` (1%), ``fund_share_below_floor`` (90%) below it.
    Never negative: an employer meeting the quota owes nothing.

    ``local_avg_social_wage`` is the local average social wage per year (CNY). The figures are
    last year's, as the rule says; the caller passes the record that holds them.

    Raises :class:`MissingQuotaData` for a null ``staff_count`` or ``disabled_staff``, and for a
    null ``avg_annual_wage`` when a fund is actually due.
    """
    social_wage = _amount(local_avg_social_wage, "local_avg_social_wage")
    staff = _staff(employer)
    if staff <= settings.fund_exempt_staff_max:
        return 0.0  # small-employer exemption: the wage and the counts do not matter
    shortfall = -_excess(employer, settings)
    if shortfall <= 0:
        return 0.0
    employer_wage = _exact(_known(employer, "avg_annual_wage", "the employment security fund"))
    wage = min(employer_wage, _exact(settings.fund_wage_cap_multiple) * social_wage)
    counted = counted_disabled_employees(employer, settings)
    # "at >= 1% but below the ratio pay 50%": compare counted with staff x floor, exactly.
    if counted >= staff * _exact(settings.fund_relief_floor_ratio):
        share = settings.fund_share_above_floor
    else:
        share = settings.fund_share_below_floor
    return float(shortfall * wage * _exact(share))


def over_ratio_reward(
    employer: Employer, settings: Settings, *, local_min_monthly_wage: float
) -> float:
    """Over-ratio reward (超比例奖励, DOMAIN.md rule 4, seed 004): the reward per year, in CNY.

    ``(counted - staff x quota_ratio) x local_min_monthly_wage x reward_months`` for an employer
    above the ratio; the persons above the ratio may be fractional. 0 at or below the ratio.
    """
    minimum_wage = _amount(local_min_monthly_wage, "local_min_monthly_wage")
    excess = _excess(employer, settings)
    if excess <= 0:
        return 0.0
    return float(excess * minimum_wage * _exact(settings.reward_months))


def lead_by_example_applies(
    employer: Employer, settings: Settings, *, is_school: bool = False
) -> bool:
    """Lead-by-example rule (带头安排残疾人就业, DOMAIN.md rule 5; seed 004, 残联发〔2021〕51号):
    whether it binds the employer.

    It binds an agency (机关) with an establishment (编制) of at least
    ``lead_by_example_agency_min`` (50), or a public institution (事业单位) with at least
    ``lead_by_example_institution_min`` (67), that is below the ratio; such an employer must
    employ at least one disabled person. Schools and kindergartens (中小学、幼儿园) are excepted;
    the employer record cannot tell them apart, so the caller says so with ``is_school``.

    Raises :class:`MissingQuotaData` for a null ``establishment_size`` only when the answer
    depends on it (a sized type, not a school, below the ratio).
    """
    if employer.type == EmployerType.AGENCY:
        minimum = settings.lead_by_example_agency_min
    elif employer.type == EmployerType.INSTITUTION and not is_school:
        minimum = settings.lead_by_example_institution_min
    else:
        return False
    if is_compliant(employer, settings):
        return False
    size = _known(employer, "establishment_size", "the lead-by-example rule (rule 5)")
    return size >= minimum


def lead_by_example_unmet(
    employer: Employer, settings: Settings, *, is_school: bool = False
) -> bool:
    """Whether the employer breaks rule 5: the rule binds it and it employs no disabled person."""
    return (
        lead_by_example_applies(employer, settings, is_school=is_school)
        and _known(employer, "disabled_staff", "the lead-by-example rule (rule 5)") == 0
    )


@dataclass(frozen=True, slots=True)
class QuotaStatus:
    """An employer's standing under quota rules 1-5, for one year's figures."""

    counted: int  # disabled employees counted for the quota, with double counting (rule 2)
    required: float  # staff_count x quota_ratio (rule 1)
    gap: float  # required - counted, never below 0
    ratio_achieved: float | None  # counted / staff_count; None when staff_count is 0
    compliant: bool
    fund_due: float | None  # rule 3, CNY per year; None when no social wage was given
    over_ratio_reward: float | None  # rule 4, CNY per year; None when no minimum wage was given
    lead_by_example_applies: bool  # rule 5 binds this employer
    lead_by_example_unmet: bool  # rule 5 binds and no disabled person is employed


def quota_status(
    employer: Employer,
    settings: Settings,
    *,
    local_avg_social_wage: float | None = None,
    local_min_monthly_wage: float | None = None,
    is_school: bool = False,
) -> QuotaStatus:
    """Every quota figure for one employer (rules 1-5).

    The fund and the reward are computed only when the local wage they depend on is given
    (per year for the social wage, per month for the minimum wage); otherwise they are None.
    Raises :class:`MissingQuotaData` when the employer record lacks a field that a requested
    figure needs (``staff_count`` and ``disabled_staff`` always).
    """
    return QuotaStatus(
        counted=counted_disabled_employees(employer, settings),
        required=required_disabled_employees(employer, settings),
        gap=quota_gap(employer, settings),
        ratio_achieved=achieved_ratio(employer, settings),
        compliant=is_compliant(employer, settings),
        fund_due=None
        if local_avg_social_wage is None
        else employment_security_fund(
            employer, settings, local_avg_social_wage=local_avg_social_wage
        ),
        over_ratio_reward=None
        if local_min_monthly_wage is None
        else over_ratio_reward(employer, settings, local_min_monthly_wage=local_min_monthly_wage),
        lead_by_example_applies=lead_by_example_applies(employer, settings, is_school=is_school),
        lead_by_example_unmet=lead_by_example_unmet(employer, settings, is_school=is_school),
    )
