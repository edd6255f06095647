"""The ``jobmatch`` console command: batch interchange, demo data and operations."""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from matching.embedding import Embedder, EmbeddingCache
from matching.engine import Matcher, open_matcher
from matching.interchange import export_directory, import_directory
from matching.occupations import OccupationVocabulary
from matching.settings import Settings
from matching.store import Store
from serving.runtime import load_ranker

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


def open_store(settings: Settings, occupations: OccupationVocabulary | None = None) -> Store:
    """The store of the configured home, with job occupations coded from the 2022 vocabulary."""
    vocabulary = occupations or OccupationVocabulary.load()

    def resolve(text: str) -> str | None:
        # An occupation's code, name or alias, or a group code an employer confirmed.
        return vocabulary.resolve_code(text)

    return Store.open(settings, resolve_occupation=resolve)


def open_service_matcher(settings: Settings, *, progress: bool = False) -> Matcher:
    """A matcher over the home's store with the ranker in service (baseline before training)."""
    occupations = OccupationVocabulary.load()
    store = open_store(settings, occupations)
    try:
        return open_matcher(
            store,
            settings,
            Embedder(settings.resolved_embedding_model),
            load_ranker(settings),
            occupations,
            progress=progress,
        )
    finally:
        store.close()


class TrainingEngine(StrEnum):
    local = "local"
    dask = "dask"


EngineOption = Annotated[
    TrainingEngine | None,
    typer.Option(
        help="Where LightGBM trains: local (this machine) or dask (a Dask cluster; needs the "
        "scale extra). Default: models/ranker.toml, else local."
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        help="Dask scheduler address (e.g. tcp://10.0.0.5:8786) for --engine dask; "
        "without it a local two-worker cluster is started."
    ),
]


def _run_retrain(settings: Settings, **options: Any) -> None:
    """One tracked training run (training/retrain.py), with exit codes a scheduler can read:
    1 bad data, 75 (EX_TEMPFAIL) another run holds the lock."""
    from training.retrain import RetrainLocked, retrain
    from training.train import NotEnoughData

    try:
        result = retrain(settings, **options)
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


@app.command("train")
def train_command(
    ctx: typer.Context,
    negatives: Annotated[
        int | None,
        typer.Option(min=1, help="Sampled negatives per group (default: models/ranker.toml)."),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(help="Random seed for sampling and boosting (default: models/ranker.toml)."),
    ] = None,
    engine: EngineOption = None,
    scheduler: SchedulerOption = None,
) -> None:
    """One tracked training run now: train, validate on the last weeks, promote if better."""
    from training.retrain import RetrainConfig

    config = RetrainConfig.load().with_overrides(
        negatives=negatives,
        seed=seed,
        engine=engine.value if engine else None,
        scheduler=scheduler,
    )
    _run_retrain(_settings(ctx), config=config)


