"""Keeping personal data out of places that are not sealed: free text that is embedded, the
audit log, and what employers see.

Counselors type free text, and people mention identifiers and the disability in it. What is
stored for a person is sealed (``matching.store.vault``); text that leaves the vault (the
embedding text, audit purposes, employer-visible trainings) goes through :func:`scrub`, which
removes the person's own identifiers, any ID-, certificate- or phone-like number and any
mention of a disability category or grade.
"""

from __future__ import annotations

import re

from matching.vocabulary import (
    ACCOMMODATION_NAMES_ZH,
    CATEGORY_NAMES_ZH,
    DIMENSION_NAMES_ZH,
    Accommodation,
)

# Personal identifiers a counselor may have typed into free text: ID and certificate numbers,
# mobile and landline numbers, and any other run of 7 or more digits (years have 4).
_NUMBERS = re.compile(
    r"\d{17}[\dXx](?:\d{2})?"
    r"|(?<!\d)(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)"
    r"|(?<!\d)0\d{2,3}[ -]?\d{7,8}(?!\d)"
    r"|\d{7,}"
)
_PUNCTUATION_RUN = re.compile(r"(?:\s*[，,、；;：:]\s*){2,}")
_GRADE = "[一二三四1-4１-４]级"
_CATEGORY = "|".join(name.removesuffix("残疾") for name in CATEGORY_NAMES_ZH.values())
# 视力残疾, 听力残疾人, 肢体残疾二级, 视力二级, 二级残疾, 残疾等级：三级, 残疾人证号.
_DISABILITY = re.compile(
    rf"(?:{_CATEGORY})(?:残疾人?(?:{_GRADE})?|{_GRADE})"
    rf"|{_GRADE}(?:残疾人?|伤残)"
    rf"|残疾(?:等级|级别)[：:\s]*(?:为|是)?(?:{_GRADE})?"
    r"|残疾人?证号?"
)
# Words that say who a training or a place was for (盲人保健按摩培训 → 保健按摩培训).
_PERSON_WORDS = re.compile(r"盲人|聋人|聋哑人?|哑人|肢残人?|残疾人?|残障人?士?|视障|听障")
# Assistive technology a person learns to use because of their disability: a training in it
# says which disability the person has (读屏软件使用培训 → visual).
_ASSISTIVE = re.compile(r"读屏|盲文|手语|助听|人工耳蜗|盲杖|导盲|轮椅|唇读|触屏阅读")
# Needing one of these says which disability a person has (a wheelchair: physical, a screen
# reader: visual, a sign language interpreter: hearing, a job coach: intellectual, a quiet space:
# psychosocial); flexible hours and remote work are asked for by anyone.
REVEALING_ACCOMMODATIONS: frozenset[Accommodation] = frozenset(Accommodation) - {
    Accommodation.FLEXIBLE_HOURS,
    Accommodation.REMOTE,
}
# Any word from which a disability can be read: category names and their stems, the functional
# dimensions (a capacity named is a capacity that may be missing), revealing accommodations,
# words for disabled people and assistive technology.
_REVEALING = re.compile(
    "|".join(
        [re.escape(name.removesuffix("残疾")) for name in CATEGORY_NAMES_ZH.values()]
        + [re.escape(part) for name in DIMENSION_NAMES_ZH.values() for part in name.split("/")]
        + [re.escape(ACCOMMODATION_NAMES_ZH[a]) for a in sorted(REVEALING_ACCOMMODATIONS)]
        + ["无障碍", "残疾", "残障", _PERSON_WORDS.pattern, _ASSISTIVE.pattern]
    )
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def scrub(text: str, personal: tuple[str | None, ...] = ()) -> str:
    """``text`` without the ``personal`` values (pass the longest first: a certificate number
    begins with the ID number), identifier-like numbers or disability mentions."""
    for value in personal:
        if value:
            text = text.replace(value, "")
    text = _DISABILITY.sub("", _NUMBERS.sub("", text))
    # Removal leaves runs of separators behind ("男，，，持"): keep the last of each.
    text = _PUNCTUATION_RUN.sub(lambda match: match.group()[-1], " ".join(text.split()))
    return text.strip("，,、；;：: ")


# A clause of free text: up to and including its closing punctuation.
_CLAUSE = re.compile(r"[^，,。；;！!？?\n]*[，,。；;！!？?\n]?")


def scrub_about_person(text: str, personal: tuple[str | None, ...] = ()) -> str:
    """A person's own free text without every clause that mentions a disability, then
    :func:`scrub`: removing only the mention ("本人为肢体残疾二级" → "本人为") leaves residue
    that still changes the text, so the embedding and the ranking would depend on it."""
    kept = "".join(c for c in _CLAUSE.findall(text) if not _DISABILITY.search(c))
    return scrub(kept, personal)


def employer_visible_training(name: str) -> str | None:
    """A training's name as an employer may see it, or None when the training itself reveals
    the disability (assistive technology: screen readers, braille, sign language, …)."""
    if _ASSISTIVE.search(name):
        return None
    cleaned = _PERSON_WORDS.sub("", scrub(name)).strip()
    return cleaned or None


def reveals_disability(text: str) -> bool:
    """Whether a disability could be read from ``text`` (a reason, a skill, a training shown
    to an employer): it names a category, a functional dimension, an accommodation that only
    some disabilities need, or assistive technology. Errs on the side of hiding."""
    return _REVEALING.search(text) is not None


def single_line(text: str, max_chars: int) -> str:
    """``text`` on one line (control characters and line breaks become one space), at most
    ``max_chars`` characters: what goes into a log line cannot forge another line."""
    flat = _CONTROL.sub(" ", text).strip()
    return flat if len(flat) <= max_chars else flat[: max_chars - 1] + "…"
