"""The demo world's one seeded stream of random numbers, served cheaply to Python loops."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import TypeVar

import numpy as np

_T = TypeVar("_T")


class Draws:
    """Scalar random numbers served from blocks drawn by the world's numpy Generator.

    Building a world makes millions of scalar draws in Python loops, and one Generator call
    costs microseconds; serving them from pre-drawn blocks keeps one seeded, deterministic
    stream at a fraction of the cost.
    """

    def __init__(self, rng: np.random.Generator, block: int = 1 << 16) -> None:
        self._rng = rng
        self._block = block
        self._uniform: list[float] = []
        self._next_uniform = 0
        self._normal: list[float] = []
        self._next_normal = 0

    def random(self) -> float:
        """Uniform on [0, 1)."""
        if self._next_uniform == len(self._uniform):
            self._uniform, self._next_uniform = self._rng.random(self._block).tolist(), 0
        self._next_uniform += 1
        return self._uniform[self._next_uniform - 1]

    def normal(self) -> float:
        """Standard normal."""
        if self._next_normal == len(self._normal):
            self._normal, self._next_normal = self._rng.normal(size=self._block).tolist(), 0
        self._next_normal += 1
        return self._normal[self._next_normal - 1]

    def below(self, n: int) -> int:
        """Uniform integer in [0, n)."""
        return min(int(self.random() * n), n - 1)

    def between(self, low: int, high: int) -> int:
        """Uniform integer in [low, high)."""
        return low + self.below(high - low)

    def uniform(self, low: float, high: float) -> float:
        """Uniform on [low, high)."""
        return low + (high - low) * self.random()

    def pick(self, items: Sequence[_T]) -> _T:
        """A uniformly chosen item."""
        return items[self.below(len(items))]

    def weighted(self, cumulative: Sequence[float]) -> int:
        """An index drawn by weight, given the cumulative weights."""
        index = bisect.bisect_right(cumulative, self.random() * cumulative[-1])
        return min(index, len(cumulative) - 1)

    def sample(self, items: Sequence[_T], k: int) -> list[_T]:
        """``k`` distinct items (at most all of them), in random order."""
        pool = list(items)
        for i in range(min(k, len(pool))):
            j = i + self.below(len(pool) - i)
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]


def cumulative(weights: Iterable[float]) -> list[float]:
    """Running sums of weights, for :meth:`Draws.weighted`."""
    return np.cumsum(list(weights)).tolist()
