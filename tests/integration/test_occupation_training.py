"""Training the occupation coder's re-ranker: split by occupation, confirmed titles, bundle."""

from __future__ import annotations

import dataclasses
import zlib
from pathlib import Path

import numpy as np
import pytest

from matching.occupation_coding import CODER_FEATURES, CoderModel, OccupationCoder
from matching.occupations import OccupationVocabulary, normalize_text
from training.occupation_coder import (
    FUSION_BLEND,
    _labels,
    confirmed_titles,
    perturbed_titles,
    split_of,
    train_coder_model,
    vocabulary_titles,
)


class BagOfCharacters:
    """A stand-in embedder with a model id: hashed character counts, no model to load."""

    model_id = "bag-of-characters-test"
    dim = 128

    def encode(
        self, texts: list[str], *, progress: bool = False, batch_size: int = 64
    ) -> np.ndarray:
        vectors = np.full((len(texts), self.dim), 1e-3, dtype=np.float32)
        for row, text in enumerate(texts):
            for a, b in zip(text, text[1:] + " ", strict=False):
                vectors[row, zlib.crc32((a + b).encode()) % self.dim] += 1.0
                vectors[row, zlib.crc32(a.encode()) % self.dim] += 1.0
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def sample_coder() -> OccupationCoder:
    """A coder over a fifth of the vocabulary (every fifth occupation, all groups)."""
    vocab = OccupationVocabulary.load()
    occupations = [occ for i, occ in enumerate(vocab) if i % 5 == 0]
    groups = dict(vocab.groups())
    sample = OccupationVocabulary(
        occupations, groups, {code: vocab.group_aliases(code) for code in groups}
    )
    return OccupationCoder(sample, BagOfCharacters(), model=None)


@pytest.fixture(scope="module")
def trained(sample_coder: OccupationCoder) -> CoderModel:
    some = sample_coder.codes[3]
    return train_coder_model(sample_coder, [("某某岗位专用名称", some), ("无效", "9-99-99-99")])


def test_titles_are_split_by_code_and_mask_their_own_form(sample_coder: OccupationCoder) -> None:
    titles = vocabulary_titles(sample_coder)
    assert {t.source for t in titles} == {"name", "alias", "group_name", "group_alias"}
    by_code: dict[str, set[str]] = {}
    for title in titles:
        by_code.setdefault(title.code, set()).add(split_of(title.code))
        (form,) = title.masked
        assert sample_coder.form_text(form) == title.title
    assert all(len(splits) == 1 for splits in by_code.values())
    share = sum(split_of(code) == "validation" for code in by_code) / len(by_code)
    assert 0.1 < share < 0.3


def test_perturbed_titles_are_new_variants_of_occupation_forms(
    sample_coder: OccupationCoder, trained: CoderModel
) -> None:
    titles = perturbed_titles(sample_coder, seed=0)
    forms = {
        normalize_text(sample_coder.form_text(form))
        for entity in range(len(sample_coder.entity_codes))
        for form in sample_coder.forms_of(entity)
    }
    assert len(titles) > 0.8 * len(sample_coder.codes)
    for title in titles:
        assert title.source == "perturbed" and title.masked == ()
        assert title.code in sample_coder.codes  # detailed occupations only
        assert len(title.title) >= 2 and title.title not in forms
    assert titles == perturbed_titles(sample_coder, seed=0)
    assert titles != perturbed_titles(sample_coder, seed=1)
    # A variant trains on the side of the split its code is on, like the code's own forms.
    assert trained.training["titles"]["perturbed"] == len(titles)


def test_a_masked_form_does_not_find_itself(sample_coder: OccupationCoder) -> None:
    title = next(t for t in vocabulary_titles(sample_coder) if t.source == "alias")
    entity = sample_coder.entity_index(title.code)
    exact = CODER_FEATURES.index("exact_form")
    open_rows = sample_coder.candidates([title.title])
    hidden = sample_coder.candidates([title.title], masked_forms=[title.masked])
    (row,) = np.flatnonzero(open_rows.entity == entity)
    assert open_rows.features[row, exact] == 1.0
    rows = np.flatnonzero(hidden.entity == entity)
    assert all(hidden.features[r, exact] == 0.0 for r in rows)


def test_group_titles_count_what_the_group_contains(sample_coder: OccupationCoder) -> None:
    entities = np.array(
        [sample_coder.entity_index(c) for c in ("2-02-00-00", "2-00-00-00")]
        + [i for i, c in enumerate(sample_coder.codes) if c.startswith("2-02-")][:2]
        + [i for i, c in enumerate(sample_coder.codes) if c.startswith("4-")][:1]
    )
    assert list(_labels(sample_coder, "2-02-00-00", entities)) == [3, 0, 2, 2, 0]
    occupation = sample_coder.codes[int(entities[2])]
    assert list(_labels(sample_coder, occupation, entities)) == [0, 0, 3, 0, 0]


