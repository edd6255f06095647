"""Response and request bodies of quota compliance (README, "Quota compliance")."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from matching.compliance import EmployerYear, FiguresSource, QuotaYear, Rollup
from matching.domain import Count, Money
from matching.vocabulary import EmployerType


class HiringEffect(BaseModel):
    """The year's figures had the employer hired ``hired`` more referred disabled people."""

    hired: int
    hired_severe: int = Field(description="Of them, holders of grade 1-2 certificates.")
    counted: int
    required: float
    gap: float
    ratio_achieved: float | None
    compliant: bool
    fund_due: float | None
    over_ratio_reward: float | None
    lead_by_example_unmet: bool
    fund_saved: float | None = Field(description="fund_due before minus after; CNY per year.")
    reward_gained: float | None = Field(description="Reward after minus before; CNY per year.")


class QuotaYearOut(BaseModel):
    """An employer's standing under quota rules 1-5 for one year's figures (DOMAIN.md)."""

    employer_id: str
    year: int = Field(description="The year the figures describe (the fund is levied after).")
    figures_from: FiguresSource
    staff_count: int | None
    disabled_staff: int | None
    disabled_staff_severe: int | None
    avg_annual_wage: float | None
    is_school: bool
    avg_social_wage: float | None = Field(description="Local average social wage, CNY/year.")
    avg_social_wage_region: str | None = Field(
        description="Region code of the standard used, or 'override' (query parameter)."
    )
    min_monthly_wage: float | None = Field(description="Local minimum monthly wage, CNY.")
    min_monthly_wage_region: str | None
    counted: int
    required: float
    gap: float
    ratio_achieved: float | None
    compliant: bool
    fund_due: float | None = Field(description="Security fund, CNY/year; null: no social wage.")
    over_ratio_reward: float | None = Field(description="CNY/year; null: no minimum wage.")
    lead_by_example_applies: bool
    lead_by_example_unmet: bool
    hire: HiringEffect | None = None

    @classmethod
    def of(cls, found: QuotaYear, hire: HiringEffect | None = None) -> QuotaYearOut:
        e, s, w = found.employer, found.status, found.wages
        return cls(
            employer_id=e.id,
            year=found.year,
            figures_from=found.source,
            staff_count=e.staff_count,
            disabled_staff=e.disabled_staff,
            disabled_staff_severe=e.disabled_staff_severe,
            avg_annual_wage=e.avg_annual_wage,
            is_school=found.is_school,
            avg_social_wage=w.avg_social_wage,
            avg_social_wage_region=w.avg_social_wage_region,
            min_monthly_wage=w.min_monthly_wage,
            min_monthly_wage_region=w.min_monthly_wage_region,
            counted=s.counted,
            required=s.required,
            gap=s.gap,
            ratio_achieved=s.ratio_achieved,
            compliant=s.compliant,
            fund_due=s.fund_due,
            over_ratio_reward=s.over_ratio_reward,
            lead_by_example_applies=s.lead_by_example_applies,
            lead_by_example_unmet=s.lead_by_example_unmet,
            hire=hire,
        )


class EmployerCompliance(BaseModel):
    """One employer in a compliance list; the figures are null when ``missing`` says why."""

    employer_id: str
    name: str
    type: EmployerType
    region_code: str
    figures_from: FiguresSource | None
    required: float | None
    counted: int | None
    gap: float | None
    ratio_achieved: float | None
    compliant: bool | None
    fund_due: float | None
    lead_by_example_unmet: bool | None
    missing: str | None = Field(None, description="The figure that is unknown, if any.")

    @classmethod
    def of(cls, row: EmployerYear) -> EmployerCompliance:
        e, q = row.employer, row.quota
        return cls(
            employer_id=e.id,
            name=e.name,
            type=e.type,
            region_code=e.region_code,
            figures_from=q.source if q else None,
            required=q.status.required if q else None,
            counted=q.status.counted if q else None,
            gap=q.status.gap if q else None,
            ratio_achieved=q.status.ratio_achieved if q else None,
            compliant=q.status.compliant if q else None,
            fund_due=q.status.fund_due if q else None,
            lead_by_example_unmet=q.status.lead_by_example_unmet if q else None,
            missing=row.missing.field if row.missing else None,
        )


class EmployerComplianceList(BaseModel):
    """Employers for one year; with ``below_ratio`` true, the largest gap first."""

    year: int
    region_prefix: str
    type: EmployerType | None
    below_ratio: bool | None
    total: int = Field(description="Matching employers before offset and limit.")
    items: list[EmployerCompliance]


class RollupGroup(BaseModel):
    """Compliance totals of one group (sums over assessed employers only)."""

    group: str
    employers: int
    assessed: int
    compliant: int
    below_ratio: int
    unknown: int = Field(description="Employers with a figure missing (in no sum).")
    compliance_rate: float | None
    required: float
    counted: int
    gap: float
    fund_due: float
    fund_unknown: int = Field(description="Below the ratio, but no social wage on record.")
    over_ratio_reward: float
    lead_by_example_unmet: int

    @classmethod
    def of(cls, total: Rollup) -> RollupGroup:
        return cls(
            group=total.group,
            employers=total.employers,
            assessed=total.assessed,
            compliant=total.compliant,
            below_ratio=total.below_ratio,
            unknown=total.unknown,
            compliance_rate=total.compliance_rate,
            required=total.required,
            counted=total.counted,
            gap=total.gap,
            fund_due=total.fund_due,
            fund_unknown=total.fund_unknown,
            over_ratio_reward=total.over_ratio_reward,
            lead_by_example_unmet=total.lead_by_example_unmet,
        )


class RollupOut(BaseModel):
    year: int
    region_prefix: str
    by: Literal["type", "province", "prefecture", "county"]
    groups: list[RollupGroup]
    total: RollupGroup


class DisclosureEntry(BaseModel):
    """One line of the public disclosure list (公示)."""

    employer_id: str
    name: str
    type: EmployerType
    region_code: str
    required: float
    counted: int
    compliant: bool


class DisclosureOut(BaseModel):
    year: int
    region_prefix: str
    entries: list[DisclosureEntry]


class DeclarationFigures(BaseModel):
    """An employer's quota figures for a year, as a counselor or admin records them."""

    staff_count: Count | None = None
    disabled_staff: Count | None = None
    disabled_staff_severe: Count | None = None
    avg_annual_wage: Money | None = None
    reason: str | None = Field(None, description="Why it is recorded or changed (audit log).")


class WageFigures(BaseModel):
    """A region's wage standards for a year, as an admin records them."""

    avg_social_wage: Money | None = Field(None, description="CNY per year.")
    min_monthly_wage: Money | None = Field(None, description="CNY per month.")
    reason: str | None = Field(None, description="Source of the figures (audit log).")
