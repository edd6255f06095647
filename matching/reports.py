"""Real-name reports (实名制统计, DOMAIN.md rule 10): quarterly and annual figures for a region.

Every figure is a pure function of interchange records (:class:`ReportData`), so the same
report comes from the store (:func:`data_from_store`) and from an export directory
(:func:`data_from_export`): anyone holding the export can recount it. Nothing here reads a
sensitive field (names, identifiers, the disability): sex, birth year, registration, trainings
and referral outcomes are enough.

A section that needs data this installation does not record says so (``recorded`` false, with
a note) rather than showing a number that was not counted.

Counting rules (the README repeats them):

- a person is *in the region* when their ``region_code`` starts with the region prefix; a
  referral, interview or hire counts where the person is registered; an employer where it is;
- *registered*: ``registered_at`` on or before the period's last day;
- *employed at the period's end* (through referrals): the person has a referral whose outcome
  is ``hired`` with ``outcome_at`` (else ``referred_at``) on or before the last day, or
  ``left_early`` after it (they had not left yet); the form of employment is the work mode of
  that job (the latest such hire);
- *new employment*: people with a ``hired`` outcome dated within the period;
- *referrals*: made within the period; of them *interviewed* when the outcome is
  ``interviewed``, ``hired`` or ``left_early``, *hired* when ``hired`` or ``left_early``;
- *trainings completed*: people with a training whose year is the report's year (trainings
  carry a year only, so a quarterly report counts the year to date);
- *quota*: every employer in the region for the report's year (its declaration, else its
  record; that year's wage standards), by employer type and by prefecture;
- *events*: recruitment events in the region starting within the period, each with its
  attendees and their referrals and hires at its jobs up to ``event_follow_up_days`` after;
- *targets*: the configured annual targets (``JOBMATCH_ANNUAL_TARGETS``) against the year to
  date at the period's end, with the share of the year elapsed for comparison.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select

from matching.compliance import RollupBy, assess_records, rollup
from matching.domain import (
    Candidate,
    Employer,
    Job,
    QuotaDeclaration,
    Record,
    RecruitmentEvent,
    Referral,
    WageStandard,
)
from matching.jobfair import event_outcomes
from matching.settings import Settings
from matching.store import Store
from matching.store.tables import (
    CandidateRow,
    EmployerRow,
    EventRow,
    JobRow,
    QuotaDeclarationRow,
    ReferralRow,
    WageStandardRow,
    _Stored,
)
from matching.vocabulary import Outcome, WorkMode

INTERVIEWED = frozenset({Outcome.INTERVIEWED, Outcome.HIRED, Outcome.LEFT_EARLY})
HIRED = frozenset({Outcome.HIRED, Outcome.LEFT_EARLY})


class ReportKind(StrEnum):
    QUARTERLY = "quarterly"
    ANNUAL = "annual"


@dataclass(frozen=True, slots=True)
class Period:
    """The days a report covers, both ends included."""

    kind: ReportKind
    year: int
    quarter: int | None
    start: dt.date
    end: dt.date

    @classmethod
    def quarterly(cls, year: int, quarter: int) -> Period:
        if quarter not in (1, 2, 3, 4):
            raise ValueError("quarter must be 1, 2, 3 or 4")
        last_month = quarter * 3
        end = dt.date(year, last_month, calendar.monthrange(year, last_month)[1])
        return cls(ReportKind.QUARTERLY, year, quarter, dt.date(year, last_month - 2, 1), end)

    @classmethod
    def annual(cls, year: int) -> Period:
        return cls(ReportKind.ANNUAL, year, None, dt.date(year, 1, 1), dt.date(year, 12, 31))

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @property
    def year_to_date(self) -> Period:
        """From 1 January of the year to this period's end."""
        return Period(ReportKind.ANNUAL, self.year, None, dt.date(self.year, 1, 1), self.end)

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.quarter}" if self.quarter else str(self.year)


@dataclass(slots=True)
class ReportData:
    """The interchange records a report is computed from (sensitive fields never needed)."""

    employers: list[Employer] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    declarations: list[QuotaDeclaration] = field(default_factory=list)
    wage_standards: list[WageStandard] = field(default_factory=list)
    events: list[RecruitmentEvent] = field(default_factory=list)


