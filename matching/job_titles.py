"""Job titles as employers type them, reduced to the words that name the occupation.

``"急聘 高级Java开发工程师（长沙）"`` names the same occupation as ``"Java开发工程师"``: the
seniority (高级), the place (长沙) and the recruiting words (急聘) say nothing about the work
and mislead both character n-grams and embeddings. :func:`normalise_title` strips them and
keeps what it stripped, by kind, so that a form or a report can show it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from matching.occupations import normalize_text
from matching.regions import RegionHierarchy

# Recruiting words, terms and conditions, who is preferred, pay, ages and head counts. A
# word that names what the work is about is not one of them: 残疾人 is stripped from 残疾人保洁员
# (a post for disabled people) but kept in 残疾人专职委员 and 残疾人之家辅导员 (work for them).
RECRUITMENT = re.compile(
    r"急招|急聘|诚聘|直招|高薪|招聘|聘请|招募|热招|(?:急!+)+|"
    r"长期|短期|临时工|临时|可?兼职|全职|日结|周结|月结|包吃住|包食宿|包吃|包住|五险一金|五险|双休|单休|"
    r"男女不限|不限学历|经验不限|无经验|可培训|带薪培训|持证上岗|多劳多得|待遇优厚|底薪\+?提成|"
    r"长白班|两班倒|"
    r"可?居家办公|在家办公|远程办公|计件工资|计件|"
    r"残疾(?:人(?!专职|专干|委员|工作|服务|事务|康复|托养|之家|就业|辅助|辅导|协会|联合会)|(?!人))"
    r"(?:专岗|岗位)?|"
    r"(?:听障|视障|聋哑|聋人|盲人|肢残|残障|退役军人|应届生?|女性|男性|女士|男士|宝妈)?"
    r"(?:人士)?优先|"
    r"(?:月薪|月入|底薪|年薪|日薪|时薪|收入)?(?:过|上|破)万|"
    r"(?:月薪|月入|底薪|年薪|日薪|时薪)\d+(?:\.\d+)?(?:[-~至]\d+(?:\.\d+)?)?"
    r"(?:k|千|万|元)?(?:/(?:月|天|日|时|小时))?\+?|"
    r"\d+(?:\.\d+)?(?:[-~至]\d+(?:\.\d+)?)?"
    r"(?:(?:k|千|万|元)(?:/(?:月|天|日|时|小时))?|/(?:月|天|日|时|小时))\+?|"
    r"\d{2}(?:[-~至]\d{2})?周?岁(?:以[下上内])?|"
    r"若干名?|\d+名|[一二两三四五六七八九十]+名|多名|数名"
)
# What a recruiting word must not be stripped to leave: a generic head alone. 招聘助理 is an
# assistant in recruiting (招聘师), 招聘专员 a recruiter; neither is a bare 助理 or 专员.
GENERIC_HEADS = frozenset(
    {"助理", "专员", "主管", "经理", "总监", "顾问", "委员", "专职委员", "专干"}
)
# Seniority and career stage: 高级Java开发工程师 is a Java开发工程师. 助理 is kept: 会计助理 is
# still accounting, but 经理助理 is a secretary, so it changes what the title names.
SENIORITY = re.compile(
    r"高级|资深|初级|中级|首席|特级|见习|实习生|实习|储备|管培生|"
    r"senior|junior|sr\.?(?=[a-z\u4e00-\u9fff])|jr\.?(?=[a-z\u4e00-\u9fff])"
)
# An employer named in front of the title: 长沙某某科技有限公司-会计.
EMPLOYER = re.compile(r"^.{2,24}?(?:股份有限公司|有限责任公司|有限公司|集团公司|集团|公司)")
_BRACKETED = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]|【([^【】]*)】|<([^<>]*)>|《([^《》]*)》")
_SEPARATORS = re.compile(r"^[\W_]+|[\W_]+$")
# Suffixes that make a region's short name (长沙市 → 长沙, 湖南省 → 湖南).
_REGION_SUFFIX = re.compile(
    r"(?:特别行政区|维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|地区|省|市|盟)$"
)
# Shortest remainder worth coding: stripping 北京 from 北京烤鸭师 is fine, from 北京 not.
_MIN_CORE = 2
# What separates roles a title names one after another: 保安/保洁, 收银员、理货员, 保洁或保安.
_ROLES = re.compile(r"[/、|丨]|或")


@dataclass(frozen=True, slots=True)
class TitleParts:
    """A title split into the words that name the occupation and those stripped from it."""

    title: str  # as typed
    core: str  # normalised (NFKC, case-folded, no whitespace) and stripped
    seniority: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    employer: str | None = None
    recruitment: tuple[str, ...] = ()
    remarks: tuple[str, ...] = ()  # other bracketed text: 保洁员（包吃住） → 包吃住

    @property
    def stripped(self) -> dict[str, list[str]]:
        """What was stripped, by kind, leaving out empty kinds (for display)."""
        kinds = {
            "seniority": list(self.seniority),
            "places": list(self.places),
            "employer": [self.employer] if self.employer else [],
            "recruitment": list(self.recruitment),
            "remarks": list(self.remarks),
        }
        return {kind: words for kind, words in kinds.items() if words}


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Province and prefecture names, full and short (湖南省, 湖南; 长沙市, 长沙), and county
    names in full (岳麓区): the place words a title may carry."""
    names: set[str] = set()
    for region in RegionHierarchy.load():
        name = normalize_text(region.name)
        names.add(name)
        if region.level != "county":
            short = _REGION_SUFFIX.sub("", name)
            if len(short) >= 2:
                names.add(short)
    return frozenset(names)


