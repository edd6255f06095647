"""``jobmatch cases ...``: 一人一策 cases opened in bulk."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from matching.store import open_store
from serving.cli.common import settings_of

group = typer.Typer(help="一人一策 cases of graduates and hard-to-employ people.")


class CaseKindOption(StrEnum):
    graduate = "graduate"
    hard_to_employ = "hard_to_employ"


@group.command("open")
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
    from matching.store.ledgers import Ledgers

    store = open_store(settings_of(ctx))
    try:
        with store.session() as session:
            opened = Ledgers(store, session, actor="cli").open_missing_cases(
                CaseKind(kind.value),
                counselor=counselor,
                region_prefix=region,
                graduation_year=graduation_year,
            )
    finally:
        store.close()
    typer.echo(f"opened {len(opened)} {kind.value} cases for {counselor}")
    for case in opened:
        typer.echo(f"  {case.id} {case.candidate_id}")
