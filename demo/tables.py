"""The static tables of the demo world, read from the TOML files in ``demo/data/``.

Occupation profiles, population statistics, names, schools, places and employer tables are
data, not code: :meth:`DemoTables.load` reads and validates all four files once per world,
and the generator receives the result. A file that does not parse or does not fit its model
is refused with a message naming the file and the problem.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, NamedTuple, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from matching.vocabulary import (
    LEVEL_MAX,
    Accommodation,
    Dimension,
    DisabilityCategory,
    Education,
    EmployerType,
    WorkMode,
)

Share = Annotated[float, Field(ge=0, le=1)]
Level = Annotated[int, Field(ge=0, le=LEVEL_MAX)]


class DemoDataError(ValueError):
    """A data file of the demo world is missing, malformed or does not fit its model."""


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _every(mapping: dict[Any, Any], members: type[Any], what: str) -> None:
    """Refuse a table that leaves out a member of an enumeration."""
    missing = [m.value for m in members if m not in mapping]
    if missing:
        raise ValueError(f"{what}缺少 {', '.join(missing)}")


# -- profiles.toml -------------------------------------------------------------------------------


class CertificateOdds(NamedTuple):
    """A certificate of a profile: how often a posting requires it, a person of it holds it."""

    name: str
    required: float
    held: float


class Profile(_Table):
    """A kind of job: its CSCO 2022 occupation, skills, functional demands, pay and employers."""

    code: str
    title: str
    family: str
    core: tuple[str, ...] = Field(min_length=1)
    extra: tuple[str, ...] = ()
    demands: tuple[int, ...]  # in Dimension order
    salary: tuple[int, int]  # typical monthly range, CNY
    education: Education | None = None
    employers: frozenset[EmployerType] = Field(min_length=1)
    weight: float = Field(gt=0)
    modes: tuple[WorkMode, ...] = Field((WorkMode.QUOTA,), min_length=1)
    remote: Share = 0.0  # probability that a posting allows remote work
    public_welfare: bool = False  # may be posted as a public-welfare post (公益性岗位)
    pw_only: bool = False  # always a public-welfare post
    certificates: tuple[CertificateOdds, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _from_file(cls, data: Any) -> Any:
        """Demands by dimension name become a tuple in Dimension order; a post that is always
        a public-welfare post may be one."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        demands = data.get("demands")
        if isinstance(demands, dict):
            unknown = sorted(set(demands) - {d.value for d in Dimension})
            if unknown:
                raise ValueError(f"demands 中有未知维度 {', '.join(unknown)}")
            levels = {Dimension(d): level for d, level in demands.items()}
            _every(levels, Dimension, "demands ")
            data["demands"] = tuple(levels[d] for d in Dimension)
        if data.get("pw_only"):
            data["public_welfare"] = True
        return data

    @model_validator(mode="after")
    def _check(self) -> Self:
        if len(self.demands) != len(Dimension) or not all(
            0 <= level <= LEVEL_MAX for level in self.demands
        ):
            raise ValueError(f"demands 须为 {len(Dimension)} 个维度各 0–{LEVEL_MAX} 级")
        if not 0 < self.salary[0] <= self.salary[1]:
            raise ValueError("salary 须为 [最低, 最高]，且 0 < 最低 ≤ 最高")
        return self


class Trainings(_Table):
    """Trainings people took, by the family of their background profile."""

    by_family: dict[str, tuple[str, ...]]
    general: tuple[str, ...]
    visual: str  # taken by visually impaired people on top of the others
    count_weights: tuple[float, ...]  # cumulative: 0, 1, 2 or 3 trainings


class Certificates(_Table):
    """The certificates the generator's rules name."""

    medical_massage: str
    health_massage: str
    accounting: str
    ecommerce: str
    computer: str
    driving: str
    eldercare: str
    social_work: str
    putonghua: str


