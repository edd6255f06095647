"""The records of the product: employers, jobs, candidates and referrals.

These pydantic models are the interchange format of INTERCHANGE.md (fields in contract order,
unknown fields ignored) and carry the validation a counselor would want, each reason written so
that the person fixing a spreadsheet understands it.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from matching.identity import parse_cert_number, parse_id_number
from matching.vocabulary import (
    LEVEL_MAX,
    LEVEL_MIN,
    Accommodation,
    Dimension,
    DisabilityCategory,
    Education,
    EmployerType,
    Household,
    Outcome,
    PriorityGroup,
    Sex,
    WorkMode,
)

# Province-level prefixes of GB/T 2260 administrative division codes.
PROVINCE_PREFIXES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 "
    "65 71 81 82".split()
)


def _region_code(value: str) -> str:
    if not (isinstance(value, str) and len(value) == 6 and all(c in "0123456789" for c in value)):
        raise ValueError("must be a 6-digit administrative division code")
    if value[:2] not in PROVINCE_PREFIXES:
        raise ValueError(f"{value[:2]} is not a province code")
    return value


def _not_future(value: dt.date | None) -> dt.date | None:
    if value is not None and value > dt.date.today():
        raise ValueError(f"{value.isoformat()} is in the future")
    return value


def _year_not_future(value: int | None) -> int | None:
    if value is not None and value > dt.date.today().year:
        raise ValueError(f"{value} is in the future")
    return value


def _text_list(value: Any) -> Any:
    """Null means empty; strings are trimmed, blanks and repeats dropped, order kept.

    A list holding anything but strings is left as it is, so that validation names the item
    that is not text instead of dropping it in silence.
    """
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return list(dict.fromkeys(s.strip() for s in value if s.strip()))
    return value


def _none_as_empty(value: Any) -> Any:
    return [] if value is None else value


def _unique(value: list[Any]) -> list[Any]:
    return list(dict.fromkeys(value))


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


RecordId = Annotated[str, BeforeValidator(_strip), Field(min_length=1, max_length=64)]
RegionCode = Annotated[str, AfterValidator(_region_code)]
PastDate = Annotated[dt.date, AfterValidator(_not_future)]
OptionalPastDate = Annotated[dt.date | None, AfterValidator(_not_future)]
# Length limits: generous for real records, small enough that no field can cost the matcher or
# the occupation coder real time (a 300k-character title took 28 s to code).
SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 5000
LIST_MAX = 100
ShortText = Annotated[str, Field(max_length=SHORT_TEXT_MAX)]
LongText = Annotated[str, Field(max_length=LONG_TEXT_MAX)]
TextList = Annotated[
    list[Annotated[str, Field(max_length=SHORT_TEXT_MAX)]],
    BeforeValidator(_text_list),
    Field(max_length=LIST_MAX),
]
# Strict: JSON true is not a level of 1 nor a head count of 1.
Level = Annotated[int, Field(ge=LEVEL_MIN, le=LEVEL_MAX, strict=True)]
Levels = dict[Dimension, Level]
AccommodationList = Annotated[
    list[Accommodation], BeforeValidator(_none_as_empty), AfterValidator(_unique)
]
# Finite and bounded: an infinite amount cannot be stored as JSON nor used in quota arithmetic.
MONEY_MAX = 1e9
COUNT_MAX = 10_000_000
Money = Annotated[float, Field(ge=0, le=MONEY_MAX, allow_inf_nan=False)]
# A year whose figures can exist (the current year's are partial, a later year's cannot be).
PastYear = Annotated[int, Field(ge=1950, strict=True), AfterValidator(_year_not_future)]
Count = Annotated[int, Field(ge=0, le=COUNT_MAX, strict=True)]
NonEmptyText = Annotated[
    str, BeforeValidator(_strip), Field(min_length=1, max_length=SHORT_TEXT_MAX)
]


class Record(BaseModel):
    """Base of the interchange records: unknown fields are ignored, values validated on set."""

    model_config = ConfigDict(extra="ignore", validate_assignment=True, use_enum_values=False)

    #: Fields holding sensitive personal information (encrypted at rest, masked by role).
    sensitive_fields: ClassVar[frozenset[str]] = frozenset()

    if TYPE_CHECKING:
        # Every record has an id: a field, or one made from its natural key (wage standards,
        # quota declarations). Declared for the type checker only, so it is no pydantic field.
        @property
        def id(self) -> str: ...

    def to_interchange(self) -> dict[str, Any]:
        """The record as one interchange line: contract field order, nulls and empties left out."""
        return {
            # Whole amounts are written as 5000, not 5000.0, as people write them.
            key: int(value) if isinstance(value, float) and value.is_integer() else value
            for key, value in self.model_dump(mode="json").items()
            if value is not None and value != [] and value != {}
        }


class Employer(Record):
    """An employer (用人单位), usually a quota employer."""

    id: RecordId
    name: NonEmptyText
    type: EmployerType
    region_code: RegionCode
    staff_count: Count | None = None
    establishment_size: Count | None = None
    disabled_staff: Count | None = None
    disabled_staff_severe: Count | None = None
    avg_annual_wage: Money | None = None
    # Extension: a primary or secondary school or kindergarten (中小学、幼儿园), excepted from
    # the lead-by-example rule (DOMAIN.md rule 5). Null: not recorded as one.
    is_school: bool | None = None

    @model_validator(mode="after")
    def _consistent_counts(self) -> Employer:
        check_quota_counts(self.staff_count, self.disabled_staff, self.disabled_staff_severe)
        return self


def check_quota_counts(staff: int | None, disabled: int | None, severe: int | None) -> None:
    """Refuse head counts that contradict each other (an employer record or a yearly quota
    declaration): grade 1-2 employees are among the disabled ones, who are among the staff."""
    if severe is not None and disabled is not None and severe > disabled:
        raise _field_error("disabled_staff_severe", "cannot exceed disabled_staff")
    if disabled is not None and staff is not None and disabled > staff:
        raise _field_error("disabled_staff", "cannot exceed staff_count")


class Training(BaseModel):
    """A vocational training a person completed."""

    model_config = ConfigDict(extra="ignore")

    name: NonEmptyText
    year: Annotated[int, Field(ge=1950), AfterValidator(_year_not_future)]


class Job(Record):
    """A position (岗位) posted by an employer."""

    id: RecordId
    employer_id: RecordId
    title: NonEmptyText
    description: LongText | None = None
    occupation: ShortText | None = None
    skills: TextList = []
    certificates_required: TextList = []
    education_min: Education | None = None
    region_code: RegionCode
    work_mode: WorkMode
    remote_ok: bool = False
    salary_min: Money | None = None
    salary_max: Money | None = None
    openings: Annotated[int, Field(ge=1, le=COUNT_MAX)] = 1
    demands: Levels = {}
    accommodations: AccommodationList = []
    public_welfare: bool = False
    posted_at: PastDate
    closes_at: dt.date | None = None

    @field_validator("remote_ok", "public_welfare", mode="before")
    @classmethod
    def _null_false(cls, value: Any) -> Any:
        return False if value is None else value

    @field_validator("openings", mode="before")
    @classmethod
    def _null_one(cls, value: Any) -> Any:
        return 1 if value is None else value

    @field_validator("demands", mode="before")
    @classmethod
    def _null_demands(cls, value: Any) -> Any:
        return {} if value is None else value

    @model_validator(mode="after")
    def _consistent(self) -> Job:
        if (
            self.salary_min is not None
            and self.salary_max is not None
            and self.salary_min > self.salary_max
        ):
            raise _field_error("salary_min", f"{self.salary_min:g} is above salary_max")
        if self.closes_at is not None and self.closes_at < self.posted_at:
            raise _field_error("closes_at", "is before posted_at")
        return self

    def is_open(self, on: dt.date) -> bool:
        """Whether the job takes referrals on the given day."""
        return self.posted_at <= on and (self.closes_at is None or self.closes_at >= on)


class Candidate(Record):
    """A job seeker (求职者) registered with a service centre."""

    # The disability itself is health data (PIPL art. 28): protected like the identifiers.
    sensitive_fields: ClassVar[frozenset[str]] = frozenset(
        {"name", "id_number", "cert_number", "phone", "disability_category", "disability_grade"}
    )

    id: RecordId
    name: ShortText | None = None
    id_number: ShortText | None = None
    cert_number: ShortText | None = None
    sex: Sex | None = None
    birth_year: Annotated[int | None, Field(ge=1900), AfterValidator(_year_not_future)] = None
    disability_category: DisabilityCategory | None = None
    disability_grade: Annotated[int | None, Field(ge=1, le=4)] = None
    education: Education | None = None
    graduation_year: Annotated[int | None, Field(ge=1950, le=2100)] = None
    school: ShortText | None = None
    region_code: RegionCode
    household: Household | None = None
    skills: TextList = []
    certificates: TextList = []
    trainings: Annotated[
        list[Training], BeforeValidator(_none_as_empty), Field(max_length=LIST_MAX)
    ] = []
    work_modes: Annotated[
        list[WorkMode], BeforeValidator(_none_as_empty), AfterValidator(_unique)
    ] = []
    expected_salary: Money | None = None
    needs: AccommodationList = []
    capacities: Levels = {}
    priority_groups: Annotated[
        list[PriorityGroup], BeforeValidator(_none_as_empty), AfterValidator(_unique)
    ] = []
    summary: LongText | None = None
    registered_at: PastDate
    # Extensions of the contract: occupations the person aims at (names or 2022 codes), and a
    # phone number (sensitive, encrypted at rest).
    target_occupations: TextList = []
    phone: Annotated[str | None, Field(pattern=r"^\+?[0-9 -]{5,20}$")] = None
    # PIPL art. 24: true when the person declined ranking by their personal profile. Their
    # lists (and their place in a job's list) then use distance and dates only, and their
    # referrals never train the ranker. Absent (not false) by default, so exports of people
    # who never chose stay as they were.
    non_personalised: bool | None = None

    @field_validator("capacities", mode="before")
    @classmethod
    def _null_capacities(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("name", "school", "summary", mode="before")
    @classmethod
    def _blank_none(cls, value: Any) -> Any:
        value = _strip(value)
        return None if value == "" else value

    @field_validator("id_number")
    @classmethod
    def _valid_id_number(cls, value: str | None) -> str | None:
        return None if value is None else parse_id_number(value).number

    @field_validator("cert_number")
    @classmethod
    def _valid_cert_number(cls, value: str | None) -> str | None:
        return None if value is None else parse_cert_number(value).number

    @model_validator(mode="after")
    def _consistent(self) -> Candidate:
        if self.disability_grade is not None and self.disability_category is None:
            raise _field_error("disability_grade", "a grade needs a disability_category")
        if self.id_number is not None:
            resident = parse_id_number(self.id_number)
            if self.birth_year is not None and self.birth_year != resident.birth_date.year:
                raise _field_error(
                    "birth_year",
                    f"{self.birth_year} disagrees with the ID number "
                    f"(born {resident.birth_date.year})",
                )
            if self.sex is not None and self.sex != resident.sex:
                raise _field_error("sex", f"{self.sex.value} disagrees with the ID number")
        if self.cert_number is not None:
            cert = parse_cert_number(self.cert_number)
            if self.id_number is not None and cert.id_number != self.id_number:
                raise _field_error("cert_number", "does not start with the person's ID number")
            if self.disability_category is None:
                raise _field_error(
                    "disability_category",
                    f"missing, but the certificate says {cert.category.value}",
                )
            if cert.category != self.disability_category:
                raise _field_error(
                    "cert_number",
                    f"category digit {cert.category.certificate_digit} ({cert.category.value}) "
                    f"disagrees with disability_category {self.disability_category.value}",
                )
            if self.disability_grade is not None and cert.grade != self.disability_grade:
                raise _field_error(
                    "cert_number",
                    f"grade digit {cert.grade} disagrees with disability_grade "
                    f"{self.disability_grade}",
                )
        if (
            self.graduation_year is not None
            and self.birth_year is not None
            and self.graduation_year < self.birth_year + 10
        ):
            raise _field_error("graduation_year", "is less than 10 years after birth_year")
        return self


class Referral(Record):
    """A referral (推荐) of a candidate to a job, and what became of it."""

    id: RecordId
    candidate_id: RecordId
    job_id: RecordId
    referred_at: PastDate
    outcome: Outcome
    outcome_at: OptionalPastDate = None

    @model_validator(mode="after")
    def _consistent(self) -> Referral:
        if self.outcome_at is not None and self.outcome_at < self.referred_at:
            raise _field_error("outcome_at", "is before referred_at")
        return self


class FieldError(ValueError):
    """A validation failure that belongs to one named field of a record."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def _field_error(field: str, reason: str) -> FieldError:
    return FieldError(field, reason)


