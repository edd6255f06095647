"""Functional capacities and the hard requirements (INTERCHANGE.md, "Hard requirements").

Matching never reasons from a disability category directly ("blind → massage"); it compares a
job's functional *demands* with a person's functional *capacities* on the same dimensions.
Capacities come from an ability assessment where one was recorded and otherwise from the
documented defaults below (shown in the README).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from matching.domain import Candidate, Job
from matching.vocabulary import (
    ACCOMMODATION_COVERS,
    ACCOMMODATION_RELIEF,
    LEVEL_MAX,
    Accommodation,
    Dimension,
    DisabilityCategory,
)

Levels = Mapping[Dimension, int]

_V, _H, _S, _M, _U, _C, _P = (
    Dimension.VISION,
    Dimension.HEARING,
    Dimension.SPEECH,
    Dimension.MOBILITY,
    Dimension.UPPER_LIMB,
    Dimension.COGNITION,
    Dimension.PSYCHOSOCIAL,
)

# Default capacities by category and grade (grade 1 is the most severe). Only the dimensions a
# category affects are listed; every other dimension is 3. These are deliberately cautious
# starting points for people without an ability assessment, which always overrides them.
DEFAULT_CAPACITIES: dict[DisabilityCategory, dict[int, dict[Dimension, int]]] = {
    DisabilityCategory.VISUAL: {
        1: {_V: 0},
        2: {_V: 0},
        3: {_V: 1},
        4: {_V: 2},
    },
    DisabilityCategory.HEARING: {
        1: {_H: 0, _S: 1},
        2: {_H: 0, _S: 2},
        3: {_H: 1},
        4: {_H: 2},
    },
    DisabilityCategory.SPEECH: {
        1: {_S: 0},
        2: {_S: 1},
        3: {_S: 1},
        4: {_S: 2},
    },
    DisabilityCategory.PHYSICAL: {
        1: {_M: 0, _U: 1},
        2: {_M: 1, _U: 2},
        3: {_M: 2},
        4: {_M: 2},
    },
    DisabilityCategory.INTELLECTUAL: {
        1: {_C: 0, _P: 1},
        2: {_C: 0, _P: 1},
        3: {_C: 1, _P: 2},
        4: {_C: 2},
    },
    DisabilityCategory.MENTAL: {
        1: {_P: 0, _C: 1},
        2: {_P: 0, _C: 2},
        3: {_P: 1, _C: 2},
        4: {_P: 2},
    },
    # The components of a multiple disability are unknown without an assessment: every
    # dimension is lowered a little rather than one guessed dimension a lot.
    DisabilityCategory.MULTIPLE: {
        1: dict.fromkeys(Dimension, 1),
        2: dict.fromkeys(Dimension, 2),
        3: dict.fromkeys(Dimension, 2),
        4: {d: (2 if d in (_M, _P) else 3) for d in Dimension},
    },
}

# A category recorded without a grade (not yet graded) takes the mildest grade's defaults.
UNGRADED_DEFAULT_GRADE = 4


def default_capacities(
    category: DisabilityCategory | None, grade: int | None
) -> dict[Dimension, int]:
    """Default capacities (默认功能能力, DOMAIN.md "Functional demands, not stereotypes"): the
    documented default capacity on every dimension for a category and grade.

    No category (a family member, or someone not yet assessed) means 3 on every dimension.
    """
    levels = dict.fromkeys(Dimension, LEVEL_MAX)
    if category is not None:
        levels.update(DEFAULT_CAPACITIES[category][grade or UNGRADED_DEFAULT_GRADE])
    return levels


def person_capacities(
    category: DisabilityCategory | None,
    grade: int | None,
    assessed: Levels | None = None,
) -> dict[Dimension, int]:
    """A person's capacities: assessed levels where recorded, documented defaults elsewhere."""
    levels = default_capacities(category, grade)
    if assessed:
        levels.update({Dimension(d): int(v) for d, v in assessed.items()})
    return levels


def effective_demands(
    demands: Levels | None, accommodations: Iterable[Accommodation]
) -> dict[Dimension, int]:
    """Accommodations bridge a gap (合理便利, DOMAIN.md "Functional demands, not stereotypes"):
    a job's demands after the accommodations it offers (missing demands count as 0).

    A stated demand is lowered by 2, not below 0, on each dimension that an offered
    accommodation covers; several accommodations covering one dimension lower it only once.
    """
    covered: set[Dimension] = set()
    for accommodation in accommodations:
        covered |= ACCOMMODATION_COVERS.get(Accommodation(accommodation), frozenset())
    stated = demands or {}
    return {
        d: max(0, int(stated.get(d, 0)) - (ACCOMMODATION_RELIEF if d in covered else 0))
        for d in Dimension
    }


class Requirement(StrEnum):
    """The three hard requirements, in the order INTERCHANGE.md lists them."""

    CAPACITY = "capacity"
    CERTIFICATE = "certificate"
    ACCOMMODATION = "accommodation"


@dataclass(frozen=True, slots=True)
class Unmet:
    """One hard requirement a person does not meet for a job, with what exactly is missing."""

    requirement: Requirement
    item: str  # the dimension, certificate or accommodation concerned
    demand: int | None = None  # for capacity: the job's effective demand
    capacity: int | None = None  # for capacity: the person's capacity


@dataclass(frozen=True, slots=True)
class Feasibility:
    """Whether a job is feasible for a person, and if not, every requirement that failed."""

    unmet: tuple[Unmet, ...]

    @property
    def feasible(self) -> bool:
        return not self.unmet

    @property
    def failed_requirements(self) -> list[Requirement]:
        """The distinct requirements that failed, in contract order."""
        failed = {u.requirement for u in self.unmet}
        return [r for r in Requirement if r in failed]


