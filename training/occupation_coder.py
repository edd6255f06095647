"""Training the occupation coder's re-ranker (``jobmatch occupations train``).

Training titles come from the classification itself and from employers:

* every alias and every name of an occupation or a group, coded by an index that does not
  contain that very form (an alias never finds itself, so the features look like those of
  a title the classification does not list);
* every name and alias of a detailed occupation once more, perturbed the way employers'
  titles differ from the classification's (:func:`perturbed_titles`: a workplace word in
  front, the generic suffix swapped or dropped, cut to its head noun), with the index whole:
  a real title is mostly a variant of some listed form, not that form hidden;
* every title an employer confirmed a code for (``occupation_confirmations``, stored when a
  job's code is confirmed), with the index whole.

Occupations are split, not titles: every title of one occupation (or group) is in the
training part or in the validation part (a stable hash of the code, :func:`split_of`), so
the validation score says how the coder does on occupations whose titles it never saw.
The validation part stops the boosting; the shipped model is then refitted on everything
with that many trees. Labels: the right code 3; for a group's title, what the group
contains 2 (any of them is a right answer); everything else 0.

Never train on an evaluation set: the real-title benchmark (``benchmarks/occupation_titles.tsv``)
is not read here. Some real titles are literally names or aliases of the classification (so
training titles too); ``benchmarks/occupation_coding.py`` reports the others separately.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np

from matching.job_titles import normalise_title
from matching.occupation_coding import CODER_FEATURES, CoderModel, OccupationCoder
from matching.occupation_vectors import encoder_model_id
from matching.occupations import normalize_text

VALIDATION_SHARE = 0.2

PARAMS: dict[str, Any] = {
    "objective": "lambdarank",
    "metric": "ndcg",
    "eval_at": [1, 5],
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 20,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambdarank_truncation_level": 20,
    "verbose": -1,
}
MAX_ROUNDS = 600
EARLY_STOPPING = 50
#: Weight of the fixed fusion's score in the shipped ranking score (``CoderModel.fusion_blend``).
#: Chosen on the 743 real-style titles (never on the hard set) for the model trained with
#: perturbed titles: acc@1 0.855 at 4, 0.853 at 6, 0.852 at 8 (acc@5 0.961–0.962); 0, 2 and
#: 12 gave 0.847 for a first such model. Without perturbed titles 8 had been chosen.
#: Kept for the model trained with the lexicon (issue 16): on the board dev titles 2, 4, 8
#: and 16 gave acc@1 0.706, 0.715, 0.719, 0.715; and for the model without the alias count:
#: 0-12 gave 936-939 titles first and 1,062-1,065 in the top five over real, hand, hard and
#: board dev (938 / 1,065 at 4).
FUSION_BLEND = 4.0

#: Workplace and industry words employers put in front of a title (酒店保洁员, 车间质检员);
#: normalisation keeps them, as they can tell the occupation (医院护工, 学校厨师).
WORKPLACE_WORDS = (
    "酒店", "医院", "工厂", "车间", "超市", "物业", "餐饮", "学校", "银行", "电商", "物流",
    "门店", "社区", "项目", "工地", "仓库", "公司", "商场", "门诊", "科技",
)  # fmt: skip
#: Forms a three-character ending must end to count as a head noun.
_HEAD_FORMS = 3
#: Generic endings of job titles, and what employers write instead (or nothing at all:
#: 搬运工 → 搬运). The longest ending that fits is replaced.
SUFFIX_SWAPS: dict[str, tuple[str, ...]] = {
    "工程技术人员": ("工程师", "技术员", "工程师助理", "研发"),
    "技术人员": ("技术员", "工程师", "技术"),
    "人员": ("员", "专员", "岗", ""),
    "员": ("人员", "专员", "岗", ""),
    "工": ("工人", "师傅", "操作工", ""),
    "师": ("师傅", "技师", "专员", ""),
}


@dataclass(frozen=True, slots=True)
class TrainingTitle:
    """One training title: its text, the code it stands for and where it came from."""

    title: str
    code: str
    source: str  # "name" | "alias" | "group_name" | "group_alias" | "perturbed" | "confirmed"
    masked: tuple[int, ...] = ()  # forms hidden from the index while coding it


def split_of(code: str) -> str:
    """``"train"`` or ``"validation"``: a stable hash of the code (a fifth validates)."""
    bucket = int(hashlib.sha256(code.encode()).hexdigest()[:8], 16) % 1000
    return "validation" if bucket < VALIDATION_SHARE * 1000 else "train"


def vocabulary_titles(coder: OccupationCoder) -> list[TrainingTitle]:
    """Names and aliases of every occupation and group, each masked from the index."""
    titles: list[TrainingTitle] = []
    for entity, code in enumerate(coder.entity_codes):
        group = coder.entity_level(entity) == "group"
        forms = coder.forms_of(entity)
        for position, form in enumerate(forms):
            text = coder.form_text(form)
            if not normalise_title(text).core:
                continue
            source = ("group_" if group else "") + ("name" if position == 0 else "alias")
            titles.append(TrainingTitle(text, code, source, (form,)))
    return titles


def perturbed_titles(coder: OccupationCoder, seed: int = 0) -> list[TrainingTitle]:
    """One variant of each detailed occupation's name and aliases, written as an employer
    might (a seeded random choice among those that apply, see the module): a workplace word
    in front (保洁员 → 酒店保洁员), the generic suffix swapped or dropped (搬运工 → 搬运,
    碳管理工程技术人员 → 碳管理工程师), or its head noun, the last three characters where
    they end several forms (压力容器操作工 → 操作工). A variant that is itself a form of the
    classification, under two characters, or made from forms of two codes is left out (a
    look-up answers it, or it names no one code)."""
    rng = random.Random(seed)
    forms = {
        normalize_text(coder.form_text(form))
        for entity in range(len(coder.entity_codes))
        for form in coder.forms_of(entity)
    }
    # How many forms end in each 3- and 4-character string: a head noun ends many
    # (…操作工, …运维员), a cut inside a word (…术人员 of 工程技术人员) is part of a longer one.
    endings: dict[str, int] = {}
    for text in forms:
        for size in (3, 4):
            if len(text) > size:
                endings[text[-size:]] = endings.get(text[-size:], 0) + 1
    titles: list[TrainingTitle] = []
    for entity, code in enumerate(coder.codes):
        for form in coder.forms_of(entity):
            text = normalize_text(coder.form_text(form))
            variants = [rng.choice(WORKPLACE_WORDS) + text]
            ending = next((end for end in SUFFIX_SWAPS if text.endswith(end)), None)
            if ending is not None and len(text) > len(ending) + 1:
                variants.append(text[: -len(ending)] + rng.choice(SUFFIX_SWAPS[ending]))
            if len(text) >= 5 and endings[text[-3:]] >= _HEAD_FORMS > endings[text[-4:]]:
                variants.append(text[-3:])
            variant = rng.choice(variants)
            if len(variant) >= 2 and variant not in forms:
                titles.append(TrainingTitle(variant, code, "perturbed"))
    # A variant made from two codes (技术员 of a hundred …技术人员) names none of them.
    codes_of: dict[str, set[str]] = {}
    for title in titles:
        codes_of.setdefault(title.title, set()).add(title.code)
    return [title for title in titles if len(codes_of[title.title]) == 1]


def confirmed_titles(
    pairs: Sequence[tuple[str, str]], coder: OccupationCoder
) -> list[TrainingTitle]:
    """Employer-confirmed ``(title, code)`` pairs whose code the coder knows."""
    return [
        TrainingTitle(title, code, "confirmed")
        for title, code in pairs
        if title.strip() and coder.entity_index(code) is not None
    ]


def _labels(coder: OccupationCoder, code: str, entities: np.ndarray) -> np.ndarray:
    """Relevance of each candidate entity for a title of ``code``."""
    labels = np.zeros(len(entities), dtype=np.int32)
    target = coder.entity_index(code)
    is_group = target is not None and coder.entity_level(target) == "group"
    prefix = code.rstrip("0-") if is_group else None
    for row, entity in enumerate(entities):
        other = coder.entity_codes[int(entity)]
        if other == code:
            labels[row] = 3
        elif prefix is not None and other.startswith(prefix + "-") and other != code:
            labels[row] = 2
    return labels


def build_rows(
    coder: OccupationCoder, titles: Sequence[TrainingTitle], *, chunk: int = 256
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Features, labels and group sizes of ``titles`` (one group per title), and the share of
    titles whose right code was among the candidates (candidate recall)."""
    features: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    sizes: list[int] = []
    found = 0
    for start in range(0, len(titles), chunk):
        batch = titles[start : start + chunk]
        rows = coder.candidates(
            [normalise_title(t.title).core for t in batch],
            masked_forms=[t.masked for t in batch],
        )
        bounds = np.searchsorted(rows.query, np.arange(len(batch) + 1))
        for index, title in enumerate(batch):
            lo, hi = bounds[index], bounds[index + 1]
            label = _labels(coder, title.code, rows.entity[lo:hi])
            if hi == lo:
                continue
            found += int(label.max() > 0)
            features.append(rows.features[lo:hi])
            labels.append(label)
            sizes.append(hi - lo)
    return (
        np.concatenate(features),
        np.concatenate(labels),
        np.array(sizes),
        found / max(len(titles), 1),
    )


