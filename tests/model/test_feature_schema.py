"""The feature schema in the ranker bundle: names and encodings, a mismatch refused on load."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from matching import features
from matching.explain import REASON_TEXTS
from matching.features import (
    DECLARED,
    FEATURES,
    Effect,
    Reason,
    feature_schema,
    feature_schema_hash,
    monotone_constraints,
)
from matching.ranker import (
    BASELINE_WEIGHTS,
    SPEC_FILE,
    BundleError,
    Direction,
    Ranker,
    baseline_score,
    write_checksums,
)
from training.config import shipped_config
from training.dataset import RankingSet
from training.train import fit_ranker


def _learned() -> Ranker:
    rng = np.random.default_rng(0)
    groups = np.full(30, 8)
    rows = rng.random((groups.sum(), len(FEATURES))).astype(np.float32)
    labels = (rows[:, 0] > 0.7).astype(np.int32)
    empty = np.zeros(len(labels), dtype=np.int64)
    data = RankingSet(rows, labels, groups, empty, empty, empty)
    return fit_ranker(
        dict.fromkeys(Direction, data),
        embedding_model_id="m",
        config=shipped_config().with_changes(
            {"lightgbm": {"n_estimators": 3, "min_child_samples": 2}}
        ),
    )


def test_the_bundle_keeps_the_schema_and_loads_where_it_matches(tmp_path: Path) -> None:
    ranker = _learned()
    ranker.save(tmp_path / "r")
    spec = json.loads((tmp_path / "r" / SPEC_FILE).read_text())
    assert spec["feature_schema"] == feature_schema_hash()
    Ranker.load(tmp_path / "r").check_compatible("m")


def test_reordering_a_vocabulary_a_feature_encodes_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ranker = _learned()
    ranker.save(tmp_path / "r")
    declared = {f["name"]: f for f in feature_schema()["features"]}
    assert declared["employer_type"]["vocabulary"] == [t.value for t in features.EMPLOYER_TYPES]
    monkeypatch.setattr(features, "EMPLOYER_TYPES", list(reversed(features.EMPLOYER_TYPES)))
    with pytest.raises(ValueError, match="feature schema"):
        Ranker.load(tmp_path / "r").check_compatible("m")


def test_a_bundle_without_a_schema_is_refused_but_the_baseline_needs_none(tmp_path: Path) -> None:
    _learned().save(tmp_path / "r")
    path = tmp_path / "r" / SPEC_FILE
    spec = json.loads(path.read_text())
    del spec["feature_schema"]
    path.write_text(json.dumps(spec))
    # Unsigned, the edit is caught by the checksums before anything else reads the spec ...
    with pytest.raises(BundleError, match="checksum"):
        Ranker.load(tmp_path / "r")
    # ... signed again as save signs, it loads and is refused for the missing schema.
    write_checksums(tmp_path / "r")
    with pytest.raises(ValueError, match="none recorded"):
        Ranker.load(tmp_path / "r").check_compatible("m")
    Ranker().check_compatible("m")


def test_every_feature_is_declared_once_with_an_encoding() -> None:
    assert len(set(FEATURES)) == len(FEATURES) == len(DECLARED)
    assert all(f.encoding for f in DECLARED)
    schema = feature_schema()["features"]
    assert [f["name"] for f in schema] == FEATURES


def test_changing_a_declared_encoding_or_direction_changes_the_hash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = feature_schema_hash()
    declared = list(features.DECLARED)
    at = FEATURES.index("region_proximity")
    monkeypatch.setattr(
        features,
        "DECLARED",
        (*declared[:at], replace(declared[at], encoding="km"), *declared[at + 1 :]),
    )
    assert feature_schema_hash() != before
    monkeypatch.setattr(
        features,
        "DECLARED",
        (*declared[:at], replace(declared[at], effect=Effect.UNSTATED), *declared[at + 1 :]),
    )
    assert feature_schema_hash() != before


def test_the_baseline_weights_are_the_declared_ones() -> None:
    assert BASELINE_WEIGHTS == {f.name: f.baseline_weight for f in DECLARED if f.baseline_weight}
    assert sum(BASELINE_WEIGHTS.values()) == pytest.approx(1.0)
    # Each weighted column from the bottom to the top of what it scores adds exactly its
    # weight: its declared scale brings it to [0, 1].
    ranges = {"region_proximity": (0.0, 3.0), "salary_vs_expected": (-0.5, 0.5)}
    for name, weight in BASELINE_WEIGHTS.items():
        low, high = np.zeros((2, 1, len(FEATURES)), dtype=np.float32)
        low[0, FEATURES.index(name)], high[0, FEATURES.index(name)] = ranges.get(name, (0, 1))
        gain = float(baseline_score(high)[0] - baseline_score(low)[0])
        assert gain == pytest.approx(weight), name


def test_every_declared_reason_has_a_text_and_monotone_constraints_follow_the_effects() -> None:
    declared = {f.reason for f in DECLARED if f.reason}
    assert declared == set(Reason) == set(REASON_TEXTS)
    assert monotone_constraints() == [int(f.effect) for f in DECLARED]
    assert monotone_constraints()[FEATURES.index("skill_coverage")] == 1
    assert monotone_constraints()[FEATURES.index("salary_below_expected")] == -1