class ProfileFile(_Table):
    certificates: Certificates
    trainings: Trainings
    profile: tuple[Profile, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _named_certificates(cls, data: Any) -> Any:
        """Profiles name certificates by key: ``[key, P(required), P(held)]``."""
        if not isinstance(data, dict):
            return data
        names = data.get("certificates", {})
        profiles = []
        for profile in data.get("profile", []):
            if isinstance(profile, dict) and "certificates" in profile:
                odds = []
                for entry in profile["certificates"]:
                    key, *rest = entry
                    if key not in names:
                        raise ValueError(f"profile {profile.get('title')}: 未知证书 {key}")
                    odds.append([names[key], *rest])
                profile = {**profile, "certificates": odds}
            profiles.append(profile)
        return {**data, "profile": profiles}

    @model_validator(mode="after")
    def _families(self) -> Self:
        unknown = sorted({p.family for p in self.profile} - set(self.trainings.by_family))
        if unknown:
            raise ValueError(f"trainings.by_family 缺少 {', '.join(unknown)}")
        return self


# -- people.toml ---------------------------------------------------------------------------------


class EducationRow(_Table):
    share: Share
    share_limited: Share  # people whose cognition is limited (default capacity ≤ 1)
    share_graduates: Share  # recent college graduates
    expected_pay: int = Field(gt=0)  # typical expected monthly pay, before the pay level


class Shares(_Table):
    unassessed: Share  # family members and people not yet assessed (no category)
    graduate: Share  # recent graduates, in categories without their own share


class Names(_Table):
    surnames: str = Field(min_length=1)  # most common first
    male: str = Field(min_length=1)
    female: str = Field(min_length=1)
    neutral: str  # given-name characters that only come first


class Schools(_Table):
    national: tuple[str, ...] = Field(min_length=1)
    by_province: dict[str, tuple[str, ...]]


class PeopleFile(_Table):
    category_shares: dict[DisabilityCategory, Share]
    shares: Shares
    grade_shares: dict[DisabilityCategory, tuple[Share, Share, Share, Share]]
    graduate_shares: dict[DisabilityCategory, Share]
    education: dict[Education, EducationRow]
    graduation_age: dict[Education, int]
    names: Names
    schools: Schools

    @model_validator(mode="after")
    def _complete(self) -> Self:
        _every(self.category_shares, DisabilityCategory, "category_shares ")
        _every(self.grade_shares, DisabilityCategory, "grade_shares ")
        _every(self.education, Education, "education ")
        tertiary = [e for e in Education if e.level >= Education.JUNIOR_COLLEGE.level]
        missing = [e.value for e in tertiary if e not in self.graduation_age]
        if missing:
            raise ValueError(f"graduation_age 缺少 {', '.join(missing)}")
        return self


# -- places.toml ---------------------------------------------------------------------------------


class Prefecture(_Table):
    code: str = Field(pattern=r"^\d{4}00$")
    people_share: float = Field(gt=0)
    pay_level: float = Field(gt=0)  # relative to 贵阳


class Wages(_Table):
    min_monthly_at_pay_level_1: int = Field(gt=0)
    social_2023: dict[str, int]  # province code (2 digits) → average social wage per year


class PlacesFile(_Table):
    prefecture: tuple[Prefecture, ...] = Field(min_length=1)
    wages: Wages


# -- employers.toml ------------------------------------------------------------------------------


class EmployerNames(_Table):
    firm_words: tuple[str, ...] = Field(min_length=1)
    trades: tuple[str, ...] = Field(min_length=1)
    welfare_trades: tuple[str, ...] = Field(min_length=1)
    streets: tuple[str, ...] = Field(min_length=1)
    templates: dict[EmployerType, tuple[str, ...]]


class EmployersFile(_Table):
    type_shares: dict[EmployerType, Share]
    disabled_share: dict[EmployerType, tuple[Share, Share]]
    annual_wage: dict[EmployerType, tuple[int, int]]
    accommodation_rates: dict[Accommodation, Share]
    accommodation_rates_by_type: dict[EmployerType, dict[Accommodation, Share]] = {}
    names: EmployerNames

    @model_validator(mode="after")
    def _complete(self) -> Self:
        _every(self.type_shares, EmployerType, "type_shares ")
        _every(self.annual_wage, EmployerType, "annual_wage ")
        _every(self.names.templates, EmployerType, "names.templates ")
        return self


# -- the four files together ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoTables:
    """Every static table of the demo world, validated, with the enumerations in their order."""

    profiles: tuple[Profile, ...]
    certificates: Certificates
    trainings: Trainings
    people: PeopleFile
    prefectures: tuple[Prefecture, ...]
    wages: Wages
    employers: EmployersFile

    @classmethod
    def load(cls, directory: Path | None = None) -> DemoTables:
        """Read the four TOML files of ``directory`` (by default the package's ``data/``).

        Raises :class:`DemoDataError` naming the file and what is wrong with it.
        """
        profiles = _read(directory, "profiles.toml", ProfileFile)
        people = _read(directory, "people.toml", PeopleFile)
        places = _read(directory, "places.toml", PlacesFile)
        employers = _read(directory, "employers.toml", EmployersFile)
        return cls(
            profiles=profiles.profile,
            certificates=profiles.certificates,
            trainings=profiles.trainings,
            people=people,
            prefectures=places.prefecture,
            wages=places.wages,
            employers=employers,
        )

    def accommodation_rates(self, kind: EmployerType) -> dict[Accommodation, float]:
        """Probability that a job of an employer type offers each accommodation."""
        rates = self.employers.accommodation_rates
        return {**rates, **self.employers.accommodation_rates_by_type.get(kind, {})}


_File = TypeVar("_File", bound=BaseModel)


def _read(directory: Path | None, name: str, model: type[_File]) -> _File:
    source: Traversable | Path = (
        resources.files("demo").joinpath("data", name) if directory is None else directory / name
    )
    try:
        with source.open("rb") as handle:
            raw = tomllib.load(handle)
        return model.model_validate(raw)
    except FileNotFoundError as error:
        raise DemoDataError(f"演示数据文件 {source} 不存在") from error
    except tomllib.TOMLDecodeError as error:
        raise DemoDataError(f"演示数据文件 {source} 不是有效的 TOML：{error}") from error
    except ValidationError as error:
        problems = "；".join(
            f"{'.'.join(str(part) for part in e['loc']) or '(文件)'}: {e['msg']}"
            for e in error.errors()
        )
        raise DemoDataError(f"演示数据文件 {source} 有误：{problems}") from error