_PLAIN_MESSAGES = {
    "missing": "is required",
    "string_type": "must be text",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "date_from_datetime_parsing": "must be a date like 2024-05-01",
    "date_parsing": "must be a date like 2024-05-01",
    "date_type": "must be a date like 2024-05-01",
}


def describe_errors(error: ValidationError) -> list[tuple[str, str]]:
    """Turn a pydantic error into ``(field, reason)`` pairs a counselor can act on."""
    problems: list[tuple[str, str]] = []
    for item in error.errors(include_url=False):
        cause = item.get("ctx", {}).get("error")
        if isinstance(cause, FieldError):
            problems.append((cause.field, cause.reason))
            continue
        field = ".".join(str(part) for part in item["loc"] if part != "[key]") or "record"
        kind, ctx = item["type"], item.get("ctx", {})
        if kind == "enum":
            reason = f"{item['input']!r} is not one of {ctx['expected']}"
        elif kind in ("greater_than_equal", "less_than_equal"):
            bound = ctx.get("ge", ctx.get("le"))
            reason = f"{item['input']!r} must be at {'least' if 'ge' in ctx else 'most'} {bound}"
        elif kind in ("string_too_short", "too_short") and not str(item["input"]).strip():
            reason = "must not be empty"
        elif kind == "string_too_long":
            reason = f"must be at most {ctx['max_length']} characters"
        elif kind == "string_pattern_mismatch":
            reason = f"{item['input']!r} has the wrong format"
        elif kind in _PLAIN_MESSAGES:
            reason = _PLAIN_MESSAGES[kind]
        elif kind == "value_error":
            reason = str(cause) if cause is not None else item["msg"]
        else:
            reason = item["msg"][0].lower() + item["msg"][1:]
        problems.append((field, reason))
    return problems


