"""LightGBM's per-feature contributions (TreeSHAP, ``pred_contrib``), read from a table.

A tree's TreeSHAP values for a row depend on the row only through the direction it takes at
each of the tree's splits (the algorithm weighs every path by the training covers and follows
the row's own branch wherever its feature is in the coalition). The shipped trees are small
(7 leaves: 6 splits), so each tree has at most 64 such split patterns. For every pattern a
row can take, LightGBM's own ``pred_contrib`` of that tree alone (``start_iteration``) is
computed once; a request then finds each tree's pattern with a few array comparisons and adds
the trees' rows up, instead of running TreeSHAP per tree and row (about 0.7 ms a row for 300
trees on the serving host, the largest fixed cost of a request).

The split decisions follow LightGBM's ``Tree::NumericalDecision`` and
``Tree::CategoricalDecision``: a missing value goes the split's default way under missing
type NaN and is read as 0 otherwise (as is any value within 1e-35 of 0), where a zero goes
the default way under missing type Zero; a categorical value goes left when it is one of the
split's categories (never when missing or negative). Tests hold the table to ``pred_contrib``
on rows with missing values, zeros and unseen categories, and the served reasons to those of
``pred_contrib``.
"""

from __future__ import annotations

import itertools
from typing import Any

import lightgbm as lgb
import numpy as np

# Beyond this many split patterns in one tree (trees bigger than shipped: 2^(leaves - 1)),
# the table would outgrow the few megabytes it takes now: LightGBM computes those directly.
MAX_PATTERNS = 256
# LightGBM's kZeroThreshold (1e-35f, a float): |x| at most this counts as zero.
_ZERO = float(np.float32(1e-35))
_DUMPED_INFINITY = 1e300
_MISSING_TYPES = {"None": 0, "Zero": 1, "NaN": 2}


def _threshold(dumped: float) -> float:
    """A dumped threshold as the tree holds it: ``dump_model`` writes an infinite one (a
    split of missing values from the rest) as ±1e300."""
    return float(np.copysign(np.inf, dumped)) if abs(dumped) >= _DUMPED_INFINITY else dumped


def _flat_splits(node: dict[str, Any]) -> list[dict[str, Any]]:
    """Every split node of a dumped tree (``Booster.dump_model``)."""
    if "split_index" not in node:
        return []
    return [node, *_flat_splits(node["left_child"]), *_flat_splits(node["right_child"])]


class _Splits:
    """Every split of every tree as (trees, splits) arrays, split ``d`` of a tree at column
    ``d`` (its split index); shorter trees padded with splits that weigh nothing."""

    def __init__(self, trees: list[list[dict[str, Any]]]) -> None:
        depth = max((len(t) for t in trees), default=0)
        shape = (len(trees), depth)
        self.feature = np.zeros(shape, dtype=np.int64)
        self.threshold = np.zeros(shape)
        self.default_left = np.zeros(shape, dtype=bool)
        self.missing = np.zeros(shape, dtype=np.int8)
        self.weight = np.zeros(shape, dtype=np.int64)  # 2**split index; 0 where padded
        self.category_row = np.zeros(shape, dtype=np.int64)  # row of `categories`; 0: numerical
        categories: list[set[int]] = [set()]
        for t, splits in enumerate(trees):
            for node in splits:
                d = int(node["split_index"])
                self.feature[t, d] = int(node["split_feature"])
                self.default_left[t, d] = bool(node["default_left"])
                self.missing[t, d] = _MISSING_TYPES[str(node["missing_type"])]
                self.weight[t, d] = 1 << d
                if node["decision_type"] == "==":
                    self.category_row[t, d] = len(categories)
                    categories.append({int(c) for c in str(node["threshold"]).split("||")})
                else:
                    self.threshold[t, d] = _threshold(float(node["threshold"]))
        widest = max((max(c) for c in categories if c), default=0) + 2
        # categories[row, value]: whether a categorical split sends that value left (the last
        # column stands for every value above the largest listed).
        self.categories = np.zeros((len(categories), widest), dtype=bool)
        for row, members in enumerate(categories):
            self.categories[row, sorted(members)] = True
        self.depth = depth

    def codes(self, values: np.ndarray, trees: np.ndarray | slice = slice(None)) -> np.ndarray:
        """The split pattern (sum of the weights of the splits it goes left at) of each row of
        ``values`` (float64, one column per feature) in each of ``trees``: (rows, trees)."""
        feature, weight = self.feature[trees], self.weight[trees]
        x = values[:, feature]  # (rows, trees, splits)
        x = np.where(np.abs(x) <= _ZERO, 0.0, x)  # LightGBM reads these as absent: zero
        missing = np.isnan(x)
        kind = self.missing[trees]
        numeric = np.where(missing & (kind != _MISSING_TYPES["NaN"]), 0.0, x)
        default = ((kind == _MISSING_TYPES["Zero"]) & (np.abs(numeric) <= _ZERO)) | (
            (kind == _MISSING_TYPES["NaN"]) & missing
        )
        left = np.where(default, self.default_left[trees], numeric <= self.threshold[trees])
        row = self.category_row[trees]
        if row.any():
            whole = np.where(missing, -1.0, x)
            whole = np.clip(whole, -1, self.categories.shape[1] - 1).astype(np.int64)
            member = (whole >= 0) & self.categories[row, np.maximum(whole, 0)]
            left = np.where(row > 0, member, left)
        return (left * weight).sum(axis=-1)