# Each source: its record model and its table (every one a stored interchange kind).
_SOURCES: dict[str, tuple[type[Record], type[_Stored]]] = {
    "employers": (Employer, EmployerRow),
    "jobs": (Job, JobRow),
    "candidates": (Candidate, CandidateRow),
    "referrals": (Referral, ReferralRow),
    "declarations": (QuotaDeclaration, QuotaDeclarationRow),
    "wage_standards": (WageStandard, WageStandardRow),
    "events": (RecruitmentEvent, EventRow),
}
_FILES = {
    "employers": "employers.jsonl",
    "jobs": "jobs.jsonl",
    "candidates": "candidates.jsonl",
    "referrals": "referrals.jsonl",
    "declarations": "quota_declarations.jsonl",
    "wage_standards": "wage_standards.jsonl",
    "events": "events.jsonl",
}


def data_from_store(store: Store) -> ReportData:
    """Every record a report needs, read without decrypting any personal data."""
    data = ReportData()
    with store.session() as session:
        for name, (model, table) in _SOURCES.items():
            rows = session.scalars(select(table.record).order_by(table.id))
            getattr(data, name).extend(model.model_validate(r) for r in rows)
    return data


def _sensitive_dropped(model: type[Record], raw: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k not in model.sensitive_fields}


def data_from_export(directory: Path) -> ReportData:
    """The same records from an interchange export (``jobmatch export``); absent optional
    files are empty. Sensitive fields are dropped before anything is read."""
    data = ReportData()
    for name, file in _FILES.items():
        path = directory / file
        if not path.is_file():
            continue
        model = _SOURCES[name][0]
        with path.open(encoding="utf-8-sig") as handle:
            for line in handle:
                if line.strip():
                    raw = _sensitive_dropped(model, json.loads(line))
                    getattr(data, name).append(model.model_validate(raw))
    return data


# -- the report ------------------------------------------------------------------------------


class Figure(BaseModel):
    """One number of a report: what is counted (``measure``), for which ``group`` ("" for the
    section's total), its value, and its Chinese label."""

    measure: str
    group: str = ""
    value: int | float | None  # counts stay whole numbers in CSV and XLSX
    label: str


class Section(BaseModel):
    """One part of a report; ``recorded`` false when this installation lacks the data."""

    name: str
    title: str
    recorded: bool = True
    note: str | None = None
    figures: list[Figure] = []

    def value(self, measure: str, group: str = "") -> int | float | None:
        """The value of one figure (KeyError when the section has none such)."""
        for figure in self.figures:
            if figure.measure == measure and figure.group == group:
                return figure.value
        raise KeyError(f"{self.name}: no figure {measure}/{group}")


class Report(BaseModel):
    """A real-name report for one period and region."""

    kind: ReportKind
    year: int
    quarter: int | None
    region_prefix: str
    period_start: dt.date
    period_end: dt.date
    sections: list[Section]
    counting_rules: str = Field(
        "README.md, 'Real-name reports'; matching/reports.py", description="Where each is defined."
    )

    def section(self, name: str) -> Section:
        for found in self.sections:
            if found.name == name:
                return found
        raise KeyError(name)


def _day(value: dt.date | None, default: dt.date) -> dt.date:
    return value if value is not None else default


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 6) if whole else None


def _registered(people: list[Candidate], period: Period) -> Section:
    registered = [c for c in people if c.registered_at <= period.end]
    new = [c for c in registered if c.registered_at in period]
    return Section(
        name="registered",
        title="登记求职人员",
        note="在职业年龄人数需要就业状态台账（issue 13），尚未记录",
        figures=[
            Figure(measure="registered", value=len(registered), label="登记人数（期末）"),
            Figure(measure="new_registrations", value=len(new), label="本期新登记"),
        ],
    )


def _employed_at_end(
    referrals: Iterable[Referral], jobs: dict[str, Job], end: dt.date
) -> dict[str, WorkMode]:
    """Each person employed through a referral on ``end``, with the latest hire's work mode."""
    latest: dict[str, tuple[dt.date, str, WorkMode]] = {}
    for r in referrals:
        if r.referred_at > end or r.outcome not in HIRED:
            continue
        outcome_day = _day(r.outcome_at, r.referred_at)
        if r.outcome is Outcome.HIRED and outcome_day > end:
            continue  # hired after the period
        if r.outcome is Outcome.LEFT_EARLY and outcome_day <= end:
            continue  # had left by the period's end
        key = (outcome_day, r.id, jobs[r.job_id].work_mode)
        if r.candidate_id not in latest or key[:2] > latest[r.candidate_id][:2]:
            latest[r.candidate_id] = key
    return {person: key[2] for person, key in latest.items()}


