"""Quota compliance over stored data: local wage standards, employers' yearly declarations, and
every quota figure of an employer-year (DOMAIN.md rules 1-5, computed by ``matching.quota``).

- A **wage standard** (``wage_standards.jsonl``) gives a region's average social wage (CNY per
  year) and minimum monthly wage (CNY per month) for a year. A prefecture code (430100) or a
  province code (430000) applies to every county under it unless a more specific record
  states the figure: each figure is looked up separately, county, then prefecture, then
  province, so a county may set its own minimum wage and inherit the province's social wage.
- A **quota declaration** (``quota_declarations.jsonl``) is what an employer declared for one
  year: staff, disabled staff, grade 1-2 disabled staff, average annual wage. A year without a
  declaration falls back to the employer record, whole: figures of different years are never
  mixed, so a declaration's null field stays unknown rather than borrowed from the record.

``year`` is the year the figures describe; the security fund they give is levied the year
after (rule 3 speaks of "last year's" staff and wage), with that year's local standards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.domain import Employer, QuotaDeclaration, WageStandard
from matching.quota import MissingQuotaData, QuotaStatus, quota_status
from matching.settings import Settings
from matching.store.tables import EmployerRow, QuotaDeclarationRow, WageStandardRow
from matching.vocabulary import EmployerType

QUOTA_FIELDS = ("staff_count", "disabled_staff", "disabled_staff_severe", "avg_annual_wage")


def region_chain(region_code: str) -> list[str]:
    """The codes whose standards apply to a region, most specific first: the county itself,
    its prefecture (``4301xx`` → ``430100``), its province (``43xxxx`` → ``430000``)."""
    chain = [region_code, region_code[:4] + "00", region_code[:2] + "0000"]
    return list(dict.fromkeys(chain))


@dataclass(frozen=True, slots=True)
class LocalWages:
    """The standards in force for one region and year, and which record each came from."""

    avg_social_wage: float | None
    avg_social_wage_region: str | None
    min_monthly_wage: float | None
    min_monthly_wage_region: str | None


def local_wages(
    standards: Mapping[tuple[str, int], WageStandard], region_code: str, year: int
) -> LocalWages:
    """The average social wage and minimum monthly wage for a county in a year, each from the
    most specific standard (county, prefecture, province) that states it; None where none
    does. Other years are never used: a missing year is reported, not guessed."""
    found: dict[str, tuple[float, str]] = {}
    for code in region_chain(region_code):
        standard = standards.get((code, year))
        if standard is None:
            continue
        for name in ("avg_social_wage", "min_monthly_wage"):
            value = getattr(standard, name)
            if value is not None and name not in found:
                found[name] = (value, code)
    social = found.get("avg_social_wage")
    minimum = found.get("min_monthly_wage")
    return LocalWages(
        avg_social_wage=social[0] if social else None,
        avg_social_wage_region=social[1] if social else None,
        min_monthly_wage=minimum[0] if minimum else None,
        min_monthly_wage_region=minimum[1] if minimum else None,
    )


def as_declared(employer: Employer, declaration: QuotaDeclaration | None) -> Employer:
    """The employer with one year's quota figures: the declaration's, whole, when there is
    one; otherwise the employer record's own."""
    if declaration is None:
        return employer
    if declaration.employer_id != employer.id:
        raise ValueError(f"declaration of {declaration.employer_id} given for {employer.id}")
    figures = {name: getattr(declaration, name) for name in QUOTA_FIELDS}
    return employer.model_copy(update=figures)


