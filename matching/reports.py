"""Real-name reports (实名制统计, DOMAIN.md rule 10): quarterly and annual figures for a region.

Every figure is a pure function of interchange records (:class:`ReportData`), so the same
report comes from the store (:func:`data_from_store`) and from an export directory
(:func:`data_from_export`): anyone holding the export can recount it. No name, identifier or
counselor's text is read; of the disability, only whether a person has one (the denominator of
the training targets), and reading that from the store is audited.

Each rule is the one in ``matching`` (working age, status on a day, graduation-year rate,
assessment coverage, training targets, quota standing, event outcomes); this module only
chooses the people and the days. Counting rules (the README repeats them):

- a person is *in the region* when their ``region_code`` starts with the region prefix; a
  referral, interview or hire counts where the person is registered; an employer where it is;
- *registered*: ``registered_at`` on or before the period's last day; *working age*: of them,
  those of working age in the report's year (``matching.employment.is_working_age``);
- *employment* (the real-name ledger, ``employment.jsonl``): the status in force on the
  period's last day of each working-age registered person (nothing recorded: unemployed), and
  the employed by their form of employment; *new employment*: a status ``employed`` beginning
  within the period for someone not employed the day before;
- *referrals*: made within the period; of them *interviewed* when the outcome is
  ``interviewed``, ``hired`` or ``left_early``, *hired* when ``hired`` or ``left_early``;
- *graduates*: registered college graduates of the report's year and how many were employed in
  it (``graduation_year_rate``, ledger records up to the period's last day) against the target;
- *assessments*: of the working-age registered unemployed on the last day, the share with an
  ability assessment by then; assessments made within the period;
- *trainings completed*: people with a training whose year is the report's year (trainings
  carry a year only, so a quarterly report counts the year to date); courses completed within
  the period; for a province, city or county the working-age disabled trained against its
  1‰ / 2‰ / 6.5‰ target (``training_target_share``);
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
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select

from matching.casework import EmploymentStatus, Enrolment, EnrolmentState
from matching.compliance import RollupBy, assess_records, rollup
from matching.courses import TrainingProgress, trained_in, training_target_share
from matching.domain import (
    Candidate,
    Employer,
    Job,
    QuotaDeclaration,
    RecruitmentEvent,
    Referral,
    WageStandard,
    describe_errors,
)
from matching.employment import (
    StatusEntry,
    coverage,
    employed_by_form,
    graduation_year_rate,
    is_registered_unemployed,
    newly_employed,
    of_working_age,
    status_counts,
    status_on,
)
from matching.interchange import file_name
from matching.jobfair import event_outcomes
from matching.settings import Settings
from matching.store import Store
from matching.store.database import KINDS
from matching.textfiles import text_lines
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


class Assessed(BaseModel):
    """What a report reads of an ability assessment: whose, and when (never the capacities)."""

    candidate_id: str
    assessed_on: dt.date


@dataclass(slots=True)
class ReportData:
    """The interchange records a report is computed from: no sensitive field, and of the
    disability only who has one (``disabled``, the ids of people with a category)."""

    employers: list[Employer] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    declarations: list[QuotaDeclaration] = field(default_factory=list)
    wage_standards: list[WageStandard] = field(default_factory=list)
    events: list[RecruitmentEvent] = field(default_factory=list)
    employment: list[StatusEntry] = field(default_factory=list)
    assessments: list[Assessed] = field(default_factory=list)
    enrolments: list[Enrolment] = field(default_factory=list)
    disabled: set[str] = field(default_factory=set)


#: The store kind (and interchange file) each list of :class:`ReportData` holds.
_KIND_OF = {
    "employers": "employers",
    "jobs": "jobs",
    "candidates": "candidates",
    "referrals": "referrals",
    "declarations": "quota_declarations",
    "wage_standards": "wage_standards",
    "events": "events",
    "employment": "employment",
    "assessments": "assessments",
    "enrolments": "enrolments",
}
#: Casework records read as their plain part only (the store seals the rest; these models
#: ignore it in an export). The others are read whole.
_READ_AS: dict[str, type[BaseModel]] = {"employment": StatusEntry, "assessments": Assessed}


def _model(kind: str) -> type[BaseModel]:
    return _READ_AS.get(kind, KINDS[kind][0])


def data_from_store(store: Store, *, actor: str) -> ReportData:
    """Every record a report needs, decrypting only whether each person has a disability
    category (audited as read by ``actor``)."""
    data = ReportData()
    with store.session() as session:
        for name, kind in _KIND_OF.items():
            table: Any = KINDS[kind][1]
            rows = session.scalars(select(table.record).order_by(table.id))
            getattr(data, name).extend(_model(kind).model_validate(r) for r in rows)
        ids = [c.id for c in data.candidates]
        category = store.sealed_field(session, "disability_category", ids)
        data.disabled = {i for i, found in category.items() if found}
        store.audit(
            session,
            actor=actor,
            action="report_data",
            subject="candidates (all)",
            purpose=f"real-name report: whether each of {len(ids)} people has a disability "
            "category, counted",
        )
        session.commit()
    return data


def data_from_export(directory: Path) -> ReportData:
    """The same records from an interchange export (``jobmatch export``); absent optional
    files are empty. Sensitive fields are dropped before anything is read; of the disability
    category only its presence is kept. Raises ``ValueError`` naming the file and line of a
    line that is not a valid record, or of a file that is not UTF-8
    (:class:`~matching.textfiles.NotUtf8Error`)."""
    data = ReportData()
    for name, kind in _KIND_OF.items():
        path = directory / file_name(kind)
        if not path.is_file():
            continue
        model = _model(kind)
        hidden: frozenset[str] = getattr(model, "sensitive_fields", frozenset())
        for number, line in text_lines(path):
            try:
                raw = json.loads(line)
            except json.JSONDecodeError:
                raw = None
            if not isinstance(raw, dict):
                raise ValueError(
                    f"{path.name} 第 {number} 行不是 JSON 对象 / {path.name} line {number} is "
                    "not a JSON object"
                )
            if name == "candidates" and raw.get("disability_category"):
                data.disabled.add(raw["id"])
            kept = {k: v for k, v in raw.items() if k not in hidden}
            try:
                getattr(data, name).append(model.model_validate(kept))
            except ValidationError as error:
                reasons = "; ".join(f"{f}: {r}" for f, r in describe_errors(error))
                raise ValueError(
                    f"{path.name} 第 {number} 行记录无效 / {path.name} line {number} is not a "
                    f"valid record: {reasons}"
                ) from None
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
    """One part of a report, with a note on how it is counted where that needs saying."""

    name: str
    title: str
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
        default="README.md, 'Real-name reports'; matching/reports.py",
        description="Where each is defined.",
    )

    def section(self, name: str) -> Section:
        for found in self.sections:
            if found.name == name:
                return found
        raise KeyError(name)


def _rate(part: float, whole: float) -> float | None:
    return round(part / whole, 6) if whole else None


@dataclass(frozen=True, slots=True)
class _People:
    """The people a report counts: registered in the region by the period's end, those of
    working age in the report's year, and their ledger up to the period's end."""

    registered: list[Candidate]
    working_age: list[str]
    histories: dict[str, list[StatusEntry]]


def _people(data: ReportData, prefix: str, period: Period, settings: Settings) -> _People:
    registered = [
        c
        for c in data.candidates
        if c.region_code.startswith(prefix) and c.registered_at <= period.end
    ]
    working_age = of_working_age(registered, period.year, settings)
    ids = {c.id for c in registered}
    histories: dict[str, list[StatusEntry]] = defaultdict(list)
    for record in data.employment:
        if record.candidate_id in ids and record.since <= period.end:
            histories[record.candidate_id].append(record)
    for history in histories.values():
        history.sort(key=lambda r: (r.since, r.recorded_at, r.id))
    return _People(registered, working_age, dict(histories))


def _registered(people: _People, period: Period) -> Section:
    new = [c for c in people.registered if c.registered_at in period]
    return Section(
        name="registered",
        title="登记求职人员",
        figures=[
            Figure(measure="registered", value=len(people.registered), label="登记人数（期末）"),
            Figure(measure="new_registrations", value=len(new), label="本期新登记"),
            Figure(
                measure="working_age",
                value=len(people.working_age),
                label=f"其中 {period.year} 年在劳动年龄内",
            ),
        ],
    )


STATUS_LABELS = {
    EmploymentStatus.UNEMPLOYED: "登记失业",
    EmploymentStatus.EMPLOYED: "已就业",
    EmploymentStatus.IN_TRAINING: "参加培训",
    EmploymentStatus.NOT_SEEKING: "无就业意愿",
}


def _employment(people: _People, period: Period) -> Section:
    by_status = status_counts(people.working_age, people.histories, period.end)
    by_form = employed_by_form(people.working_age, people.histories, period.end)
    new = [
        i
        for i in people.working_age
        if newly_employed(people.histories.get(i, []), period.start, period.end)
    ]
    figures = [
        Figure(
            measure="employed",
            value=by_status[EmploymentStatus.EMPLOYED],
            label="期末已就业（劳动年龄内）",
        )
    ]
    figures += [
        Figure(measure="employed", group=form.value, value=by_form[form], label=f"就业形式 {form}")
        for form in WorkMode
    ]
    figures += [
        Figure(measure="status", group=status.value, value=count, label=STATUS_LABELS[status])
        for status, count in by_status.items()
    ]
    figures.append(Figure(measure="new_employment", value=len(new), label="本期新增就业"))
    return Section(
        name="employment",
        title="就业情况（按就业形式）",
        note="实名制就业状态台账；未记录状态的计为登记失业",
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


def _graduates(people: _People, period: Period, prefix: str, settings: Settings) -> Section:
    found = graduation_year_rate(
        [(c, people.histories.get(c.id, [])) for c in people.registered],
        region_prefix=prefix,
        year=period.year,
        target=settings.graduate_employment_target,
    )
    met = found.meets_target
    return Section(
        name="graduates",
        title=f"{period.year} 届高校残疾人毕业生",
        note=f"毕业当年就业：截至 {period.end.isoformat()} 的就业状态台账",
        figures=[
            Figure(measure="graduates", value=found.graduates, label="毕业生人数"),
            Figure(measure="employed", value=found.employed, label="毕业当年就业"),
            Figure(
                measure="employment_rate",
                value=_rate(found.employed, found.graduates),
                label="毕业当年就业率",
            ),
            Figure(measure="target", value=found.target, label="目标就业率"),
            Figure(
                measure="meets_target",
                value=None if met is None else int(met),
                label="是否达到目标（1 是 0 否）",
            ),
        ],
    )


def _assessments(people: _People, data: ReportData, period: Period) -> Section:
    unemployed = [
        i
        for i in people.working_age
        if is_registered_unemployed(status_on(people.histories.get(i, []), period.end))
    ]
    ids = {c.id for c in people.registered}
    mine = [a for a in data.assessments if a.candidate_id in ids and a.assessed_on <= period.end]
    assessed = {a.candidate_id for a in mine}
    share = coverage(unemployed, assessed)
    return Section(
        name="assessments",
        title="职业能力评估",
        figures=[
            Figure(
                measure="registered_unemployed",
                value=len(unemployed),
                label="登记失业（劳动年龄内）",
            ),
            Figure(measure="assessed", value=len(assessed & set(unemployed)), label="其中已评估"),
            Figure(
                measure="coverage",
                value=None if share is None else round(share, 6),
                label="评估覆盖率",
            ),
            Figure(
                measure="assessments",
                value=sum(a.assessed_on in period for a in mine),
                label="本期评估次数",
            ),
        ],
    )


def _trainings(
    people: _People, data: ReportData, period: Period, prefix: str, settings: Settings
) -> Section:
    trained = [c for c in people.registered if trained_in(c, period.year)]
    ids = {c.id for c in people.registered}
    completed = {
        e.candidate_id
        for e in data.enrolments
        if e.candidate_id in ids
        and e.state is EnrolmentState.COMPLETED
        and e.completed_on is not None
        and e.completed_on in period
    }
    figures = [
        Figure(measure="trained", value=len(trained), label=f"{period.year} 年完成培训人数"),
        Figure(measure="completed_courses", value=len(completed), label="本期结业（课程）人数"),
    ]
    note = "培训只记录年份：季度报告为年初至今"
    if len(prefix) in (2, 4, 6):
        working_age = set(people.working_age)
        disabled = working_age & data.disabled
        progress = TrainingProgress(
            prefix,
            period.year,
            len(disabled),
            sum(c.id in disabled for c in trained),
            training_target_share(prefix, settings),
        )
        figures += [
            Figure(
                measure="working_age_disabled",
                value=progress.working_age_disabled,
                label="劳动年龄内残疾人",
            ),
            Figure(
                measure="trained_working_age_disabled", value=progress.trained, label="其中完成培训"
            ),
            Figure(
                measure="target_share",
                value=progress.target_share,
                label="培训目标比例（省 1‰ 市 2‰ 县 6.5‰）",
            ),
            Figure(measure="required", value=progress.required, label="目标培训人数"),
            Figure(measure="met", value=int(progress.met), label="是否达到目标（1 是 0 否）"),
        ]
    else:
        note += "；1‰/2‰/6.5‰ 目标按省（2 位）、市（4 位）或县（6 位）区划计算"
    return Section(name="trainings", title="职业技能培训", note=note, figures=figures)


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
    """Real-name statistics (实名制统计, DOMAIN.md rule 10): the quarterly or annual report of
    a period for a region prefix ("" for all), from records."""
    in_region = {c.id for c in data.candidates if c.region_code.startswith(region_prefix)}
    referrals = [r for r in data.referrals if r.candidate_id in in_region]
    jobs = {j.id: j for j in data.jobs}
    people = _people(data, region_prefix, period, settings)
    sections = [
        _registered(people, period),
        _employment(people, period),
        _referrals(referrals, period),
        _graduates(people, period, region_prefix, settings),
        _assessments(people, data, period),
        _trainings(people, data, period, region_prefix, settings),
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
    """The report as one table (the CSV and each XLSX sheet): one row per figure."""
    for section in report.sections:
        for figure in section.figures:
            yield {
                "section": section.name,
                "measure": figure.measure,
                "group": figure.group,
                "value": figure.value,
                "label": figure.label,
            }