@app.command("retrain")
def retrain_command(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(help="Training and promotion settings (default: models/ranker.toml)."),
    ] = None,
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
    rebuild the indexes. Exit 1 on bad data, 75 if another run is in progress."""
    from training.retrain import RetrainConfig

    loaded = RetrainConfig.load(config).with_overrides(
        margin=margin,
        tolerance=tolerance,
        validation_weeks=validation_weeks,
        engine=engine.value if engine else None,
        scheduler=scheduler,
    )
    _run_retrain(_settings(ctx), config=loaded, model_card_dir=model_card_dir)


class RecommendFor(StrEnum):
    candidates = "candidates"
    jobs = "jobs"


@app.command("recommend")
def recommend_command(
    ctx: typer.Context,
    for_: Annotated[
        RecommendFor,
        typer.Option(
            "--for", help="candidates: top jobs per candidate; jobs: top candidates per job."
        ),
    ],
    ids: Annotated[Path, typer.Option(help="File with one candidate or job id per line.")],
    k: Annotated[int, typer.Option(min=1, help="Results per id.")] = 10,
    out: Annotated[Path, typer.Option(help="Output JSON Lines file.")] = Path(
        "recommendations.jsonl"
    ),
    non_personalised: Annotated[
        bool,
        typer.Option(
            "--non-personalised",
            help="Order feasible matches by distance and date only (PIPL art. 24): jobs by "
            "posting date, people by registration date.",
        ),
    ] = False,
) -> None:
    """For each id, the top K feasible matches, best first, with reasons."""
    settings = _settings(ctx)
    wanted = [line.strip() for line in ids.read_text(encoding="utf-8").splitlines() if line.strip()]
    matcher = open_service_matcher(settings, progress=True)
    known = (
        matcher.catalog.candidates.index
        if for_ is RecommendFor.candidates
        else (matcher.catalog.jobs.index)
    )
    unknown = [i for i in wanted if i not in known]
    if unknown:
        typer.echo(f"error: unknown {for_.value[:-1]} ids: {', '.join(unknown[:20])}", err=True)
        raise typer.Exit(2)
    partial = out.with_name(out.name + ".partial")
    with partial.open("w", encoding="utf-8") as handle:
        for query_id in wanted:
            if for_ is RecommendFor.candidates:
                matches = matcher.jobs_for_candidate(query_id, k, personalised=not non_personalised)
            else:
                matches = matcher.candidates_for_job(query_id, k, personalised=not non_personalised)
            line = {
                "query_id": query_id,
                "results": [
                    {"id": m.id, "score": round(m.score, 6), "reasons": m.reasons, "model": m.model}
                    for m in matches
                ],
            }
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    os.replace(partial, out)
    typer.echo(f"wrote {len(wanted)} lines to {out} (ranked by {matcher.ranker.name})")


def _ids(path: Path) -> list[str]:
    """One id per line of a file (blank lines skipped)."""
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@app.command("jobfair")
def jobfair_command(
    ctx: typer.Context,
    people: Annotated[Path, typer.Option(help="File with one candidate id per line.")],
    jobs: Annotated[Path, typer.Option(help="File with one job id per line.")],
    max_per_person: Annotated[int, typer.Option(min=1, help="Proposals per person at most.")],
    out: Annotated[Path, typer.Option(help="Output CSV file (UTF-8, header row).")] = Path(
        "plan.csv"
    ),
    per_opening: Annotated[
        int, typer.Option(min=1, help="Interviews per vacant opening at most.")
    ] = 3,
    on: Annotated[
        str | None, typer.Option(help="Day of the fair, YYYY-MM-DD (default: today).")
    ] = None,
) -> None:
    """A job-fair interview plan: the proposals that maximise the total match score within each
    job's interviews and each person's limit (min-cost flow), never an infeasible pair."""
    import datetime as dt

    from matching.jobfair import FairInputError, plan_fair, write_plan_csv

    for path in (people, jobs):
        if not path.is_file():
            typer.echo(f"error: {path} is not a file", err=True)
            raise typer.Exit(2)
    try:
        day = dt.date.fromisoformat(on) if on else None
    except ValueError:
        typer.echo(f"error: --on {on} is not a date like 2025-05-18", err=True)
        raise typer.Exit(2) from None
    matcher = open_service_matcher(_settings(ctx), progress=True)
    try:
        plan = plan_fair(
            matcher,
            _ids(people),
            _ids(jobs),
            max_per_person=max_per_person,
            per_opening=per_opening,
            on=day,
        )
    except FairInputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    partial = out.with_name(out.name + ".partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        rows = write_plan_csv(plan, handle)
    os.replace(partial, out)
    for label, summary in (("plan", plan.summary), ("greedy top-K", plan.greedy)):
        typer.echo(
            f"{label}: {summary.proposals} proposals, total score {summary.total_score:.3f}, "
            f"{summary.people_covered} people and {summary.jobs_covered} jobs covered"
        )
    if plan.ineligible_people or plan.closed_jobs:
        typer.echo(
            f"left out: {len(plan.ineligible_people)} people (inactive or not yet registered), "
            f"{len(plan.closed_jobs)} jobs (closed or filled)"
        )
    typer.echo(f"wrote {rows} proposals to {out}")


class ReportPeriod(StrEnum):
    quarterly = "quarterly"
    annual = "annual"


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


@app.command("report")
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
    settings = _settings(ctx)
    if from_export is not None:
        if not from_export.is_dir():
            typer.echo(f"error: {from_export} is not a directory", err=True)
            raise typer.Exit(2)
        data = data_from_export(from_export)
    else:
        store = open_store(settings)
        try:
            data = data_from_store(store)
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
    directory: Annotated[Path, typer.Argument(help="Directory to write the .jsonl files to.")],
    purpose: Annotated[
        str | None, typer.Option(help="Why the data is exported (kept in the audit log).")
    ] = None,
) -> None:
    """Write employers, jobs, candidates, referrals and the casework files (those holding
    records) in the interchange format."""
    store = open_store(_settings(ctx))
    try:
        counts = export_directory(store, directory, actor="cli", purpose=purpose)
    finally:
        store.close()
    typer.echo(", ".join(f"{n} {kind}" for kind, n in counts.items()) + f" written to {directory}")


occupations_app = typer.Typer(help="The 2022 occupation classification (职业分类大典).")
app.add_typer(occupations_app, name="occupations")


@occupations_app.command("suggest")
def occupations_suggest_command(
    ctx: typer.Context,
    titles: Annotated[Path, typer.Option(help="File with one job title per line.")],
    out: Annotated[
        Path | None, typer.Option(help="Output JSON Lines file (default: standard output).")
    ] = None,
    k: Annotated[int, typer.Option(min=1, max=50, help="Suggestions per title.")] = 5,
) -> None:
    """Suggest 2022 occupation codes for job titles (normalised, then candidates from
    character n-grams and m3e embeddings re-ranked by the learned coder)."""
    from matching.occupation_coding import open_coder
    from matching.occupation_suggestions import write_suggestions

    settings = _settings(ctx)
    if not titles.is_file():
        typer.echo(f"error: {titles} is not a file", err=True)
        raise typer.Exit(2)
    store = open_store(settings)
    try:
        encoder = EmbeddingCache(store, Embedder(settings.resolved_embedding_model))
        coder = open_coder(OccupationVocabulary.load(), encoder, settings.occupation_coder_dir)
        count = write_suggestions(coder, titles, out, k)
    finally:
        store.close()
    typer.echo(
        f"wrote suggestions for {count} titles to {out or 'standard output'} "
        f"(ranked by {coder.ranker_name})",
        err=out is None,
    )


@occupations_app.command("train")
def occupations_train_command(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option(help="Bundle directory (default: $JOBMATCH_HOME/models/occupation_coder)."),
    ] = None,
    confirmed: Annotated[
        bool,
        typer.Option(help="Also learn from the codes employers confirmed for job titles."),
    ] = True,
    seed: Annotated[int, typer.Option(help="LightGBM seed.")] = 0,
) -> None:
    """Retrain the occupation coder's re-ranker on the classification's names and aliases and
    on confirmed job titles; the home's coder uses it from the next start."""
    from matching.occupation_coding import OccupationCoder
    from matching.occupation_feedback import confirmed_pairs
    from training.occupation_coder import train_coder_model

    settings = _settings(ctx)
    target = out or settings.occupation_coder_dir
    store = open_store(settings)
    try:
        encoder = EmbeddingCache(store, Embedder(settings.resolved_embedding_model))
        coder = OccupationCoder(OccupationVocabulary.load(), encoder, model=None)
        pairs = confirmed_pairs(store) if confirmed else []
        model = train_coder_model(coder, pairs, seed=seed)
    finally:
        store.close()
    model.save(target)
    metrics = ", ".join(f"{name} {value}" for name, value in model.metrics.items())
    typer.echo(
        f"occupation coder {model.version} ({len(pairs)} confirmed titles) saved to {target}"
    )
    typer.echo(f"validation on held-out occupations: {metrics}")


