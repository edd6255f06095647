"""Explanations that say what bridges and what is missing (matching/explain.py)."""

from __future__ import annotations

import numpy as np

from matching.explain import explain
from matching.features import FEATURES, HistoryIndex, build_features
from matching.settings import Settings
from tests.records import candidate, catalog_of, job


def _reasons(person_fields: dict, job_fields: dict, feature: str) -> list[str]:
    catalog = catalog_of([job("j", **job_fields)], [candidate("c", **person_fields)])
    people, jobs = np.array([0]), np.array([0])
    row = build_features(
        catalog, HistoryIndex(catalog), people, jobs, 740000, np.zeros(1), Settings()
    )[0]
    contributions = np.zeros(len(FEATURES) + 1)
    contributions[FEATURES.index(feature)] = 1.0  # this feature drove the score
    return explain(catalog, 0, 0, row, contributions)


def test_a_bridged_capacity_names_the_dimension_and_the_accommodation() -> None:
    reasons = _reasons(
        {"disability_category": "visual", "disability_grade": 1},
        {"demands": {"vision": 2}, "accommodations": ["screen_reader", "wheelchair_access"]},
        "accommodations_bridging",
    )
    assert reasons == ["岗位需要较好视力，已提供读屏软件"]


def test_an_education_shortfall_is_named_as_missing() -> None:
    short = _reasons({"education": "junior_high"}, {"education_min": "bachelor"}, "education_gap")
    assert short == ["学历不足：初中，岗位要求本科"]
    enough = _reasons({"education": "master"}, {"education_min": "bachelor"}, "education_gap")
    assert enough[0].startswith("学历") and "满足" in enough[0]
