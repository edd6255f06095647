"""``jobmatch train`` and ``jobmatch retrain``: tracked training runs of the ranker."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from matching.settings import Settings
from serving.cli.common import settings_of
from training.config import Engine

commands = typer.Typer()

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="A TOML file of training and promotion settings; the keys it holds replace the "
        "shipped ones (training/ranker.toml), the options below replace both.",
    ),
]
EngineOption = Annotated[
    Engine | None,
    typer.Option(
        help="Where LightGBM trains: local (this machine) or dask (a Dask cluster; needs the "
        "scale extra). Default: [training] engine."
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        help="Dask scheduler address (e.g. tcp://10.0.0.5:8786) for --engine dask; "
        "without it a local two-worker cluster is started."
    ),
]


def _run_retrain(
    settings: Settings,
    file: Path | None,
    options: dict[str, dict[str, Any]],
    model_card_dir: Path | None = None,
) -> None:
    """One tracked training run (training/retrain.py) with the configuration of ``file`` and
    ``options``, with exit codes a scheduler can read: 1 bad data, 2 a bad configuration,
    75 (EX_TEMPFAIL) another run holds the lock."""
    from training.config import ConfigError, load_config
    from training.dataset import NotEnoughData
    from training.retrain import RetrainLocked, retrain

    try:
        config = load_config(file, options)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        result = retrain(settings, config, model_card_dir=model_card_dir)
    except NotEnoughData as exc:
        typer.echo(f"error: cannot train: {exc}", err=True)
        raise typer.Exit(1) from None
    except RetrainLocked as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(75) from None
    verdict = "promoted to champion" if result.promoted else "not promoted"
    typer.echo(
        f"ranker {result.ranker_version} (jobmatch-ranker v{result.model_version}, MLflow run "
        f"{result.run_id}): {verdict}: {result.reason}"
    )
    primary = result.metrics["jobs_for_candidate.ndcg_at_10"]
    other = result.metrics["candidates_for_job.ndcg_at_10"]
    typer.echo(f"validation NDCG@10: jobs for a person {primary:.3f}, people for a job {other:.3f}")


@commands.command("train")
def train_command(
    ctx: typer.Context,
    negatives: Annotated[
        int | None,
        typer.Option(min=0, help="Random negatives per group (default: [dataset])."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(help="Random seed for sampling and boosting (default: [training])."),
    ] = None,
    engine: EngineOption = None,
    scheduler: SchedulerOption = None,
    config: ConfigOption = None,
) -> None:
    """One tracked training run now: train, validate on the last weeks, promote if better."""
    options: dict[str, dict[str, Any]] = {
        "dataset": {"random_negatives": negatives},
        "training": {"seed": seed, "engine": engine, "scheduler": scheduler},
    }
    _run_retrain(settings_of(ctx), config, options)


@commands.command("retrain")
def retrain_command(
    ctx: typer.Context,
    config: ConfigOption = None,
    margin: Annotated[
        float | None, typer.Option(help="NDCG@10 gain needed to replace the champion.")
    ] = None,
    tolerance: Annotated[
        float | None,
        typer.Option(help="Largest NDCG@10 drop allowed for any category."),
    ] = None,
    validation_weeks: Annotated[
        int | None,
        typer.Option(min=1, help="Most recent weeks held out for validation."),
    ] = None,
    model_card_dir: Annotated[
        Path | None,
        typer.Option(help="Also write MODEL_CARD.md here on promotion (e.g. the repo's models/)."),
    ] = None,
    engine: EngineOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """The weekly job: lock, re-embed, train, evaluate against the champion, promote or not,
    rebuild the indexes. Exit 1 on bad data, 2 on a bad configuration, 75 if another run is in
    progress."""
    options: dict[str, dict[str, Any]] = {
        "promotion": {"margin": margin, "tolerance": tolerance},
        "validation": {"weeks": validation_weeks},
        "training": {"engine": engine, "scheduler": scheduler},
    }
    _run_retrain(settings_of(ctx), config, options, model_card_dir)