def test_confirmed_titles_become_training_titles(
    sample_coder: OccupationCoder, trained: CoderModel
) -> None:
    pairs = [("某某岗位专用名称", sample_coder.codes[3]), ("无效", "9-99-99-99"), ("  ", "x")]
    assert [t.title for t in confirmed_titles(pairs, sample_coder)] == ["某某岗位专用名称"]
    assert trained.training["titles"]["confirmed"] == 1
    assert trained.embedding_model_id == BagOfCharacters.model_id


def test_the_re_ranker_beats_the_fixed_fusion_on_held_out_occupations(
    sample_coder: OccupationCoder, trained: CoderModel
) -> None:
    titles = [t for t in vocabulary_titles(sample_coder) if split_of(t.code) == "validation"]
    fusion = sample_coder.scores([t.title for t in titles], masked_forms=[t.masked for t in titles])
    truth = [
        sample_coder.codes.index(t.code) if t.code in sample_coder.codes else -1 for t in titles
    ]
    occupation_titles = [i for i, j in enumerate(truth) if j >= 0]
    fused_top1 = np.mean([fusion[i].argmax() == truth[i] for i in occupation_titles])
    assert trained.metrics["validation_candidate_recall"] > 0.8
    assert trained.metrics["validation_acc@5"] >= trained.metrics["validation_acc@1"]
    # Same titles, same hidden forms (the validation metric also counts group titles).
    assert trained.metrics["validation_acc@1"] > fused_top1


def test_bundle_round_trip_and_compatibility(trained: CoderModel, tmp_path: Path) -> None:
    trained.save(tmp_path / "coder")
    trained.save(tmp_path / "coder")  # replacing a bundle leaves one whole bundle
    loaded = CoderModel.load(tmp_path / "coder")
    assert loaded is not None
    assert loaded.features == CODER_FEATURES and loaded.version == trained.version
    rows = np.random.default_rng(0).random((20, len(CODER_FEATURES))).astype(np.float32)
    assert np.allclose(loaded.score(rows), trained.score(rows))
    assert loaded.fusion_blend == trained.fusion_blend == FUSION_BLEND
    # The blend adds the fixed fusion's score to the booster's, nothing else.
    fused = rows[:, CODER_FEATURES.index("fused")]
    booster_only = dataclasses.replace(loaded, fusion_blend=0.0)
    assert np.allclose(loaded.score(rows), booster_only.score(rows) + FUSION_BLEND * fused)
    assert loaded.compatible_with(BagOfCharacters.model_id)
    assert not loaded.compatible_with("m3e-small-000000000000")
    # Another backend of the model is accepted once the bundle was measured with it.
    other = f"{BagOfCharacters.model_id}-onnx-int8"
    assert not loaded.compatible_with(other)
    dataclasses.replace(loaded, measured_with=[other]).save(tmp_path / "coder")
    measured = CoderModel.load(tmp_path / "coder")
    assert measured is not None and measured.measured_with == [other]
    assert measured.compatible_with(other) and measured.compatible_with(BagOfCharacters.model_id)
    assert not measured.compatible_with(None)
    assert CoderModel.load(tmp_path / "absent") is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coder"]
    # A save killed between its two renames leaves the previous bundle at coder.old: it loads.
    (tmp_path / "coder").rename(tmp_path / "coder.old")
    recovered = CoderModel.load(tmp_path / "coder")
    assert recovered is not None and recovered.measured_with == [other]


def test_a_coder_with_the_trained_model_suggests(
    sample_coder: OccupationCoder, trained: CoderModel
) -> None:
    coder = sample_coder.with_model(trained)
    assert coder.ranker_name == f"lightgbm-lambdarank@{trained.version}"
    results = coder.suggest_many(["急聘保洁员（包吃住）", "超市收银", "技术研究员"], k=5)
    for suggestions in results:
        assert len(suggestions) == 5 and len({s.code for s in suggestions}) == 5
        scores = [s.score for s in suggestions]
        assert scores == sorted(scores, reverse=True) and 0 <= min(scores) <= max(scores) <= 1
        assert sum(s.level == "group" for s in suggestions) <= 1 + (suggestions[0].score == 1.0)
    assert results[2][0].code == "2-02-00-00" and results[2][0].level == "group"
