"""Promotion: whether the challenger replaces the champion (:func:`decide`), and putting it in
service (:func:`promote`) so that the alias and the bundle in service never disagree.

The ``champion`` alias of the registered model is the truth; the bundle in
``Settings.ranker_dir`` follows it (:func:`restore_serving` undoes any drift a crash left).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from matching.ranker import Direction, Ranker
from matching.settings import Settings
from training.config import PromotionRule, TrainingConfig
from training.model_card import CARD_FILE, write_model_card
from training.tracking import Tracker
from training.validation import NO_CATEGORY, PRIMARY, TOP_K, Validation, evaluate_ranker


@dataclass(frozen=True)
class Decision:
    """Whether the challenger replaces the champion, and why."""

    promote: bool
    reason: str


@dataclass(frozen=True)
class Contest:
    """The challenger's, the champion's and the baseline's validation metrics, and the verdict."""

    metrics: dict[str, float]
    champion_metrics: dict[str, float] | None
    baseline_metrics: dict[str, float]
    decision: Decision


def contest(
    challenger: Ranker,
    validation: Validation,
    tracker: Tracker,
    config: TrainingConfig,
    scratch: Path,
) -> Contest:
    """Score the challenger, the champion (if one can serve) and the baseline on the same
    validation queries; decide with ``config.promotion``."""
    metrics = evaluate_ranker(challenger, validation)
    champion = tracker.load_champion(scratch / "champion")
    champion_metrics, decision = None, None
    if champion is not None:
        try:
            champion.ranker.check_compatible(challenger.embedding_model_id or "")
        except ValueError as exc:
            # It could not serve anyway: the challenger replaces it without a contest.
            decision = Decision(True, f"champion v{champion.version} cannot serve: {exc}")
        else:
            champion_metrics = evaluate_ranker(champion.ranker, validation)
    baseline_metrics = evaluate_ranker(Ranker(), validation)
    decision = decision or decide(metrics, champion_metrics, config.promotion, baseline_metrics)
    return Contest(metrics, champion_metrics, baseline_metrics, decision)


def decide(
    challenger: Mapping[str, float],
    champion: Mapping[str, float] | None,
    rule: PromotionRule,
    baseline: Mapping[str, float] | None = None,
) -> Decision:
    """Promote only if the challenger is better by the margin and fair to every category.

    Rules, in order: the challenger is not worse than the ``baseline`` scorer on the
    cold-start slice of either direction (people and jobs without history, where a model
    that learned who gets referred fails first), counted when the slice has at least
    ``min_category_queries`` queries; every disability category's exposure ratio (people for
    a job) lies within [``parity_min``, ``parity_max``], counting categories with at least
    ``min_category_queries`` queries (fewer are reported, not gating); then, against a
    champion: jobs-for-a-person NDCG@10 higher by at least ``margin``; people-for-a-job
    NDCG@10 not lower by more than ``margin`` (that side's signal is weak, so equality would
    be noise); and no disability category's NDCG@10, in either direction, lower by more than
    ``tolerance``, counting categories with at least ``min_category_queries`` queries.
    """
    key = f"ndcg_at_{TOP_K}"
    for direction in Direction:
        name = f"{direction.value}.cold_start.{key}"
        queries = challenger.get(f"{direction.value}.cold_start.queries", 0)
        if baseline is None or name not in challenger or queries < rule.min_category_queries:
            continue
        if challenger[name] < baseline[name]:
            return Decision(
                False,
                f"{name} {challenger[name]:.4f} is below the baseline scorer's "
                f"{baseline[name]:.4f} on the cold-start slice ({queries:.0f} queries)",
            )
    unfair = []
    for name, ratio in sorted(challenger.items()):
        if not name.endswith(".exposure_ratio"):
            continue
        queries = challenger.get(name.removesuffix("ratio") + "queries", 0)
        if queries < rule.min_category_queries or name.split(".")[2] == NO_CATEGORY:
            continue
        if not rule.parity_min <= ratio <= rule.parity_max:
            unfair.append(f"{name} {ratio:.2f}")
    if unfair:
        return Decision(
            False,
            f"exposure parity outside [{rule.parity_min}, {rule.parity_max}]: " + "; ".join(unfair),
        )
    if champion is None:
        return Decision(True, "no champion yet")
    primary = f"{PRIMARY.value}.{key}"
    gain = challenger[primary] - champion[primary]
    if gain < rule.margin:
        return Decision(
            False,
            f"{primary} {challenger[primary]:.4f} vs champion {champion[primary]:.4f}: "
            f"gain {gain:+.4f} below the margin {rule.margin}",
        )
    other = f"{Direction.CANDIDATES_FOR_JOB.value}.{key}"
    if challenger[other] < champion[other] - rule.margin:
        return Decision(
            False,
            f"{other} {challenger[other]:.4f} vs champion {champion[other]:.4f}: "
            f"worse by more than the margin {rule.margin}",
        )
    drops = []
    for name, before in sorted(champion.items()):
        if ".category." not in name or not name.endswith(f".{key}"):
            continue
        queries = challenger.get(name.removesuffix(key) + "queries", 0)
        after = challenger.get(name)
        if after is None or queries < rule.min_category_queries:
            continue
        if before - after > rule.tolerance:
            drops.append(f"{name} {after:.4f} vs {before:.4f}")
    if drops:
        return Decision(
            False,
            f"disability category NDCG@{TOP_K} dropped by more than the tolerance "
            f"{rule.tolerance}: " + "; ".join(drops),
        )
    return Decision(
        True,
        f"{primary} {challenger[primary]:.4f} vs champion {champion[primary]:.4f} "
        f"(gain {gain:+.4f} >= margin {rule.margin}); no category dropped more than "
        f"{rule.tolerance}",
    )


