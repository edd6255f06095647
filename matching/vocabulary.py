"""The closed vocabularies of the interchange format (INTERCHANGE.md, "Vocabularies").

Each vocabulary is a ``StrEnum`` whose values are exactly the strings of the public contract,
so a value read from a file or an API request *is* a member name, and nothing translates twice.
"""

from __future__ import annotations

from enum import StrEnum


class Education(StrEnum):
    """Highest education completed, in increasing order (the order is meaningful)."""

    NONE = "none"
    PRIMARY = "primary"
    JUNIOR_HIGH = "junior_high"
    SENIOR_HIGH = "senior_high"
    VOCATIONAL_SECONDARY = "vocational_secondary"
    JUNIOR_COLLEGE = "junior_college"
    BACHELOR = "bachelor"
    MASTER = "master"
    DOCTORATE = "doctorate"

    @property
    def level(self) -> int:
        """Position in the contract's order: none = 0 … doctorate = 8."""
        return _EDUCATION_ORDER.index(self)


_EDUCATION_ORDER = list(Education)

# Tertiary education: who counts as a "college graduate" (高校毕业生).
TERTIARY = frozenset(
    {Education.JUNIOR_COLLEGE, Education.BACHELOR, Education.MASTER, Education.DOCTORATE}
)


class WorkMode(StrEnum):
    """Forms of employment (DOMAIN.md, "Forms of employment")."""

    QUOTA = "quota"
    CONCENTRATED = "concentrated"
    AUXILIARY = "auxiliary"
    PUBLIC_WELFARE = "public_welfare"
    SELF_EMPLOYED = "self_employed"
    FLEXIBLE = "flexible"
    HOME_BASED = "home_based"
    SUPPORTED = "supported"
    MASSAGE = "massage"


class DisabilityCategory(StrEnum):
    """GB/T 26341-2010 categories, with the digit each has in certificate numbers."""

    VISUAL = "visual"
    HEARING = "hearing"
    SPEECH = "speech"
    PHYSICAL = "physical"
    INTELLECTUAL = "intellectual"
    MENTAL = "mental"
    MULTIPLE = "multiple"

    @property
    def certificate_digit(self) -> str:
        """The digit in a second-generation certificate number (visual 1 … multiple 7)."""
        return str(list(DisabilityCategory).index(self) + 1)

    @classmethod
    def from_certificate_digit(cls, digit: str) -> DisabilityCategory | None:
        """The category a certificate digit stands for, or None for a digit outside 1–7."""
        if digit in "1234567" and len(digit) == 1:
            return list(cls)[int(digit) - 1]
        return None


CATEGORY_NAMES_ZH: dict[DisabilityCategory, str] = {
    DisabilityCategory.VISUAL: "视力残疾",
    DisabilityCategory.HEARING: "听力残疾",
    DisabilityCategory.SPEECH: "言语残疾",
    DisabilityCategory.PHYSICAL: "肢体残疾",
    DisabilityCategory.INTELLECTUAL: "智力残疾",
    DisabilityCategory.MENTAL: "精神残疾",
    DisabilityCategory.MULTIPLE: "多重残疾",
}


class Dimension(StrEnum):
    """Functional dimensions on which jobs state demands and people have capacities (0..3)."""

    VISION = "vision"
    HEARING = "hearing"
    SPEECH = "speech"
    MOBILITY = "mobility"
    UPPER_LIMB = "upper_limb"
    COGNITION = "cognition"
    PSYCHOSOCIAL = "psychosocial"


DIMENSION_NAMES_ZH: dict[Dimension, str] = {
    Dimension.VISION: "视力",
    Dimension.HEARING: "听力",
    Dimension.SPEECH: "言语",
    Dimension.MOBILITY: "行走/站立",
    Dimension.UPPER_LIMB: "上肢",
    Dimension.COGNITION: "认知",
    Dimension.PSYCHOSOCIAL: "心理承受",
}

LEVEL_MIN, LEVEL_MAX = 0, 3


class Accommodation(StrEnum):
    """Reasonable accommodations an employer can offer and a person can need."""

    WHEELCHAIR_ACCESS = "wheelchair_access"
    ACCESSIBLE_TOILET = "accessible_toilet"
    SCREEN_READER = "screen_reader"
    BRAILLE = "braille"
    SIGN_LANGUAGE = "sign_language"
    CAPTIONING = "captioning"
    FLEXIBLE_HOURS = "flexible_hours"
    REMOTE = "remote"
    JOB_COACH = "job_coach"
    QUIET_SPACE = "quiet_space"
    ADAPTED_EQUIPMENT = "adapted_equipment"


ACCOMMODATION_NAMES_ZH: dict[Accommodation, str] = {
    Accommodation.WHEELCHAIR_ACCESS: "无障碍通道",
    Accommodation.ACCESSIBLE_TOILET: "无障碍卫生间",
    Accommodation.SCREEN_READER: "读屏软件",
    Accommodation.BRAILLE: "盲文资料",
    Accommodation.SIGN_LANGUAGE: "手语翻译",
    Accommodation.CAPTIONING: "字幕/文字转写",
    Accommodation.FLEXIBLE_HOURS: "弹性工作时间",
    Accommodation.REMOTE: "远程办公",
    Accommodation.JOB_COACH: "就业辅导员",
    Accommodation.QUIET_SPACE: "安静工作区",
    Accommodation.ADAPTED_EQUIPMENT: "适配设备",
}