@occupations_app.command("build-vectors")
def occupations_build_vectors_command(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option(help="Vector file (default: the one shipped in the package)."),
    ] = None,
    float32: Annotated[
        bool, typer.Option(help="Full precision (4x the size), to measure what int8 costs.")
    ] = False,
) -> None:
    """Embed every name, alias, definition, task list and group name of the vocabulary with
    the configured model and write them (int8) to the file the coder reads at start-up:
    regenerates matching/data/occupation_vectors.npz after a model or vocabulary change."""
    from matching.occupation_vectors import SHIPPED_FILE, build_vectors

    settings = _settings(ctx)
    target = out or SHIPPED_FILE
    embedder = Embedder(settings.resolved_embedding_model)
    precision = "float32" if float32 else "int8"
    count = build_vectors(OccupationVocabulary.load(), embedder, target, precision=precision)
    typer.echo(f"{count} vocabulary vectors of {embedder.model_id} written to {target}")


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
    candidates: Annotated[int, typer.Option(min=1, help="Number of job seekers.")] = 1000,
    jobs: Annotated[int, typer.Option(min=1, help="Number of positions.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed of the demo world.")] = 7,
) -> None:
    """The main job on the embedded default: a demo world imported, a ranker trained on its
    referral outcomes, and a few explained recommendations shown."""
    from training.synthetic import generate_world

    settings = _settings(ctx)
    data_dir = settings.ensure_home() / "demo-data"
    summary = generate_world(data_dir, seed=seed, candidates=candidates, jobs=jobs)
    typer.echo(
        f"demo world: {summary.candidates} candidates, {summary.jobs} jobs, "
        f"{summary.employers} employers, {summary.referrals} referrals in {data_dir}"
    )
    ctx.invoke(import_command, ctx=ctx, directory=data_dir, skip_invalid=False, report_dir=None)
    ctx.invoke(train_command, ctx=ctx, negatives=None, seed=None, engine=None, scheduler=None)
    matcher = open_service_matcher(settings)
    for candidate_id in matcher.catalog.candidates.ids[:3]:
        typer.echo(f"\n{candidate_id}: top jobs ({matcher.ranker.name})")
        matches = matcher.jobs_for_candidate(candidate_id, 3)
        if not matches:
            typer.echo("  no open job meets this person's hard requirements")
        for match in matches:
            title = matcher.catalog.jobs.records[matcher.catalog.jobs.index[match.id]].title
            typer.echo(f"  {match.id} {title}  score {match.score:.3f}")
            for reason in match.reasons:
                typer.echo(f"      - {reason}")
    typer.echo(f"\nhome: {settings.home}  database: {settings.resolved_database_url}")
    _demo_accounts(settings)


