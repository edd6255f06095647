"""Rankers: a LightGBM LambdaRank model per direction, or a documented non-learned scorer.

A trained ranker is saved as one bundle directory: the boosters, the feature list they were
trained on and the embedding model id, which load together; serving refuses a bundle whose
features or embedding model differ from its own, so training and serving cannot drift.

Every file of a bundle is listed with its size and SHA-256 in ``checksums.json``, written last
at save time. Loading verifies them before LightGBM sees a byte, and hands LightGBM exactly
the bytes that were verified: LightGBM's parser aborts or crashes the whole process on a
truncated or corrupted model file, so it must never be given one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from matching.contributions import ContributionTable
from matching.features import DECLARED, FEATURE, FEATURES, feature_schema_hash

SPEC_FILE = "ranker.json"
CHECKSUMS_FILE = "checksums.json"


class BundleError(ValueError):
    """A ranker bundle that is missing, partial, corrupted or inconsistent; the reason says
    which file and what is wrong with it."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_checksums(directory: Path) -> None:
    """List every file of a bundle directory with its size and SHA-256 (written last)."""
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.name != CHECKSUMS_FILE)
    listing = {p.name: {"size": p.stat().st_size, "sha256": _sha256(p.read_bytes())} for p in files}
    (directory / CHECKSUMS_FILE).write_text(json.dumps(listing, indent=2, sort_keys=True) + "\n")


def read_verified(directory: Path) -> dict[str, bytes]:
    """The bytes of every file a bundle's checksums list, each verified; :class:`BundleError`
    naming the first file that is missing, of the wrong size or with the wrong checksum."""
    try:
        listing = json.loads((directory / CHECKSUMS_FILE).read_text())
    except FileNotFoundError:
        raise BundleError(f"{directory}: no {CHECKSUMS_FILE} (partial bundle)") from None
    except (OSError, ValueError) as error:
        raise BundleError(f"{directory}/{CHECKSUMS_FILE} is unreadable: {error}") from None
    if not isinstance(listing, dict) or SPEC_FILE not in listing:
        raise BundleError(f"{directory}/{CHECKSUMS_FILE} does not list {SPEC_FILE}")
    verified: dict[str, bytes] = {}
    for name, expected in sorted(listing.items()):
        if not isinstance(expected, dict) or Path(name).name != name:
            raise BundleError(f"{directory}/{CHECKSUMS_FILE}: bad entry {name!r}")
        try:
            data = (directory / name).read_bytes()
        except OSError:
            raise BundleError(f"{directory}/{name} is missing") from None
        if len(data) != expected.get("size") or _sha256(data) != expected.get("sha256"):
            raise BundleError(
                f"{directory}/{name} does not match its checksum "
                f"({len(data)} bytes, {expected.get('size')} expected): truncated or corrupted"
            )
        verified[name] = data
    return verified


class Direction(StrEnum):
    """Which side is the query: a person looking for jobs, or a job looking for people."""

    JOBS_FOR_CANDIDATE = "jobs_for_candidate"
    CANDIDATES_FOR_JOB = "candidates_for_job"


# The non-learned scorer used before any model is trained: a weighted sum of a few features,
# each brought to [0, 1], as their declarations say (matching.features.DECLARED). Similarity
# of text dominates; skills, place, preferred work mode and pay break ties the way a
# counselor would.
BASELINE_WEIGHTS: dict[str, float] = {
    f.name: f.baseline_weight for f in DECLARED if f.baseline_weight
}


def _baseline_terms(features: np.ndarray, names: list[str]) -> np.ndarray:
    terms = np.zeros((len(features), len(names) + 1), dtype=np.float64)
    for name, weight in BASELINE_WEIGHTS.items():
        column = names.index(name)
        terms[:, column] = weight * FEATURE[name].baseline_scale(features[:, column])
    return terms