def after_hiring(employer: Employer, hired: int, hired_severe: int = 0) -> Employer:
    """The employer after hiring ``hired`` more disabled people (``hired_severe`` of them with
    grade 1-2 certificates): each joins the staff and the disabled staff.

    Raises :class:`MissingQuotaData` when the staff or disabled staff are unknown.
    """
    if hired < 0 or not 0 <= hired_severe <= hired:
        raise ValueError("hired must be >= 0 and hired_severe between 0 and hired")
    for name in ("staff_count", "disabled_staff"):
        if getattr(employer, name) is None:
            raise MissingQuotaData(employer.id, name, "the effect of hiring")
    assert employer.staff_count is not None and employer.disabled_staff is not None
    return employer.model_copy(
        update={
            "staff_count": employer.staff_count + hired,
            "disabled_staff": employer.disabled_staff + hired,
            "disabled_staff_severe": (employer.disabled_staff_severe or 0) + hired_severe,
        }
    )


class FiguresSource(StrEnum):
    """Where an employer-year's quota figures come from."""

    DECLARATION = "declaration"
    EMPLOYER_RECORD = "employer_record"


@dataclass(frozen=True, slots=True)
class QuotaYear:
    """An employer's quota standing for one year's figures, with where they came from."""

    employer: Employer  # as declared for the year
    year: int
    source: FiguresSource
    wages: LocalWages
    is_school: bool
    status: QuotaStatus


def assess(
    employer: Employer,
    year: int,
    settings: Settings,
    *,
    declaration: QuotaDeclaration | None,
    wages: LocalWages,
    is_school: bool | None = None,
) -> QuotaYear:
    """Every quota figure of one employer-year (rules 1-5) from its declaration (or record)
    and the local standards; ``is_school`` None takes the employer record's flag.

    Raises :class:`MissingQuotaData` naming a figure the year lacks.
    """
    declared = as_declared(employer, declaration)
    school = bool(employer.is_school) if is_school is None else is_school
    status = quota_status(
        declared,
        settings,
        local_avg_social_wage=wages.avg_social_wage,
        local_min_monthly_wage=wages.min_monthly_wage,
        is_school=school,
    )
    source = FiguresSource.DECLARATION if declaration else FiguresSource.EMPLOYER_RECORD
    return QuotaYear(declared, year, source, wages, school, status)


def override_wages(
    wages: LocalWages, *, avg_social_wage: float | None, min_monthly_wage: float | None
) -> LocalWages:
    """Standards with figures given by hand in place of the stored ones (region "override")."""
    if avg_social_wage is not None:
        wages = replace(wages, avg_social_wage=avg_social_wage, avg_social_wage_region="override")
    if min_monthly_wage is not None:
        wages = replace(
            wages, min_monthly_wage=min_monthly_wage, min_monthly_wage_region="override"
        )
    return wages


def default_year(today: dt.date | None = None) -> int:
    """Last calendar year: the figures this year's security fund is levied on (rule 3)."""
    return (today or dt.date.today()).year - 1


# -- reading the store -----------------------------------------------------------------------


def wage_standards(
    session: Session, year: int | None = None
) -> dict[tuple[str, int], WageStandard]:
    """Stored wage standards (of one year, or all), keyed by (region code, year)."""
    query = select(WageStandardRow.record)
    if year is not None:
        query = query.where(WageStandardRow.year == year)
    standards = (WageStandard.model_validate(r) for r in session.scalars(query))
    return {(s.region_code, s.year): s for s in standards}


def declarations(
    session: Session, year: int, employer_ids: Iterable[str] | None = None
) -> dict[str, QuotaDeclaration]:
    """Stored declarations of one year, by employer id (of ``employer_ids``, or all)."""
    query = select(QuotaDeclarationRow.record).where(QuotaDeclarationRow.year == year)
    if employer_ids is not None:
        query = query.where(QuotaDeclarationRow.employer_id.in_(list(employer_ids)))
    found = (QuotaDeclaration.model_validate(r) for r in session.scalars(query))
    return {d.employer_id: d for d in found}


