"""The ``jobmatch`` console command: batch interchange, demo data and operations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from matching.interchange import export_directory, import_directory
from matching.settings import Settings
from matching.store import Store

app = typer.Typer(
    help="jobmatch: job matching and referral for disability employment service centres.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _settings(ctx: typer.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


@app.callback()
def main(ctx: typer.Context) -> None:
    """All state lives under JOBMATCH_HOME (default ./var); see README for every setting."""
    ctx.obj = Settings()


def open_store(settings: Settings) -> Store:
    """The store of the configured home, with job occupations coded from the 2022 vocabulary."""
    from matching.occupations import OccupationVocabulary

    vocabulary = OccupationVocabulary.load()

    def resolve(text: str) -> str | None:
        occupation = vocabulary.find(text)
        return occupation.code if occupation else None

    return Store.open(settings, resolve_occupation=resolve)


@app.command("import")
def import_command(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Directory with the interchange .jsonl files.")],
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid", help="Import valid records; write refused ones beside the report."
        ),
    ] = False,
    report_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where --skip-invalid writes the report and rejects (default: DIRECTORY)."
        ),
    ] = None,
) -> None:
    """Upsert every record by id; a file with invalid records is rejected whole."""
    store = open_store(_settings(ctx))
    try:
        report = import_directory(
            store, directory, skip_invalid=skip_invalid, report_dir=report_dir, progress=True
        )
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        store.close()
    for file in report.files:
        for problem in file.problems:
            typer.echo(str(problem), err=True)
    for file in report.files:
        status = (
            "REJECTED (nothing stored)"
            if file.rejected_whole
            else (
                f"{file.inserted} new, {file.updated} updated, {file.unchanged} unchanged"
                + (f", {file.skipped} skipped" if file.skipped else "")
            )
        )
        typer.echo(f"{file.file}: {file.read} records read: {status}")
    if not report.ok:
        raise typer.Exit(1)


@app.command("export")
def export_command(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Directory to write the four .jsonl files to.")],
    purpose: Annotated[
        str | None, typer.Option(help="Why the data is exported (kept in the audit log).")
    ] = None,
) -> None:
    """Write employers, jobs, candidates and referrals in the interchange format."""
    store = open_store(_settings(ctx))
    try:
        counts = export_directory(store, directory, actor="cli", purpose=purpose)
    finally:
        store.close()
    typer.echo(", ".join(f"{n} {kind}" for kind, n in counts.items()) + f" written to {directory}")


@app.command("demo-data")
def demo_data_command(
    directory: Annotated[Path, typer.Argument(help="Directory to write the synthetic world to.")],
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = 7,
    candidates: Annotated[int, typer.Option(min=1, help="Number of job seekers.")] = 2000,
    jobs: Annotated[int, typer.Option(min=1, help="Number of positions.")] = 500,
) -> None:
    """Write a realistic synthetic world (for demos and tests) in the interchange format."""
    from training.synthetic import generate_world

    summary = generate_world(directory, seed=seed, candidates=candidates, jobs=jobs)
    typer.echo(f"wrote {summary} to {directory}")


@app.command("demo")
def demo_command(
    ctx: typer.Context,
    candidates: Annotated[int, typer.Option(min=1, help="Number of job seekers.")] = 2000,
    jobs: Annotated[int, typer.Option(min=1, help="Number of positions.")] = 500,
) -> None:
    """The main job on the embedded default: demo data into the home, imported, summarised."""
    from training.synthetic import generate_world

    settings = _settings(ctx)
    data_dir = settings.ensure_home() / "demo-data"
    summary = generate_world(data_dir, seed=7, candidates=candidates, jobs=jobs)
    typer.echo(f"demo world: {summary} in {data_dir}")
    ctx.invoke(import_command, ctx=ctx, directory=data_dir)
    typer.echo(f"home: {settings.home}  database: {settings.resolved_database_url}")
