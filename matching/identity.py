"""Resident ID numbers (GB 11643) and second-generation disability certificate numbers.

A certificate number is the holder's 18-character ID number followed by the category digit
and the grade digit (20 characters). A disagreement between the certificate and the declared
category or grade is a data error to report, never to guess around.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from operator import mul

from matching.vocabulary import DisabilityCategory, Sex

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
# str.isdigit alone also accepts full-width and superscript digits, which no ID number holds.
_DIGITS = "0123456789"


def id_check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number."""
    total = sum(map(mul, map(int, first17), _WEIGHTS))
    return _CHECK_CHARS[total % 11]


@dataclass(frozen=True, slots=True)
class ResidentId:
    """What an 18-character ID number says about its holder."""

    number: str
    region_code: str
    birth_date: dt.date
    sex: Sex


# Validating a candidate reads the ID number up to four times (the field, the certificate,
# their agreement); parsing is pure, so the repeats are served from a small cache.
@lru_cache(maxsize=4096)
def parse_id_number(value: str) -> ResidentId:
    """Validate an 18-character resident ID number and return what it encodes.

    Raises ``ValueError`` with a counselor-readable reason for a wrong length, a non-digit,
    an impossible birth date or a wrong check character. A lowercase ``x`` is accepted.
    """
    number = value.strip().upper()
    if len(number) != 18:
        raise ValueError(f"must be 18 characters, got {len(number)}")
    if not (number[:17].isascii() and number[:17].isdigit()):
        raise ValueError("the first 17 characters must be digits")
    if number[17] not in _DIGITS + "X":
        raise ValueError("the last character must be a digit or X")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValueError(f"birth date {number[6:14]} is not a real date") from None
    if birth > dt.date.today() or birth.year < 1900:
        raise ValueError(f"birth date {birth.isoformat()} is impossible")
    expected = id_check_character(number[:17])
    if number[17] != expected:
        raise ValueError(f"check character is {number[17]}, should be {expected}")
    sex = Sex.MALE if int(number[16]) % 2 == 1 else Sex.FEMALE
    return ResidentId(number, number[:6], birth, sex)


@dataclass(frozen=True, slots=True)
class Certificate:
    """What a 20-character disability certificate number says."""

    number: str
    id_number: str
    category: DisabilityCategory
    grade: int


def parse_cert_number(value: str) -> Certificate:
    """Disability certificate number (残疾人证号, DOMAIN.md "Job seekers"): validate a
    second-generation number (ID number + category digit + grade digit)."""
    number = value.strip().upper()
    if len(number) != 20:
        raise ValueError(f"must be 20 characters (ID number + category + grade), got {len(number)}")
    try:
        parse_id_number(number[:18])
    except ValueError as exc:
        raise ValueError(f"its first 18 characters are not a valid ID number: {exc}") from None
    category = DisabilityCategory.from_certificate_digit(number[18])
    if category is None:
        raise ValueError(f"category digit {number[18]} is not 1-7")
    if number[19] not in "1234":
        raise ValueError(f"grade digit {number[19]} is not 1-4")
    return Certificate(number, number[:18], category, int(number[19]))
