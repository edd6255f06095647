"""Behavioural tests of a learned ranker (invariance, counterfactual fairness, minimum
functionality), as in Made-With-ML: a real LightGBM ranker trained on a small months world,
served by the real Matcher. Vectors are a deterministic function of the real embedding text
(:func:`matching.embedding.candidate_text` / ``job_text``), so two people with the same text
get the same vector, as with m3e, without running the model here."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from demo.worlds import WorldStyle, generate_evaluation_world
from matching.catalog import Catalog
from matching.domain import Candidate, Employer, Job, Referral
from matching.embedding import candidate_text, job_text
from matching.engine import Matcher
from matching.features import DECLARED, Effect, HistoryIndex, build_features
from matching.ranker import Direction, Ranker
from matching.settings import Settings
from matching.vocabulary import Dimension, DisabilityCategory
from training.config import shipped_config
from training.dataset import ranking_sets
from training.train import fit_ranker

TODAY = dt.date(2026, 6, 30)


def _vector(text: str) -> np.ndarray:
    """A unit vector determined by the text's character bigrams (similar texts, near vectors)."""
    out = np.zeros(256, dtype=np.float32)
    for a, b in zip(text, text[1:], strict=False):
        out[hashlib.blake2b((a + b).encode(), digest_size=2).digest()[0]] += 1.0
    return out / max(float(np.linalg.norm(out)), 1e-9)