def latest_declarations(
    session: Session, employer_ids: Sequence[str] | None = None
) -> dict[str, QuotaDeclaration]:
    """Each employer's most recent declaration, by employer id (matching's current figures);
    only those of ``employer_ids`` if given (serving applying a few changed employers)."""
    query = select(QuotaDeclarationRow.record).order_by(QuotaDeclarationRow.year)
    if employer_ids is None:
        rows = list(session.scalars(query))
    else:
        wanted, rows = sorted(set(employer_ids)), []
        for start in range(0, len(wanted), 500):  # below SQLite's bound-parameter limit
            chunk = wanted[start : start + 500]
            rows.extend(session.scalars(query.where(QuotaDeclarationRow.employer_id.in_(chunk))))
        rows.sort(key=lambda r: r["year"])
    return {d.employer_id: d for d in map(QuotaDeclaration.model_validate, rows)}


def declarations_of(session: Session, employer_id: str) -> list[QuotaDeclaration]:
    """Every stored declaration of one employer, oldest year first."""
    rows = session.scalars(
        select(QuotaDeclarationRow.record)
        .where(QuotaDeclarationRow.employer_id == employer_id)
        .order_by(QuotaDeclarationRow.year)
    )
    return [QuotaDeclaration.model_validate(r) for r in rows]


def assess_employer(
    session: Session,
    employer: Employer,
    year: int,
    settings: Settings,
    *,
    is_school: bool | None = None,
    avg_social_wage: float | None = None,
    min_monthly_wage: float | None = None,
) -> QuotaYear:
    """One employer-year from the stored declaration and standards; the wages given here
    override the stored ones. Raises :class:`MissingQuotaData` naming a missing figure."""
    declaration = declarations(session, year, [employer.id]).get(employer.id)
    wages = override_wages(
        local_wages(wage_standards(session, year), employer.region_code, year),
        avg_social_wage=avg_social_wage,
        min_monthly_wage=min_monthly_wage,
    )
    return assess(
        employer, year, settings, declaration=declaration, wages=wages, is_school=is_school
    )


@dataclass(frozen=True, slots=True)
class EmployerYear:
    """One employer's row in a compliance list: its standing, or why it cannot be computed."""

    employer: Employer  # the stored record (name, type, region)
    quota: QuotaYear | None  # None when a figure is missing
    missing: MissingQuotaData | None


def assess_all(
    session: Session,
    year: int,
    settings: Settings,
    *,
    region_prefix: str = "",
    employer_type: EmployerType | None = None,
) -> list[EmployerYear]:
    """Every stored employer (within a region prefix, of one type) for one year, in id order;
    those lacking a figure are kept with the reason, so that a list never hides them."""
    query = select(EmployerRow.record).order_by(EmployerRow.id)
    if region_prefix:
        query = query.where(EmployerRow.region_code.startswith(region_prefix))
    if employer_type is not None:
        query = query.where(EmployerRow.type == employer_type.value)
    employers = [Employer.model_validate(r) for r in session.scalars(query)]
    return assess_records(
        employers,
        declarations(session, year).values(),
        wage_standards(session, year).values(),
        year,
        settings,
    )


def assess_records(
    employers: Iterable[Employer],
    declared: Iterable[QuotaDeclaration],
    standards: Iterable[WageStandard],
    year: int,
    settings: Settings,
) -> list[EmployerYear]:
    """:func:`assess_all` over records (e.g. an interchange export): each employer for one
    year with that year's declaration and standards, in the order given."""
    by_employer = {d.employer_id: d for d in declared if d.year == year}
    keyed = {(s.region_code, s.year): s for s in standards if s.year == year}
    rows = []
    for employer in employers:
        wages = local_wages(keyed, employer.region_code, year)
        try:
            found = assess(
                employer, year, settings, declaration=by_employer.get(employer.id), wages=wages
            )
            rows.append(EmployerYear(employer, found, None))
        except MissingQuotaData as missing:
            rows.append(EmployerYear(employer, None, missing))
    return rows