def _employment(referrals: list[Referral], jobs: dict[str, Job], period: Period) -> Section:
    employed = _employed_at_end(referrals, jobs, period.end)
    by_form = Counter(employed.values())
    new = {
        r.candidate_id
        for r in referrals
        if r.outcome is Outcome.HIRED and _day(r.outcome_at, r.referred_at) in period
    }
    figures = [Figure(measure="employed", value=len(employed), label="期末在岗（经推荐就业）")]
    figures += [
        Figure(measure="employed", group=form.value, value=by_form[form], label=f"就业形式 {form}")
        for form in WorkMode
    ]
    figures.append(Figure(measure="new_employment", value=len(new), label="本期新增就业"))
    return Section(
        name="employment",
        title="就业情况（按就业形式）",
        note="由推荐结果统计；就业状态台账（issue 13）尚未记录",
        figures=figures,
    )


def _referrals(referrals: list[Referral], period: Period) -> Section:
    made = [r for r in referrals if r.referred_at in period]
    interviewed = sum(r.outcome in INTERVIEWED for r in made)
    hired = sum(r.outcome in HIRED for r in made)
    pending = sum(r.outcome is Outcome.PENDING for r in made)
    return Section(
        name="referrals",
        title="推荐、面试与录用",
        figures=[
            Figure(measure="referrals", value=len(made), label="本期推荐"),
            Figure(measure="interviewed", value=interviewed, label="其中面试"),
            Figure(measure="hired", value=hired, label="其中录用"),
            Figure(measure="pending", value=pending, label="其中待反馈"),
            Figure(measure="interview_rate", value=_rate(interviewed, len(made)), label="面试率"),
            Figure(measure="hire_rate", value=_rate(hired, len(made)), label="录用率"),
            Figure(
                measure="hire_per_interview", value=_rate(hired, interviewed), label="面试录用率"
            ),
        ],
    )


def _trainings(people: list[Candidate], period: Period) -> Section:
    trained = [
        c
        for c in people
        if c.registered_at <= period.end and any(t.year == period.year for t in c.trainings)
    ]
    return Section(
        name="trainings",
        title="职业技能培训",
        note="培训只记录年份：季度报告为年初至今；1‰/2‰/6.5‰ 目标需要在职业年龄人数（issue 13）",
        figures=[
            Figure(measure="trained", value=len(trained), label=f"{period.year} 年完成培训人数"),
        ],
    )


def _events(
    data: ReportData, jobs: dict[str, Job], prefix: str, period: Period, settings: Settings
) -> Section:
    held = [e for e in data.events if e.region_code.startswith(prefix) and e.starts_on in period]
    figures = [Figure(measure="events", value=len(held), label="本期招聘活动")]
    for event in sorted(held, key=lambda e: (e.starts_on, e.id)):
        found = event_outcomes(event, data.referrals, jobs, settings.event_follow_up_days)
        figures += [
            Figure(
                measure="attendees",
                group=event.id,
                value=len(event.attendee_ids),
                label=f"{event.name} 登记参会",
            ),
            Figure(
                measure="referrals",
                group=event.id,
                value=found.referrals,
                label=f"{event.name} 推荐",
            ),
            Figure(measure="hired", group=event.id, value=found.hired, label=f"{event.name} 录用"),
        ]
    return Section(
        name="events",
        title="招聘活动成效",
        note=f"活动开始于本期；推荐计至活动结束后 {settings.event_follow_up_days} 天",
        figures=figures,
    )


def _not_recorded(name: str, title: str, note: str) -> Section:
    return Section(name=name, title=title, recorded=False, note=note)


