"""Short Chinese reasons for a ranked result, derived from the ranker's own contributions.

Each reason is built from the pair's data (the skills actually shared, the accommodations
actually offered, the real distance), and the ranker's per-feature contributions decide which
reasons are shown first, so a reason never contradicts the data and the order reflects what
drove the score.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from matching.catalog import Catalog
from matching.features import DECLARED, FEATURES, Reason
from matching.privacy import reveals_disability
from matching.rules import Requirement, Unmet, bridging_accommodations
from matching.vocabulary import (
    ACCOMMODATION_NAMES_ZH,
    DIMENSION_NAMES_ZH,
    EDUCATION_NAMES_ZH,
    WORK_MODE_NAMES_ZH,
    Accommodation,
    Dimension,
    Education,
)

MAXREASON_TEXTS = 5

# Reasons about a person's referral history and support status: a counselor needs them, an
# employer must not see them (they hint at the disability and at past failures).
_FAILED_STREAK = "近期连续 {} 次推荐未成功"
_PUBLIC_WELFARE_PRIORITY = "公益性岗位优先：连续多次市场推荐未就业"
_HARD_TO_EMPLOY = "就业困难残疾人"
_NOT_FOR_EMPLOYERS = re.compile(
    "|".join(
        "^" + re.escape(text).replace(r"\{\}", r"\d+") + "$"
        for text in (_FAILED_STREAK, _PUBLIC_WELFARE_PRIORITY, _HARD_TO_EMPLOY)
    )
)
# What an employer reads instead of "the job's functional demands are within the person's
# capacities" (which, next to a job's demands, says what the person can and cannot do).
_WITHIN_REACH = ("岗位功能要求在其能力范围内", "岗位功能要求与其能力刚好相符")
EMPLOYER_FEASIBLE = "满足岗位要求"
# Reasons about the person's own accommodation needs and the capacity gaps an accommodation
# bridges: they say which disability the person has.
_ABOUT_NEEDS = re.compile("^(?:需提供|岗位需要)")
_PROXIMITY_ZH = {3: "同一区县", 2: "同一地市", 1: "同省，跨地市", 0: "跨省"}
_LEVEL_ZH = {1: "一定", 2: "较好", 3: "很好"}
_F = {name: i for i, name in enumerate(FEATURES)}


def _money(value: float) -> str:
    return f"{value:,.0f}"


@dataclass(frozen=True)
class _Pair:
    """One result's pair: its feature row (read by name) and its records."""

    row: np.ndarray
    catalog: Catalog
    candidate: int
    job: int

    def __getitem__(self, feature: str) -> float:
        return float(self.row[_F[feature]])


def _skills(p: _Pair) -> str | None:
    c, j = p.catalog.candidates, p.catalog.jobs
    shared = sorted(c.skill_names[p.candidate] & j.skill_names[p.job])
    missing = sorted(j.skill_names[p.job] - c.skill_names[p.candidate])
    parts = []
    if shared:
        parts.append("技能匹配：" + "、".join(shared))
    if missing:
        parts.append("缺少技能：" + "、".join(missing[:3]))
    return "；".join(parts) or None


def _occupation(p: _Pair) -> str | None:
    labels = {3: "与目标职业一致", 2: "与目标职业同属一类", 1: "与目标职业同一大类"}
    value = p["occupation_match"]
    return labels.get(int(value)) if not np.isnan(value) else None


def _place(p: _Pair) -> str:
    remote = "，可远程办公" if p.catalog.jobs.remote_ok[p.job] else ""
    return "工作地点：" + _PROXIMITY_ZH[int(p["region_proximity"])] + remote


def _pay(p: _Pair) -> str | None:
    record = p.catalog.jobs.records[p.job]
    expected = p.catalog.candidates.expected_salary[p.candidate]
    if record.salary_min is None and record.salary_max is None:
        return None
    low = _money(record.salary_min) if record.salary_min is not None else ""
    high = _money(record.salary_max) if record.salary_max is not None else ""
    pay = f"薪资 {low}–{high} 元/月" if low and high else f"薪资 {low or high} 元/月"
    if np.isnan(expected):
        return pay
    verdict = "低于" if p["salary_below_expected"] else "符合"
    return f"{pay}，{verdict}期望 {_money(expected)} 元"


def _work_mode(p: _Pair) -> str | None:
    mode = WORK_MODE_NAMES_ZH[p.catalog.jobs.records[p.job].work_mode]
    value = p["work_mode_preferred"]
    if np.isnan(value):
        return None
    return f"符合意向就业形式：{mode}" if value else f"非意向就业形式：{mode}"


def _accommodations(p: _Pair) -> str | None:
    needs = p.catalog.candidates.records[p.candidate].needs
    if needs:
        return "需提供" + "、".join(ACCOMMODATION_NAMES_ZH[a] for a in needs) + "：岗位已提供"
    offered = p.catalog.jobs.records[p.job].accommodations
    if p["accommodations_offered"] and offered:
        return "岗位提供" + "、".join(ACCOMMODATION_NAMES_ZH[a] for a in offered)
    return None


def _capacity(p: _Pair) -> str:
    if p["capacity_min_slack"] >= 1:
        return "岗位功能要求在其能力范围内"
    return "岗位功能要求与其能力刚好相符"


def _education(p: _Pair) -> str | None:
    minimum = p.catalog.jobs.records[p.job].education_min
    education = p.catalog.candidates.records[p.candidate].education
    value = p["education_gap"]
    if np.isnan(value) or minimum is None or education is None:
        return None
    have = EDUCATION_NAMES_ZH[Education(education)]
    if value < 0:  # not a hard requirement, but a counselor must see the shortfall
        return f"学历不足：{have}，岗位要求{EDUCATION_NAMES_ZH[minimum]}"
    return f"学历{have}，满足{EDUCATION_NAMES_ZH[minimum]}要求"