def by_gap(rows: Iterable[EmployerYear]) -> list[EmployerYear]:
    """Employers below the ratio, the largest gap first (then by id): whom to call first."""
    below = [r for r in rows if r.quota is not None and not r.quota.status.compliant]
    return sorted(below, key=lambda r: (-r.quota.status.gap, r.employer.id))  # type: ignore[union-attr]


class RollupBy(StrEnum):
    """How a compliance roll-up groups employers."""

    TYPE = "type"
    PROVINCE = "province"
    PREFECTURE = "prefecture"
    COUNTY = "county"


def group_key(employer: Employer, by: RollupBy | None) -> str:
    """The group an employer belongs to: its type, or its region code at a level ("all" for
    no grouping)."""
    code = employer.region_code
    match by:
        case None:
            return "all"
        case RollupBy.TYPE:
            return employer.type.value
        case RollupBy.PROVINCE:
            return code[:2] + "0000"
        case RollupBy.PREFECTURE:
            return code[:4] + "00"
        case RollupBy.COUNTY:
            return code


@dataclass(slots=True)
class Rollup:
    """Compliance totals of a group of employers for one year."""

    group: str
    employers: int = 0
    assessed: int = 0  # employers whose figures are all known
    compliant: int = 0
    below_ratio: int = 0
    unknown: int = 0  # a figure missing: counted here, in no sum
    required: float = 0.0
    counted: int = 0
    gap: float = 0.0
    fund_due: float = 0.0  # over employers whose local social wage is known
    fund_unknown: int = 0  # assessed employers below the ratio with no social wage on record
    over_ratio_reward: float = 0.0
    lead_by_example_unmet: int = 0

    @property
    def compliance_rate(self) -> float | None:
        """Compliant employers over assessed ones (None when none is assessed)."""
        return self.compliant / self.assessed if self.assessed else None


def rollup(rows: Iterable[EmployerYear], by: RollupBy | None) -> list[Rollup]:
    """Totals per group (ordered by group key; one group "all" for ``by`` None). Sums are
    over assessed employers only, so each figure can be checked by adding up the disclosure
    list."""
    # No grouping always gives its one total, zero when there is no employer.
    groups: dict[str, Rollup] = {} if by is not None else {"all": Rollup("all")}
    for row in rows:
        key = group_key(row.employer, by)
        total = groups.setdefault(key, Rollup(key))
        total.employers += 1
        if row.quota is None:
            total.unknown += 1
            continue
        status = row.quota.status
        total.assessed += 1
        total.compliant += status.compliant
        total.below_ratio += not status.compliant
        total.required += status.required
        total.counted += status.counted
        total.gap += status.gap
        if status.fund_due is None:
            total.fund_unknown += not status.compliant
        else:
            total.fund_due += status.fund_due
        total.over_ratio_reward += status.over_ratio_reward or 0.0
        total.lead_by_example_unmet += status.lead_by_example_unmet
    for total in groups.values():
        # Sums of exact per-employer figures, rounded once for display.
        total.required = round(total.required, 6)
        total.gap = round(total.gap, 6)
        total.fund_due = round(total.fund_due, 2)
        total.over_ratio_reward = round(total.over_ratio_reward, 2)
    return [groups[k] for k in sorted(groups)]


DISCLOSURE_COLUMNS = (
    "employer_id",
    "name",
    "type",
    "region_code",
    "required",
    "counted",
    "compliant",
)


def disclosure(rows: Iterable[EmployerYear]) -> list[dict[str, Any]]:
    """The public disclosure list (公示): every assessed employer with its type, required and
    counted disabled employees and whether it complies, in id order. Employers lacking a
    figure are left out (they cannot be disclosed as either); the compliance list names them."""
    return [
        {
            "employer_id": r.employer.id,
            "name": r.employer.name,
            "type": r.employer.type.value,
            "region_code": r.employer.region_code,
            "required": r.quota.status.required,
            "counted": r.quota.status.counted,
            "compliant": r.quota.status.compliant,
        }
        for r in rows
        if r.quota is not None
    ]
