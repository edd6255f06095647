"""The occupation coder's learned re-ranker and its fixed-fusion fallback.

:class:`CoderModel` is the LightGBM LambdaRank bundle (booster, feature list, embedding model
id) that orders the coder's candidates (``matching/occupation_coding.py``); it is trained by
``training/occupation_coder.py`` and ships in the package (:data:`SHIPPED_MODEL`).
:class:`FusionWeights` weight the coder's signals for candidate generation, and rank on their
own where no re-ranker applies (no embedder, or a bundle of another embedding model).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from matching.ranker import in_place, swap_in

SHIPPED_MODEL = Path(__file__).parent / "data" / "occupation_coder"
SPEC_FILE = "coder.json"
MODEL_FILE = "model.txt"


#: Features the re-ranker reads, one row per (title, candidate). "form" is the name or any
#: alias (the best one counts); a group's definition/tasks features are the best of what it
#: contains; ranks are among all candidates of the same title (0 = best).
CODER_FEATURES: list[str] = [
    "char_form",  # TF-IDF cosine of character 1–3-grams, title against the best form
    "char_name",  # the same against the official name only
    "char_text",  # title against definition and tasks
    "cover_form",  # share of the title's characters and bigrams found in the best form
    "cover_text",  # ... in the definition and tasks
    "emb_form",  # m3e cosine, title against the best form
    "emb_name",  # ... against the official name
    "emb_definition",  # ... against the definition
    "emb_tasks",  # ... against the task list
    "emb_group",  # ... against the name of the candidate's minor group (its own for a group)
    "suffix_match",  # characters at the end shared with the best form (…员, …师, …工), max 3
    "head_in_form",  # the title's last two characters occur in some form (head noun)
    "exact_form",  # the title is a form
    "title_chars",  # length of the normalised title
    "title_latin",  # share of Latin letters and digits (Java, UI, CAD)
    "level",  # 0 occupation, 1 minor, 2 middle, 3 major group
    "log_children",  # log(1 + detailed occupations inside) for a group, 0 for an occupation
    # No count of a code's aliases: training titles are its forms, so their number is how
    # often a code is the answer in training, a prior real titles do not share (dropping it
    # gained acc@5 on the real-style and board dev titles over four training seeds).
    "rank_fused",  # rank by the fixed fusion (among candidates of the same level kind)
    "rank_emb_form",
    "rank_char_form",
    "gap_emb_form",  # best emb_form of the title minus this one
    "gap_char_form",
    "sibling_share",  # share of the top 10 fused occupations in this candidate's group
    "fused",  # the fixed fusion's score itself (a real title's best guide: the re-ranker
    # learns where to depart from it rather than relearning it from its parts)
    "gap_fused",  # best fused score of the title (same level kind) minus this one
    "cover_by_title",  # share of the best form's characters and bigrams found in the title
]


@dataclass(frozen=True, slots=True)
class FusionWeights:
    """Relative weights of the fixed fusion (candidate generation, and the fallback ranker)."""

    char_name: float
    char_text: float
    embedding_name: float = 0.0
    embedding_text: float = 0.0

    def __post_init__(self) -> None:
        values = [getattr(self, f.name) for f in fields(self)]
        if any(value < 0 for value in values) or sum(values) <= 0:
            raise ValueError(f"weights must be >= 0 and not all 0: {self}")

    @property
    def uses_embeddings(self) -> bool:
        """Whether any embedding signal has weight (then the coder needs an embedder)."""
        return self.embedding_name > 0 or self.embedding_text > 0

    def normalised(self) -> dict[str, float]:
        """Signal name → weight, the weights summing to 1."""
        values = {f.name: float(getattr(self, f.name)) for f in fields(self)}
        total = sum(values.values())
        return {name: value / total for name, value in values.items()}


#: Fusion with an embedder (tuned on held-out aliases by ``benchmarks/occupation_coding.py``).
FUSION_WEIGHTS = FusionWeights(
    char_name=0.10, char_text=0.10, embedding_name=0.60, embedding_text=0.20
)
#: Fusion without an embedder: the two character n-gram signals.
CHAR_WEIGHTS = FusionWeights(char_name=0.60, char_text=0.40)


@dataclass
class CoderModel:
    """The learned re-ranker: a LightGBM booster over :data:`CODER_FEATURES`.

    Saved as a bundle directory like the matcher's ranker: the booster, the feature list and
    the embedding model id it was trained with; a coder refuses a bundle whose features or
    embedding model differ from its own.
    """

    booster: lgb.Booster
    features: list[str] = field(default_factory=lambda: list(CODER_FEATURES))
    embedding_model_id: str | None = None
    version: str = "unversioned"
    metrics: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    #: Weight of the fixed fusion's score added to the booster's: a prior that keeps the
    #: re-ranker near the fusion where titles look unlike the aliases it learnt from.
    fusion_blend: float = 0.0
    #: Other embedding model ids (another backend of the same model: ``…-onnx-int8``) whose
    #: vectors this booster was measured on and found as accurate as on its own
    #: (``benchmarks/occupation_coding.py --any-backend``); a coder of those uses it too.
    measured_with: list[str] = field(default_factory=list)

    def save(self, directory: Path) -> None:
        """Write the bundle atomically (a crash leaves the previous one whole)."""
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".coder-", dir=directory.parent))
        self.booster.save_model(staging / MODEL_FILE)
        spec = {
            "features": self.features,
            "embedding_model_id": self.embedding_model_id,
            "version": self.version,
            "metrics": self.metrics,
            "params": self.params,
            "training": self.training,
            "fusion_blend": self.fusion_blend,
            "measured_with": self.measured_with,
        }
        (staging / SPEC_FILE).write_text(json.dumps(spec, ensure_ascii=False, indent=2) + "\n")
        swap_in(staging, directory)

    @classmethod
    def load(cls, directory: Path) -> CoderModel | None:
        """The bundle at ``directory`` (or the previous one, if a save was killed between
        its renames); ``None`` when there is none."""
        found = in_place(Path(directory))
        if found is None or not (found / SPEC_FILE).is_file():
            return None
        directory = found
        spec = json.loads((directory / SPEC_FILE).read_text(encoding="utf-8"))
        return cls(
            booster=lgb.Booster(model_file=str(directory / MODEL_FILE)),
            features=list(spec["features"]),
            embedding_model_id=spec.get("embedding_model_id"),
            version=spec.get("version", "unversioned"),
            metrics=spec.get("metrics", {}),
            params=spec.get("params", {}),
            training=spec.get("training", {}),
            fusion_blend=float(spec.get("fusion_blend", 0.0)),
            measured_with=list(spec.get("measured_with", [])),
        )

    def compatible_with(self, embedding_model_id: str | None) -> bool:
        """Whether this bundle reads the coder's features under this embedding model: the
        one it was trained with, or one it was measured with (:attr:`measured_with`)."""
        return self.features == CODER_FEATURES and (
            embedding_model_id == self.embedding_model_id
            or (embedding_model_id is not None and embedding_model_id in self.measured_with)
        )

    def score(self, features: np.ndarray) -> np.ndarray:
        """Ranking scores of candidate rows (higher is better): the booster's, plus
        :attr:`fusion_blend` times the row's fixed-fusion score."""
        scores = np.asarray(self.booster.predict(features, num_threads=0))
        if self.fusion_blend:
            scores = scores + self.fusion_blend * features[:, self.features.index("fused")]
        return scores


def fuse(signals: dict[str, np.ndarray], weights: FusionWeights) -> np.ndarray:
    """Weighted average of ``signals`` (as :meth:`OccupationCoder.signals` returns them)."""
    normalised = weights.normalised()
    missing = [name for name, weight in normalised.items() if weight > 0 and name not in signals]
    if missing:
        raise ValueError(f"weighted signals not computed: {missing}")
    parts = [normalised[name] * signals[name] for name in normalised if normalised[name] > 0]
    return np.clip(np.sum(parts, axis=0), 0.0, 1.0).astype(np.float32)