def _quota(data: ReportData, prefix: str, year: int, settings: Settings) -> Section:
    employers = [e for e in data.employers if e.region_code.startswith(prefix)]
    rows = assess_records(employers, data.declarations, data.wage_standards, year, settings)
    figures: list[Figure] = []
    for by, kind in ((None, "all"), (RollupBy.TYPE, "type"), (RollupBy.PREFECTURE, "region")):
        for total in rollup(rows, by):
            group = "" if by is None else f"{kind}:{total.group}"
            figures += [
                Figure(measure="employers", group=group, value=total.employers, label="用人单位"),
                Figure(measure="compliant", group=group, value=total.compliant, label="达标"),
                Figure(measure="below_ratio", group=group, value=total.below_ratio, label="未达标"),
                Figure(measure="unknown", group=group, value=total.unknown, label="数据不全"),
                Figure(
                    measure="compliance_rate",
                    group=group,
                    value=None
                    if total.compliance_rate is None
                    else round(total.compliance_rate, 6),
                    label="达标率",
                ),
                Figure(
                    measure="counted", group=group, value=total.counted, label="安排残疾人（折算）"
                ),
                Figure(measure="gap", group=group, value=total.gap, label="缺口"),
                Figure(measure="fund_due", group=group, value=total.fund_due, label="保障金（元）"),
                Figure(
                    measure="fund_unknown",
                    group=group,
                    value=total.fund_unknown,
                    label="未达标但缺社平工资、保障金未计",
                ),
            ]
    return Section(name="quota", title=f"{year} 年按比例就业达标情况", figures=figures)


def _targets(ytd: Report, targets: dict[str, float], period: Period) -> Section:
    elapsed = ((period.end - dt.date(period.year, 1, 1)).days + 1) / (
        366 if calendar.isleap(period.year) else 365
    )
    figures = [Figure(measure="year_elapsed", value=round(elapsed, 6), label="全年时间进度")]
    for measure, target in sorted(targets.items()):
        found = None
        for section in ytd.sections:
            try:
                found = section.value(measure)
                break
            except KeyError:
                continue
        figures += [
            Figure(measure="target", group=measure, value=target, label=f"{measure} 年度目标"),
            Figure(measure="achieved", group=measure, value=found, label=f"{measure} 年初至今"),
            Figure(
                measure="progress",
                group=measure,
                value=None if found is None else _rate(found, target),
                label=f"{measure} 完成进度",
            ),
        ]
    return Section(
        name="targets",
        title=f"年度目标进度（截至 {period.end.isoformat()}）",
        note=None if targets else "未配置年度目标（JOBMATCH_ANNUAL_TARGETS）",
        figures=figures,
    )


def build_report(
    data: ReportData, period: Period, settings: Settings, *, region_prefix: str = ""
) -> Report:
    """The real-name report of a period for a region prefix ("" for all), from records."""
    people = [c for c in data.candidates if c.region_code.startswith(region_prefix)]
    in_region = {c.id for c in people}
    referrals = [r for r in data.referrals if r.candidate_id in in_region]
    jobs = {j.id: j for j in data.jobs}
    sections = [
        _registered(people, period),
        _employment(referrals, jobs, period),
        _referrals(referrals, period),
        _not_recorded(
            "graduates",
            "高校残疾人毕业生",
            "毕业当年就业率（目标 60%）需要就业状态台账与一人一策个案（issue 13），尚未记录",
        ),
        _not_recorded("assessments", "职业能力评估", "职业能力评估记录（issue 13）尚未记录"),
        _trainings(people, period),
        _quota(data, region_prefix, period.year, settings),
        _events(data, jobs, region_prefix, period, settings),
    ]
    report = Report(
        kind=period.kind,
        year=period.year,
        quarter=period.quarter,
        region_prefix=region_prefix,
        period_start=period.start,
        period_end=period.end,
        sections=sections,
    )
    targets = settings.annual_targets
    if period.kind is ReportKind.ANNUAL:
        ytd = report
    else:
        # Targets are yearly: measured on the year to date, without targets of its own.
        untargeted = settings.model_copy(update={"annual_targets": {}})
        ytd = build_report(data, period.year_to_date, untargeted, region_prefix=region_prefix)
    report.sections.append(_targets(ytd, targets, period))
    return report


REPORT_COLUMNS = ("section", "measure", "group", "value", "label")


def report_rows(report: Report) -> Iterator[dict[str, object]]:
    """The report as one table (the CSV and each XLSX sheet): one row per figure; a section
    that is not recorded gives one row with an empty value and its note as the label."""
    for section in report.sections:
        if not section.recorded:
            yield {
                "section": section.name,
                "measure": "",
                "group": "",
                "value": None,
                "label": section.note,
            }
            continue
        for figure in section.figures:
            yield {
                "section": section.name,
                "measure": figure.measure,
                "group": figure.group,
                "value": figure.value,
                "label": figure.label,
            }
