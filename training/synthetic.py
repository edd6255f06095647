"""A realistic synthetic world in the interchange format (``jobmatch demo-data``).

:func:`generate_world` writes ``employers.jsonl``, ``jobs.jsonl``, ``candidates.jsonl`` and
``referrals.jsonl`` (and illustrative ``wage_standards.jsonl``) for a few real prefectures of
the seed documents (长沙, 怀化 with 新晃, 贵阳, 黔东南, 湖州, 江门), using their county codes
from :class:`matching.regions.RegionHierarchy` and occupations of the 2022 classification
from :class:`matching.occupations.OccupationVocabulary`.
Every record is built as its pydantic domain model, so every line is valid; the same seed (and
``today``) gives byte-identical files.

What is realistic about it:

* people: disability categories in the shares of the 2006 national sample survey (DOMAIN.md),
  more grade 3–4 than grade 1–2, ~3 % family members or not yet assessed; valid GB 11643 ID
  numbers (real county code, birth date, sex digit, check character) and the matching
  certificate numbers; working ages; education; ~8 % recent college graduates; rural/urban
  households and the priority groups of the seeds; about half with an ability assessment
  (capacities ±1 around :func:`matching.rules.default_capacities`) and needs that follow from
  capacities (often, not always).
* skills are written in several surface forms for one skill ("Excel" / "电子表格", "按摩" /
  "推拿"): :data:`matching.skills.SKILL_SYNONYMS` maps every surface form to its canonical
  name, and people and job ads prefer different forms, so exact string matching under-counts
  real overlap.
* employers of every type, staff counts around the quota threshold, disabled staff around
  1.5 %; jobs from occupation profiles with functional demands, accommodations, certificates
  (medical massage requires its qualification), public-welfare posts, remote work, pay.

Referral history and the hidden utility
---------------------------------------
Referrals span the last ~18 months, more of them recently. For each referral a counselor
picks, among the jobs open that day in the person's prefecture (plus remote jobs anywhere) and
not yet suggested to them, one the person can do (the hard requirements; 4 % of the time the
check is skipped, and :func:`matching.rules.check_feasibility` then often says no). The pick
maximises ``1.2·proximity + 1.5·literal skill overlap + 0.6·mode + 0.5·systematic utility``
plus Gumbel noise (scale 0.8): it favours nearby jobs and the same *words*, and is only partly
guided by the true fit. Public-welfare posts get a bonus for people with three failed market
referrals in a row, and a smaller one for 低保, multi-disability, elderly-supporting and
monitored households (DOMAIN.md rule 6).

Outcomes follow a hidden utility the product never reads::

    u = 1.8·skill + 0.9·proximity + salary + education + 0.5·mode + 0.4·support + 0.6·margin
        + employability(person) + attractiveness(job) + ε − 2.5·[infeasible] − U0

* ``skill``: share of the job's skills the person has, after synonym normalisation;
* ``proximity``: :func:`matching.regions.proximity` / 3 (1 for remote jobs);
* ``salary``: (job's salary_max − expected) / expected, clipped to [−0.6, 0.4];
* ``education``: −0.4 per level below the job's minimum;
* ``mode``: 1 if the job's work mode is one the person wants, 0.5 if they named none;
* ``support``: accommodations offered that cover a dimension where the person is limited
  (0–2, halved); ``margin``: mean spare capacity over the demands (0–2, halved);
* ``employability`` ~ N(0, 0.5) lowered for hard-to-employ and grade 1–2 people, raised for
  graduates; ``attractiveness`` = employer N(0, 0.3) + job N(0, 0.25); ε ~ N(0, 0.6).

The deterministic part (everything up to ``employability``) is :func:`_systematic_utility`,
computed from the records alone. Outcome logits are linear in ``u``: hired ``1.5u``, interviewed
``0.5u``, rejected ``−u``, declined ``−0.5u``, no-show ``−0.7u`` (plus intercepts tuned for
about 15 % hired); a hire turns into ``left_early`` with probability σ(−1.5 − 1.2u); referrals of
the last month are often still ``pending``. A hired person is not referred again for 3–10
months.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from matching.domain import Candidate, Employer, Job, Record, Referral, Training, WageStandard
from matching.identity import id_check_character
from matching.occupations import Occupation, OccupationVocabulary
from matching.regions import Region, RegionHierarchy, prefecture_code, proximity
from matching.rules import (
    check_feasibility,
    default_capacities,
    effective_demands,
    meets_hard_requirements,
    person_capacities,
)
from matching.skills import SKILL_FORMS, canonical_skill
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
    EmployerType,
    Household,
    Outcome,
    PriorityGroup,
    Sex,
    WorkMode,
)

# --------------------------------------------------------------------------------------------
# Skills, certificates, trainings
# --------------------------------------------------------------------------------------------

_CANONICAL_SKILLS = tuple(SKILL_FORMS)
_SURFACE_FORMS = tuple(form for forms in SKILL_FORMS.values() for form in forms)

CERT_MEDICAL_MASSAGE = "盲人医疗按摩人员资格证"
CERT_HEALTH_MASSAGE = "盲人保健按摩证"
CERT_ACCOUNTING = "会计从业资格"
CERT_ECOMMERCE = "职业技能等级证书(电子商务)"
CERT_COMPUTER = "计算机等级证书"
CERT_DRIVING = "驾驶证"
CERT_ELDERCARE = "职业技能等级证书(养老护理员)"
CERT_SOCIAL_WORK = "社会工作者职业资格证书"
CERT_PUTONGHUA = "普通话水平测试等级证书"

# Trainings by skill family of the occupation profiles.
_TRAININGS: dict[str, tuple[str, ...]] = {
    "service": ("电商客服技能培训", "呼叫中心客服培训"),
    "office": ("计算机办公软件培训", "文字录入技能培训"),
    "ecommerce": ("电子商务网店运营培训", "直播电商技能培训"),
    "massage": ("盲人保健按摩培训", "盲人医疗按摩继续教育"),
    "it": ("软件开发技能培训", "信息无障碍测试培训"),
    "design": ("平面设计技能培训", "动漫设计培训"),
    "finance": ("会计实务培训",),
    "public": ("物业保洁服务培训", "保安员岗前培训"),
    "community": ("社会工作实务培训", "手语培训"),
    "craft": ("苗绣技艺培训", "竹编技艺培训", "手工编织培训"),
    "factory": ("电子装配技能培训", "缝纫工技能培训"),
    "logistics": ("仓储物流技能培训",),
    "catering": ("中式面点制作培训", "餐饮服务培训"),
    "care": ("养老护理员培训", "家政服务培训"),
    "beauty": ("美容美发技能培训",),
    "driving": ("机动车驾驶培训",),
    "music": ("钢琴调律培训",),
    "retail": ("收银员技能培训", "创业培训(SYB)"),
    "agri": ("实用农业技术培训", "食用菌栽培技术培训"),
}
_GENERAL_TRAININGS = ("创业培训(SYB)", "职业素养与求职技能培训", "计算机基础培训")
_TRAINING_COUNT_WEIGHTS = (0.35, 0.75, 0.93, 1.0)  # cumulative: 0, 1, 2 or 3 trainings

# --------------------------------------------------------------------------------------------
# Occupation profiles: what a kind of job demands and pays
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Profile:
    """A kind of job: its CSCO 2022 occupation, skills, functional demands, pay and employers."""

    code: str
    title: str
    family: str
    core: tuple[str, ...]
    extra: tuple[str, ...]
    demands: tuple[int, ...]  # in Dimension order
    salary: tuple[int, int]  # typical monthly range, CNY
    education: Education | None
    employers: frozenset[EmployerType]
    weight: float
    modes: tuple[WorkMode, ...]
    remote: float  # probability that a posting allows remote work
    public_welfare: bool  # may be posted as a public-welfare post (公益性岗位)
    pw_only: bool  # always a public-welfare post
    certificates: tuple[tuple[str, float, float], ...]  # (certificate, P(required), P(held))


def _profile(
    code: str,
    title: str,
    family: str,
    core: str,
    extra: str,
    demands: str,
    salary: tuple[int, int],
    education: str | None,
    employers: str,
    weight: float,
    *,
    modes: str = "quota",
    remote: float = 0.0,
    public_welfare: bool = False,
    pw_only: bool = False,
    certificates: tuple[tuple[str, float, float], ...] = (),
) -> _Profile:
    """Compact constructor: word lists as space-separated strings, demands as "VHSMUCP" digits."""
    return _Profile(
        code=code,
        title=title,
        family=family,
        core=tuple(core.split()),
        extra=tuple(extra.split()),
        demands=tuple(int(c) for c in demands),
        salary=salary,
        education=None if education is None else Education(education),
        employers=frozenset(EmployerType(t) for t in employers.split()),
        weight=weight,
        modes=tuple(WorkMode(m) for m in modes.split()),
        remote=remote,
        public_welfare=public_welfare or pw_only,
        pw_only=pw_only,
        certificates=certificates,
    )


_QUOTA = "agency institution soe private social_org"
_PROFILES: tuple[_Profile, ...] = (
    _profile(
        "4-04-05-03",
        "在线客服专员",
        "service",
        "客户服务 在线客服 文字录入",
        "普通话 投诉处理 读屏软件 办公软件",
        "2001122",
        (2600, 5000),
        "junior_high",
        "private soe other concentrated",
        5,
        modes="quota home_based",
        remote=0.6,
    ),
    _profile(
        "4-04-05-03",
        "电话客服专员",
        "service",
        "客户服务 电话沟通 普通话",
        "投诉处理 办公软件 沟通能力",
        "1220122",
        (3000, 5500),
        "senior_high",
        "private soe institution",
        4,
        remote=0.2,
    ),
    _profile(
        "4-07-02-03",
        "售后服务专员",
        "service",
        "客户服务 投诉处理 电子表格",
        "沟通能力 办公软件",
        "2121122",
        (3200, 6000),
        "senior_high",
        "private soe",
        2,
        remote=0.1,
    ),
    _profile(
        "3-01-02-05",
        "文字录入员",
        "office",
        "文字录入 办公软件",
        "电子表格 文字校对 读屏软件",
        "2000211",
        (2200, 4000),
        "junior_high",
        "private concentrated institution soe other",
        4,
        modes="quota home_based",
        remote=0.3,
    ),
    _profile(
        "2-10-03-00",
        "录入校对员",
        "office",
        "文字录入 文字校对",
        "办公软件",
        "2000221",
        (2500, 4500),
        "senior_high",
        "institution private",
        2,
        remote=0.3,
    ),
    _profile(
        "4-04-05-05",
        "数据标注员",
        "office",
        "数据标注 文字录入",
        "办公软件 电子表格",
        "2000121",
        (2800, 5000),
        "senior_high",
        "private concentrated",
        3,
        modes="quota home_based",
        remote=0.4,
    ),
    _profile(
        "3-01-01-01",
        "行政文员",
        "office",
        "办公软件 电子表格 公文写作",
        "档案管理 沟通能力",
        "2121122",
        (3000, 5500),
        "junior_college",
        _QUOTA,
        3,
    ),
    _profile(
        "2-10-07-00",
        "档案管理员",
        "office",
        "档案管理 办公软件",
        "档案数字化 电子表格",
        "2011121",
        (3000, 5000),
        "senior_high",
        "agency institution soe",
        2,
    ),
    _profile(
        "4-13-01-06",
        "档案数字化加工员",
        "office",
        "档案数字化 文字录入",
        "办公软件",
        "2000211",
        (2500, 4200),
        "junior_high",
        "concentrated private institution",
        2,
    ),
    _profile(
        "3-01-02-06",
        "速录员",
        "office",
        "速录 文字录入",
        "办公软件 普通话",
        "2300332",
        (3500, 8000),
        "senior_high",
        "private institution",
        1,
        remote=0.3,
    ),
    _profile(
        "4-01-06-01",
        "网店运营助理",
        "ecommerce",
        "网店运营 商品上架 图像处理",
        "电子表格 文案写作 短视频剪辑",
        "2010121",
        (3000, 7000),
        "junior_high",
        "private other concentrated",
        4,
        modes="quota home_based flexible",
        remote=0.5,
        certificates=((CERT_ECOMMERCE, 0.1, 0.35),),
    ),
    _profile(
        "4-01-06-02",
        "直播带货助理",
        "ecommerce",
        "直播带货 短视频剪辑 普通话",
        "网店运营 文案写作",
        "2231122",
        (3000, 8000),
        "junior_high",
        "private other",
        2,
        modes="flexible quota",
        remote=0.2,
    ),
    _profile(
        "4-13-01-05",
        "新媒体运营专员",
        "ecommerce",
        "新媒体运营 文案写作 短视频剪辑",
        "图像处理 平面设计",
        "2010122",
        (4000, 8000),
        "junior_college",
        "private soe institution",
        2,
        remote=0.5,
    ),
    _profile(
        "4-10-04-02",
        "保健按摩师",
        "massage",
        "推拿 经络穴位",
        "足疗 刮痧拔罐",
        "0112311",
        (3000, 8000),
        None,
        "massage",
        5,
        modes="massage",
        certificates=((CERT_HEALTH_MASSAGE, 0.35, 0.6),),
    ),
    _profile(
        "2-05-10-00",
        "盲人医疗按摩师",
        "massage",
        "推拿 中医理疗 经络穴位",
        "刮痧拔罐",
        "0122321",
        (4000, 10000),
        "vocational_secondary",
        "massage institution",
        2,
        modes="massage",
        certificates=((CERT_MEDICAL_MASSAGE, 1.0, 0.45),),
    ),
    _profile(
        "4-10-04-02",
        "足疗师",
        "massage",
        "足疗 推拿",
        "经络穴位",
        "0112311",
        (3000, 7000),
        None,
        "massage",
        2,
        modes="massage",
    ),
    _profile(
        "4-04-05-01",
        "前端开发工程师",
        "it",
        "网页制作 编程",
        "数据库 图像处理",
        "2000132",
        (6000, 15000),
        "junior_college",
        "private soe",
        1.5,
        remote=0.5,
        certificates=((CERT_COMPUTER, 0.0, 0.5),),
    ),
    _profile(
        "2-02-10-03",
        "软件开发工程师",
        "it",
        "编程 Python 数据库",
        "Java 软件测试",
        "2010132",
        (7000, 15000),
        "bachelor",
        "private soe",
        1.5,
        remote=0.4,
        certificates=((CERT_COMPUTER, 0.0, 0.5),),
    ),
    _profile(
        "4-04-05-02",
        "软件测试员",
        "it",
        "软件测试 办公软件",
        "无障碍测试 数据库 读屏软件",
        "2010132",
        (5000, 10000),
        "junior_college",
        "private",
        1.5,
        remote=0.4,
    ),
    _profile(
        "4-04-05-02",
        "信息无障碍测试员",
        "it",
        "无障碍测试 读屏软件 软件测试",
        "办公软件",
        "0010132",
        (4500, 9000),
        "senior_high",
        "private social_org",
        0.7,
        remote=0.6,
    ),
    _profile(
        "4-12-02-01",
        "电脑维修员",
        "it",
        "计算机维修",
        "办公软件 客户服务",
        "3121321",
        (3000, 6000),
        "vocational_secondary",
        "private other",
        1,
    ),
    _profile(
        "4-08-08-06",
        "平面设计师",
        "design",
        "平面设计 图像处理",
        "插画 文案写作",
        "3000222",
        (4000, 9000),
        "junior_college",
        "private soe",
        2,
        remote=0.4,
    ),
    _profile(
        "4-13-02-02",
        "动画制作员",
        "design",
        "动画制作 图像处理",
        "插画 短视频剪辑",
        "3000232",
        (4500, 10000),
        "junior_college",
        "private",
        1,
        remote=0.4,
    ),
    _profile(
        "3-01-02-07",
        "CAD制图员",
        "design",
        "CAD制图",
        "办公软件",
        "3000221",
        (4000, 8000),
        "vocational_secondary",
        "private soe",
        1,
        remote=0.2,
    ),
    _profile(
        "2-06-03-00",
        "会计",
        "finance",
        "会计核算 财务软件 电子表格",
        "出纳 办公软件",
        "2010132",
        (4000, 9000),
        "junior_college",
        "private soe institution social_org",
        2,
        remote=0.1,
        certificates=((CERT_ACCOUNTING, 0.4, 0.6),),
    ),
    _profile(
        "2-06-03-00",
        "出纳",
        "finance",
        "出纳 电子表格",
        "财务软件 办公软件",
        "2110122",
        (3000, 6000),
        "vocational_secondary",
        "private soe institution",
        1.5,
        certificates=((CERT_ACCOUNTING, 0.1, 0.5),),
    ),
    _profile(
        "4-09-08-01",
        "保洁员",
        "public",
        "保洁",
        "垃圾分类",
        "2002211",
        (1800, 3200),
        None,
        "agency institution soe private social_org concentrated auxiliary other",
        5,
        public_welfare=True,
    ),
    _profile(
        "4-09-10-01",
        "绿化养护工",
        "public",
        "绿化养护",
        "种植 保洁",
        "2102211",
        (2000, 3500),
        None,
        "agency institution soe private other",
        2,
        public_welfare=True,
    ),
    _profile(
        "5-02-03-01",
        "护林员",
        "public",
        "森林防火 巡逻",
        "种植",
        "2213111",
        (1800, 3000),
        None,
        "agency",
        1.5,
        pw_only=True,
    ),
    _profile(
        "4-07-05-01",
        "安保员",
        "public",
        "巡逻 消防知识",
        "视频监控",
        "2222212",
        (2200, 4000),
        "junior_high",
        "agency institution soe private",
        3,
        public_welfare=True,
    ),
    _profile(
        "4-07-05-01",
        "监控值班员",
        "public",
        "视频监控 消防知识",
        "办公软件",
        "3110122",
        (2500, 4200),
        "junior_high",
        "institution soe private",
        1.5,
        public_welfare=True,
    ),
    _profile(
        "4-06-01-03",
        "停车管理员",
        "public",
        "收银 巡逻",
        "沟通能力",
        "2221121",
        (2000, 3500),
        None,
        "agency institution soe private",
        1.5,
        public_welfare=True,
    ),
    _profile(
        "4-13-01-07",
        "图书管理员",
        "public",
        "图书整理 办公软件",
        "档案管理",
        "2111121",
        (2000, 3800),
        "senior_high",
        "institution agency",
        2,
        public_welfare=True,
    ),
    _profile(
        "3-01-04-01",
        "社区服务员",
        "community",
        "社区服务 办公软件 沟通能力",
        "普通话 手语",
        "2221122",
        (2000, 3500),
        "senior_high",
        "agency social_org",
        2.5,
        public_welfare=True,
    ),
    _profile(
        "3-01-04-01",
        "残疾人专职委员",
        "community",
        "社区服务 沟通能力",
        "办公软件 手语",
        "2121122",
        (1800, 2600),
        "junior_high",
        "agency",
        1.5,
        pw_only=True,
    ),
    _profile(
        "3-01-04-02",
        "城市管理网格员",
        "community",
        "社区服务 巡逻 办公软件",
        "沟通能力",
        "2222122",
        (2500, 4000),
        "senior_high",
        "agency",
        1,
        pw_only=True,
    ),
    _profile(
        "2-07-11-01",
        "助残社工",
        "community",
        "社会工作 心理疏导 沟通能力",
        "手语 办公软件",
        "2221122",
        (3500, 6000),
        "junior_college",
        "social_org institution",
        1.5,
        certificates=((CERT_SOCIAL_WORK, 0.3, 0.4),),
    ),
    _profile(
        "6-09-03-11",
        "刺绣工",
        "craft",
        "刺绣 手工制作",
        "蜡染 串珠",
        "2000311",
        (2000, 4500),
        None,
        "concentrated auxiliary private social_org other",
        2.5,
        modes="home_based flexible quota",
        remote=0.3,
    ),
    _profile(
        "5-05-06-05",
        "竹编工",
        "craft",
        "编织 手工制作",
        "串珠",
        "2001311",
        (1800, 4000),
        None,
        "concentrated auxiliary private other",
        1.5,
        modes="home_based flexible",
        remote=0.3,
    ),
    _profile(
        "6-05-01-06",
        "手工编织工",
        "craft",
        "编织 缝纫",
        "手工制作 串珠",
        "2000211",
        (1800, 3500),
        None,
        "auxiliary concentrated social_org other",
        1.5,
        modes="home_based flexible",
        remote=0.3,
    ),
    _profile(
        "6-31-05-00",
        "包装工",
        "factory",
        "包装",
        "分拣 质检",
        "2001201",
        (1800, 3500),
        None,
        "concentrated auxiliary private soe",
        4,
        modes="quota supported",
    ),
    _profile(
        "6-31-05-00",
        "手工组装员",
        "factory",
        "手工制作 包装",
        "串珠",
        "1000100",
        (1800, 2500),
        None,
        "auxiliary",
        2,
        modes="quota supported",
    ),
    _profile(
        "6-25-03-00",
        "电子产品装配工",
        "factory",
        "电子装配 焊接",
        "质检 包装",
        "2002311",
        (3000, 5500),
        "junior_high",
        "concentrated private soe",
        3,
    ),
    _profile(
        "6-05-01-03",
        "缝纫工",
        "factory",
        "缝纫",
        "质检 包装",
        "2001311",
        (2800, 5500),
        None,
        "concentrated private",
        2,
    ),
    _profile(
        "6-31-03-05",
        "质检员",
        "factory",
        "质检 电子表格",
        "包装",
        "3011221",
        (3000, 5500),
        "junior_high",
        "private soe concentrated",
        1.5,
    ),
    _profile(
        "4-02-06-01",
        "仓库管理员",
        "logistics",
        "仓库管理 进销存 电子表格",
        "分拣",
        "2112222",
        (3000, 5500),
        "senior_high",
        "private soe concentrated",
        2,
    ),
    _profile(
        "4-02-06-01",
        "理货分拣员",
        "logistics",
        "分拣 包装",
        "仓库管理",
        "2003311",
        (2800, 4800),
        None,
        "private soe",
        2,
    ),
    _profile(
        "4-03-02-02",
        "面点师",
        "catering",
        "面点制作",
        "烹饪",
        "2003311",
        (3000, 5500),
        None,
        "private institution soe",
        1.5,
    ),
    _profile(
        "4-03-02-05",
        "餐厅服务员",
        "catering",
        "餐饮服务",
        "收银 普通话",
        "2113212",
        (2500, 4000),
        None,
        "private other",
        2,
    ),
    _profile(
        "4-03-02-05",
        "后厨帮工",
        "catering",
        "餐饮服务 保洁",
        "烹饪",
        "2003201",
        (2200, 3500),
        None,
        "private institution",
        1.5,
        modes="quota supported",
    ),
    _profile(
        "4-01-02-04",
        "收银员",
        "retail",
        "收银 普通话",
        "电子表格",
        "2221222",
        (2500, 4200),
        "junior_high",
        "private",
        2,
    ),
    _profile(
        "4-01-02-03",
        "福利彩票销售员",
        "retail",
        "彩票销售 收银",
        "电子表格 沟通能力",
        "2120122",
        (2200, 4500),
        "junior_high",
        "institution other",
        1,
        modes="self_employed flexible",
    ),
    _profile(
        "4-10-02-02",
        "洗衣工",
        "care",
        "洗涤熨烫",
        "包装",
        "2002201",
        (2200, 3600),
        None,
        "concentrated auxiliary private institution",
        1.5,
        modes="supported quota",
    ),
    _profile(
        "4-03-02-07",
        "茶艺师",
        "catering",
        "茶艺 普通话",
        "餐饮服务",
        "2123322",
        (3000, 5500),
        "junior_high",
        "private",
        0.7,
    ),
    _profile(
        "4-10-01-05",
        "养老护理员",
        "care",
        "养老护理 沟通能力",
        "心理疏导",
        "2223322",
        (3500, 6000),
        "junior_high",
        "institution private social_org",
        1.5,
        certificates=((CERT_ELDERCARE, 0.3, 0.5),),
    ),
    _profile(
        "4-10-03-02",
        "美发师",
        "beauty",
        "美发",
        "沟通能力",
        "3123322",
        (3500, 8000),
        None,
        "private other",
        1,
    ),
    _profile(
        "4-10-08-01",
        "配送员",
        "driving",
        "驾驶",
        "分拣 沟通能力",
        "3223322",
        (4000, 8000),
        None,
        "private other",
        1.5,
        modes="flexible quota",
        certificates=((CERT_DRIVING, 0.7, 0.9),),
    ),
    _profile(
        "4-02-07-08",
        "快递员",
        "driving",
        "驾驶 分拣",
        "客户服务",
        "3223332",
        (4500, 8500),
        "junior_high",
        "private soe",
        1,
        certificates=((CERT_DRIVING, 0.7, 0.9),),
    ),
    _profile(
        "4-12-05-02",
        "钢琴调律师",
        "music",
        "钢琴调律",
        "沟通能力",
        "0311321",
        (4000, 9000),
        "vocational_secondary",
        "private other",
        0.5,
        modes="flexible self_employed quota",
    ),
    _profile(
        "5-01-02-03",
        "食用菌种植工",
        "agri",
        "种植",
        "包装",
        "2002311",
        (2000, 4000),
        None,
        "other concentrated private",
        1,
        modes="flexible quota",
    ),
    _profile(
        "5-03-02-02",
        "家禽饲养员",
        "agri",
        "养殖",
        "种植",
        "2012311",
        (2200, 4000),
        None,
        "other private",
        0.8,
        modes="flexible quota",
    ),
)

# --------------------------------------------------------------------------------------------
# People: statistics, names, schools
# --------------------------------------------------------------------------------------------

# Second national sample survey of disability, 2006 (DOMAIN.md).
CATEGORY_SHARES: dict[DisabilityCategory, float] = {
    DisabilityCategory.VISUAL: 0.1486,
    DisabilityCategory.HEARING: 0.2416,
    DisabilityCategory.SPEECH: 0.0153,
    DisabilityCategory.PHYSICAL: 0.2907,
    DisabilityCategory.INTELLECTUAL: 0.0668,
    DisabilityCategory.MENTAL: 0.0740,
    DisabilityCategory.MULTIPLE: 0.1630,
}
# Family members of disabled people and people not yet assessed (no category).
UNASSESSED_SHARE = 0.03

# Grade 1..4 shares by category: milder grades are more common among job seekers.
_GRADE_SHARES: dict[DisabilityCategory, tuple[float, float, float, float]] = {
    DisabilityCategory.VISUAL: (0.14, 0.16, 0.30, 0.40),
    DisabilityCategory.HEARING: (0.12, 0.18, 0.32, 0.38),
    DisabilityCategory.SPEECH: (0.10, 0.20, 0.35, 0.35),
    DisabilityCategory.PHYSICAL: (0.10, 0.18, 0.32, 0.40),
    DisabilityCategory.INTELLECTUAL: (0.08, 0.22, 0.40, 0.30),
    DisabilityCategory.MENTAL: (0.06, 0.24, 0.40, 0.30),
    DisabilityCategory.MULTIPLE: (0.15, 0.25, 0.32, 0.28),
}
# Share of recent college graduates by category (about 8 % overall).
_GRADUATE_SHARE: dict[DisabilityCategory, float] = {
    DisabilityCategory.INTELLECTUAL: 0.01,
    DisabilityCategory.MENTAL: 0.04,
}
_GRADUATE_SHARE_DEFAULT = 0.09

_EDUCATION = tuple(Education)
_EDUCATION_SHARES = (0.06, 0.17, 0.36, 0.13, 0.12, 0.09, 0.06, 0.008, 0.002)
# People whose cognition is limited (default capacity ≤ 1) went to school less.
_EDUCATION_SHARES_LIMITED = (0.25, 0.40, 0.30, 0.0, 0.05, 0.0, 0.0, 0.0, 0.0)
_GRADUATE_EDUCATION_SHARES = (0.0, 0.0, 0.0, 0.0, 0.0, 0.50, 0.42, 0.07, 0.01)
# Age at graduation by tertiary level.
_GRADUATION_AGE = {
    Education.JUNIOR_COLLEGE: 21,
    Education.BACHELOR: 22,
    Education.MASTER: 25,
    Education.DOCTORATE: 28,
}
# Typical expected monthly pay by education (before regional adjustment).
_EXPECTED_PAY = (2000, 2200, 2600, 3000, 3100, 3800, 4800, 6500, 8000)

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔龙石谭廖邹熊金陆郝孔白向欧"
)
_MALE_CHARS = "伟强军磊洋勇杰涛明超斌波辉刚平建国志俊鹏飞浩宇轩晨博文华林海峰龙成亮东阳鑫"
_FEMALE_CHARS = "芳娜敏静丽艳娟霞燕玲婷琳雪慧莹倩颖欣怡悦萍红梅兰秀英佳琪璐丹晶洁"
_NEUTRAL_CHARS = "小子春晓思嘉雨一安宁心德永金玉清"

_SCHOOLS_NATIONAL = (
    "长春大学特殊教育学院",
    "北京联合大学特殊教育学院",
    "天津理工大学聋人工学院",
    "南京特殊教育师范学院",
    "郑州师范学院",
    "滨州医学院",
)
_SCHOOLS_BY_PROVINCE: dict[str, tuple[str, ...]] = {
    "43": (
        "湖南师范大学",
        "中南大学",
        "湖南大学",
        "长沙民政职业技术学院",
        "湖南中医药大学",
        "怀化学院",
        "湖南信息职业技术学院",
        "长沙学院",
        "湖南医药学院",
    ),
    "52": (
        "贵州大学",
        "贵州师范大学",
        "贵阳学院",
        "凯里学院",
        "贵州轻工职业技术学院",
        "贵阳护理职业学院",
    ),
    "33": ("湖州师范学院", "浙江特殊教育职业学院", "湖州职业技术学院", "浙江大学"),
    "44": ("五邑大学", "江门职业技术学院", "广东工业大学", "广州大学"),
}

# --------------------------------------------------------------------------------------------
# Places and employers
# --------------------------------------------------------------------------------------------

# Prefectures of the seed documents: (code, share of people, pay level relative to 贵阳).
_PREFECTURES: tuple[tuple[str, float, float], ...] = (
    ("430100", 0.24, 1.10),  # 长沙市 (Hunan, seed 000)
    ("431200", 0.22, 0.85),  # 怀化市, with 新晃侗族自治县 (seed 004)
    ("520100", 0.20, 1.00),  # 贵阳市 (Guizhou, seed 003)
    ("522600", 0.16, 0.82),  # 黔东南苗族侗族自治州
    ("330500", 0.09, 1.20),  # 湖州市 (seed 001)
    ("440700", 0.09, 1.15),  # 江门市 (seed 002)
)

_EMPLOYER_TYPE_SHARES: dict[EmployerType, float] = {
    EmployerType.AGENCY: 0.08,
    EmployerType.INSTITUTION: 0.12,
    EmployerType.SOE: 0.08,
    EmployerType.PRIVATE: 0.45,
    EmployerType.SOCIAL_ORG: 0.05,
    EmployerType.CONCENTRATED: 0.07,
    EmployerType.AUXILIARY: 0.05,
    EmployerType.MASSAGE: 0.08,
    EmployerType.OTHER: 0.02,
}
# Disabled share of staff for the employment forms built around disabled workers.
_DISABLED_SHARE_RANGE: dict[EmployerType, tuple[float, float]] = {
    EmployerType.CONCENTRATED: (0.25, 0.45),
    EmployerType.AUXILIARY: (0.6, 0.9),
    EmployerType.MASSAGE: (0.5, 0.9),
}
# Average annual wage range by employer type (CNY per year).
_WAGE_RANGE: dict[EmployerType, tuple[int, int]] = {
    EmployerType.AGENCY: (90_000, 130_000),
    EmployerType.INSTITUTION: (80_000, 120_000),
    EmployerType.SOE: (90_000, 160_000),
    EmployerType.PRIVATE: (50_000, 100_000),
    EmployerType.SOCIAL_ORG: (45_000, 70_000),
    EmployerType.CONCENTRATED: (45_000, 65_000),
    EmployerType.AUXILIARY: (25_000, 40_000),
    EmployerType.MASSAGE: (40_000, 70_000),
    EmployerType.OTHER: (35_000, 60_000),
}
# Probability that a job of an employer type offers each accommodation.
_BASE_ACCOMMODATION_RATES: dict[Accommodation, float] = {
    Accommodation.WHEELCHAIR_ACCESS: 0.35,
    Accommodation.ACCESSIBLE_TOILET: 0.3,
    Accommodation.SCREEN_READER: 0.15,
    Accommodation.BRAILLE: 0.03,
    Accommodation.SIGN_LANGUAGE: 0.1,
    Accommodation.CAPTIONING: 0.15,
    Accommodation.FLEXIBLE_HOURS: 0.25,
    Accommodation.JOB_COACH: 0.05,
    Accommodation.QUIET_SPACE: 0.1,
    Accommodation.ADAPTED_EQUIPMENT: 0.1,
}
_ACCOMMODATION_RATES: dict[EmployerType, dict[Accommodation, float]] = {
    EmployerType.CONCENTRATED: {
        **_BASE_ACCOMMODATION_RATES,
        Accommodation.WHEELCHAIR_ACCESS: 0.6,
        Accommodation.ACCESSIBLE_TOILET: 0.5,
        Accommodation.SIGN_LANGUAGE: 0.5,
        Accommodation.CAPTIONING: 0.3,
        Accommodation.ADAPTED_EQUIPMENT: 0.3,
        Accommodation.JOB_COACH: 0.2,
    },
    EmployerType.AUXILIARY: {
        **_BASE_ACCOMMODATION_RATES,
        Accommodation.WHEELCHAIR_ACCESS: 0.5,
        Accommodation.ACCESSIBLE_TOILET: 0.5,
        Accommodation.JOB_COACH: 0.8,
        Accommodation.QUIET_SPACE: 0.5,
        Accommodation.FLEXIBLE_HOURS: 0.6,
        Accommodation.SIGN_LANGUAGE: 0.25,
        Accommodation.ADAPTED_EQUIPMENT: 0.3,
    },
    EmployerType.MASSAGE: {
        **_BASE_ACCOMMODATION_RATES,
        Accommodation.SCREEN_READER: 0.3,
        Accommodation.BRAILLE: 0.35,
        Accommodation.FLEXIBLE_HOURS: 0.3,
    },
    EmployerType.SOCIAL_ORG: {
        **_BASE_ACCOMMODATION_RATES,
        Accommodation.SIGN_LANGUAGE: 0.3,
        Accommodation.SCREEN_READER: 0.3,
        Accommodation.JOB_COACH: 0.2,
    },
}

_FIRM_WORDS = (
    "鑫源",
    "华盛",
    "恒达",
    "瑞丰",
    "博远",
    "锦程",
    "宏图",
    "汇通",
    "天成",
    "永安",
    "诚信",
    "新航",
    "德润",
    "金桥",
    "众和",
    "同创",
    "启明",
    "星辰",
    "佳和",
    "安康",
    "润泽",
    "远景",
    "海纳",
    "友邦",
    "晨光",
    "兴业",
    "盛世",
    "长青",
    "中联",
    "蓝天",
)
_FIRM_TRADES = (
    "电子科技",
    "网络科技",
    "电子商务",
    "信息技术",
    "服装",
    "食品",
    "物流",
    "物业管理",
    "餐饮管理",
    "家政服务",
    "文化传媒",
    "智能制造",
    "商贸",
    "酒店管理",
    "印务",
    "医药连锁",
    "软件",
    "农业开发",
    "包装制品",
)
_WELFARE_TRADES = ("电子", "服装", "包装", "纸业", "工艺品", "食品")
_STREETS = ("东风", "人民", "解放", "城南", "城北", "河西", "新华", "建设", "桃源", "迎宾")
# Name templates by employer type: {p}/{c} full prefecture/county name, {ps}/{cs} short forms,
# {w} a firm word, {t} a trade, {wt} a welfare-enterprise trade, {s} a street.
_NAME_TEMPLATES: dict[EmployerType, tuple[str, ...]] = {
    EmployerType.AGENCY: (
        "{c}人力资源和社会保障局",
        "{c}民政局",
        "{c}残疾人联合会",
        "{c}林业局",
        "{c}农业农村局",
        "{c}市场监督管理局",
        "{c}政务服务中心",
        "{c}{s}街道办事处",
        "{c}城市管理局",
        "{c}交通运输局",
    ),
    EmployerType.INSTITUTION: (
        "{c}图书馆",
        "{c}人民医院",
        "{c}中医医院",
        "{c}疾病预防控制中心",
        "{c}档案馆",
        "{c}社会福利院",
        "{c}融媒体中心",
        "{c}文化馆",
        "{c}残疾人康复中心",
        "{p}福利彩票发行中心",
        "{c}环境卫生服务中心",
        "{c}园林绿化服务中心",
        "{p}特殊教育学校",
    ),
    EmployerType.SOE: (
        "国网{ps}供电公司",
        "中国邮政集团有限公司{c}分公司",
        "中国移动{c}分公司",
        "{ps}城市建设投资集团有限公司",
        "{ps}水务集团有限公司",
        "{ps}公交集团有限责任公司",
        "{cs}城投物业管理有限公司",
        "{ps}农村商业银行股份有限公司",
    ),
    EmployerType.PRIVATE: ("{ps}{w}{t}有限公司", "{cs}{w}{t}有限公司", "{ps}{w}{t}股份有限公司"),
    EmployerType.SOCIAL_ORG: (
        "{p}助残志愿者协会",
        "{c}阳光{w}社会工作服务中心",
        "{p}盲人协会",
        "{p}聋人协会",
        "{c}{w}公益服务中心",
        "{p}肢残人协会",
    ),
    EmployerType.CONCENTRATED: (
        "{ps}福利{wt}厂",
        "{cs}{w}福利{wt}有限公司",
        "{cs}{w}残疾人就业基地",
    ),
    EmployerType.AUXILIARY: (
        "{c}阳光家园",
        "{c}{w}辅助性就业中心",
        "{c}{w}庇护工场",
        "{ps}{w}残疾人辅助性就业基地",
    ),
    EmployerType.MASSAGE: (
        "{cs}{w}盲人按摩店",
        "{ps}{w}盲人按摩中心",
        "{cs}{w}推拿保健馆",
        "{ps}{w}盲人医疗按摩所",
    ),
    EmployerType.OTHER: (
        "{cs}{w}农民专业合作社",
        "{cs}{w}家庭农场",
        "{cs}{w}便利店",
        "{cs}{w}工作室",
    ),
}
_ETHNIC_AUTONOMY = re.compile(r"(?:(?:苗|侗|土家|布依|彝|瑶|仡佬|水|回|满|壮)族)+自治[州县]$")

# --------------------------------------------------------------------------------------------
# The referral process and the hidden utility
# --------------------------------------------------------------------------------------------

_HISTORY_DAYS = 540  # referrals and postings span about 18 months
_POSTING_DAYS = 560
_REGISTRATION_DAYS = 900
_REFERRAL_OVERSAMPLING = 1.3
_COUNSELOR_MISTAKE_RATE = 0.04  # referrals made without checking the hard requirements
_COUNSELOR_NOISE = 0.8  # Gumbel scale of the counselor's judgement
_PUBLIC_WELFARE_FIRST = 3  # consecutive failed market referrals (DOMAIN.md rule 6)
_UTILITY_CENTRE = 2.2  # U0: centres the hidden utility of typical referrals near 0
_INFEASIBLE_PENALTY = 2.5
_UTILITY_NOISE = 0.6
_PENDING_DAYS = 30
_FAILED = frozenset({Outcome.REJECTED, Outcome.DECLINED, Outcome.NO_SHOW, Outcome.LEFT_EARLY})
_WELFARE_PRIORITY_GROUPS = frozenset(
    {
        PriorityGroup.DIBAO,
        PriorityGroup.MULTI_DISABILITY_HOUSEHOLD,
        PriorityGroup.ELDERLY_SUPPORTING_DISABLED,
        PriorityGroup.POVERTY_MONITORING,
    }
)
_SUCCEEDED = frozenset({Outcome.HIRED, Outcome.INTERVIEWED})
# Outcome logits (slope on u, intercept) and days from referral to the recorded outcome.
_OUTCOME_LOGITS: tuple[tuple[Outcome, float, float], ...] = (
    (Outcome.HIRED, 1.5, -0.8),
    (Outcome.INTERVIEWED, 0.5, -0.4),
    (Outcome.REJECTED, -1.0, 0.4),
    (Outcome.DECLINED, -0.5, -0.6),
    (Outcome.NO_SHOW, -0.7, -1.1),
)
_OUTCOME_LAG: dict[Outcome, tuple[int, int]] = {
    Outcome.HIRED: (7, 40),
    Outcome.INTERVIEWED: (3, 20),
    Outcome.REJECTED: (5, 30),
    Outcome.DECLINED: (1, 14),
    Outcome.NO_SHOW: (1, 10),
    Outcome.LEFT_EARLY: (30, 150),
}

_DIMENSIONS = tuple(Dimension)
_ACCOMMODATIONS = tuple(Accommodation)
_CATEGORIES = tuple(DisabilityCategory)
_WORK_MODES = tuple(WorkMode)
_CHUNK = 64  # people per block when scoring a prefecture's jobs (small blocks stay in cache)


@dataclass(frozen=True, slots=True)
class WorldSummary:
    """What :func:`generate_world` wrote."""

    directory: Path
    employers: int
    jobs: int
    candidates: int
    referrals: int
    outcomes: dict[str, int]  # referral outcome → count

    def __str__(self) -> str:
        return (
            f"{self.employers} employers, {self.jobs} jobs, {self.candidates} candidates, "
            f"{self.referrals} referrals ({self.outcomes.get('hired', 0)} hired)"
        )


_T = TypeVar("_T")


class _Draws:
    """Scalar random numbers served from blocks drawn by the world's numpy Generator.

    Building a world makes millions of scalar draws in Python loops, and one Generator call
    costs microseconds; serving them from pre-drawn blocks keeps one seeded, deterministic
    stream at a fraction of the cost.
    """

    def __init__(self, rng: np.random.Generator, block: int = 1 << 16) -> None:
        self._rng = rng
        self._block = block
        self._uniform: list[float] = []
        self._next_uniform = 0
        self._normal: list[float] = []
        self._next_normal = 0

    def random(self) -> float:
        """Uniform on [0, 1)."""
        if self._next_uniform == len(self._uniform):
            self._uniform, self._next_uniform = self._rng.random(self._block).tolist(), 0
        self._next_uniform += 1
        return self._uniform[self._next_uniform - 1]

    def normal(self) -> float:
        """Standard normal."""
        if self._next_normal == len(self._normal):
            self._normal, self._next_normal = self._rng.normal(size=self._block).tolist(), 0
        self._next_normal += 1
        return self._normal[self._next_normal - 1]

    def below(self, n: int) -> int:
        """Uniform integer in [0, n)."""
        return min(int(self.random() * n), n - 1)

    def between(self, low: int, high: int) -> int:
        """Uniform integer in [low, high)."""
        return low + self.below(high - low)

    def uniform(self, low: float, high: float) -> float:
        """Uniform on [low, high)."""
        return low + (high - low) * self.random()

    def pick(self, items: Sequence[_T]) -> _T:
        """A uniformly chosen item."""
        return items[self.below(len(items))]

    def weighted(self, cumulative: Sequence[float]) -> int:
        """An index drawn by weight, given the cumulative weights."""
        index = bisect.bisect_right(cumulative, self.random() * cumulative[-1])
        return min(index, len(cumulative) - 1)

    def sample(self, items: Sequence[_T], k: int) -> list[_T]:
        """``k`` distinct items (at most all of them), in random order."""
        pool = list(items)
        for i in range(min(k, len(pool))):
            j = i + self.below(len(pool) - i)
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]


def _cumulative(weights: Iterable[float]) -> list[float]:
    return np.cumsum(list(weights)).tolist()


def generate_world(
    out_dir: Path,
    *,
    seed: int,
    candidates: int,
    jobs: int,
    employers: int | None = None,
    referrals: int | None = None,
    today: dt.date | None = None,
) -> WorldSummary:
    """Write a synthetic world (the four interchange files) into ``out_dir`` and summarise it.

    ``employers`` defaults to a third of ``jobs`` (at least 9, one of each type);
    ``referrals`` to 2.5 × ``candidates`` (fewer are written only when too few jobs are open
    to the people, e.g. a world with very few jobs). ``today`` (default: the real date, which it
    may not exceed, because records may not lie in the future) anchors every date, so a fixed
    ``seed`` and ``today`` give byte-identical files.
    """
    if candidates < 0 or jobs < 0 or (employers is not None and employers < 0):
        raise ValueError("counts must not be negative")
    today = today or dt.date.today()
    if today > dt.date.today():
        raise ValueError(f"today ({today}) is in the future; records may not be")
    n_employers = employers if employers is not None else max(9, round(jobs / 3))
    if jobs and not n_employers:
        raise ValueError("jobs need at least one employer")
    n_referrals = referrals if referrals is not None else round(2.5 * candidates)

    rng = np.random.default_rng(seed)
    draws = _Draws(rng)
    geography = _Geography.build(RegionHierarchy.load())
    occupations = _profile_occupations(OccupationVocabulary.load())
    employer_list, employer_info = _make_employers(rng, draws, geography, n_employers)
    job_list, job_attractiveness = _make_jobs(
        rng, draws, geography, occupations, employer_list, employer_info, jobs, today
    )
    people, employability = _make_candidates(
        rng, draws, geography, occupations, employer_info, candidates, today
    )
    referral_list = _make_referrals(
        rng, draws, people, job_list, employability, job_attractiveness, n_referrals, today
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    for name, records in (
        ("employers", employer_list),
        ("jobs", job_list),
        ("candidates", people),
        ("referrals", referral_list),
    ):
        _write_jsonl(out_dir / f"{name}.jsonl", records)
    # Drawn from no random numbers: the four files above stay what they were for each seed.
    _write_jsonl(out_dir / "wage_standards.jsonl", _wage_standards(today))
    outcomes = {o.value: 0 for o in Outcome}
    for referral in referral_list:
        outcomes[referral.outcome.value] += 1
    return WorldSummary(
        out_dir, len(employer_list), len(job_list), len(people), len(referral_list), outcomes
    )


# Illustrative local standards (synthetic, not published figures): a province's average
# social wage per year in 2023, growing 5% a year, and each prefecture's minimum monthly wage
# from its pay level.
_SOCIAL_WAGE_2023 = {"43": 78000, "52": 76000, "33": 95000, "44": 98000}
_MIN_WAGE_AT_PAY_LEVEL_1 = 1800


def _wage_standards(today: dt.date) -> list[WageStandard]:
    """wage_standards.jsonl of the demo world: the last three years and this one, a social
    wage per province (it applies to every county) and a minimum wage per prefecture."""
    standards = []
    for year in range(today.year - 3, today.year + 1):
        growth = 1.05 ** (year - 2023)
        for province, wage in sorted(_SOCIAL_WAGE_2023.items()):
            standards.append(
                WageStandard(
                    region_code=f"{province}0000",
                    year=year,
                    avg_social_wage=float(round(wage * growth, -2)),
                )
            )
        for code, _, pay in sorted(_PREFECTURES):
            standards.append(
                WageStandard(
                    region_code=code,
                    year=year,
                    min_monthly_wage=float(round(_MIN_WAGE_AT_PAY_LEVEL_1 * pay * growth, -1)),
                )
            )
    return sorted(standards, key=lambda s: s.id)


def _profile_occupations(vocabulary: OccupationVocabulary) -> dict[str, Occupation]:
    """The 2022 occupation of every profile, by code."""
    found = {p.code: vocabulary.get(p.code) for p in _PROFILES}
    missing = sorted(code for code, occupation in found.items() if occupation is None)
    if missing:
        raise LookupError(f"occupations {missing} are not in the 2022 classification")
    return {code: occupation for code, occupation in found.items() if occupation is not None}


def _write_jsonl(path: Path, records: Iterable[Record]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record.to_interchange(), ensure_ascii=False))
            handle.write("\n")


# --------------------------------------------------------------------------------------------
# Geography
# --------------------------------------------------------------------------------------------


def _short_name(name: str) -> str:
    """ "新晃侗族自治县" → "新晃", "长沙市" → "长沙"; names that would become one character stay."""
    short = _ETHNIC_AUTONOMY.sub("", name)
    if short == name and name[-1] in "市区县州":
        short = name[:-1]
    return short if len(short) >= 2 else name


@dataclass(frozen=True, slots=True)
class _Geography:
    """The counties of the chosen prefectures, with the weights that place employers and people."""

    counties: tuple[Region, ...]
    prefecture: np.ndarray  # county → index into _PREFECTURES
    prefecture_names: tuple[str, ...]
    district: np.ndarray  # urban district (市辖区) or not
    employer_weight: np.ndarray  # employers concentrate in urban districts
    people_weight: np.ndarray  # people are spread more evenly

    @classmethod
    def build(cls, hierarchy: RegionHierarchy) -> _Geography:
        counties: list[Region] = []
        prefecture: list[int] = []
        names: list[str] = []
        people: list[float] = []
        for index, (code, share, _) in enumerate(_PREFECTURES):
            found = hierarchy.counties(code[:4])
            region = hierarchy.get(code)
            if not found or region is None:
                raise LookupError(f"prefecture {code} has no counties in the region list")
            names.append(region.name)
            counties.extend(found)
            prefecture.extend([index] * len(found))
            people.extend([share / len(found)] * len(found))
        district = np.array([c.name.endswith("区") for c in counties])
        pref = np.array(prefecture)
        shares = np.array([share for _, share, _ in _PREFECTURES])
        # Within a prefecture, an urban district hosts three times the employers of a county.
        raw = np.where(district, 3.0, 1.0)
        employer = raw * shares[pref] / np.bincount(pref, weights=raw)[pref]
        return cls(
            tuple(counties),
            pref,
            tuple(names),
            district,
            employer / employer.sum(),
            np.array(people) / sum(people),
        )


@dataclass(frozen=True, slots=True)
class _EmployerInfo:
    """What job and candidate generation need to know about the employers, by position."""

    county: np.ndarray
    type: tuple[EmployerType, ...]
    staff: np.ndarray
    attractiveness: np.ndarray


def _fill(template: str, draws: _Draws, county: str, prefecture: str) -> str:
    return template.format(
        c=county,
        p=prefecture,
        cs=_short_name(county),
        ps=_short_name(prefecture),
        w=draws.pick(_FIRM_WORDS),
        t=draws.pick(_FIRM_TRADES),
        wt=draws.pick(_WELFARE_TRADES),
        s=draws.pick(_STREETS),
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


def _disabled_staff(rng: np.random.Generator, kind: EmployerType, staff: int) -> int:
    """Head count of disabled staff: around the 1.5 % quota for ordinary employers."""
    if kind in _DISABLED_SHARE_RANGE:
        low, high = _DISABLED_SHARE_RANGE[kind]
        return min(staff, max(1, round(staff * rng.uniform(low, high))))
    if rng.random() < 0.15:
        return 0
    ratio = rng.lognormal(math.log(0.016), 0.6)
    return min(staff, int(rng.binomial(staff, min(ratio, 0.5))))


def _make_employers(
    rng: np.random.Generator, draws: _Draws, geography: _Geography, count: int
) -> tuple[list[Employer], _EmployerInfo]:
    types = list(_EMPLOYER_TYPE_SHARES)
    shares = np.array(list(_EMPLOYER_TYPE_SHARES.values()))
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
        templates = _NAME_TEMPLATES[kind]
        for _ in range(20):
            name = _fill(draws.pick(templates), draws, county.name, prefecture)
            if name not in used_names:
                break
        else:
            name = f"{name}第{i + 1}分部"
        used_names.add(name)
        staff = _staff_count(rng, kind)
        disabled = _disabled_staff(rng, kind, staff)
        low, high = _WAGE_RANGE[kind]
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
    return records, _EmployerInfo(counties, tuple(kinds), staff_counts, employer_effect)


# --------------------------------------------------------------------------------------------
# Jobs
# --------------------------------------------------------------------------------------------


def _render_skill(draws: _Draws, canonical: str, canonical_share: float) -> str:
    """One surface form of a skill: the canonical name with the given share, else a synonym."""
    forms = SKILL_FORMS[canonical]
    if len(forms) == 1 or draws.random() < canonical_share:
        return forms[0]
    return forms[1 + draws.below(len(forms) - 1)]


def _job_accommodations(
    draws: _Draws, kind: EmployerType, mode: WorkMode, remote: bool
) -> list[Accommodation]:
    rates = _ACCOMMODATION_RATES.get(kind, _BASE_ACCOMMODATION_RATES)
    offered = [a for a in _ACCOMMODATIONS if a in rates and draws.random() < rates[a]]
    if mode is WorkMode.SUPPORTED and Accommodation.JOB_COACH not in offered:
        offered.append(Accommodation.JOB_COACH)  # supported employment means a job coach
    if remote:
        offered.append(Accommodation.REMOTE)
    return offered


def _job_mode(draws: _Draws, profile: _Profile, kind: EmployerType, remote: bool) -> WorkMode:
    """The work mode follows the employer's form of employment first, then the profile."""
    if profile.family == "massage" or kind is EmployerType.MASSAGE:
        return WorkMode.MASSAGE
    if kind is EmployerType.CONCENTRATED:
        return WorkMode.CONCENTRATED
    if kind is EmployerType.AUXILIARY:
        return WorkMode.AUXILIARY
    public_employer = kind in (
        EmployerType.AGENCY,
        EmployerType.INSTITUTION,
        EmployerType.SOCIAL_ORG,
    )
    if profile.public_welfare and public_employer and (profile.pw_only or draws.random() < 0.7):
        return WorkMode.PUBLIC_WELFARE
    if remote:
        return WorkMode.HOME_BASED if draws.random() < 0.5 else WorkMode.QUOTA
    if profile.demands[_DIMENSIONS.index(Dimension.COGNITION)] <= 2 and draws.random() < 0.08:
        return WorkMode.SUPPORTED
    modes = [m for m in profile.modes if m is not WorkMode.HOME_BASED] or [WorkMode.QUOTA]
    return modes[0] if draws.random() < 0.75 else draws.pick(modes)