class ContributionTable:
    """``pred_contrib`` of one booster, from each tree's table of split patterns."""

    def __init__(self, splits: _Splits, table: np.ndarray) -> None:
        self._splits = splits
        self._table = table  # (trees, 2**depth, features + 1); NaN: a pattern no row takes
        self._trees = np.arange(len(table))

    @classmethod
    def of(cls, booster: lgb.Booster) -> ContributionTable | None:
        """The table of ``booster``, or None when its trees have more than
        :data:`MAX_PATTERNS` split patterns."""
        trees = [_flat_splits(t["tree_structure"]) for t in booster.dump_model()["tree_info"]]
        splits = _Splits(trees)
        if 2**splits.depth > MAX_PATTERNS:
            return None
        width = booster.num_feature()
        table = np.full((len(trees), 2**splits.depth, width + 1), np.nan)
        for t, nodes in enumerate(trees):
            rows = _pattern_rows(splits, t, {int(n["split_feature"]) for n in nodes}, width)
            table[t, splits.codes(rows, np.array([t]))[:, 0]] = booster.predict(
                rows, start_iteration=t, num_iteration=1, pred_contrib=True, num_threads=1
            )
        return cls(splits, table)

    def contributions(self, features: np.ndarray) -> np.ndarray:
        """What ``booster.predict(features, pred_contrib=True)`` returns: per-feature
        contributions of each row, the last column the bias (each row sums to the score)."""
        codes = self._splits.codes(np.asarray(features, dtype=np.float64))
        return self._table[self._trees[np.newaxis, :], codes].sum(axis=1)


def _pattern_rows(splits: _Splits, tree: int, used: set[int], width: int) -> np.ndarray:
    """One row for each split pattern a row can take in ``tree`` (features it does not use
    left at 0): per feature, values that take every direction its splits can take, one kept
    per distinct direction, combined across features."""
    options = []
    mine = np.array([tree])
    for feature in sorted(used):
        at = splits.feature[tree] == feature
        at &= splits.weight[tree] > 0
        probes = [np.nan, 0.0, -1.0]
        for d in np.flatnonzero(at):
            row = splits.category_row[tree, d]
            if row:
                listed = np.flatnonzero(splits.categories[row]).astype(float)
                probes += [*listed, listed.max() + 1]
            else:
                t = splits.threshold[tree, d]
                probes += [t, float(np.nextafter(t, np.inf)), t - 1.0, t + 1.0]
        rows = np.zeros((len(probes), width))
        rows[:, feature] = probes
        own = int(splits.weight[tree][at].sum())
        codes = splits.codes(rows, mine)[:, 0] & own
        kept = dict(zip(codes.tolist(), probes, strict=True))  # one probe per direction
        options.append([(feature, value) for value in kept.values()])
    combinations = list(itertools.product(*options))
    rows = np.zeros((len(combinations), width))
    for n, combination in enumerate(combinations):
        for feature, value in combination:
            rows[n, feature] = value
    return rows