# -- quota compliance and recruitment events (README, "Quota compliance") ----------------------


class WageStandard(Record):
    """A region's local wage standards for one year (wage_standards.jsonl)."""

    region_code: RegionCode
    year: PastYear
    avg_social_wage: Money | None = None  # CNY per year
    min_monthly_wage: Money | None = None  # CNY per month

    @property
    def id(self) -> str:
        """The natural key, as stored: one record per region and year."""
        return f"{self.region_code}-{self.year}"


class QuotaDeclaration(Record):
    """An employer's declaration of one year's figures for the quota (quota_declarations.jsonl)."""

    employer_id: RecordId
    year: PastYear
    staff_count: Count | None = None
    disabled_staff: Count | None = None
    disabled_staff_severe: Count | None = None
    avg_annual_wage: Money | None = None

    @model_validator(mode="after")
    def _consistent_counts(self) -> QuotaDeclaration:
        check_quota_counts(self.staff_count, self.disabled_staff, self.disabled_staff_severe)
        return self

    @property
    def id(self) -> str:
        """The natural key, as stored: one declaration per employer and year."""
        return f"{self.employer_id}@{self.year}"


class EventKind(StrEnum):
    """Kinds of recruitment event named in the seeds (000, 003, 004)."""

    SPECIAL = "special"  # 专场招聘: a job fair for disabled job seekers
    ASSISTANCE_MONTH = "assistance_month"  # 就业援助月 (January-February)
    SPRING_BREEZE = "spring_breeze"  # 春风行动 (after the Spring Festival)
    DISABILITY_DAY = "disability_day"  # 全国助残日 (third Sunday of May)
    GRADUATES = "graduates"  # 高校残疾人毕业生专场
    OTHER = "other"


class RecruitmentEvent(Record):
    """A recruitment event (events.jsonl): who takes part, which jobs are offered, who came."""

    id: RecordId
    name: NonEmptyText
    kind: EventKind
    region_code: RegionCode
    starts_on: dt.date
    ends_on: dt.date
    employer_ids: Annotated[
        list[RecordId], BeforeValidator(_none_as_empty), AfterValidator(_unique)
    ] = []
    job_ids: Annotated[
        list[RecordId], BeforeValidator(_none_as_empty), AfterValidator(_unique)
    ] = []
    attendee_ids: Annotated[
        list[RecordId], BeforeValidator(_none_as_empty), AfterValidator(_unique)
    ] = []  # registered candidates

    @model_validator(mode="after")
    def _consistent(self) -> RecruitmentEvent:
        if self.ends_on < self.starts_on:
            raise _field_error("ends_on", "is before starts_on")
        return self
