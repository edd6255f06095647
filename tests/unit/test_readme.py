"""The README's tables are the code's: the default capacities documented are the ones used."""

from __future__ import annotations

import re
from pathlib import Path

from matching.rules import DEFAULT_CAPACITIES, default_capacities
from matching.vocabulary import Dimension, DisabilityCategory

README = Path(__file__).resolve().parents[2] / "README.md"


def test_default_capacities_table_matches_the_code() -> None:
    text = README.read_text(encoding="utf-8")
    table = text.split("<!-- default-capacities:start -->")[1].split("<!-- default-capacities:end")[
        0
    ]
    rows = table.strip().splitlines()[2:]
    header = [cell.strip() for cell in table.strip().splitlines()[0].strip("|").split("|")]
    assert header[2:] == [d.value for d in Dimension]
    documented = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        category = DisabilityCategory(re.match(r"\w+", cells[0]).group())
        documented[category, int(cells[1])] = [int(c) for c in cells[2:]]
    expected = {
        (category, grade): [default_capacities(category, grade)[d] for d in Dimension]
        for category in DEFAULT_CAPACITIES
        for grade in range(1, 5)
    }
    assert documented == expected