def _read(directory: Path, name: str, model):
    lines = (directory / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [model.model_validate(json.loads(line)) for line in lines]


CONFIG = shipped_config().with_changes({"lightgbm": {"n_estimators": 30, "min_child_samples": 5}})


class World:
    def __init__(self, directory: Path) -> None:
        self.employers = _read(directory, "employers", Employer)
        self.jobs = _read(directory, "jobs", Job)
        self.people = _read(directory, "candidates", Candidate)
        self.referrals = _read(directory, "referrals", Referral)
        catalog = self.catalog(self.people)
        job_vectors, people_vectors = self.vectors(catalog)
        sets = ranking_sets(
            catalog,
            HistoryIndex(catalog),
            job_vectors=job_vectors,
            candidate_vectors=people_vectors,
            settings=Settings(),
            rows=np.arange(len(catalog.history)),
            config=CONFIG,
        )
        self.ranker = fit_ranker(sets, embedding_model_id="bigrams", config=CONFIG)

    def catalog(self, people: list[Candidate], jobs: list[Job] | None = None) -> Catalog:
        return Catalog.from_records(
            employers=self.employers,
            jobs=jobs or self.jobs,
            candidates=people,
            referrals=self.referrals,
            settings=Settings(),
            occupations=None,
        )

    @staticmethod
    def vectors(catalog: Catalog) -> tuple[np.ndarray, np.ndarray]:
        jobs = np.array([_vector(job_text(j, None)) for j in catalog.jobs.records])
        people = np.array([_vector(candidate_text(c, None)) for c in catalog.candidates.records])
        return jobs, people

    def matcher(
        self, people: list[Candidate], jobs: list[Job] | None = None, pool: int = 60
    ) -> Matcher:
        catalog = self.catalog(people, jobs)
        job_vectors, people_vectors = self.vectors(catalog)
        return Matcher(
            catalog,
            self.ranker,
            Settings(retrieval_pool=pool),
            job_vectors=job_vectors,
            candidate_vectors=people_vectors,
        )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    directory = tmp_path_factory.mktemp("behaviour")
    generate_evaluation_world(
        directory,
        style=WorldStyle.MONTHS,
        seed=6,
        candidates=250,
        jobs=120,
        referrals=700,
        today=TODAY,
    )
    return World(directory)


def _jobs_of(matcher: Matcher, person: str) -> list[str]:
    return [m.id for m in matcher.jobs_for_candidate(person, 10, on=TODAY)]


def _people_of(matcher: Matcher, job: str) -> list[str]:
    return [m.id for m in matcher.candidates_for_job(job, 10, on=TODAY)]


def _changed(people: list[Candidate], n: int, **fields) -> list[Candidate]:
    return [p.model_copy(update=fields) if i == n else p for i, p in enumerate(people)]


def test_the_ranker_is_learned(world: World) -> None:
    assert world.ranker.learned and world.ranker.baseline_prior > 0


def test_a_name_or_an_id_number_changes_no_ranking(world: World) -> None:
    before = world.matcher(world.people)
    open_job = before.catalog.jobs.ids[int(before.catalog.jobs.open_on(TODAY.toordinal())[0])]
    for n in range(0, 40, 4):
        person = world.people[n]
        renamed = _changed(world.people, n, name="王某某", id_number=None, cert_number=None)
        after = world.matcher(renamed)
        assert _jobs_of(after, person.id) == _jobs_of(before, person.id)
    assert _people_of(after, open_job) == _people_of(before, open_job)


def test_a_record_id_changes_no_ranking(world: World) -> None:
    before = world.matcher(world.people)
    # A person no one referred: their id appears in no referral.
    referred = {r.candidate_id for r in world.referrals}
    person = next(p for p in world.people if p.id not in referred)
    n = world.people.index(person)
    after = world.matcher(_changed(world.people, n, id="NEW-ID"))
    assert _jobs_of(after, "NEW-ID") == _jobs_of(before, person.id)


def test_a_disability_mention_in_free_text_or_another_category_changes_no_ranking(
    world: World,
) -> None:
    """Counterfactual fairness: capacities kept, the category and free text changed."""
    before = world.matcher(world.people)
    jobs = before.catalog.jobs
    open_jobs = [jobs.ids[int(j)] for j in jobs.open_on(TODAY.toordinal())[:5]]
    checked = 0
    for n, person in enumerate(world.people[:40]):
        if not person.capacities or len(person.capacities) < 7:
            continue  # only a full assessment keeps capacities whatever the category
        summary = (person.summary or "").rstrip("。") + "。本人为肢体残疾二级。"
        category = (
            DisabilityCategory.HEARING
            if person.disability_category is not DisabilityCategory.HEARING
            else DisabilityCategory.VISUAL
        )
        for change in ({"summary": summary}, {"disability_category": category}):
            after = world.matcher(_changed(world.people, n, **change))
            assert _jobs_of(after, person.id) == _jobs_of(before, person.id), change
            for job in open_jobs:
                assert _people_of(after, job) == _people_of(before, job), change
        checked += 1
    assert checked >= 3


def test_minimum_functionality_the_nearby_job_asking_their_skills_comes_first(
    world: World,
) -> None:
    """Two otherwise identical jobs: the one in the person's county asking the skills they
    have ranks above one in another province asking skills they lack."""
    base = world.jobs[0]
    person = world.people[0].model_copy(
        update={
            "id": "hand-built",
            "skills": ["包装", "质检"],
            "region_code": base.region_code,
            "needs": [],
            "capacities": dict.fromkeys(Dimension, 3),
            "certificates": [],
        }
    )
    common = {
        "posted_at": TODAY - dt.timedelta(days=10),
        "closes_at": TODAY + dt.timedelta(days=30),
        "certificates_required": [],
        "demands": {},
        "accommodations": [],
        "public_welfare": False,
        "remote_ok": False,
        "title": "操作工",
        "description": None,
    }
    fit = base.model_copy(update={**common, "id": "fit", "skills": ["包装", "质检"]})
    far = base.model_copy(
        update={**common, "id": "far", "skills": ["会计", "出纳"], "region_code": "110101"}
    )
    matcher = world.matcher([*world.people, person], [*world.jobs, fit, far])
    ranked = [m.id for m in matcher.jobs_for_candidate("hand-built", 200, on=TODAY)]
    assert "fit" in ranked
    assert "far" not in ranked or ranked.index("fit") < ranked.index("far")
    assert isinstance(world.ranker, Ranker)


def test_the_learned_scores_follow_every_declared_direction(world: World) -> None:
    """Direction: raising a feature declared HIGHER never lowers a score, raising one
    declared LOWER never raises it (monotone constraints and the monotone baseline prior),
    on real feature rows of the world's open jobs for its people."""
    matcher = world.matcher(world.people)
    catalog = matcher.catalog
    jobs = catalog.jobs.open_on(TODAY.toordinal())[:40]
    people = np.repeat(np.arange(30), len(jobs))
    pairs_jobs = np.tile(jobs, 30)
    rows = build_features(
        catalog,
        HistoryIndex(catalog),
        people,
        pairs_jobs,
        np.full(len(people), TODAY.toordinal()),
        np.full(len(people), 0.5, dtype=np.float32),
        Settings(),
    )
    for direction in Direction:
        before = world.ranker.score(rows, direction)
        for n, feature in enumerate(DECLARED):
            if feature.effect is Effect.UNSTATED:
                continue
            raised = rows.copy()
            known = ~np.isnan(raised[:, n])
            raised[known, n] += 1.0
            change = (world.ranker.score(raised, direction) - before)[known] * feature.effect
            assert (change >= -1e-9).all(), (direction, feature.name)


def test_a_skill_the_job_asks_for_never_lowers_the_job(world: World) -> None:
    """Direction: each person gains one skill a job asks for and they lack; that job's score
    for them never goes down (the embedding similarity, a separate signal of the changed
    text, held as it was)."""
    checked = 0
    for n, person in enumerate(world.people[:60]):
        for job in world.jobs[:60]:
            missing = [s for s in job.skills if s not in person.skills]
            if not missing:
                continue
            gained = _changed(world.people, n, skills=[*person.skills, missing[0]])
            scores = []
            for people in (world.people, gained):
                catalog = world.catalog(people)
                c, j = catalog.candidates.index[person.id], catalog.jobs.index[job.id]
                row = build_features(
                    catalog,
                    HistoryIndex(catalog),
                    np.array([c]),
                    np.array([j]),
                    np.array([TODAY.toordinal()]),
                    np.array([0.6], dtype=np.float32),
                    Settings(),
                )
                scores.append([world.ranker.score(row, d)[0] for d in Direction])
            assert all(after >= before for before, after in zip(*scores, strict=True)), job.id
            checked += 1
            break
    assert checked >= 20


def _twin_jobs(world: World, person_region: str) -> tuple[Job, Job]:
    base = world.jobs[0]
    common = {
        "posted_at": TODAY - dt.timedelta(days=10),
        "closes_at": TODAY + dt.timedelta(days=30),
        "certificates_required": [],
        "demands": {},
        "accommodations": [],
        "public_welfare": False,
        "remote_ok": False,
        "openings": 1,
    }
    near = base.model_copy(update={**common, "id": "near", "region_code": person_region})
    # Same text, same employer, same pay: only the place differs (Beijing, another province).
    far = base.model_copy(update={**common, "id": "far", "region_code": "110101"})
    return near, far


def test_a_same_county_job_ranks_above_its_twin_in_another_province(world: World) -> None:
    checked = 0
    for person in world.people[:40]:
        if person.region_code.startswith("11") or person.needs:
            continue
        person = person.model_copy(update={"capacities": dict.fromkeys(Dimension, 3)})
        people = [p if p.id != person.id else person for p in world.people]
        near, far = _twin_jobs(world, person.region_code)
        # Every feasible job ranked: the twins are equally near by text, in the pool or not.
        matcher = world.matcher(people, [*world.jobs, near, far], pool=1000)
        ranked = [m.id for m in matcher.jobs_for_candidate(person.id, 500, on=TODAY)]
        assert ranked.index("near") < ranked.index("far"), person.id
        checked += 1
    assert checked >= 10


def test_minimum_functionality_the_skilled_neighbour_comes_first_for_a_job(world: World) -> None:
    """Two otherwise identical people: the one in the job's county with the skills it asks
    for ranks above the one in another province without them."""
    job = next(j for j in world.jobs if len(j.skills) >= 2)
    job = job.model_copy(
        update={
            "id": "hand-built-job",
            "posted_at": TODAY - dt.timedelta(days=5),
            "closes_at": TODAY + dt.timedelta(days=30),
            "certificates_required": [],
            "demands": {},
            "public_welfare": False,
            "remote_ok": False,
        }
    )
    template = world.people[0].model_copy(
        update={"needs": [], "capacities": dict.fromkeys(Dimension, 3), "certificates": []}
    )
    fit = template.model_copy(
        update={"id": "fit", "skills": list(job.skills), "region_code": job.region_code}
    )
    other = template.model_copy(
        update={"id": "other", "skills": ["会计", "出纳"], "region_code": "110101"}
    )
    matcher = world.matcher([*world.people, fit, other], [*world.jobs, job], pool=1000)
    ranked = [m.id for m in matcher.candidates_for_job("hand-built-job", 500, on=TODAY)]
    assert "fit" in ranked
    assert "other" not in ranked or ranked.index("fit") < ranked.index("other")