def check_feasibility(
    *,
    capacities: Levels,
    certificates: Iterable[str],
    needs: Iterable[Accommodation],
    demands: Levels | None,
    certificates_required: Iterable[str],
    accommodations: Iterable[Accommodation],
) -> Feasibility:
    """Hard requirements (硬性条件, DOMAIN.md "Functional demands, not stereotypes"): apply
    them (INTERCHANGE.md) to one person and one job.

    ``capacities`` must be the person's full capacities (see :func:`person_capacities`).
    Returns every unmet requirement; the job is feasible when there is none.
    """
    offered = {Accommodation(a) for a in accommodations}
    unmet: list[Unmet] = []
    effective = effective_demands(demands, offered)
    for dimension in Dimension:
        demand, capacity = effective[dimension], int(capacities[dimension])
        if demand > capacity:
            unmet.append(Unmet(Requirement.CAPACITY, dimension.value, demand, capacity))
    held = set(certificates)
    for certificate in dict.fromkeys(certificates_required):
        if certificate not in held:
            unmet.append(Unmet(Requirement.CERTIFICATE, certificate))
    for need in dict.fromkeys(Accommodation(n) for n in needs):
        if need not in offered:
            unmet.append(Unmet(Requirement.ACCOMMODATION, need.value))
    return Feasibility(tuple(unmet))


class SparseSets(NamedTuple):
    """Sets over an open vocabulary (certificates) as rows of a 0/1 sparse matrix: pair ``k``'s
    set is row ``rows[k]`` of ``matrix``. Rows are gathered only for the pairs that need
    looking at (few jobs require a certificate; a training set has millions of pairs)."""

    matrix: sp.csr_matrix
    rows: np.ndarray


#: A set per pair: a bit set, ``(..., words)`` uint64 (or narrower) integers over a vocabulary
#: shared by both sides, or :class:`SparseSets`.
Sets = np.ndarray | SparseSets


def _contains(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """Whether each bit set ``inner`` lies inside ``outer`` (``(..., words)`` integer arrays)."""
    # Word by word: a people × jobs grid is large, and one word at a time keeps it one grid.
    inside = (inner[..., 0] & ~outer[..., 0]) == 0
    for word in range(1, inner.shape[-1]):
        inside &= (inner[..., word] & ~outer[..., word]) == 0
    return inside


def _holds_required(feasible: np.ndarray, held: SparseSets, required: SparseSets) -> np.ndarray:
    """``feasible`` narrowed to the pairs whose ``held`` set contains the ``required`` one,
    looking only at the pairs still feasible that require anything."""
    wanted = np.diff(required.matrix.indptr)[required.rows]
    check = np.flatnonzero(feasible & (wanted > 0))
    if len(check):
        asked = required.matrix[required.rows[check]]
        found = asked.multiply(held.matrix[held.rows[check]]).sum(axis=1)
        feasible[check] = np.asarray(found).ravel() == wanted[check]
    return feasible


def meets_hard_requirements(
    *,
    capacities: np.ndarray,
    certificates: Sets,
    needs: np.ndarray,
    demands: np.ndarray,
    certificates_required: Sets,
    accommodations: np.ndarray,
) -> np.ndarray:
    """Hard requirements (硬性条件, DOMAIN.md "Functional demands, not stereotypes"), the
    vectorised twin: :func:`check_feasibility`'s verdict, vectorised over arrays that broadcast
    together (aligned pairs, or people as a column against jobs as a row). Every caller that
    checks many pairs uses it (``matching.features.feasible`` over a catalog).

    ``capacities`` (see :func:`person_capacities`) and ``demands`` are ``(..., len(Dimension))``
    levels in ``Dimension`` order, the demands already *effective* (see
    :func:`effective_demands`); ``needs`` and the offered ``accommodations`` are bit sets
    (:data:`Sets`); certificates are bit sets too, or :class:`SparseSets` of aligned pairs
    (both sides then sparse, the other arrays one-dimensional pairs).
    """
    feasible = _contains(accommodations, needs)
    for d in range(len(Dimension)):
        feasible &= demands[..., d] <= capacities[..., d]
    if isinstance(certificates, SparseSets) and isinstance(certificates_required, SparseSets):
        return _holds_required(feasible, certificates, certificates_required)
    assert isinstance(certificates, np.ndarray) and isinstance(certificates_required, np.ndarray)
    return feasible & _contains(certificates, certificates_required)


def job_feasibility(candidate: Candidate, job: Job) -> Feasibility:
    """:func:`check_feasibility` for a candidate record and a job record."""
    return check_feasibility(
        capacities=person_capacities(
            candidate.disability_category, candidate.disability_grade, candidate.capacities
        ),
        certificates=candidate.certificates,
        needs=candidate.needs,
        demands=job.demands,
        certificates_required=job.certificates_required,
        accommodations=job.accommodations,
    )


def bridging_accommodations(
    capacities: Levels, demands: Levels | None, accommodations: Iterable[Accommodation]
) -> dict[Dimension, list[Accommodation]]:
    """The dimensions on which a job's stated demand is above a person's capacity but the
    offered accommodations bring it within reach, each with the accommodations that cover it:
    "the accommodation that makes the job possible" (rule 1 of the hard requirements)."""
    offered = [Accommodation(a) for a in dict.fromkeys(accommodations)]
    effective = effective_demands(demands, offered)
    stated = demands or {}
    return {
        dimension: [a for a in offered if dimension in ACCOMMODATION_COVERS.get(a, frozenset())]
        for dimension in Dimension
        if int(stated.get(dimension, 0)) > int(capacities[dimension]) >= effective[dimension]
    }