@lru_cache(maxsize=1)
def _place_pattern() -> tuple[re.Pattern[str], re.Pattern[str]]:
    alternatives = "|".join(sorted(map(re.escape, place_names()), key=len, reverse=True))
    return re.compile(f"^(?:{alternatives})"), re.compile(f"(?:{alternatives})$")


def normalise_title(title: str) -> TitleParts:
    """Split ``title`` into its occupation words (``core``) and the words stripped from it.

    Stripped: bracketed remarks (a place or a seniority inside brackets is filed as such),
    recruiting words anywhere (:data:`RECRUITMENT`), seniority words anywhere
    (:data:`SENIORITY`), an employer name in front, and place names at either end. A part is
    only stripped if at least two characters remain; when nothing would be left the
    normalised title is the core.
    """
    key = normalize_text(title)
    seniority: list[str] = []
    places: list[str] = []
    recruitment: list[str] = []
    remarks: list[str] = []
    employer: str | None = None
    places_set = place_names()

    def take_bracketed(match: re.Match[str]) -> str:
        inner = next(group for group in match.groups() if group is not None)
        inner = _SEPARATORS.sub("", inner)
        if not inner:
            return ""
        if inner in places_set:
            places.append(inner)
        elif SENIORITY.fullmatch(inner):
            seniority.append(inner)
        elif RECRUITMENT.fullmatch(inner):
            recruitment.append(inner)
        else:
            remarks.append(inner)
        return ""

    text = _BRACKETED.sub(take_bracketed, key)
    text = _strip_all(RECRUITMENT, text, recruitment, keep=GENERIC_HEADS)
    text = _strip_all(SENIORITY, text, seniority)
    match = EMPLOYER.match(text)
    if match and len(_SEPARATORS.sub("", text[match.end() :])) >= _MIN_CORE:
        employer = match.group()
        text = text[match.end() :]
    leading, trailing = _place_pattern()
    changed = True
    while changed:
        changed = False
        text = _SEPARATORS.sub("", text)
        for pattern in (leading, trailing):
            found = pattern.search(text)
            if found is None:
                continue
            rest = text[: found.start()] + text[found.end() :]
            if len(_SEPARATORS.sub("", rest)) >= _MIN_CORE:
                places.append(found.group())
                text = rest
                changed = True
    core = _SEPARATORS.sub("", text)
    if len(core) < 1:
        core = _SEPARATORS.sub("", key) or key
    return TitleParts(
        title=title,
        core=core,
        seniority=tuple(seniority),
        places=tuple(places),
        employer=employer,
        recruitment=tuple(recruitment),
        remarks=tuple(remarks),
    )


def title_roles(core: str) -> list[str]:
    """The roles a normalised title names one after another, in order (``保安/保洁`` →
    ``["保安", "保洁"]``), or ``[core]`` for one. Split at ``/``, ``、``, ``|`` and ``或`` only
    where every part keeps at least two characters, so that ``配/理/拣/发货`` stays one; a
    role named twice counts once."""
    roles = list(dict.fromkeys(_SEPARATORS.sub("", part) for part in _ROLES.split(core)))
    if len(roles) < 2 or any(len(role) < _MIN_CORE for role in roles):
        return [core]
    return roles


def _strip_all(
    pattern: re.Pattern[str], text: str, into: list[str], keep: frozenset[str] = frozenset()
) -> str:
    """``text`` without ``pattern``'s matches (recorded in ``into``), unless too little would
    remain or the rest would be one of ``keep`` (a generic head the stripped word qualified),
    in which case ``text`` is returned as it was."""
    found = [match.group() for match in pattern.finditer(text)]
    if not found:
        return text
    rest = pattern.sub("", text)
    core = _SEPARATORS.sub("", rest)
    if len(core) < _MIN_CORE or core in keep:
        return text
    into.extend(found)
    return rest
