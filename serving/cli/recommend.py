"""``jobmatch recommend`` and ``jobmatch jobfair``: batch matching over the service's matcher."""

from __future__ import annotations

import datetime as dt
import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from matching.textfiles import NotUtf8Error, text_lines
from serving.cli.common import open_service_matcher, settings_of

commands = typer.Typer()


class RecommendFor(StrEnum):
    candidates = "candidates"
    jobs = "jobs"


@commands.command("recommend")
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
    settings = settings_of(ctx)
    wanted = _ids(ids)
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
    # As the API: a deactivated person gets no jobs, a closed job no people.
    stopped, why = (
        (matcher.catalog.candidates.inactive(wanted), "已停用的求职者 (deactivated candidates)")
        if for_ is RecommendFor.candidates
        else (matcher.catalog.jobs.closed(wanted, dt.date.today()), "已关闭的岗位 (closed jobs)")
    )
    if stopped:
        typer.echo(f"error: {why}, 不再推荐: {', '.join(stopped[:20])}", err=True)
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
    """One id per line of a UTF-8 file (blank lines skipped); exit 1 with the reason for a
    file in another encoding, 2 for one that cannot be read."""
    try:
        return [line.strip() for _, line in text_lines(path)]
    except NotUtf8Error as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except OSError as exc:
        typer.echo(f"error: cannot read {path}: {exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None


@commands.command("jobfair")
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
    people_ids, job_ids = _ids(people), _ids(jobs)
    matcher = open_service_matcher(settings_of(ctx), progress=True)
    try:
        plan = plan_fair(
            matcher,
            people_ids,
            job_ids,
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