def train_coder_model(
    coder: OccupationCoder,
    confirmed: Sequence[tuple[str, str]] = (),
    *,
    seed: int = 0,
    version: str | None = None,
    refit: bool = True,
    fusion_blend: float = FUSION_BLEND,
    perturbed: bool = True,
) -> CoderModel:
    """Fit the re-ranker on the vocabulary's titles and ``confirmed`` pairs (see module).

    ``coder`` must have an embedder (the features include embedding similarities); its
    model, if any, is not used. With ``refit`` (the default, what ships) the model is fitted
    again on every title; without, the model trained on the training part is returned (for
    evaluating on the validation part). ``fusion_blend`` is the weight of the fixed fusion's
    score added to the booster's (:data:`FUSION_BLEND`); ``perturbed`` adds
    :func:`perturbed_titles` (seeded with ``seed``).
    """
    if coder.encoder is None:
        raise ValueError("the re-ranker reads embedding features: build the coder with an embedder")
    titles = vocabulary_titles(coder) + confirmed_titles(confirmed, coder)
    if perturbed:
        titles += perturbed_titles(coder, seed)
    parts = {
        split: [t for t in titles if split_of(t.code) == split] for split in ("train", "validation")
    }
    x_train, y_train, g_train, recall_train = build_rows(coder, parts["train"])
    x_valid, y_valid, g_valid, recall_valid = build_rows(coder, parts["validation"])
    params = {**PARAMS, "seed": seed, "num_threads": 0}
    train_set = lgb.Dataset(x_train, y_train, group=g_train, feature_name=CODER_FEATURES)
    valid_set = lgb.Dataset(
        x_valid, y_valid, group=g_valid, feature_name=CODER_FEATURES, reference=train_set
    )
    history: dict[str, Any] = {}
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=MAX_ROUNDS,
        valid_sets=[valid_set],
        valid_names=["validation"],
        callbacks=[
            lgb.early_stopping(EARLY_STOPPING, verbose=False),
            lgb.record_evaluation(history),
        ],
    )
    rounds = booster.best_iteration or MAX_ROUNDS
    validation = _accuracy(booster, x_valid, y_valid, g_valid, rounds, fusion_blend)
    # Refit on every title with the number of rounds the validation part chose.
    everything = lgb.Dataset(
        np.concatenate([x_train, x_valid]),
        np.concatenate([y_train, y_valid]),
        group=np.concatenate([g_train, g_valid]),
        feature_name=CODER_FEATURES,
    )
    final = lgb.train(params, everything, num_boost_round=rounds) if refit else booster
    counts: dict[str, int] = {}
    for title in titles:
        counts[title.source] = counts.get(title.source, 0) + 1
    return CoderModel(
        booster=final,
        embedding_model_id=encoder_model_id(coder.encoder),
        version=version or dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ"),
        metrics={
            "validation_acc@1": round(validation[0], 4),
            "validation_acc@5": round(validation[1], 4),
            "validation_candidate_recall": round(recall_valid, 4),
            "train_candidate_recall": round(recall_train, 4),
            "rounds": int(rounds),
        },
        params={k: v for k, v in params.items() if k != "num_threads"},
        training={
            "titles": counts,
            "train_titles": len(parts["train"]),
            "validation_titles": len(parts["validation"]),
            "split": f"by code, {VALIDATION_SHARE:.0%} of codes validate",
        },
        fusion_blend=fusion_blend,
    )


def _accuracy(
    booster: lgb.Booster,
    x: np.ndarray,
    y: np.ndarray,
    sizes: np.ndarray,
    rounds: int,
    fusion_blend: float,
) -> tuple[float, float]:
    """Share of titles with a right code (label ≥ 2) first / in the first five, ranked as
    :meth:`CoderModel.score` ranks them."""
    scores = booster.predict(x, num_iteration=rounds)
    scores = scores + fusion_blend * x[:, CODER_FEATURES.index("fused")]
    top1 = top5 = 0
    start = 0
    for size in sizes:
        label = y[start : start + size]
        order = np.argsort(-np.asarray(scores[start : start + size]), kind="stable")
        top1 += int(label[order[0]] >= 2)
        top5 += int((label[order[:5]] >= 2).any())
        start += size
    return top1 / max(len(sizes), 1), top5 / max(len(sizes), 1)
