"""``jobmatch demo`` and ``jobmatch serve``: the main job on the embedded default, and the API."""

from __future__ import annotations

from typing import Annotated

import typer

from matching.settings import Settings
from matching.store import open_store
from serving.cli.common import open_service_matcher, settings_of
from serving.cli.data import import_command
from serving.cli.training import train_command

commands = typer.Typer()


@commands.command("demo")
def demo_command(
    ctx: typer.Context,
    candidates: Annotated[int, typer.Option(min=1, help="Number of job seekers.")] = 1000,
    jobs: Annotated[int, typer.Option(min=1, help="Number of positions.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed of the demo world.")] = 7,
) -> None:
    """The main job on the embedded default: a demo world imported, a ranker trained on its
    referral outcomes, and a few explained recommendations shown."""
    from demo.world import generate_world

    settings = settings_of(ctx)
    data_dir = settings.ensure_home() / "demo-data"
    summary = generate_world(
        data_dir, seed=seed, candidates=candidates, jobs=jobs, settings=settings
    )
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

    from matching.store.candidates import Candidates
    from matching.store.jobs import Jobs
    from serving.auth import Role, create_account_in
    from serving.signin import find_account, set_password

    store = open_store(settings)
    lines = []
    try:
        with store.session() as session:
            prefecture = Candidates(store, session, actor="cli:demo").busiest_region(4) or ""
            employer = Jobs(store, session, actor="cli:demo").busiest_employer(prefecture)
            wanted = [
                (Role.COUNSELOR, "演示指导员", prefecture, None),
                (Role.EMPLOYER, "演示用人单位", None, employer),
                (Role.MANAGER, "演示统计员", None, None),
                (Role.ADMIN, "演示管理员", None, None),
            ]
            for role, name, region, employer_id in wanted:
                if role is Role.EMPLOYER and employer_id is None:
                    continue
                account = find_account(session, name, role) or create_account_in(
                    session, name=name, role=role, region=region, employer=employer_id
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


@commands.command("serve")
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