# INTERCHANGE.md "Hard requirements" rule 1: which dimensions an offered accommodation covers.
ACCOMMODATION_COVERS: dict[Accommodation, frozenset[Dimension]] = {
    Accommodation.SCREEN_READER: frozenset({Dimension.VISION}),
    Accommodation.BRAILLE: frozenset({Dimension.VISION}),
    Accommodation.SIGN_LANGUAGE: frozenset({Dimension.HEARING, Dimension.SPEECH}),
    Accommodation.CAPTIONING: frozenset({Dimension.HEARING, Dimension.SPEECH}),
    Accommodation.WHEELCHAIR_ACCESS: frozenset({Dimension.MOBILITY}),
    Accommodation.REMOTE: frozenset({Dimension.MOBILITY}),
    Accommodation.ADAPTED_EQUIPMENT: frozenset({Dimension.UPPER_LIMB}),
    Accommodation.JOB_COACH: frozenset({Dimension.COGNITION, Dimension.PSYCHOSOCIAL}),
    Accommodation.QUIET_SPACE: frozenset({Dimension.PSYCHOSOCIAL}),
    Accommodation.FLEXIBLE_HOURS: frozenset({Dimension.PSYCHOSOCIAL}),
}

# How much a covering accommodation lowers a stated demand.
ACCOMMODATION_RELIEF = 2


class PriorityGroup(StrEnum):
    """Priority groups named in the policy seeds (DOMAIN.md, "Job seekers")."""

    HARD_TO_EMPLOY = "hard_to_employ"
    GRADUATE = "graduate"
    RURAL = "rural"
    DIBAO = "dibao"
    ZERO_EMPLOYMENT_FAMILY = "zero_employment_family"
    MULTI_DISABILITY_HOUSEHOLD = "multi_disability_household"
    POVERTY_MONITORING = "poverty_monitoring"
    ELDERLY_SUPPORTING_DISABLED = "elderly_supporting_disabled"


class EmployerType(StrEnum):
    """Kinds of employer (DOMAIN.md, "Who uses the system")."""

    AGENCY = "agency"
    INSTITUTION = "institution"
    SOE = "soe"
    PRIVATE = "private"
    SOCIAL_ORG = "social_org"
    CONCENTRATED = "concentrated"
    AUXILIARY = "auxiliary"
    MASSAGE = "massage"
    OTHER = "other"


class Outcome(StrEnum):
    """What became of a referral."""

    PENDING = "pending"
    INTERVIEWED = "interviewed"
    HIRED = "hired"
    REJECTED = "rejected"
    DECLINED = "declined"
    NO_SHOW = "no_show"
    LEFT_EARLY = "left_early"


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


class Household(StrEnum):
    URBAN = "urban"
    RURAL = "rural"


WORK_MODE_NAMES_ZH: dict[WorkMode, str] = {
    WorkMode.QUOTA: "按比例就业",
    WorkMode.CONCENTRATED: "集中就业",
    WorkMode.AUXILIARY: "辅助性就业",
    WorkMode.PUBLIC_WELFARE: "公益性岗位",
    WorkMode.SELF_EMPLOYED: "自主创业",
    WorkMode.FLEXIBLE: "灵活就业",
    WorkMode.HOME_BASED: "居家就业",
    WorkMode.SUPPORTED: "支持性就业",
    WorkMode.MASSAGE: "盲人按摩",
}

EDUCATION_NAMES_ZH: dict[Education, str] = {
    Education.NONE: "无",
    Education.PRIMARY: "小学",
    Education.JUNIOR_HIGH: "初中",
    Education.SENIOR_HIGH: "高中",
    Education.VOCATIONAL_SECONDARY: "中专/职高",
    Education.JUNIOR_COLLEGE: "大专",
    Education.BACHELOR: "本科",
    Education.MASTER: "硕士",
    Education.DOCTORATE: "博士",
}

OUTCOME_NAMES_ZH: dict[Outcome, str] = {
    Outcome.PENDING: "待反馈",
    Outcome.INTERVIEWED: "已面试",
    Outcome.HIRED: "已录用",
    Outcome.REJECTED: "未录用",
    Outcome.DECLINED: "本人放弃",
    Outcome.NO_SHOW: "未到场",
    Outcome.LEFT_EARLY: "录用后提前离职",
}

PRIORITY_GROUP_NAMES_ZH: dict[PriorityGroup, str] = {
    PriorityGroup.HARD_TO_EMPLOY: "就业困难残疾人",
    PriorityGroup.GRADUATE: "高校毕业生",
    PriorityGroup.RURAL: "农村求职者",
    PriorityGroup.DIBAO: "低保家庭",
    PriorityGroup.ZERO_EMPLOYMENT_FAMILY: "零就业家庭",
    PriorityGroup.MULTI_DISABILITY_HOUSEHOLD: "一户多残",
    PriorityGroup.POVERTY_MONITORING: "防返贫监测户",
    PriorityGroup.ELDERLY_SUPPORTING_DISABLED: "依老养残",
}

EMPLOYER_TYPE_NAMES_ZH: dict[EmployerType, str] = {
    EmployerType.AGENCY: "机关",
    EmployerType.INSTITUTION: "事业单位",
    EmployerType.SOE: "国有企业",
    EmployerType.PRIVATE: "民营企业",
    EmployerType.SOCIAL_ORG: "社会组织",
    EmployerType.CONCENTRATED: "集中就业单位",
    EmployerType.AUXILIARY: "辅助性就业机构",
    EmployerType.MASSAGE: "盲人按摩机构",
    EmployerType.OTHER: "其他",
}

SEX_NAMES_ZH: dict[Sex, str] = {Sex.MALE: "男", Sex.FEMALE: "女"}
