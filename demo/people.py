"""The demo world's people: disability categories in the shares of the 2006 national sample
survey (DOMAIN.md), more grade 3–4 than grade 1–2, ~3 % family members or not yet assessed;
valid GB 11643 ID numbers (real county code, birth date, sex digit, check character) and the
matching certificate numbers; working ages (the settings'); education; ~8 % recent college
graduates; rural/urban households and the priority groups of the seeds; about half with an
ability assessment (capacities ±1 around :func:`matching.rules.default_capacities`) and needs
that follow from capacities (often, not always).

Skills are written in several surface forms for one skill ("Excel" / "电子表格", "按摩" /
"推拿"): :data:`matching.skills.SKILL_SYNONYMS` maps every surface form to its canonical name,
and people and job ads prefer different forms, so exact string matching under-counts real
overlap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from demo.draws import Draws
from demo.employers import EmployerInfo, Geography
from demo.jobs import render_skill
from demo.tables import Certificates, DemoTables, Names, PeopleFile, Profile, Trainings
from matching.domain import Candidate, Training
from matching.identity import id_check_character
from matching.occupations import Occupation
from matching.rules import default_capacities
from matching.settings import Settings
from matching.vocabulary import (
    ACCOMMODATION_COVERS,
    ACCOMMODATION_NAMES_ZH,
    CATEGORY_NAMES_ZH,
    EDUCATION_NAMES_ZH,
    LEVEL_MAX,
    Accommodation,
    Dimension,
    DisabilityCategory,
    Education,
    Household,
    PriorityGroup,
    Sex,
    WorkMode,
)

REGISTRATION_DAYS = 900  # people registered up to about 2.5 years ago
_DIMENSIONS = tuple(Dimension)
_CATEGORIES = tuple(DisabilityCategory)
_EDUCATION = tuple(Education)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _needs(draws: Draws, caps: dict[Dimension, int]) -> list[Accommodation]:
    """Accommodations a person asks for: usually, not always, what their capacities suggest."""
    needs: list[Accommodation] = []
    u = [draws.random() for _ in range(8)]
    vision, hearing = caps[Dimension.VISION], caps[Dimension.HEARING]
    if vision == 0:
        needs += (
            [Accommodation.SCREEN_READER]
            if u[0] < 0.65
            else [Accommodation.BRAILLE]
            if u[0] < 0.8
            else []
        )
    elif vision == 1 and u[0] < 0.25:
        needs.append(Accommodation.SCREEN_READER)
    if hearing == 0:
        needs += (
            [Accommodation.SIGN_LANGUAGE]
            if u[1] < 0.45
            else [Accommodation.CAPTIONING]
            if u[1] < 0.7
            else []
        )
    elif (hearing == 1 or caps[Dimension.SPEECH] == 0) and u[1] < 0.2:
        needs.append(Accommodation.CAPTIONING)
    mobility = caps[Dimension.MOBILITY]
    if mobility <= 1 and u[2] < (0.85 if mobility == 0 else 0.4):
        needs.append(Accommodation.WHEELCHAIR_ACCESS)
        if u[3] < 0.45:
            needs.append(Accommodation.ACCESSIBLE_TOILET)
    if caps[Dimension.UPPER_LIMB] <= 1 and u[4] < 0.45:
        needs.append(Accommodation.ADAPTED_EQUIPMENT)
    if caps[Dimension.COGNITION] <= 1 and u[5] < 0.5:
        needs.append(Accommodation.JOB_COACH)
    if caps[Dimension.PSYCHOSOCIAL] <= 1:
        needs += (
            [Accommodation.QUIET_SPACE]
            if u[6] < 0.3
            else [Accommodation.FLEXIBLE_HOURS]
            if u[6] < 0.55
            else []
        )
    if u[7] < 0.03 and Accommodation.FLEXIBLE_HOURS not in needs:
        needs.append(Accommodation.FLEXIBLE_HOURS)  # e.g. regular treatment appointments
    return needs


def _relieved(caps: np.ndarray, needs: Sequence[Accommodation]) -> np.ndarray:
    """Capacities as they would be with the person's needed accommodations in place."""
    relieved = caps.copy()
    for need in needs:
        for d in ACCOMMODATION_COVERS.get(need, ()):
            relieved[_DIMENSIONS.index(d)] = LEVEL_MAX
    return relieved


