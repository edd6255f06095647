"""The README's map of the domain rules ("Where each rule lives") cannot rot: every function it
names exists, and its docstring names the rule in English and in Chinese, so that one search
for a rule's name finds its implementation."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
#: ``module:qualified.name`` in backticks.
REFERENCE = re.compile(r"`([a-z_.]+):([A-Za-z_][\w.]*)`")


def _rows() -> list[tuple[str, str, str, str]]:
    """(DOMAIN.md place, English name, Chinese name, where) of each row of the map."""
    section = README.read_text(encoding="utf-8").split("## Where each rule lives\n")[1]
    table = section.split("\n## ")[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")][1:]
    cells = [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows]
    assert all(len(c) == 4 for c in cells), "each row: place | rule | 规则 | where"
    return [(c[0], c[1], c[2], c[3]) for c in cells]


def _resolve(module: str, qualified: str) -> object:
    found: object = importlib.import_module(module)
    for name in qualified.split("."):
        found = getattr(found, name)
    return found


def test_the_map_covers_every_numbered_rule_of_the_domain_brief() -> None:
    numbered = {place for place, *_ in _rows() if place.isdigit()}
    assert numbered == {str(n) for n in range(1, 11)}


@pytest.mark.parametrize(("place", "rule", "chinese", "where"), _rows())
def test_each_named_function_exists_and_names_its_rule(
    place: str, rule: str, chinese: str, where: str
) -> None:
    references = REFERENCE.findall(where)
    if not references:
        # A rule outside the system says so instead of naming a function.
        assert where.startswith("— ("), f"rule {place} {rule}: no function and no reason"
        return
    for module, qualified in references:
        doc = inspect.getdoc(_resolve(module, qualified)) or ""
        assert rule.casefold() in doc.casefold(), f"{module}:{qualified} does not name {rule}"
        assert chinese in doc, f"{module}:{qualified} does not name {chinese}"