def _openings(p: _Pair) -> str:
    left = p["job_openings_left"]
    return f"尚有 {int(left)} 个空缺" if left > 0 else "招聘名额已满"


# One text per declared reason (matching.features.Reason), written from the pair's data.
REASON_TEXTS: dict[Reason, Callable[[_Pair], str | None]] = {
    Reason.SIMILARITY: lambda p: (
        f"求职意向与岗位内容相近（相似度 {p['embedding_similarity']:.2f}）"
    ),
    Reason.SKILLS: _skills,
    Reason.OCCUPATION: _occupation,
    Reason.EDUCATION: _education,
    Reason.PAY: _pay,
    Reason.PLACE: _place,
    Reason.WORK_MODE: _work_mode,
    Reason.CAPACITY: _capacity,
    Reason.BRIDGING: lambda p: _bridged(p.catalog, p.candidate, p.job),
    Reason.ACCOMMODATIONS: _accommodations,
    Reason.QUOTA_GAP: lambda p: (
        "用人单位未达按比例就业要求" if p["employer_quota_gap"] > 0 else None
    ),
    Reason.PUBLIC_WELFARE_POST: lambda p: "公益性岗位" if p["public_welfare_post"] else None,
    Reason.PUBLIC_WELFARE_PRIORITY: lambda p: (
        _PUBLIC_WELFARE_PRIORITY if p["public_welfare_priority"] else None
    ),
    Reason.GRADUATE: lambda p: "高校毕业生（一人一策）" if p["graduate"] else None,
    Reason.HARD_TO_EMPLOY: lambda p: _HARD_TO_EMPLOY if p["hard_to_employ"] else None,
    Reason.FAILED_STREAK: lambda p: (
        _FAILED_STREAK.format(int(p["person_failed_market_streak"]))
        if p["person_failed_market_streak"]
        else None
    ),
    Reason.OPENINGS: _openings,
}


def reason_text(
    reason: Reason, row: np.ndarray, catalog: Catalog, candidate: int, job: int
) -> str | None:
    """The text of ``reason`` for this pair (from its feature ``row``), or None when the pair's
    data give it nothing to say."""
    return REASON_TEXTS[reason](_Pair(row, catalog, candidate, job))


def _bridged(catalog: Catalog, candidate: int, job: int) -> str | None:
    """Each dimension the job's stated demand puts beyond the person and an offered
    accommodation brings back within reach, named with it: "岗位需要较好视力，已提供读屏软件"."""
    capacities = dict(
        zip(Dimension, catalog.candidates.capacities[candidate].tolist(), strict=True)
    )
    record = catalog.jobs.records[job]
    bridged = bridging_accommodations(capacities, record.demands, record.accommodations)
    texts = [
        f"岗位需要{_LEVEL_ZH[int(record.demands[dimension])]}{DIMENSION_NAMES_ZH[dimension]}，"
        "已提供" + "、".join(ACCOMMODATION_NAMES_ZH[a] for a in accommodations)
        for dimension, accommodations in bridged.items()
    ]
    return "；".join(texts) or None


def explain(
    catalog: Catalog, candidate: int, job: int, row: np.ndarray, contributions: np.ndarray
) -> list[str]:
    """Up to :data:`MAXREASON_TEXTS` reasons, the strongest positive contributions first.

    Reasons are de-duplicated (several features can stand for one reason); features that
    lowered the score contribute cautions only after every supporting reason.
    """
    order = np.argsort(-contributions[: len(FEATURES)], kind="stable")
    supporting = [i for i in order if contributions[i] > 0]
    against = [i for i in order[::-1] if contributions[i] < 0]
    reasons: list[str] = []
    for i in supporting + against:
        reason = DECLARED[i].reason
        text = reason_text(reason, row, catalog, candidate, job) if reason else None
        if text and text not in reasons:
            reasons.append(text)
        if len(reasons) == MAXREASON_TEXTS:
            break
    return reasons


def unmet_reason(unmet: Unmet) -> str:
    """One failed hard requirement in Chinese, naming exactly what is missing ("why not this
    job"), e.g. ``视力：岗位要求 2（已计入岗位提供的便利），本人能力 0``."""
    if unmet.requirement is Requirement.CAPACITY:
        dimension = DIMENSION_NAMES_ZH[Dimension(unmet.item)]
        return (
            f"功能能力不足：{dimension}——岗位要求 {unmet.demand}（已计入岗位提供的合理便利），"
            f"本人能力 {unmet.capacity}"
        )
    if unmet.requirement is Requirement.CERTIFICATE:
        return f"缺少岗位要求的证书：{unmet.item}"
    need = ACCOMMODATION_NAMES_ZH[Accommodation(unmet.item)]
    return f"本人需要的合理便利岗位未提供：{need}"


def for_employers(reasons: list[str]) -> list[str]:
    """The reasons an employer may read (README, "Personal data"): none about the person's
    referral history or support status (failed referrals in a row, public-welfare priority,
    hard to employ), their accommodation needs or capacities ("满足岗位要求" instead), nor
    any other reason from which a disability could be read
    (:func:`matching.privacy.reveals_disability`)."""
    shown: list[str] = []
    for reason in reasons:
        if reason in _WITHIN_REACH:
            reason = EMPLOYER_FEASIBLE
        elif (
            _NOT_FOR_EMPLOYERS.match(reason)
            or _ABOUT_NEEDS.match(reason)
            or reveals_disability(reason)
        ):
            continue
        if reason not in shown:
            shown.append(reason)
    return shown