def _choose_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One column index per row of a non-negative weight matrix, drawn by weight."""
    cumulative = weights.cumsum(axis=1)
    draws = rng.random(len(weights)) * cumulative[:, -1]
    return np.minimum((cumulative < draws[:, None]).sum(axis=1), weights.shape[1] - 1)


def make_candidates(
    rng: np.random.Generator,
    draws: Draws,
    tables: DemoTables,
    settings: Settings,
    geography: Geography,
    occupations: dict[str, Occupation],
    employers: EmployerInfo,
    count: int,
    today: dt.date,
) -> tuple[list[Candidate], np.ndarray]:
    """``count`` people ``C000001``…, and each one's employability (hidden utility)."""
    stats, names = tables.people, tables.people.names
    unassessed = stats.shares.unassessed
    # Where people live: partly near the employers, partly spread like the population.
    density = np.bincount(employers.county, minlength=len(geography.counties)) + 0.5
    place = 0.6 * density / density.sum() + 0.4 * geography.people_weight
    counties = rng.choice(len(geography.counties), size=count, p=place / place.sum())

    shares = np.append(
        np.array([stats.category_shares[c] for c in _CATEGORIES]) * (1 - unassessed), unassessed
    )
    category_index = rng.choice(len(_CATEGORIES) + 1, size=count, p=shares / shares.sum())
    grades = np.zeros(count, dtype=np.int64)
    for c, kind in enumerate(_CATEGORIES):
        mask = category_index == c
        grades[mask] = 1 + rng.choice(4, size=int(mask.sum()), p=stats.grade_shares[kind])
    categories: list[DisabilityCategory | None] = [
        _CATEGORIES[c] if c < len(_CATEGORIES) else None for c in category_index
    ]
    # Default capacities by (category or none, grade): a lookup table, then one gather.
    table = np.array(
        [
            [[default_capacities(category, grade)[d] for d in _DIMENSIONS] for grade in range(1, 5)]
            for category in (*_CATEGORIES, None)
        ]
    )
    defaults = table[category_index, np.maximum(grades, 1) - 1]
    # About half of the people (those with a category) have an ability assessment.
    assessed = (category_index < len(_CATEGORIES)) & (rng.random(count) < 0.5)
    shift = np.where(
        defaults < LEVEL_MAX,
        rng.choice((-1, 0, 1), size=defaults.shape, p=(0.2, 0.6, 0.2)),
        -(rng.random(defaults.shape) < 0.08).astype(np.int64),
    )
    assessed_caps = np.clip(defaults + shift, 0, LEVEL_MAX)
    caps = np.where(assessed[:, None], assessed_caps, defaults)

    graduate_share = np.array(
        [stats.graduate_shares.get(c, stats.shares.graduate) if c else 0.0 for c in categories]
    )
    graduate = rng.random(count) < graduate_share
    limited = defaults[:, _DIMENSIONS.index(Dimension.COGNITION)] <= 1
    education = np.where(
        graduate,
        rng.choice(
            len(_EDUCATION), size=count, p=[stats.education[e].share_graduates for e in _EDUCATION]
        ),
        np.where(
            limited,
            rng.choice(
                len(_EDUCATION),
                size=count,
                p=[stats.education[e].share_limited for e in _EDUCATION],
            ),
            rng.choice(
                len(_EDUCATION), size=count, p=[stats.education[e].share for e in _EDUCATION]
            ),
        ),
    )
    male = rng.random(count) < 0.58
    # Ages strictly inside the working ages (the settings'), so that a person stays of
    # working age over the history.
    max_age = np.where(male, settings.working_age_max_male, settings.working_age_max_female)
    youngest = settings.working_age_min + 1
    age = np.where(
        graduate,
        np.array([stats.graduation_age.get(_EDUCATION[e], 22) for e in education])
        + rng.integers(-1, 3, size=count),
        youngest
        + np.floor((max_age - youngest - 1) * rng.beta(2.2, 2.6, size=count)).astype(np.int64),
    )
    # Young people cannot have finished more school than their age allows.
    education = np.where(
        age < 19, np.minimum(education, Education.VOCATIONAL_SECONDARY.level), education
    )
    education = np.where(age < 22, np.minimum(education, Education.JUNIOR_COLLEGE.level), education)

    # Background: the kind of work a person trained for, among kinds they can do.
    profile_demands = np.array([p.demands for p in tables.profiles])
    profile_education = np.array([p.education.level if p.education else 0 for p in tables.profiles])
    prior = np.array([p.weight for p in tables.profiles])
    tertiary_profile = profile_education >= Education.JUNIOR_COLLEGE.level

    needs_list = [_needs(draws, dict(zip(_DIMENSIONS, row, strict=True))) for row in caps.tolist()]
    relieved = np.array(
        [_relieved(row, needs) for row, needs in zip(caps, needs_list, strict=True)]
    )
    relieved = relieved.reshape(count, len(_DIMENSIONS))
    compatible = np.all(profile_demands[None, :, :] <= relieved[:, None, :], axis=2)
    weights = (
        prior[None, :]
        * np.where(compatible, 1.0, 0.03)
        * np.where(education[:, None] + 1 >= profile_education[None, :], 1.0, 0.1)
        * np.where(graduate[:, None] & tertiary_profile[None, :], 3.0, 1.0)
    )
    background = _choose_rows(rng, weights)
    second = np.where(rng.random(count) < 0.25, _choose_rows(rng, weights), -1)

    employability = (
        rng.normal(0.0, 0.5, size=count) - 0.15 * ((grades > 0) & (grades <= 2)) + 0.1 * graduate
    )
    # Common surnames are listed first and drawn more often.
    surname_weight = 1 / (np.arange(len(names.surnames)) + 4)
    surnames = rng.choice(len(names.surnames), size=count, p=surname_weight / surname_weight.sum())
    pay_noise = rng.lognormal(0.0, 0.2, size=count)
    counties_of = geography.counties_of()
    today_ord = today.toordinal()
    used_ids: set[str] = set()
    records: list[Candidate] = []
    for i in range(count):
        county = geography.counties[counties[i]]
        prefecture_index = geography.prefecture[counties[i]]
        category, grade = categories[i], int(grades[i]) or None
        sex = Sex.MALE if male[i] else Sex.FEMALE
        edu = _EDUCATION[education[i]]
        birth = dt.date.fromordinal(
            draws.between(
                _years_before(today, int(age[i]) + 1).toordinal() + 1,
                _years_before(today, int(age[i])).toordinal() + 1,
            )
        )
        household = (
            Household.RURAL
            if draws.random() < (0.3 if geography.district[counties[i]] else 0.7)
            else Household.URBAN
        )
        profiles = [tables.profiles[background[i]]]
        if second[i] >= 0 and second[i] != background[i]:
            profiles.append(tables.profiles[second[i]])
        person_caps = dict(zip(_DIMENSIONS, caps[i].tolist(), strict=True))
        needs = needs_list[i]
        groups = _priority_groups(
            draws, category, grade, edu, int(age[i]), household, bool(graduate[i])
        )
        if PriorityGroup.HARD_TO_EMPLOY in groups:
            employability[i] -= 0.35

        # Identity: born in the county of residence, or elsewhere in the prefecture.
        birth_county = county
        if draws.random() < 0.15:
            birth_county = geography.counties[draws.pick(counties_of[prefecture_index])]
        id_number = _id_number(draws, birth_county.code, birth, sex, used_ids)
        cert_number = (
            f"{id_number}{category.certificate_digit}{grade}"
            if category is not None and draws.random() < 0.95
            else None
        )

        graduation_year = school = None
        if graduate[i]:
            graduation_year = today.year - draws.below(2)
            school = _school(draws, stats, county.code)
        elif edu.level >= Education.JUNIOR_COLLEGE.level and draws.random() < 0.6:
            graduation_year = min(
                birth.year + stats.graduation_age[edu] + draws.below(2), today.year - 2
            )
            school = _school(draws, stats, county.code) if draws.random() < 0.5 else None

        skills = [] if draws.random() < 0.08 else _person_skills(draws, profiles)
        certificates = _person_certificates(
            draws, tables.certificates, profiles, edu, person_caps, bool(graduate[i])
        )
        trainings = _person_trainings(
            draws,
            tables.trainings,
            profiles,
            category,
            birth.year + settings.working_age_min,
            today,
        )
        work_modes = _person_work_modes(draws, profiles[0], person_caps, household, groups)
        # Some people name the occupations they aim at: by name, now and then by code.
        targets = (
            []
            if draws.random() < 0.4
            else list(
                dict.fromkeys(
                    p.code if draws.random() < 0.1 else occupations[p.code].name for p in profiles
                )
            )
        )
        expected = None
        if draws.random() > 0.12:
            expected = float(
                round(
                    stats.education[edu].expected_pay
                    * geography.prefectures[prefecture_index].pay_level
                    * pay_noise[i],
                    -2,
                )
            )
        registered_from = max(
            today_ord - (300 if graduate[i] else REGISTRATION_DAYS),
            _years_before(birth, -settings.working_age_min).toordinal() + 1,
        )
        registered = draws.between(registered_from, today_ord - 2)
        records.append(
            Candidate(
                id=f"C{i + 1:06d}",
                name=_person_name(draws, names, names.surnames[surnames[i]], sex),
                id_number=id_number,
                cert_number=cert_number,
                sex=sex,
                birth_year=birth.year,
                disability_category=category,
                disability_grade=grade,
                education=edu,
                graduation_year=graduation_year,
                school=school,
                region_code=county.code,
                household=household,
                skills=skills,
                certificates=certificates,
                trainings=trainings,
                work_modes=work_modes,
                expected_salary=expected,
                needs=needs,
                capacities=person_caps if assessed[i] else {},
                priority_groups=groups,
                target_occupations=targets,
                summary=_person_summary(
                    int(age[i]), category, grade, edu, skills, profiles[0], needs
                ),
                registered_at=dt.date.fromordinal(registered),
            )
        )
    return records, employability