def _make_jobs(
    rng: np.random.Generator,
    draws: _Draws,
    geography: _Geography,
    occupations: dict[str, Occupation],
    employers: Sequence[Employer],
    info: _EmployerInfo,
    count: int,
    today: dt.date,
) -> tuple[list[Job], np.ndarray]:
    if not count:
        return [], np.zeros(0)
    # Every employer posts at least once (while jobs last); larger ones post more.
    weight = np.sqrt(info.staff + 4.0)
    owners = np.concatenate(
        [
            rng.permutation(len(employers))[:count],
            rng.choice(
                len(employers), size=max(0, count - len(employers)), p=weight / weight.sum()
            ),
        ]
    )
    owners.sort()  # jobs listed employer by employer
    by_type = {
        kind: (
            [p for p in _PROFILES if kind in p.employers],
            _cumulative(p.weight for p in _PROFILES if kind in p.employers),
        )
        for kind in EmployerType
    }
    counties_of = [
        np.flatnonzero(geography.prefecture == k).tolist() for k in range(len(_PREFECTURES))
    ]
    shift_weights = _cumulative((0.15, 0.77, 0.08))
    opening_weights = _cumulative((0.6, 0.18, 0.1, 0.08, 0.04))
    today_ord = today.toordinal()
    attractiveness = info.attractiveness[owners] + rng.normal(0.0, 0.25, size=count)
    records: list[Job] = []
    for n, owner in enumerate(owners.tolist()):
        employer, kind = employers[owner], info.type[owner]
        choices, weights = by_type[kind]
        profile = choices[draws.weighted(weights)]
        occupation = occupations[profile.code]
        county_index = int(info.county[owner])
        prefecture = int(geography.prefecture[county_index])
        if draws.random() < 0.1:  # a branch elsewhere in the prefecture
            county_index = draws.pick(counties_of[prefecture])
        remote = (
            kind not in (EmployerType.MASSAGE, EmployerType.AUXILIARY, EmployerType.CONCENTRATED)
            and draws.random() < profile.remote
        )
        mode = _job_mode(draws, profile, kind, remote)
        public_welfare = mode is WorkMode.PUBLIC_WELFARE
        demands = {
            d: min(LEVEL_MAX, max(0, level + draws.weighted(shift_weights) - 1))
            for d, level in zip(_DIMENSIONS, profile.demands, strict=True)
        }
        skills = list(
            dict.fromkeys(
                [_render_skill(draws, s, 0.55) for s in profile.core if draws.random() < 0.85]
                + [_render_skill(draws, s, 0.55) for s in profile.extra if draws.random() < 0.25]
            )
        ) or [_render_skill(draws, profile.core[0], 0.55)]
        required = [c for c, p_required, _ in profile.certificates if draws.random() < p_required]
        education = profile.education
        if education is not None and draws.random() < 0.2 and education.level > 0:
            education = _EDUCATION[education.level - 1]
        if draws.random() < 0.15:
            education = None
        salary_min = salary_max = None
        if draws.random() > 0.05:
            low, high = profile.salary
            level = _PREFECTURES[prefecture][2]
            salary_min = max(1800.0, round(draws.uniform(low, (low + high) / 2) * level, -2))
            salary_max = min(
                15000.0, max(salary_min, round(salary_min * draws.uniform(1.2, 1.8), -2))
            )
        openings = (1, 2, 3, 5, 10)[draws.weighted(opening_weights)]
        if kind in (EmployerType.CONCENTRATED, EmployerType.AUXILIARY):
            openings += draws.below(5)
        posted = today_ord - draws.below(_POSTING_DAYS)
        closes = posted + draws.between(30, 366) if draws.random() < 0.4 else None
        title = f"公益性岗位（{profile.title}）" if public_welfare else profile.title
        accommodations = _job_accommodations(draws, kind, mode, remote)
        records.append(
            Job(
                id=f"J{n + 1:06d}",
                employer_id=employer.id,
                title=title,
                description=_job_description(
                    employer.name,
                    title,
                    occupation.name,
                    occupation.definition,
                    skills,
                    education,
                    openings,
                    (salary_min, salary_max),
                    accommodations,
                    public_welfare,
                ),
                occupation=occupation.name,
                skills=skills,
                certificates_required=required,
                education_min=education,
                region_code=geography.counties[county_index].code,
                work_mode=mode,
                remote_ok=remote,
                salary_min=salary_min,
                salary_max=salary_max,
                openings=openings,
                demands=demands,
                accommodations=accommodations,
                public_welfare=public_welfare,
                posted_at=dt.date.fromordinal(posted),
                closes_at=None if closes is None else dt.date.fromordinal(closes),
            )
        )
    return records, attractiveness


