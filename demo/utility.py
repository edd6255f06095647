"""The hidden utility of the demo world, computed over people × jobs from the records alone.

Outcomes of the counselor-days world follow a hidden utility the product never reads::

    u = 1.8·skill + 0.9·proximity + salary + education + 0.5·mode + 0.4·support + 0.6·margin
        + employability(person) + attractiveness(job) + ε − 2.5·[infeasible] − U0

* ``skill``: share of the job's skills the person has, after synonym normalisation;
* ``proximity``: :func:`matching.regions.proximity` / 3 (1 for remote jobs);
* ``salary``: (job's salary_max − expected) / expected, clipped to [−0.6, 0.4];
* ``education``: −0.4 per level below the job's minimum;
* ``mode``: 1 if the job's work mode is one the person wants, 0.5 if they named none;
* ``support``: accommodations offered that cover a dimension where the person is limited
  (0–2, halved); ``margin``: mean spare capacity over the demands (0–2, halved);
* ``employability`` ~ N(0, 0.5) lowered for hard-to-employ and grade 1–2 people, raised for
  graduates; ``attractiveness`` = employer N(0, 0.3) + job N(0, 0.25); ε ~ N(0, 0.6).

The deterministic part (everything up to ``employability``) is :func:`systematic_utility`.
The columns come from :class:`matching.catalog.Catalog` (capacities, effective demands,
accommodations, work modes, pay, education, dates) and the hard requirements from
:func:`matching.rules.meets_hard_requirements`; only the bit-set encoding is this module's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from matching.catalog import ACCOMMODATIONS, DIMENSIONS, Catalog
from matching.domain import Candidate, Job
from matching.regions import proximity
from matching.rules import meets_hard_requirements
from matching.settings import Settings
from matching.skills import SKILL_FORMS
from matching.vocabulary import ACCOMMODATION_COVERS, LEVEL_MAX

CANONICAL_SKILLS = tuple(SKILL_FORMS)
SURFACE_FORMS = tuple(form for forms in SKILL_FORMS.values() for form in forms)


def _encode(lists: Sequence[Iterable[str]], vocabulary: Sequence[str]) -> np.ndarray:
    """Sets of strings as bit sets: an (n, words) uint64 array; unknown strings are ignored."""
    bit = {item: 1 << k for k, item in enumerate(vocabulary)}
    words = max(1, -(-len(vocabulary) // 64))
    masks = [sum({bit[item] for item in items if item in bit}) for items in lists]
    mask64 = (1 << 64) - 1
    return np.array(
        [[(m >> (64 * w)) & mask64 for w in range(words)] for m in masks], dtype=np.uint64
    ).reshape(len(lists), words)


def _bits(masks: np.ndarray) -> np.ndarray:
    """The catalog's integer bit masks (under 64 members) as one-word bit sets."""
    return masks.astype(np.uint64).reshape(-1, 1)


def _levels(values: np.ndarray) -> np.ndarray:
    """Education levels with NaN (unknown) as -1."""
    return np.where(np.isnan(values), -1, values).astype(np.int8)


# The helpers below loop over the short last axis (words, dimensions) instead of reducing
# along it: numpy reductions over a tiny inner axis are many times slower.


def overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How many members two bit sets (broadcast over leading axes) share."""
    total = np.bitwise_count(a[..., 0] & b[..., 0]).astype(np.int16)
    for w in range(1, a.shape[-1]):
        total += np.bitwise_count(a[..., w] & b[..., w])
    return total


def _inverse_count(bits: np.ndarray) -> np.ndarray:
    count = np.bitwise_count(bits).sum(axis=-1)
    return np.where(count > 0, 1 / np.maximum(count, 1), 0).astype(np.float32)


@dataclass(frozen=True, slots=True)
class PairArrays:
    """Arrays over candidates (``p_*``) and jobs (``j_*``) for vectorised scoring.

    Built only from the interchange records, so that tests can recompute the systematic part
    of the hidden utility from the files. Scores are float32 and levels int8: the pair
    matrices are large, and their arithmetic is bound by memory traffic.
    """

    closeness: np.ndarray  # region × region: matching.regions.proximity / 3
    p_region: np.ndarray
    p_caps: np.ndarray
    p_skills: np.ndarray
    p_forms: np.ndarray
    p_certs: np.ndarray
    p_needs: np.ndarray
    p_limited: np.ndarray  # accommodations that would help the person (a weak dimension)
    p_education: np.ndarray  # level, -1 if unknown
    p_salary: np.ndarray  # NaN if unknown
    p_modes: np.ndarray
    j_region: np.ndarray
    j_demands: np.ndarray  # effective demands, after the accommodations offered
    j_skills: np.ndarray
    j_forms: np.ndarray
    j_skill_weight: np.ndarray  # 1 / number of (canonical) skills, 0 if none
    j_form_weight: np.ndarray  # 1 / number of surface forms, 0 if none
    j_certs: np.ndarray
    j_accommodations: np.ndarray
    j_education: np.ndarray  # minimum level, -1 if none
    j_salary: np.ndarray  # salary_max, NaN if unknown
    j_mode: np.ndarray
    j_remote: np.ndarray
    j_public_welfare: np.ndarray
    j_posted: np.ndarray
    j_closes: np.ndarray

    @classmethod
    def from_records(
        cls, people: Sequence[Candidate], jobs: Sequence[Job], settings: Settings
    ) -> PairArrays:
        """The arrays of ``people`` and ``jobs``, from their :class:`matching.catalog.Catalog`."""
        catalog = Catalog.from_records(
            employers=(),
            jobs=jobs,
            candidates=people,
            referrals=(),
            settings=settings,
            occupations=None,
        )
        c, j = catalog.candidates, catalog.jobs
        codes = np.unique(np.concatenate([c.region, j.region]))
        certificates = sorted(
            {name for p in people for name in p.certificates}
            | {name for job in jobs for name in job.certificates_required}
        )
        # Accommodations that would help: those covering a dimension where capacity is below 3.
        limited = np.zeros((len(people), 1), dtype=np.uint64)
        for a, dims in ACCOMMODATION_COVERS.items():
            weak = (c.capacities[:, [DIMENSIONS.index(d) for d in dims]] < LEVEL_MAX).any(axis=1)
            limited[weak, 0] |= np.uint64(1 << ACCOMMODATIONS.index(a))
        job_skills = _encode(j.skill_names, CANONICAL_SKILLS)
        job_forms = _encode([job.skills for job in jobs], SURFACE_FORMS)
        return cls(
            closeness=np.array(
                [[proximity(a, b) / 3 for b in codes.tolist()] for a in codes.tolist()],
                dtype=np.float32,
            ).reshape(len(codes), len(codes)),
            p_region=np.searchsorted(codes, c.region).astype(np.int64),
            p_caps=c.capacities,
            p_skills=_encode(c.skill_names, CANONICAL_SKILLS),
            p_forms=_encode([p.skills for p in people], SURFACE_FORMS),
            p_certs=_encode([p.certificates for p in people], certificates),
            p_needs=_bits(c.needs),
            p_limited=limited,
            p_education=_levels(c.education),
            p_salary=c.expected_salary,
            p_modes=_bits(c.work_modes),
            j_region=np.searchsorted(codes, j.region).astype(np.int64),
            j_demands=j.effective,
            j_skills=job_skills,
            j_forms=job_forms,
            j_skill_weight=_inverse_count(job_skills),
            j_form_weight=_inverse_count(job_forms),
            j_certs=_encode([job.certificates_required for job in jobs], certificates),
            j_accommodations=_bits(j.offered),
            j_education=_levels(j.education_min),
            j_salary=j.salary_max,
            j_mode=_bits(1 << j.work_mode.astype(np.int64)),
            j_remote=j.remote_ok,
            j_public_welfare=j.public_welfare,
            j_posted=j.posted,
            j_closes=j.closes,
        )

    def open_on(self, day: dt.date) -> np.ndarray:
        """Indexes of the jobs taking referrals on ``day``."""
        on = day.toordinal()
        return np.flatnonzero((self.j_posted <= on) & (self.j_closes >= on))


def feasible(t: PairArrays, p: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The hard requirements (people ``p`` × jobs ``j``, broadcast):
    :func:`matching.rules.meets_hard_requirements` on these arrays."""
    return meets_hard_requirements(
        capacities=t.p_caps[p],
        certificates=t.p_certs[p],
        needs=t.p_needs[p],
        demands=t.j_demands[j],
        certificates_required=t.j_certs[j],
        accommodations=t.j_accommodations[j],
    )


def _proximity(t: PairArrays, p: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Proximity 0..1; a remote job is as close as it gets."""
    return np.where(t.j_remote[j], np.float32(1), t.closeness[t.p_region[p], t.j_region[j]])


def mode_fit(t: PairArrays, p: np.ndarray, j: np.ndarray) -> np.ndarray:
    """1 when the job's work mode is one the person wants, 0.5 when they named none."""
    return np.where(
        t.p_modes[p][..., 0] == 0, np.float32(0.5), overlap(t.p_modes[p], t.j_mode[j]) > 0
    )


def systematic_utility(t: PairArrays, p: np.ndarray, j: np.ndarray) -> np.ndarray:
    """The observable part of the hidden utility (module docstring), people ``p`` × jobs ``j``.

    ``p`` and ``j`` are index arrays that broadcast against each other: aligned pairs, or a
    column of people against a row of jobs.
    """
    weight = t.j_skill_weight[j]
    # A job listing no skills counts as half a match.
    skill = np.where(weight > 0, overlap(t.p_skills[p], t.j_skills[j]) * weight, np.float32(0.5))
    expected, pay = t.p_salary[p], t.j_salary[j]
    with np.errstate(divide="ignore", invalid="ignore"):  # unknown pay is NaN, masked below
        ratio = (pay - expected) / expected
    salary = np.where((expected > 0) & np.isfinite(pay), np.clip(ratio, -0.6, 0.4), np.float32(0))
    job_level, level = t.j_education[j], t.p_education[p]
    education = np.where(
        (job_level >= 0) & (level >= 0),
        np.maximum(job_level - level, 0) * np.float32(-0.4),
        np.float32(0),
    )
    support = np.minimum(overlap(t.j_accommodations[j], t.p_limited[p]), 2) * np.float32(0.5)
    caps, demands = t.p_caps[p], t.j_demands[j]
    spare = sum(
        np.minimum(np.maximum(caps[..., d] - demands[..., d], 0), 2) for d in range(len(DIMENSIONS))
    )
    margin = spare * np.float32(1 / (2 * len(DIMENSIONS)))
    return (
        1.8 * skill
        + 0.9 * _proximity(t, p, j)
        + salary
        + education
        + 0.5 * mode_fit(t, p, j)
        + 0.4 * support
        + 0.6 * margin
    )


def counselor_view(
    t: PairArrays, p: np.ndarray, j: np.ndarray, systematic: np.ndarray
) -> np.ndarray:
    """What a counselor sees: distance, literal skill overlap, preferences, a sense of fit."""
    literal = overlap(t.p_forms[p], t.j_forms[j]) * t.j_form_weight[j]
    return 1.2 * _proximity(t, p, j) + 1.5 * literal + 0.6 * mode_fit(t, p, j) + 0.5 * systematic