def _id_number(draws: Draws, region: str, birth: dt.date, sex: Sex, used: set[str]) -> str:
    """A GB 11643 number; the sequence's last digit is odd for men, even for women."""
    while True:
        sequence = draws.below(500) * 2 + (1 if sex is Sex.MALE else 0)
        first = f"{region}{birth:%Y%m%d}{sequence:03d}"
        number = first + id_check_character(first)
        if number not in used:
            used.add(number)
            return number


def _school(draws: Draws, stats: PeopleFile, region: str) -> str:
    local = stats.schools.by_province.get(region[:2], ())
    return draws.pick(stats.schools.national if not local or draws.random() < 0.3 else local)


def _person_name(draws: Draws, names: Names, surname: str, sex: Sex) -> str:
    """Surname + one or two given characters; the neutral ones only come first (晓明, not 明晓)."""
    chars = names.male if sex is Sex.MALE else names.female
    if draws.random() < 0.35:
        return surname + draws.pick(chars)
    return surname + draws.pick(chars + names.neutral) + draws.pick(chars)


def _priority_groups(
    draws: Draws,
    category: DisabilityCategory | None,
    grade: int | None,
    education: Education,
    age: int,
    household: Household,
    graduate: bool,
) -> list[PriorityGroup]:
    severe = grade is not None and grade <= 2
    rural = household is Household.RURAL
    hard = (
        0.05
        if category is None
        else 0.12 + 0.15 * severe + 0.1 * (education.level <= 1) + 0.08 * (age >= 45)
    )
    rates = (
        (PriorityGroup.HARD_TO_EMPLOY, hard),
        (PriorityGroup.GRADUATE, 1.0 if graduate else 0.0),
        (PriorityGroup.RURAL, 0.85 if rural else 0.0),
        (PriorityGroup.DIBAO, 0.08 + 0.06 * rural + 0.05 * severe),
        (PriorityGroup.ZERO_EMPLOYMENT_FAMILY, 0.03),
        (PriorityGroup.MULTI_DISABILITY_HOUSEHOLD, 0.04),
        (PriorityGroup.POVERTY_MONITORING, 0.06 if rural else 0.01),
        (
            PriorityGroup.ELDERLY_SUPPORTING_DISABLED,
            0.07
            if category in (DisabilityCategory.INTELLECTUAL, DisabilityCategory.MENTAL)
            else 0.03,
        ),
    )
    return [group for group, rate in rates if draws.random() < rate]


