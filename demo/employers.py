"""The demo world's places and employers: counties of the seed prefectures, employers of every
type with staff counts around the quota threshold and disabled staff around 1.5 %."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from demo.draws import Draws
from demo.tables import DemoTables, Prefecture
from matching.domain import Employer
from matching.regions import Region, RegionHierarchy
from matching.vocabulary import EmployerType

_ETHNIC_AUTONOMY = re.compile(r"(?:(?:苗|侗|土家|布依|彝|瑶|仡佬|水|回|满|壮)族)+自治[州县]$")


def short_name(name: str) -> str:
    """ "新晃侗族自治县" → "新晃", "长沙市" → "长沙"; names that would become one character stay."""
    short = _ETHNIC_AUTONOMY.sub("", name)
    if short == name and name[-1] in "市区县州":
        short = name[:-1]
    return short if len(short) >= 2 else name


@dataclass(frozen=True, slots=True)
class Geography:
    """The counties of the chosen prefectures, with the weights that place employers and people."""

    prefectures: tuple[Prefecture, ...]
    counties: tuple[Region, ...]
    prefecture: np.ndarray  # county → index into prefectures
    prefecture_names: tuple[str, ...]
    district: np.ndarray  # urban district (市辖区) or not
    employer_weight: np.ndarray  # employers concentrate in urban districts
    people_weight: np.ndarray  # people are spread more evenly

    @classmethod
    def build(cls, hierarchy: RegionHierarchy, prefectures: Sequence[Prefecture]) -> Geography:
        """The counties of ``prefectures`` in ``hierarchy``, weighted by the prefectures' shares."""
        counties: list[Region] = []
        prefecture: list[int] = []
        names: list[str] = []
        people: list[float] = []
        for index, place in enumerate(prefectures):
            found = hierarchy.counties(place.code[:4])
            region = hierarchy.get(place.code)
            if not found or region is None:
                raise LookupError(f"地区表中没有 {place.code} 的区县")
            names.append(region.name)
            counties.extend(found)
            prefecture.extend([index] * len(found))
            people.extend([place.people_share / len(found)] * len(found))
        district = np.array([c.name.endswith("区") for c in counties])
        pref = np.array(prefecture)
        shares = np.array([place.people_share for place in prefectures])
        # Within a prefecture, an urban district hosts three times the employers of a county.
        raw = np.where(district, 3.0, 1.0)
        employer = raw * shares[pref] / np.bincount(pref, weights=raw)[pref]
        return cls(
            tuple(prefectures),
            tuple(counties),
            pref,
            tuple(names),
            district,
            employer / employer.sum(),
            np.array(people) / sum(people),
        )

    def counties_of(self) -> list[list[int]]:
        """The county indexes of each prefecture, in prefecture order."""
        return [np.flatnonzero(self.prefecture == k).tolist() for k in range(len(self.prefectures))]


@dataclass(frozen=True, slots=True)
class EmployerInfo:
    """What job and candidate generation need to know about the employers, by position."""

    county: np.ndarray
    type: tuple[EmployerType, ...]
    staff: np.ndarray
    attractiveness: np.ndarray


def _fill(template: str, draws: Draws, tables: DemoTables, county: str, prefecture: str) -> str:
    words = tables.employers.names
    return template.format(
        c=county,
        p=prefecture,
        cs=short_name(county),
        ps=short_name(prefecture),
        w=draws.pick(words.firm_words),
        t=draws.pick(words.trades),
        wt=draws.pick(words.welfare_trades),
        s=draws.pick(words.streets),
    )


def _staff_count(rng: np.random.Generator, kind: EmployerType) -> int:
    """Staff size: tiny firms below the fund exemption, many mid-size, a few very large."""
    if kind is EmployerType.PRIVATE:
        u = rng.random()
        if u < 0.15:
            return int(rng.integers(3, 31))
        if u < 0.92:
            return int(np.clip(rng.lognormal(math.log(250), 1.0), 31, 5000))
        return int(np.clip(rng.lognormal(math.log(3000), 0.8), 2000, 30000))
    lognormal = {
        EmployerType.AGENCY: (60, 0.7, 8, 600),
        EmployerType.INSTITUTION: (120, 0.9, 10, 3000),
        EmployerType.SOE: (600, 1.0, 40, 30000),
        EmployerType.CONCENTRATED: (120, 0.6, 20, 800),
    }
    if kind in lognormal:
        median, sigma, low, high = lognormal[kind]
        return int(np.clip(rng.lognormal(math.log(median), sigma), low, high))
    low, high = {
        EmployerType.SOCIAL_ORG: (3, 60),
        EmployerType.AUXILIARY: (8, 60),
        EmployerType.MASSAGE: (3, 40),
    }.get(kind, (2, 40))
    return int(rng.integers(low, high + 1))


def _disabled_staff(
    rng: np.random.Generator, tables: DemoTables, kind: EmployerType, staff: int
) -> int:
    """Head count of disabled staff: around the 1.5 % quota for ordinary employers."""
    ranges = tables.employers.disabled_share
    if kind in ranges:
        low, high = ranges[kind]
        return min(staff, max(1, round(staff * rng.uniform(low, high))))
    if rng.random() < 0.15:
        return 0
    ratio = rng.lognormal(math.log(0.016), 0.6)
    return min(staff, int(rng.binomial(staff, min(ratio, 0.5))))


def make_employers(
    rng: np.random.Generator, draws: Draws, tables: DemoTables, geography: Geography, count: int
) -> tuple[list[Employer], EmployerInfo]:
    """``count`` employers ``E00001``…, one of each type first; and their facts by position."""
    types = list(EmployerType)
    shares = np.array([tables.employers.type_shares[kind] for kind in types])
    # One of each type first, so that every small world has every kind of employer.
    drawn = list(rng.permutation(len(types))) + list(
        rng.choice(len(types), size=max(0, count - len(types)), p=shares / shares.sum())
    )
    kinds = [types[i] for i in drawn[:count]]
    counties = rng.choice(len(geography.counties), size=count, p=geography.employer_weight)
    employer_effect = rng.normal(0.0, 0.3, size=count)
    records: list[Employer] = []
    staff_counts = np.zeros(count, dtype=np.int64)
    used_names: set[str] = set()
    for i, (kind, county_index) in enumerate(zip(kinds, counties, strict=True)):
        county = geography.counties[county_index]
        prefecture = geography.prefecture_names[geography.prefecture[county_index]]
        templates = tables.employers.names.templates[kind]
        for _ in range(20):
            name = _fill(draws.pick(templates), draws, tables, county.name, prefecture)
            if name not in used_names:
                break
        else:
            name = f"{name}第{i + 1}分部"
        used_names.add(name)
        staff = _staff_count(rng, kind)
        disabled = _disabled_staff(rng, tables, kind, staff)
        low, high = tables.employers.annual_wage[kind]
        records.append(
            Employer(
                id=f"E{i + 1:05d}",
                name=name,
                type=kind,
                region_code=county.code,
                staff_count=staff,
                establishment_size=(
                    round(staff * rng.uniform(0.75, 1.0))
                    if kind in (EmployerType.AGENCY, EmployerType.INSTITUTION)
                    else None
                ),
                disabled_staff=disabled,
                disabled_staff_severe=int(rng.binomial(disabled, 0.3)),
                avg_annual_wage=float(round(rng.uniform(low, high), -2)),
            )
        )
        staff_counts[i] = staff
    return records, EmployerInfo(counties, tuple(kinds), staff_counts, employer_effect)