def restore_serving(settings: Settings, tracker: Tracker, scratch: Path) -> str | None:
    """Make ``Settings.ranker_dir`` hold the champion's bundle again if it drifted.

    The alias is the truth: a crash between putting a bundle in service and moving the alias
    (or a hand-copied bundle) is undone here. Returns the champion's registered version.
    """
    champion = tracker.load_champion(scratch)
    if champion is None:
        return None
    current = Ranker.in_service(settings.ranker_dir)
    # A save killed between its renames serves from <ranker_dir>.old: put it back in place.
    if (
        current is None
        or current.version != champion.ranker.version
        or not settings.ranker_dir.is_dir()
    ):
        champion.ranker.save(settings.ranker_dir)
    return champion.version


def promote(
    settings: Settings,
    tracker: Tracker,
    ranker: Ranker,
    version: str,
    card: str,
    model_card_dir: Path | None,
    scratch: Path,
) -> None:
    """Put the bundle in service, write the model card, and move the alias (last).

    If any step raises, the previous bundle and card are put back before the error goes on,
    so the alias and the bundle in service never disagree after a failed promotion.
    """
    card_dirs = [settings.home / "models"] + ([model_card_dir] if model_card_dir else [])
    backup = scratch / "previous"
    backup.mkdir(parents=True, exist_ok=True)
    previous = settings.ranker_dir if settings.ranker_dir.is_dir() else None
    if previous is not None:
        shutil.copytree(previous, backup / "ranker")
    cards = {
        d: (d / CARD_FILE).read_text(encoding="utf-8")
        for d in card_dirs
        if (d / CARD_FILE).is_file()
    }
    try:
        ranker.save(settings.ranker_dir)
        write_model_card(card, card_dirs)
        tracker.set_champion(version)
    except BaseException:
        if previous is not None:
            Ranker.load(backup / "ranker").save(settings.ranker_dir)
        else:
            shutil.rmtree(settings.ranker_dir, ignore_errors=True)
        for directory in card_dirs:
            if directory in cards:
                write_model_card(cards[directory], [directory])
            else:
                (directory / CARD_FILE).unlink(missing_ok=True)
        raise
