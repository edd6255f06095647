"""Quota compliance (按比例安排残疾人就业): an employer-year's standing, lists of employers to
target, roll-ups, the public disclosure list, yearly declarations and local wage standards.

Counselors see their region prefix; managers and admins everything; an employer account only
its own standing and declarations. Declarations are counselors' and admins' to record, wage
standards admins'; both changes are audit-logged.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query
from pydantic import ValidationError
from sqlalchemy.orm import Session

from matching import compliance
from matching.compliance import (
    DISCLOSURE_COLUMNS,
    EmployerYear,
    QuotaYear,
    RollupBy,
    after_hiring,
    assess,
    assess_all,
    assess_employer,
)
from matching.domain import MONEY_MAX, Employer, QuotaDeclaration, WageStandard
from matching.quota import MissingQuotaData
from matching.store.repository import Audited
from matching.store.tables import EmployerRow
from matching.vocabulary import EmployerType
from serving.access import as_employer, employer_row
from serving.auth import Account, Role
from serving.compliance_schemas import (
    DeclarationFigures,
    DisclosureEntry,
    DisclosureOut,
    EmployerCompliance,
    EmployerComplianceList,
    HiringEffect,
    QuotaYearOut,
    RollupGroup,
    RollupOut,
    WageFigures,
)
from serving.deps import Admin, CurrentUser, RuntimeDep, SessionDep
from serving.errors import ERROR_RESPONSES, ApiError, forbidden, invalid, not_found
from serving.runtime import Runtime
from serving.tabular import TableFormat, download, table_bytes

router = APIRouter(prefix="/v1", tags=["quota"], responses=ERROR_RESPONSES)


def _money(description: str) -> Any:
    """A money query parameter, finite and bounded (issue 9 item 13): inf or 1e307 would
    overflow the arithmetic."""
    return Query(ge=0, le=MONEY_MAX, allow_inf_nan=False, description=description)


YearQuery = Annotated[
    int | None,
    Query(
        ge=1950,
        le=2100,
        description="The year the figures describe; default: last year (this year's fund).",
    ),
]
RegionQuery = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{2,6}$", description="Region code prefix, e.g. 43 or 4301."),
]


def _year(year: int | None) -> int:
    return compliance.default_year() if year is None else year


def _missing(missing: MissingQuotaData, year: int) -> ApiError:
    return ApiError(
        409,
        "quota_data_missing",
        f"用人单位 {missing.employer_id} {year} 年的 {missing.field} 未知，"
        f"无法计算（{missing.purpose}）",
        [(missing.field, f"is unknown, needed for {missing.purpose}")],
    )


def scoped_region(user: Account, region: str | None) -> str:
    """The region prefix a list covers: a counselor's own (or a narrower one inside it);
    anything for managers and admins; employers get no lists."""
    if user.role is Role.COUNSELOR:
        own = user.region_code or ""
        if region is None:
            return own
        if not region.startswith(own):
            raise forbidden(f"region {region} is outside your region {own}")
        return region
    if user.role in (Role.MANAGER, Role.ADMIN):
        return region or ""
    raise forbidden("only counselors, managers and admins see employer lists")


# -- one employer ---------------------------------------------------------------------------


@router.get("/employers/{employer_id}/quota", response_model=QuotaYearOut)
def employer_quota(
    employer_id: str,
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    year: YearQuery = None,
    hire: Annotated[
        int, Query(ge=0, le=100_000, description="Effect of hiring this many more referred people.")
    ] = 0,
    hire_severe: Annotated[
        int,
        Query(ge=0, le=100_000, description="Of the hired, how many hold grade 1-2 certificates."),
    ] = 0,
    local_avg_social_wage: Annotated[
        float | None, _money("Overrides the stored local average social wage, CNY per year.")
    ] = None,
    local_min_monthly_wage: Annotated[
        float | None, _money("Overrides the stored local minimum monthly wage, CNY.")
    ] = None,
    is_school: Annotated[
        bool | None,
        Query(description="Overrides the employer's is_school flag (rule 5 exception)."),
    ] = None,
) -> QuotaYearOut:
    """Quota standing under DOMAIN.md rules 1-5 from the year's stored declaration (else the
    employer record) and local wage standards; 409 naming a figure that is unknown."""
    employer = as_employer(employer_row(session, user, employer_id))
    if hire_severe > hire:
        raise ApiError(
            422, "invalid", "hire_severe 不能大于 hire", [("hire_severe", "cannot exceed hire")]
        )
    chosen = _year(year)
    try:
        found = assess_employer(
            session,
            employer,
            chosen,
            runtime.settings,
            is_school=is_school,
            avg_social_wage=local_avg_social_wage,
            min_monthly_wage=local_min_monthly_wage,
        )
        effect = _hiring_effect(found, hire, hire_severe, runtime.settings) if hire else None
    except MissingQuotaData as missing:
        raise _missing(missing, chosen) from None
    return QuotaYearOut.of(found, effect)


def _hiring_effect(found: QuotaYear, hired: int, severe: int, settings: Any) -> HiringEffect:
    hired_employer = after_hiring(found.employer, hired, severe)
    after = assess(
        hired_employer,
        found.year,
        settings,
        declaration=None,  # the hired figures replace the year's, whatever their source
        wages=found.wages,
        is_school=found.is_school,
    ).status
    before = found.status
    return HiringEffect(
        hired=hired,
        hired_severe=severe,
        counted=after.counted,
        required=after.required,
        gap=after.gap,
        ratio_achieved=after.ratio_achieved,
        compliant=after.compliant,
        fund_due=after.fund_due,
        over_ratio_reward=after.over_ratio_reward,
        lead_by_example_unmet=after.lead_by_example_unmet,
        fund_saved=None
        if before.fund_due is None or after.fund_due is None
        else round(before.fund_due - after.fund_due, 2),
        reward_gained=None
        if before.over_ratio_reward is None or after.over_ratio_reward is None
        else round(after.over_ratio_reward - before.over_ratio_reward, 2),
    )


# -- declarations ---------------------------------------------------------------------------


def _declaration_employer(
    session: Session, user: Account, employer_id: str, *, write: bool
) -> Employer:
    """The employer whose declarations are read (its own account, a counselor of its region,
    managers, admins) or written (counselors of its region, admins)."""
    if user.role is Role.ADMIN:
        row = session.get(EmployerRow, employer_id)
        if row is None:
            raise not_found("employer", employer_id)
        return as_employer(row)
    if write and user.role is not Role.COUNSELOR:
        raise forbidden("quota declarations are recorded by counselors and admins")
    return as_employer(employer_row(session, user, employer_id))


#: The yearly records recorded here, by their store kind (keyed by their natural key).
_YEARLY: dict[type, str] = {
    QuotaDeclaration: "quota_declarations",
    WageStandard: "wage_standards",
}
Yearly = TypeVar("Yearly", QuotaDeclaration, WageStandard)


def _store_yearly(
    session: Session,
    runtime: Runtime,
    user: Account,
    model: type[Yearly],
    data: dict[str, Any],
    action: str,
    *,
    reason: str | None,
) -> Yearly:
    """Validate a yearly record (422 naming the fields), store it in place of the one of its
    key, audited as its creation or update with the reason given."""
    try:
        record = model.model_validate(data)
    except ValidationError as error:
        raise invalid(error) from None
    Audited(runtime.store, session, actor=user.actor).put(
        _YEARLY[model], record, action=action, purpose=reason
    )
    return record


@router.get("/employers/{employer_id}/declarations", response_model=list[QuotaDeclaration])
def list_declarations(
    employer_id: str, user: CurrentUser, session: SessionDep
) -> list[QuotaDeclaration]:
    """Every yearly quota declaration of an employer, oldest first."""
    _declaration_employer(session, user, employer_id, write=False)
    return compliance.declarations_of(session, employer_id)


@router.put("/employers/{employer_id}/declarations/{year}", response_model=QuotaDeclaration)
def record_declaration(
    employer_id: str,
    year: Annotated[int, Path(ge=1950, le=2100)],
    figures: DeclarationFigures,
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
) -> QuotaDeclaration:
    """Record (or replace) an employer's quota figures for a year; audit-logged."""
    _declaration_employer(session, user, employer_id, write=True)
    data = {"employer_id": employer_id, "year": year, **figures.model_dump(exclude={"reason"})}
    return _store_yearly(
        session, runtime, user, QuotaDeclaration, data, "declaration", reason=figures.reason
    )