def _person_skills(draws: Draws, profiles: Sequence[Profile]) -> list[str]:
    """Skills from the person's background, in the everyday forms people write on forms."""
    chosen: list[str] = []
    for profile in profiles:
        chosen += [s for s in profile.core if draws.random() < 0.75]
        chosen += [s for s in profile.extra if draws.random() < 0.3]
    if not chosen:
        chosen.append(profiles[0].core[0])
    return [render_skill(draws, s, 0.35) for s in dict.fromkeys(chosen)]


def _person_certificates(
    draws: Draws,
    known: Certificates,
    profiles: Sequence[Profile],
    education: Education,
    caps: dict[Dimension, int],
    graduate: bool,
) -> list[str]:
    held: list[str] = []
    for profile in profiles:
        for odds in profile.certificates:
            p_held = odds.held
            if (
                odds.name == known.medical_massage
                and education.level < Education.VOCATIONAL_SECONDARY.level
            ):
                p_held *= 0.3  # the qualification exam expects secondary medical schooling
            if draws.random() < p_held:
                held.append(odds.name)
    if education.level >= Education.SENIOR_HIGH.level and draws.random() < (
        0.5 if graduate else 0.15
    ):
        held.append(known.computer)
    can_drive = (
        min(caps[Dimension.VISION], caps[Dimension.MOBILITY], caps[Dimension.UPPER_LIMB]) >= 2
    )
    if can_drive and draws.random() < 0.15:
        held.append(known.driving)
    if graduate and draws.random() < 0.4:
        held.append(known.putonghua)
    return list(dict.fromkeys(held))