def baseline_score(features: np.ndarray, names: list[str] | None = None) -> np.ndarray:
    """The baseline scorer's score of each row (the sum of its weighted terms)."""
    return _baseline_terms(features, names or list(FEATURES)).sum(axis=1)


def retired(directory: Path) -> Path:
    """Where :func:`swap_in` keeps the previous bundle between its two renames."""
    return directory.with_name(directory.name + ".old")


def swap_in(staging: Path, directory: Path) -> None:
    """Put the whole bundle written at ``staging`` in place of ``directory``.

    Two renames: between them the previous bundle waits at :func:`retired`, where a loader
    looks (:func:`in_place`) if the process is killed right there."""
    previous = retired(directory)
    if directory.exists():
        shutil.rmtree(previous, ignore_errors=True)
        os.replace(directory, previous)
    os.replace(staging, directory)
    shutil.rmtree(previous, ignore_errors=True)


def in_place(directory: Path) -> Path | None:
    """The bundle folder to load for ``directory``: itself, or the previous bundle if a
    :func:`swap_in` was killed between its renames; ``None`` if neither is there."""
    for candidate in (directory, retired(directory)):
        if candidate.is_dir():
            return candidate
    return None


@dataclass
class Ranker:
    """Scores pairs and explains the scores by per-feature contributions.

    Without boosters it is the non-learned baseline; ``name`` says which ranked a list.
    """

    boosters: dict[Direction, lgb.Booster] = field(default_factory=dict)
    features: list[str] = field(default_factory=lambda: list(FEATURES))
    embedding_model_id: str | None = None
    version: str = "baseline"
    trained_at: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    # The boosters learned corrections to this multiple of the baseline score (LightGBM's
    # init_score): where the referral outcomes say little, the documented baseline order
    # stands. 0 for boosters fitted from scratch.
    baseline_prior: float = 0.0
    # matching.features.feature_schema_hash() when trained: names *and* encodings.
    feature_schema: str | None = field(default_factory=feature_schema_hash)
    # Each booster's contribution table (matching.contributions), made on first use.
    _tables: dict[Direction, ContributionTable | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def learned(self) -> bool:
        return bool(self.boosters)

    @property
    def name(self) -> str:
        """What ranked a list: ``lightgbm-lambdarank@<version>`` or ``baseline``."""
        return f"lightgbm-lambdarank@{self.version}" if self.learned else "baseline"

    def contributions(self, features: np.ndarray, direction: Direction) -> np.ndarray:
        """Per-feature contributions (last column: the bias); each row sums to the score."""
        booster = self.boosters.get(direction)
        if booster is None:
            return _baseline_terms(features, self.features)
        table = self.contribution_table(direction)
        if table is not None:
            contributions = table.contributions(features)
        else:
            contributions = np.asarray(booster.predict(features, pred_contrib=True, num_threads=1))
        if self.baseline_prior:
            contributions = contributions + self.baseline_prior * _baseline_terms(
                features, self.features
            )
        return contributions

    def contribution_table(self, direction: Direction) -> ContributionTable | None:
        """The booster's ``pred_contrib`` as a table (made once, a fraction of a second for
        the shipped trees), or None for the baseline or trees too big to tabulate."""
        if direction not in self._tables:
            booster = self.boosters.get(direction)
            self._tables[direction] = None if booster is None else ContributionTable.of(booster)
        return self._tables[direction]

    def score(self, features: np.ndarray, direction: Direction, *, threads: int = 1) -> np.ndarray:
        """The ranking score of each pair (higher is better).

        One thread by default: a request's few hundred rows gain nothing from more, and the
        API's workers already use every core. Batch scoring passes ``threads=0`` (all cores).
        """
        booster = self.boosters.get(direction)
        if booster is None:
            return _baseline_terms(features, self.features).sum(axis=1)
        scores = np.asarray(booster.predict(features, num_threads=threads))
        if self.baseline_prior:
            scores = scores + self.baseline_prior * baseline_score(features, self.features)
        return scores

    def save(self, directory: Path) -> None:
        """Write the bundle atomically: a crash leaves the previous bundle, never half of one."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".ranker-", dir=directory.parent))
        for direction, booster in self.boosters.items():
            booster.save_model(staging / f"{direction.value}.txt")
        spec = {
            "features": self.features,
            "embedding_model_id": self.embedding_model_id,
            "version": self.version,
            "trained_at": self.trained_at,
            "metrics": self.metrics,
            "params": self.params,
            "directions": [d.value for d in self.boosters],
            "baseline_prior": self.baseline_prior,
            "feature_schema": self.feature_schema,
        }
        (staging / SPEC_FILE).write_text(json.dumps(spec, ensure_ascii=False, indent=2) + "\n")
        write_checksums(staging)
        swap_in(staging, directory)

    @classmethod
    def in_service(cls, directory: Path) -> Ranker | None:
        """The bundle saved at ``directory``, or ``None`` if none was ever saved there.

        If a :meth:`save` was killed between its two renames, ``directory`` is missing and
        the previous bundle is whole at ``<directory>.old``: that one is loaded. A directory
        that is there but not a whole bundle raises :class:`BundleError`, never the baseline
        in silence.
        """
        found = in_place(directory)
        return None if found is None else cls.load(found)

    @classmethod
    def load(cls, directory: Path) -> Ranker:
        """Load a bundle written by :meth:`save`, verified whole first.

        Raises :class:`BundleError` for a missing, partial, corrupted or inconsistent bundle;
        never lets LightGBM parse bytes that were not verified against the checksums.
        """
        files = read_verified(directory)
        try:
            spec = json.loads(files[SPEC_FILE])
            directions = [Direction(d) for d in spec["directions"]]
            features = list(spec["features"])
        except (ValueError, KeyError, TypeError) as error:
            raise BundleError(f"{directory}/{SPEC_FILE} is not a ranker spec: {error}") from None
        boosters = {}
        for direction in directions:
            name = f"{direction.value}.txt"
            if name not in files:
                raise BundleError(f"{directory}/{name} is not listed in {CHECKSUMS_FILE}")
            try:
                booster = lgb.Booster(model_str=files[name].decode("utf-8"))
            except (lgb.basic.LightGBMError, UnicodeDecodeError) as error:
                raise BundleError(f"{directory}/{name} is not a LightGBM model: {error}") from None
            if booster.feature_name() != features:
                raise BundleError(
                    f"{directory}/{name} was trained on other features than {SPEC_FILE} lists"
                )
            boosters[direction] = booster
        return cls(
            boosters=boosters,
            features=features,
            embedding_model_id=spec.get("embedding_model_id"),
            version=str(spec.get("version")),
            trained_at=spec.get("trained_at"),
            metrics=spec.get("metrics", {}),
            params=spec.get("params", {}),
            baseline_prior=float(spec.get("baseline_prior", 0.0)),
            feature_schema=spec.get("feature_schema"),
        )

    def check_compatible(self, embedding_model_id: str) -> None:
        """Refuse a bundle built on other features or another embedding model."""
        if self.features != FEATURES:
            raise ValueError(
                f"ranker {self.version} was trained on other features; retrain it (jobmatch train)"
            )
        if self.learned and self.feature_schema != feature_schema_hash():
            raise ValueError(
                f"ranker {self.version} was trained on another feature schema "
                f"({self.feature_schema or 'none recorded'}, now {feature_schema_hash()}: "
                "a feature's encoding or vocabulary changed); retrain it (jobmatch train)"
            )
        if self.learned and self.embedding_model_id != embedding_model_id:
            raise ValueError(
                f"ranker {self.version} was trained with embedding model "
                f"{self.embedding_model_id}, but {embedding_model_id} is configured"
            )


def new_version(now: dt.datetime | None = None) -> str:
    """A sortable version name for a newly trained ranker."""
    return (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
