"""``jobmatch import``, ``export``, ``report`` and ``demo-data``: records in and out."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from matching.interchange import export_directory, import_directory
from matching.store import open_store
from serving.cli.common import settings_of

commands = typer.Typer()


class ReportPeriod(StrEnum):
    quarterly = "quarterly"
    annual = "annual"


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


@commands.command("report")
def report_command(
    ctx: typer.Context,
    period: Annotated[ReportPeriod, typer.Argument(help="quarterly or annual.")],
    year: Annotated[int, typer.Option(min=1990, max=2100, help="Calendar year.")],
    out: Annotated[Path, typer.Option(help="File to write.")],
    quarter: Annotated[
        int | None, typer.Option(min=1, max=4, help="Quarter 1-4 (quarterly reports).")
    ] = None,
    region: Annotated[str, typer.Option(help="Region code prefix (default: all).")] = "",
    format_: Annotated[ReportFormat, typer.Option("--format", help="json, csv or xlsx.")] = (
        ReportFormat.json
    ),
    from_export: Annotated[
        Path | None,
        typer.Option(help="Recount from an interchange export directory instead of the store."),
    ] = None,
) -> None:
    """A real-name report (README, "Real-name reports"), from the store or from an export."""
    from matching.reports import (
        REPORT_COLUMNS,
        Period,
        build_report,
        data_from_export,
        data_from_store,
        report_rows,
    )
    from serving.tabular import csv_bytes, xlsx_bytes

    if period is ReportPeriod.quarterly and quarter is None:
        typer.echo("error: a quarterly report needs --quarter", err=True)
        raise typer.Exit(2)
    if region and not (region.isdigit() and 2 <= len(region) <= 6):
        typer.echo(f"error: --region {region} is not a 2- to 6-digit code prefix", err=True)
        raise typer.Exit(2)
    settings = settings_of(ctx)
    if from_export is not None:
        if not from_export.is_dir():
            typer.echo(f"error: {from_export} is not a directory", err=True)
            raise typer.Exit(2)
        try:
            data = data_from_export(from_export)
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
    else:
        store = open_store(settings)
        try:
            data = data_from_store(store, actor="cli")
        finally:
            store.close()
    chosen = (
        Period.quarterly(year, quarter)
        if period is ReportPeriod.quarterly and quarter is not None
        else Period.annual(year)
    )
    report = build_report(data, chosen, settings, region_prefix=region)
    rows = list(report_rows(report))
    if format_ is ReportFormat.json:
        content = (report.model_dump_json(indent=2) + "\n").encode("utf-8")
    elif format_ is ReportFormat.csv:
        content = csv_bytes(REPORT_COLUMNS, rows)
    else:
        content = xlsx_bytes({"全部": (REPORT_COLUMNS, rows)})
    out.write_bytes(content)
    typer.echo(f"wrote the {chosen.label} report ({len(rows)} figures) to {out}")


@commands.command("import")
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
    store = open_store(settings_of(ctx))
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


@commands.command("export")
def export_command(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Directory to write the .jsonl files to.")],
    purpose: Annotated[
        str | None, typer.Option(help="Why the data is exported (kept in the audit log).")
    ] = None,
) -> None:
    """Write employers, jobs, candidates, referrals and the casework files (those holding
    records) in the interchange format."""
    store = open_store(settings_of(ctx))
    try:
        counts = export_directory(store, directory, actor="cli", purpose=purpose)
    finally:
        store.close()
    typer.echo(", ".join(f"{n} {kind}" for kind, n in counts.items()) + f" written to {directory}")


@commands.command("demo-data")
def demo_data_command(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Directory to write the synthetic world to.")],
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = 7,
    candidates: Annotated[int, typer.Option(min=1, help="Number of job seekers.")] = 2000,
    jobs: Annotated[int, typer.Option(min=1, help="Number of positions.")] = 500,
) -> None:
    """Write a realistic synthetic world (for demos and tests) in the interchange format."""
    from demo.world import generate_world

    summary = generate_world(
        directory, seed=seed, candidates=candidates, jobs=jobs, settings=settings_of(ctx)
    )
    typer.echo(f"wrote {summary} to {directory}")