def _demo_accounts(settings: Settings) -> None:
    """One console account per role over the demo world, each with a fresh password printed
    once: the counselor works in the prefecture with the most people, the employer account is
    the employer there with the most jobs."""
    import secrets
    from collections import Counter

    from sqlalchemy import select

    from matching.store.tables import AccountRow, CandidateRow, JobRow
    from serving.auth import Account, Role, create_account_in
    from serving.signin import set_password

    store = open_store(settings)
    lines = []
    try:
        with store.session() as session:
            regions = Counter(r[:4] for r in session.scalars(select(CandidateRow.region_code)))
            prefecture = regions.most_common(1)[0][0]
            employers = Counter(
                session.scalars(
                    select(JobRow.employer_id).where(JobRow.region_code.startswith(prefecture))
                )
            )
            employer = employers.most_common(1)[0][0] if employers else None
            wanted = [
                (Role.COUNSELOR, "演示指导员", prefecture, None),
                (Role.EMPLOYER, "演示用人单位", None, employer),
                (Role.MANAGER, "演示统计员", None, None),
                (Role.ADMIN, "演示管理员", None, None),
            ]
            for role, name, region, employer_id in wanted:
                if role is Role.EMPLOYER and employer_id is None:
                    continue
                row = session.scalar(
                    select(AccountRow).where(AccountRow.name == name, AccountRow.role == role.value)
                )
                account = (
                    Account.from_row(row)
                    if row is not None
                    else create_account_in(
                        session, name=name, role=role, region=region, employer=employer_id
                    )
                )
                password = secrets.token_urlsafe(9)
                set_password(store, session, account, password, actor="cli:demo")
                scope = account.region_code or account.employer_id or "全部"
                lines.append(f"  {role.value:<9} 账号 {name}  密码 {password}  (范围 {scope})")
    finally:
        store.close()
    typer.echo(
        "\nweb console http://127.0.0.1:8000/console/ — demo accounts (passwords new each run):"
    )
    for line in lines:
        typer.echo(line)


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the HTTP API (docs at /docs); models and indexes load once per worker."""
    import uvicorn

    # A factory, so that each worker builds its own app from the JOBMATCH_* settings.
    uvicorn.run(
        "serving.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # A worker importing torch and loading the model on a busy machine can miss uvicorn's
        # 5 s liveness ping; it would be killed and restarted for ever, never serving.
        timeout_worker_healthcheck=120,
    )


cases_app = typer.Typer(help="一人一策 cases of graduates and hard-to-employ people.")
app.add_typer(cases_app, name="cases")


class CaseKindOption(StrEnum):
    graduate = "graduate"
    hard_to_employ = "hard_to_employ"


@cases_app.command("open")
def cases_open_command(
    ctx: typer.Context,
    kind: Annotated[CaseKindOption, typer.Option(help="Graduates, or hard-to-employ people.")],
    counselor: Annotated[str, typer.Option(help="The named counselor of the new cases.")],
    region: Annotated[str, typer.Option(help="Region code prefix of the people.")] = "",
    graduation_year: Annotated[
        int | None, typer.Option(help="Graduates of this year only.")
    ] = None,
) -> None:
    """Open a case for every eligible person in the region who has none open yet (seed 004:
    every disabled graduate, every hard-to-employ person), all with one named counselor."""
    from matching.casework import CaseKind
    from matching.store.casework import open_missing_cases

    store = open_store(_settings(ctx))
    try:
        with store.session() as session:
            opened = open_missing_cases(
                store,
                session,
                CaseKind(kind.value),
                counselor=counselor,
                region_prefix=region,
                graduation_year=graduation_year,
            )
            store.audit(
                session,
                actor="cli",
                action="open_case",
                subject=f"{len(opened)} cases in {region or 'all regions'}",
                purpose=kind.value,
            )
    finally:
        store.close()
    typer.echo(f"opened {len(opened)} {kind.value} cases for {counselor}")
    for case in opened:
        typer.echo(f"  {case.id} {case.candidate_id}")


users_app = typer.Typer(help="API accounts and their bearer tokens.")
app.add_typer(users_app, name="users")


class AccountRole(StrEnum):
    counselor = "counselor"
    employer = "employer"
    manager = "manager"
    admin = "admin"


def _password_from_stdin() -> str:
    """The first line of standard input, without its line ending (never echoed)."""
    import sys

    line = sys.stdin.readline()
    return line.rstrip("\r\n")


PasswordStdinOption = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read a console sign-in password from the first line of standard input.",
    ),
]


@users_app.command("create")
def users_create_command(
    ctx: typer.Context,
    role: Annotated[AccountRole, typer.Option(help="What the account may do.")],
    name: Annotated[str | None, typer.Option(help="Who uses it (default: the role).")] = None,
    region: Annotated[
        str | None, typer.Option(help="Counselors: region code prefix they work in.")
    ] = None,
    employer: Annotated[
        str | None, typer.Option(help="Employer accounts: the employer id.")
    ] = None,
    password_stdin: PasswordStdinOption = False,
) -> None:
    """Make an account; its bearer token is the last line of output (shown only once). With
    --password-stdin it can also sign in to the web console under its name."""
    from serving.auth import AccountError, Role, create_account_in, issue_token
    from serving.signin import PasswordRejected, set_password

    password = _password_from_stdin() if password_stdin else None
    store = open_store(_settings(ctx))
    try:
        with store.session() as session:
            account = create_account_in(
                session,
                name=name or role.value,
                role=Role(role.value),
                region=region,
                employer=employer,
            )
            if password is not None:
                set_password(store, session, account, password, actor="cli")
            token = issue_token(session, account.id)
    except (AccountError, PasswordRejected) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        store.close()
    scope = account.region_code or account.employer_id or "all"
    signin = f", console sign-in as {account.name!r}" if password is not None else ""
    typer.echo(f"account {account.id} ({account.role.value}, {scope}{signin}); bearer token:")
    typer.echo(token)


@users_app.command("set-password")
def users_set_password_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The account's name.")],
    password_stdin: PasswordStdinOption = False,
) -> None:
    """Set (or reset) an account's console password, read from standard input; this clears a
    lock-out and signs the account out of every browser."""
    from serving.signin import PasswordRejected, find_account, set_password

    if not password_stdin:
        typer.echo("error: pass --password-stdin and the password on standard input", err=True)
        raise typer.Exit(2)
    password = _password_from_stdin()
    store = open_store(_settings(ctx))
    try:
        with store.session() as session:
            account = find_account(session, name)
            if account is None:
                typer.echo(f"error: no account named {name!r}", err=True)
                raise typer.Exit(2)
            set_password(store, session, account, password, actor="cli")
    except PasswordRejected as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        store.close()
    typer.echo(f"password set for account {account.id} ({account.name})")