# -- wage standards -------------------------------------------------------------------------


@router.get("/wage-standards", response_model=list[WageStandard])
def list_wage_standards(
    user: CurrentUser,
    session: SessionDep,
    year: Annotated[int | None, Query(ge=1950, le=2100)] = None,
    region: RegionQuery = None,
) -> list[WageStandard]:
    """Stored local wage standards (of a year, under a region prefix), by region and year."""
    found = compliance.wage_standards(session, year).values()
    return sorted(
        (s for s in found if s.region_code.startswith(region or "")),
        key=lambda s: (s.region_code, s.year),
    )


@router.put("/wage-standards/{region_code}/{year}", response_model=WageStandard)
def record_wage_standard(
    region_code: str,
    year: Annotated[int, Path(ge=1950, le=2100)],
    figures: WageFigures,
    user: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> WageStandard:
    """Record (or replace) a region's wage standards for a year (admins); audit-logged."""
    data = {"region_code": region_code, "year": year, **figures.model_dump(exclude={"reason"})}
    return _store_yearly(
        session, runtime, user, WageStandard, data, "wage_standard", reason=figures.reason
    )


# -- many employers -------------------------------------------------------------------------


def _rows(
    session: Session,
    runtime: Any,
    user: Account,
    year: int | None,
    region: str | None,
    employer_type: EmployerType | None,
) -> tuple[int, str, list[EmployerYear]]:
    prefix = scoped_region(user, region)
    chosen = _year(year)
    rows = assess_all(
        session, chosen, runtime.settings, region_prefix=prefix, employer_type=employer_type
    )
    return chosen, prefix, rows


@router.get("/employers", response_model=EmployerComplianceList)
def list_employers(
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    year: YearQuery = None,
    region: RegionQuery = None,
    type: Annotated[EmployerType | None, Query(description="Employer type.")] = None,  # noqa: A002
    below_ratio: Annotated[
        bool | None,
        Query(description="true: only employers below the ratio, the largest gap first."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> EmployerComplianceList:
    """Employers with their quota standing for a year, for counselors to target. Without
    ``below_ratio`` every employer is listed in id order, those lacking a figure included."""
    chosen, prefix, rows = _rows(session, runtime, user, year, region, type)
    if below_ratio:
        rows = compliance.by_gap(rows)
    elif below_ratio is False:
        rows = [r for r in rows if r.quota is not None and r.quota.status.compliant]
    return EmployerComplianceList(
        year=chosen,
        region_prefix=prefix,
        type=type,
        below_ratio=below_ratio,
        total=len(rows),
        items=[EmployerCompliance.of(r) for r in rows[offset : offset + limit]],
    )


@router.get("/quota/rollup", response_model=RollupOut)
def quota_rollup(
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    year: YearQuery = None,
    region: RegionQuery = None,
    by: Annotated[RollupBy, Query(description="Group by employer type or region level.")] = (
        RollupBy.TYPE
    ),
    type: Annotated[EmployerType | None, Query()] = None,  # noqa: A002
) -> RollupOut:
    """Compliance totals per employer type or region, and over all, for a year."""
    chosen, prefix, rows = _rows(session, runtime, user, year, region, type)
    groups = compliance.rollup(rows, by)
    (total,) = compliance.rollup(rows, None)
    return RollupOut(
        year=chosen,
        region_prefix=prefix,
        by=by.value,
        groups=[RollupGroup.of(g) for g in groups],
        total=RollupGroup.of(total),
    )


@router.get(
    "/quota/disclosure",
    response_model=DisclosureOut,
    responses={
        200: {
            "content": {
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            }
        }
    },
)
def quota_disclosure(
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    year: YearQuery = None,
    region: RegionQuery = None,
    type: Annotated[EmployerType | None, Query()] = None,  # noqa: A002
    format: Annotated[TableFormat, Query(description="json, csv or xlsx.")] = TableFormat.JSON,  # noqa: A002
) -> Any:
    """The public disclosure list (公示): employer, type, required, counted, compliant."""
    chosen, prefix, rows = _rows(session, runtime, user, year, region, type)
    entries = compliance.disclosure(rows)
    if format is TableFormat.JSON:
        return DisclosureOut(
            year=chosen,
            region_prefix=prefix,
            entries=[DisclosureEntry.model_validate(e) for e in entries],
        )
    name = f"quota-disclosure-{chosen}" + (f"-{prefix}" if prefix else "")
    sheets = {f"{chosen} 按比例就业公示": entries}
    return download(table_bytes(format, DISCLOSURE_COLUMNS, sheets), format, name)
