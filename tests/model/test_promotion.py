"""The promotion gates beyond the margin (training/promotion.py decide): the cold-start slice
against the baseline scorer, and exposure parity per disability category."""

from __future__ import annotations

from training.config import shipped_config
from training.promotion import decide

CONFIG = shipped_config().promotion.model_copy(
    update={"margin": 0.005, "tolerance": 0.05, "min_category_queries": 5}
)


def metrics(
    jobs: float = 0.5,
    people: float = 0.4,
    cold: tuple[float, float] = (0.3, 0.2),
    cold_queries: int = 50,
    **exposure: tuple[float, int],
) -> dict[str, float]:
    out = {
        "jobs_for_candidate.ndcg_at_10": jobs,
        "candidates_for_job.ndcg_at_10": people,
        "jobs_for_candidate.cold_start.ndcg_at_10": cold[0],
        "candidates_for_job.cold_start.ndcg_at_10": cold[1],
        "jobs_for_candidate.cold_start.queries": cold_queries,
        "candidates_for_job.cold_start.queries": cold_queries,
    }
    for category, (ratio, queries) in exposure.items():
        out[f"candidates_for_job.category.{category}.exposure_ratio"] = ratio
        out[f"candidates_for_job.category.{category}.exposure_queries"] = queries
    return out


BASELINE = metrics(cold=(0.25, 0.15))


def test_a_challenger_worse_than_the_baseline_on_cold_start_is_refused() -> None:
    worse = metrics(jobs=0.9, cold=(0.3, 0.1))  # far better overall, worse for new jobs
    decision = decide(worse, None, CONFIG, BASELINE)
    assert not decision.promote
    assert "candidates_for_job.cold_start" in decision.reason and "baseline" in decision.reason
    assert decide(metrics(), None, CONFIG, BASELINE).promote


def test_a_small_cold_start_slice_does_not_gate() -> None:
    few = metrics(cold=(0.0, 0.0), cold_queries=3)
    assert decide(few, None, CONFIG, BASELINE).promote


def test_exposure_outside_the_parity_band_is_refused_both_ways() -> None:
    for ratio in (0.79, 1.26):
        decision = decide(metrics(visual=(ratio, 40), hearing=(1.0, 40)), None, CONFIG, BASELINE)
        assert not decision.promote
        assert "visual" in decision.reason and "parity" in decision.reason
    assert decide(metrics(visual=(0.8, 40), hearing=(1.25, 40)), None, CONFIG, BASELINE).promote


def test_a_category_seen_in_too_few_queries_is_reported_not_gating() -> None:
    assert decide(metrics(mental=(0.2, 4)), None, CONFIG, BASELINE).promote
    # People without a recorded category are no category: not gating either.
    assert decide(metrics(none=(0.3, 100)), None, CONFIG, BASELINE).promote


def test_the_gates_apply_against_a_champion_too() -> None:
    champion = metrics(jobs=0.4)
    assert not decide(metrics(jobs=0.6, visual=(2.0, 40)), champion, CONFIG, BASELINE).promote
    assert decide(metrics(jobs=0.6), champion, CONFIG, BASELINE).promote