def _person_trainings(
    draws: Draws,
    trainings: Trainings,
    profiles: Sequence[Profile],
    category: DisabilityCategory | None,
    of_working_age: int,
    today: dt.date,
) -> list[Training]:
    """Trainings of the person's background family and general ones, each in a year since
    ``of_working_age`` (and within the last eight years)."""
    names = list(dict.fromkeys([*trainings.by_family[profiles[0].family], *trainings.general]))
    if category is DisabilityCategory.VISUAL:
        names.append(trainings.visual)
    count = draws.weighted(trainings.count_weights)
    first_year = max(of_working_age, today.year - 8)
    return [
        Training(name=name, year=draws.between(first_year, today.year + 1))
        for name in draws.sample(names, count)
    ]


def _person_work_modes(
    draws: Draws,
    background: Profile,
    caps: dict[Dimension, int],
    household: Household,
    groups: Sequence[PriorityGroup],
) -> list[WorkMode]:
    if draws.random() < 0.1:
        return []  # no preference recorded
    modes = [background.modes[0]] if draws.random() < 0.7 else []
    if background.modes[0] is not WorkMode.MASSAGE or draws.random() < 0.3:
        if draws.random() < 0.65:
            modes.append(WorkMode.QUOTA)
    limited = min(caps[Dimension.COGNITION], caps[Dimension.PSYCHOSOCIAL]) <= 1
    optional = (
        (WorkMode.SUPPORTED, 0.4 if limited else 0.02),
        (WorkMode.AUXILIARY, 0.3 if limited else 0.01),
        (WorkMode.CONCENTRATED, 0.15),
        (WorkMode.HOME_BASED, 0.35 if caps[Dimension.MOBILITY] <= 1 else 0.08),
        (WorkMode.FLEXIBLE, 0.2 if household is Household.RURAL else 0.1),
        (
            WorkMode.PUBLIC_WELFARE,
            0.3
            if PriorityGroup.HARD_TO_EMPLOY in groups
            else 0.15
            if household is Household.RURAL
            else 0.05,
        ),
        (WorkMode.SELF_EMPLOYED, 0.04),
    )
    modes += [mode for mode, rate in optional if draws.random() < rate]
    return list(dict.fromkeys(modes)) or [WorkMode.QUOTA]


def _person_summary(
    age: int,
    category: DisabilityCategory | None,
    grade: int | None,
    education: Education,
    skills: Sequence[str],
    background: Profile,
    needs: Sequence[Accommodation],
) -> str:
    if category is None:
        who = "残疾人家庭成员或尚未评残"
    else:
        who = f"{CATEGORY_NAMES_ZH[category]}{'一二三四'[grade - 1] if grade else ''}级"
    parts = [f"{age}岁，{who}，文化程度{EDUCATION_NAMES_ZH[education]}"]
    if skills:
        parts.append(f"会{'、'.join(skills)}")
    parts.append(f"希望从事{background.title}等工作")
    if needs:
        parts.append(f"需要{'、'.join(ACCOMMODATION_NAMES_ZH[a] for a in needs)}")
    return "，".join(parts) + "。"