def _job_description(
    employer: str,
    title: str,
    occupation: str,
    definition: str,
    skills: Sequence[str],
    education: Education | None,
    openings: int,
    salary: tuple[float | None, float | None],
    accommodations: Sequence[Accommodation],
    public_welfare: bool,
) -> str:
    parts = [f"{employer}招聘{title}{openings}名。"]
    if definition:
        parts.append(f"岗位属于“{occupation}”：{definition}")
    parts.append(f"要求：{'、'.join(skills)}")
    parts.append(f"，{EDUCATION_NAMES_ZH[education]}及以上学历。" if education else "，学历不限。")
    if salary[0] is not None and salary[1] is not None:
        parts.append(f"月薪{salary[0]:.0f}–{salary[1]:.0f}元。")
    if accommodations:
        parts.append(f"可提供：{'、'.join(ACCOMMODATION_NAMES_ZH[a] for a in accommodations)}。")
    if public_welfare:
        parts.append("本岗位为公益性岗位，优先安置经市场连续三次推荐未就业的残疾人。")
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# Candidates
# --------------------------------------------------------------------------------------------


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _needs(draws: _Draws, caps: dict[Dimension, int]) -> list[Accommodation]:
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


def _make_candidates(
    rng: np.random.Generator,
    draws: _Draws,
    geography: _Geography,
    occupations: dict[str, Occupation],
    employers: _EmployerInfo,
    count: int,
    today: dt.date,
) -> tuple[list[Candidate], np.ndarray]:
    # Where people live: partly near the employers, partly spread like the population.
    density = np.bincount(employers.county, minlength=len(geography.counties)) + 0.5
    place = 0.6 * density / density.sum() + 0.4 * geography.people_weight
    counties = rng.choice(len(geography.counties), size=count, p=place / place.sum())

    shares = np.append(
        np.array([*CATEGORY_SHARES.values()]) * (1 - UNASSESSED_SHARE), UNASSESSED_SHARE
    )
    category_index = rng.choice(len(_CATEGORIES) + 1, size=count, p=shares / shares.sum())
    grades = np.zeros(count, dtype=np.int64)
    for c, kind in enumerate(_CATEGORIES):
        mask = category_index == c
        grades[mask] = 1 + rng.choice(4, size=int(mask.sum()), p=_GRADE_SHARES[kind])
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
        [_GRADUATE_SHARE.get(c, _GRADUATE_SHARE_DEFAULT) if c else 0.0 for c in categories]
    )
    graduate = rng.random(count) < graduate_share
    limited = defaults[:, _DIMENSIONS.index(Dimension.COGNITION)] <= 1
    education = np.where(
        graduate,
        rng.choice(len(_EDUCATION), size=count, p=_GRADUATE_EDUCATION_SHARES),
        np.where(
            limited,
            rng.choice(len(_EDUCATION), size=count, p=_EDUCATION_SHARES_LIMITED),
            rng.choice(len(_EDUCATION), size=count, p=_EDUCATION_SHARES),
        ),
    )
    male = rng.random(count) < 0.58
    max_age = np.where(male, 59, 54)
    age = np.where(
        graduate,
        np.array([_GRADUATION_AGE.get(_EDUCATION[e], 22) for e in education])
        + rng.integers(-1, 3, size=count),
        17 + np.floor((max_age - 18) * rng.beta(2.2, 2.6, size=count)).astype(np.int64),
    )
    # Young people cannot have finished more school than their age allows.
    education = np.where(
        age < 19, np.minimum(education, Education.VOCATIONAL_SECONDARY.level), education
    )
    education = np.where(age < 22, np.minimum(education, Education.JUNIOR_COLLEGE.level), education)

    # Background: the kind of work a person trained for, among kinds they can do.
    profile_demands = np.array([p.demands for p in _PROFILES])
    profile_education = np.array([p.education.level if p.education else 0 for p in _PROFILES])
    prior = np.array([p.weight for p in _PROFILES])
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
    surname_weight = 1 / (np.arange(len(_SURNAMES)) + 4)
    surnames = rng.choice(len(_SURNAMES), size=count, p=surname_weight / surname_weight.sum())
    pay_noise = rng.lognormal(0.0, 0.2, size=count)
    counties_of = [
        np.flatnonzero(geography.prefecture == k).tolist() for k in range(len(_PREFECTURES))
    ]
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
        profiles = [_PROFILES[background[i]]]
        if second[i] >= 0 and second[i] != background[i]:
            profiles.append(_PROFILES[second[i]])
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
            school = _school(draws, county.code)
        elif edu.level >= Education.JUNIOR_COLLEGE.level and draws.random() < 0.6:
            graduation_year = min(
                birth.year + _GRADUATION_AGE[edu] + draws.below(2), today.year - 2
            )
            school = _school(draws, county.code) if draws.random() < 0.5 else None

        skills = [] if draws.random() < 0.08 else _person_skills(draws, profiles)
        certificates = _person_certificates(draws, profiles, edu, person_caps, bool(graduate[i]))
        trainings = _person_trainings(draws, profiles, category, birth.year, today)
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
                    _EXPECTED_PAY[edu.level] * _PREFECTURES[prefecture_index][2] * pay_noise[i], -2
                )
            )
        registered_from = max(
            today_ord - (300 if graduate[i] else _REGISTRATION_DAYS),
            _years_before(birth, -16).toordinal() + 1,
        )
        registered = draws.between(registered_from, today_ord - 2)
        records.append(
            Candidate(
                id=f"C{i + 1:06d}",
                name=_person_name(draws, _SURNAMES[surnames[i]], sex),
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


def _id_number(draws: _Draws, region: str, birth: dt.date, sex: Sex, used: set[str]) -> str:
    """A GB 11643 number; the sequence's last digit is odd for men, even for women."""
    while True:
        sequence = draws.below(500) * 2 + (1 if sex is Sex.MALE else 0)
        first = f"{region}{birth:%Y%m%d}{sequence:03d}"
        number = first + id_check_character(first)
        if number not in used:
            used.add(number)
            return number


def _school(draws: _Draws, region: str) -> str:
    local = _SCHOOLS_BY_PROVINCE.get(region[:2], ())
    return draws.pick(_SCHOOLS_NATIONAL if not local or draws.random() < 0.3 else local)


def _person_name(draws: _Draws, surname: str, sex: Sex) -> str:
    """Surname + one or two given characters; the neutral ones only come first (晓明, not 明晓)."""
    chars = _MALE_CHARS if sex is Sex.MALE else _FEMALE_CHARS
    if draws.random() < 0.35:
        return surname + draws.pick(chars)
    return surname + draws.pick(chars + _NEUTRAL_CHARS) + draws.pick(chars)


def _priority_groups(
    draws: _Draws,
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


def _person_skills(draws: _Draws, profiles: Sequence[_Profile]) -> list[str]:
    """Skills from the person's background, in the everyday forms people write on forms."""
    chosen: list[str] = []
    for profile in profiles:
        chosen += [s for s in profile.core if draws.random() < 0.75]
        chosen += [s for s in profile.extra if draws.random() < 0.3]
    if not chosen:
        chosen.append(profiles[0].core[0])
    return [_render_skill(draws, s, 0.35) for s in dict.fromkeys(chosen)]


def _person_certificates(
    draws: _Draws,
    profiles: Sequence[_Profile],
    education: Education,
    caps: dict[Dimension, int],
    graduate: bool,
) -> list[str]:
    held: list[str] = []
    for profile in profiles:
        for certificate, _, p_held in profile.certificates:
            if (
                certificate == CERT_MEDICAL_MASSAGE
                and education.level < Education.VOCATIONAL_SECONDARY.level
            ):
                p_held *= 0.3  # the qualification exam expects secondary medical schooling
            if draws.random() < p_held:
                held.append(certificate)
    if education.level >= Education.SENIOR_HIGH.level and draws.random() < (
        0.5 if graduate else 0.15
    ):
        held.append(CERT_COMPUTER)
    can_drive = (
        min(caps[Dimension.VISION], caps[Dimension.MOBILITY], caps[Dimension.UPPER_LIMB]) >= 2
    )
    if can_drive and draws.random() < 0.15:
        held.append(CERT_DRIVING)
    if graduate and draws.random() < 0.4:
        held.append(CERT_PUTONGHUA)
    return list(dict.fromkeys(held))


def _person_trainings(
    draws: _Draws,
    profiles: Sequence[_Profile],
    category: DisabilityCategory | None,
    birth_year: int,
    today: dt.date,
) -> list[Training]:
    names = list(dict.fromkeys([*_TRAININGS[profiles[0].family], *_GENERAL_TRAININGS]))
    if category is DisabilityCategory.VISUAL:
        names.append("读屏软件使用培训")
    count = draws.weighted(_TRAINING_COUNT_WEIGHTS)
    first_year = max(birth_year + 16, today.year - 8)
    return [
        Training(name=name, year=draws.between(first_year, today.year + 1))
        for name in draws.sample(names, count)
    ]


def _person_work_modes(
    draws: _Draws,
    background: _Profile,
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
    background: _Profile,
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


# --------------------------------------------------------------------------------------------
# Numeric view of people and jobs, built from the records alone
# --------------------------------------------------------------------------------------------


def _encode(lists: Sequence[Iterable[str]], vocabulary: Sequence[str]) -> np.ndarray:
    """Sets of strings as bit sets: an (n, words) uint64 array; unknown strings are ignored."""
    bit = {item: 1 << k for k, item in enumerate(vocabulary)}
    words = max(1, -(-len(vocabulary) // 64))
    masks = [sum({bit[item] for item in items if item in bit}) for items in lists]
    mask64 = (1 << 64) - 1
    return np.array(
        [[(m >> (64 * w)) & mask64 for w in range(words)] for m in masks], dtype=np.uint64
    ).reshape(len(lists), words)


# The helpers below loop over the short last axis (words, dimensions) instead of reducing
# along it: numpy reductions over a tiny inner axis are many times slower.


def _overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How many members two bit sets (broadcast over leading axes) share."""
    total = np.bitwise_count(a[..., 0] & b[..., 0]).astype(np.int16)
    for w in range(1, a.shape[-1]):
        total += np.bitwise_count(a[..., w] & b[..., w])
    return total


@dataclass(frozen=True, slots=True)
class _Tables:
    """Arrays over candidates (``p_*``) and jobs (``j_*``) for vectorised scoring.

    Built only from the interchange records, so that tests can recompute the systematic part
    of the hidden utility from the files. Scores are float32 and levels int8: the pair
    matrices are large, and their arithmetic is bound by memory traffic.
    """

    closeness: np.ndarray  # region × region: matching.regions.proximity / 3
    p_region: np.ndarray
    p_caps: np.ndarray
    p_skills: np.ndarray
    p_forms: np.ndarray
    p_certs: np.ndarray
    p_needs: np.ndarray
    p_limited: np.ndarray  # accommodations that would help the person (a weak dimension)
    p_education: np.ndarray  # level, -1 if unknown
    p_salary: np.ndarray  # NaN if unknown
    p_modes: np.ndarray
    j_region: np.ndarray
    j_demands: np.ndarray  # effective demands, after the accommodations offered
    j_skills: np.ndarray
    j_forms: np.ndarray
    j_skill_weight: np.ndarray  # 1 / number of (canonical) skills, 0 if none
    j_form_weight: np.ndarray  # 1 / number of surface forms, 0 if none
    j_certs: np.ndarray
    j_accommodations: np.ndarray
    j_education: np.ndarray  # minimum level, -1 if none
    j_salary: np.ndarray  # salary_max, NaN if unknown
    j_mode: np.ndarray
    j_remote: np.ndarray
    j_public_welfare: np.ndarray
    j_posted: np.ndarray
    j_closes: np.ndarray

    @classmethod
    def build(cls, people: Sequence[Candidate], jobs: Sequence[Job]) -> _Tables:
        codes = sorted({p.region_code for p in people} | {j.region_code for j in jobs})
        region = {code: k for k, code in enumerate(codes)}
        certificates = sorted(
            {c for p in people for c in p.certificates}
            | {c for j in jobs for c in j.certificates_required}
        )
        accommodation_names = [a.value for a in _ACCOMMODATIONS]
        defaults: dict[tuple[DisabilityCategory | None, int | None], list[int]] = {}
        rows = []
        for p in people:
            key = (p.disability_category, p.disability_grade)
            if p.capacities:
                levels = person_capacities(*key, p.capacities)
                rows.append([levels[d] for d in _DIMENSIONS])
            else:  # most people share a few (category, grade) defaults
                if key not in defaults:
                    levels = person_capacities(*key)
                    defaults[key] = [levels[d] for d in _DIMENSIONS]
                rows.append(defaults[key])
        caps = np.array(rows, dtype=np.int8).reshape(len(people), len(_DIMENSIONS))
        # Accommodations that would help: those covering a dimension where capacity is below 3.
        limited = np.zeros((len(people), 1), dtype=np.uint64)
        for a, dims in ACCOMMODATION_COVERS.items():
            weak = (caps[:, [_DIMENSIONS.index(d) for d in dims]] < LEVEL_MAX).any(axis=1)
            limited[weak, 0] |= np.uint64(1 << _ACCOMMODATIONS.index(a))
        effective = [effective_demands(j.demands, j.accommodations) for j in jobs]
        demands = np.array(
            [[levels[d] for d in _DIMENSIONS] for levels in effective], dtype=np.int8
        ).reshape(len(jobs), len(_DIMENSIONS))
        far_future = dt.date.max.toordinal()
        return cls(
            closeness=np.array(
                [[proximity(a, b) / 3 for b in codes] for a in codes], dtype=np.float32
            ).reshape(len(codes), len(codes)),
            p_region=np.array([region[p.region_code] for p in people], dtype=np.int64),
            p_caps=caps,
            p_skills=_encode(
                [[canonical_skill(s) for s in p.skills] for p in people], _CANONICAL_SKILLS
            ),
            p_forms=_encode([p.skills for p in people], _SURFACE_FORMS),
            p_certs=_encode([p.certificates for p in people], certificates),
            p_needs=_encode([[a.value for a in p.needs] for p in people], accommodation_names),
            p_limited=limited,
            p_education=np.array(
                [p.education.level if p.education else -1 for p in people], dtype=np.int8
            ),
            p_salary=np.array([p.expected_salary or np.nan for p in people], dtype=np.float32),
            p_modes=_encode(
                [[m.value for m in p.work_modes] for p in people], [m.value for m in _WORK_MODES]
            ),
            j_region=np.array([region[j.region_code] for j in jobs], dtype=np.int64),
            j_demands=demands,
            j_skills=(
                job_skills := _encode(
                    [[canonical_skill(s) for s in j.skills] for j in jobs], _CANONICAL_SKILLS
                )
            ),
            j_forms=(job_forms := _encode([j.skills for j in jobs], _SURFACE_FORMS)),
            j_skill_weight=_inverse_count(job_skills),
            j_form_weight=_inverse_count(job_forms),
            j_certs=_encode([j.certificates_required for j in jobs], certificates),
            j_accommodations=_encode(
                [[a.value for a in j.accommodations] for j in jobs], accommodation_names
            ),
            j_education=np.array(
                [j.education_min.level if j.education_min else -1 for j in jobs], dtype=np.int8
            ),
            j_salary=np.array([j.salary_max or np.nan for j in jobs], dtype=np.float32),
            j_mode=_encode([[j.work_mode.value] for j in jobs], [m.value for m in _WORK_MODES]),
            j_remote=np.array([j.remote_ok for j in jobs], dtype=bool),
            j_public_welfare=np.array([j.public_welfare for j in jobs], dtype=bool),
            j_posted=np.array([j.posted_at.toordinal() for j in jobs], dtype=np.int64),
            j_closes=np.array(
                [j.closes_at.toordinal() if j.closes_at else far_future for j in jobs],
                dtype=np.int64,
            ),
        )


def _feasible(t: _Tables, p: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The hard requirements (people ``p`` × jobs ``j``, broadcast): the rule of
    :mod:`matching.rules`, vectorised."""
    return meets_hard_requirements(
        capacities=t.p_caps[p],
        certificates=t.p_certs[p],
        needs=t.p_needs[p],
        demands=t.j_demands[j],
        certificates_required=t.j_certs[j],
        accommodations=t.j_accommodations[j],
    )


def _inverse_count(bits: np.ndarray) -> np.ndarray:
    count = np.bitwise_count(bits).sum(axis=-1)
    return np.where(count > 0, 1 / np.maximum(count, 1), 0).astype(np.float32)


def _proximity(t: _Tables, p: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Proximity 0..1; a remote job is as close as it gets."""
    return np.where(t.j_remote[j], np.float32(1), t.closeness[t.p_region[p], t.j_region[j]])


def _mode_fit(t: _Tables, p: np.ndarray, j: np.ndarray) -> np.ndarray:
    """1 when the job's work mode is one the person wants, 0.5 when they named none."""
    return np.where(
        t.p_modes[p][..., 0] == 0, np.float32(0.5), _overlap(t.p_modes[p], t.j_mode[j]) > 0
    )


def _systematic_utility(t: _Tables, p: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The observable part of the hidden utility (module docstring), people ``p`` × jobs ``j``.

    ``p`` and ``j`` are index arrays that broadcast against each other: aligned pairs, or a
    column of people against a row of jobs.
    """
    weight = t.j_skill_weight[j]
    # A job listing no skills counts as half a match.
    skill = np.where(weight > 0, _overlap(t.p_skills[p], t.j_skills[j]) * weight, np.float32(0.5))
    expected, pay = t.p_salary[p], t.j_salary[j]
    with np.errstate(divide="ignore", invalid="ignore"):  # unknown pay is NaN, masked below
        ratio = (pay - expected) / expected
    salary = np.where((expected > 0) & np.isfinite(pay), np.clip(ratio, -0.6, 0.4), np.float32(0))
    job_level, level = t.j_education[j], t.p_education[p]
    education = np.where(
        (job_level >= 0) & (level >= 0),
        np.maximum(job_level - level, 0) * np.float32(-0.4),
        np.float32(0),
    )
    support = np.minimum(_overlap(t.j_accommodations[j], t.p_limited[p]), 2) * np.float32(0.5)
    caps, demands = t.p_caps[p], t.j_demands[j]
    spare = sum(
        np.minimum(np.maximum(caps[..., d] - demands[..., d], 0), 2)
        for d in range(len(_DIMENSIONS))
    )
    margin = spare * np.float32(1 / (2 * len(_DIMENSIONS)))
    return (
        1.8 * skill
        + 0.9 * _proximity(t, p, j)
        + salary
        + education
        + 0.5 * _mode_fit(t, p, j)
        + 0.4 * support
        + 0.6 * margin
    )


def _counselor_view(t: _Tables, p: np.ndarray, j: np.ndarray, systematic: np.ndarray) -> np.ndarray:
    """What a counselor sees: distance, literal skill overlap, preferences, a sense of fit."""
    literal = _overlap(t.p_forms[p], t.j_forms[j]) * t.j_form_weight[j]
    return 1.2 * _proximity(t, p, j) + 1.5 * literal + 0.6 * _mode_fit(t, p, j) + 0.5 * systematic


# --------------------------------------------------------------------------------------------
# Referrals
# --------------------------------------------------------------------------------------------


def _draw_outcome(draws: _Draws, u: float, age_days: int) -> tuple[Outcome, int | None]:
    """An outcome for a referral ``age_days`` old with hidden utility ``u``, and its lag."""
    if age_days < _PENDING_DAYS and draws.random() < 0.8 * (1 - age_days / _PENDING_DAYS):
        return Outcome.PENDING, None
    weights = [math.exp(slope * u + intercept) for _, slope, intercept in _OUTCOME_LOGITS]
    draw = draws.random() * sum(weights)
    outcome = _OUTCOME_LOGITS[-1][0]
    for (kind, _, _), weight in zip(_OUTCOME_LOGITS, weights, strict=True):
        draw -= weight
        if draw < 0:
            outcome = kind
            break
    if (
        outcome is Outcome.HIRED
        and age_days >= _OUTCOME_LAG[Outcome.LEFT_EARLY][0]
        and draws.random() < 1 / (1 + math.exp(1.5 + 1.2 * u))
    ):
        outcome = Outcome.LEFT_EARLY
    low, high = _OUTCOME_LAG[outcome]
    return outcome, min(draws.between(low, high + 1), age_days)


@dataclass(frozen=True, slots=True)
class _Pool:
    """The jobs a prefecture's counselors refer to: its own and remote ones anywhere."""

    jobs: np.ndarray  # indices into the job list
    posted: np.ndarray
    closes: np.ndarray
    public_welfare: np.ndarray


@dataclass(frozen=True, slots=True)
class _Prospects:
    """One person against every job of the pool."""

    feasible: np.ndarray
    appeal: np.ndarray  # exp(counselor's view / noise): odds of being the one suggested
    systematic: np.ndarray  # systematic part of the hidden utility
    latent: np.ndarray  # employability + attractiveness


def _make_referrals(
    rng: np.random.Generator,
    draws: _Draws,
    people: Sequence[Candidate],
    jobs: Sequence[Job],
    employability: np.ndarray,
    attractiveness: np.ndarray,
    target: int,
    today: dt.date,
) -> list[Referral]:
    if not people or not jobs or target <= 0:
        return []
    t = _Tables.build(people, jobs)
    today_ord = today.toordinal()
    hard = np.array([PriorityGroup.HARD_TO_EMPLOY in p.priority_groups for p in people])
    # Referrals per person: uneven, more for hard-to-employ people, who also fail more. Some
    # are never made (the person is in work, or nothing suitable is open), so more are planned
    # and the surplus is thinned out at random at the end.
    activity = rng.gamma(1.5, size=len(people)) * np.where(hard, 1.6, 1.0)
    counts = rng.multinomial(round(target * _REFERRAL_OVERSAMPLING), activity / activity.sum())
    registered = np.array([p.registered_at.toordinal() for p in people])
    start = np.maximum(registered + 1, today_ord - _HISTORY_DAYS)

    person_prefecture = np.array([prefecture_code(p.region_code) for p in people])
    job_prefecture = np.array([prefecture_code(j.region_code) for j in jobs])
    made: list[tuple[int, int, int, Outcome, int | None]] = []
    for prefecture in sorted(set(person_prefecture.tolist())):
        persons = np.flatnonzero((person_prefecture == prefecture) & (counts > 0))
        indices = np.flatnonzero((job_prefecture == prefecture) | t.j_remote)
        if not persons.size or not indices.size:
            continue
        pool = _Pool(indices, t.j_posted[indices], t.j_closes[indices], t.j_public_welfare[indices])
        for block in range(0, persons.size, _CHUNK):
            chunk = persons[block : block + _CHUNK]
            p, j = chunk[:, None], indices[None, :]
            systematic = _systematic_utility(t, p, j)
            feasible = _feasible(t, p, j)
            appeal = np.exp(_counselor_view(t, p, j, systematic) / _COUNSELOR_NOISE)
            for row, person in enumerate(chunk.tolist()):
                prospects = _Prospects(
                    feasible[row],
                    appeal[row],
                    systematic[row],
                    employability[person] + attractiveness[indices],
                )
                made += _refer_person(
                    draws,
                    people[person],
                    person,
                    jobs,
                    pool,
                    prospects,
                    int(counts[person]),
                    int(start[person]),
                    today_ord,
                )
    return referral_records(made, people, jobs, target, rng)


def _counselor_choice(
    draws: _Draws,
    day: int,
    among: np.ndarray,
    pool: _Pool,
    prospects: _Prospects,
    referred: np.ndarray,
    welfare_boost: float,
) -> int | None:
    """The pool position (of those in ``among``) a counselor refers the person to on ``day``.

    The counselor's view plus Gumbel noise, maximised: that is, a draw with odds ``appeal``.
    """
    open_jobs = among[(pool.posted[among] <= day) & (pool.closes[among] >= day) & ~referred[among]]
    if not open_jobs.size:
        return None
    odds = prospects.appeal[open_jobs]
    if welfare_boost:
        odds = odds * np.where(
            pool.public_welfare[open_jobs], math.exp(welfare_boost / _COUNSELOR_NOISE), 1.0
        )
    cumulative = np.cumsum(odds)
    k = int(np.searchsorted(cumulative, draws.random() * cumulative[-1], side="right"))
    return int(open_jobs[min(k, open_jobs.size - 1)])


def _refer_person(
    draws: _Draws,
    person: Candidate,
    person_index: int,
    jobs: Sequence[Job],
    pool: _Pool,
    prospects: _Prospects,
    count: int,
    start: int,
    today_ord: int,
) -> list[tuple[int, int, int, Outcome, int | None]]:
    """One person's referral history, in date order: (day, person, job, outcome, lag)."""
    span = today_ord - start + 1
    # Services grew over the period: later dates are more likely.
    days = sorted(start + min(int(span * draws.random() ** 0.85), span - 1) for _ in range(count))
    capacities = person_capacities(
        person.disability_category, person.disability_grade, person.capacities
    )
    # DOMAIN.md rule 6: public-welfare posts go first to people with three failed market
    # referrals in a row, then to 低保, multi-disability, elderly-supporting and monitored ones.
    priority = bool(_WELFARE_PRIORITY_GROUPS & set(person.priority_groups))
    # Counselors choose among the feasible jobs, now and then skipping that check.
    anything = np.arange(pool.jobs.size)
    feasible = anything[prospects.feasible]
    referred = np.zeros(pool.jobs.size, dtype=bool)
    failures, busy_until, retries, position = 0, 0, count, 0
    history: list[tuple[int, int, int, Outcome, int | None]] = []
    while position < len(days):
        day = days[position]
        position += 1
        boost = 2.0 if failures >= _PUBLIC_WELFARE_FIRST else 0.7 if priority else 0.0
        k = None
        if day >= busy_until:
            among = anything if draws.random() < _COUNSELOR_MISTAKE_RATE else feasible
            k = _counselor_choice(draws, day, among, pool, prospects, referred, boost)
        if k is None:
            # In work after a hire, or nothing suitable open: try again on a later day.
            later = max(day + 1, busy_until)
            if retries and later <= today_ord:
                retries -= 1
                bisect.insort(days, draws.between(later, today_ord + 1), lo=position)
            continue
        referred[k] = True
        job = jobs[pool.jobs[k]]
        can_do = check_feasibility(
            capacities=capacities,
            certificates=person.certificates,
            needs=person.needs,
            demands=job.demands,
            certificates_required=job.certificates_required,
            accommodations=job.accommodations,
        ).feasible
        u = (
            prospects.systematic[k]
            + prospects.latent[k]
            + _UTILITY_NOISE * draws.normal()
            - _UTILITY_CENTRE
            - (0.0 if can_do else _INFEASIBLE_PENALTY)
        )
        outcome, lag = _draw_outcome(draws, float(u), today_ord - day)
        history.append((day, person_index, int(pool.jobs[k]), outcome, lag))
        if not job.public_welfare:
            if outcome in _FAILED:
                failures += 1
            elif outcome in _SUCCEEDED:
                failures = 0
        if outcome is Outcome.HIRED:
            busy_until = day + draws.between(90, 300)
    return history


def referral_records(
    made: list[tuple[int, int, int, Outcome, int | None]],
    people: Sequence[Candidate],
    jobs: Sequence[Job],
    target: int,
    rng: np.random.Generator,
) -> list[Referral]:
    """Referral records from ``(day, person, job, outcome, lag)`` draws: in date order, a
    seeded sample of ``target`` where more were drawn, numbered ``R000001``… (both worlds)."""
    made = sorted(made, key=lambda r: (r[0], r[1], r[2]))
    if len(made) > target:
        kept = np.sort(rng.choice(len(made), size=target, replace=False))
        made = [made[k] for k in kept.tolist()]
    return [
        Referral(
            id=f"R{n + 1:06d}",
            candidate_id=people[person].id,
            job_id=jobs[job].id,
            referred_at=dt.date.fromordinal(day),
            outcome=outcome,
            outcome_at=None if lag is None else dt.date.fromordinal(day + lag),
        )
        for n, (day, person, job, outcome, lag) in enumerate(made)
    ]
