"""The ``jobmatch`` console command: batch interchange, demo data and operations.

One module per group of commands: ``training`` (train, retrain), ``recommend`` (recommend,
jobfair), ``data`` (import, export, report, demo-data), ``demo`` (demo, serve), and the
sub-commands ``occupations``, ``cases`` and ``users``.
"""

from __future__ import annotations

import typer

from matching.settings import Settings
from serving.cli import cases, data, demo, occupations, recommend, training, users

app = typer.Typer(
    help="jobmatch: job matching and referral for disability employment service centres.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main(ctx: typer.Context) -> None:
    """All state lives under JOBMATCH_HOME (default ./var); see README for every setting."""
    ctx.obj = Settings()


for module in (training, recommend, data, demo):
    app.add_typer(module.commands)
app.add_typer(occupations.group, name="occupations")
app.add_typer(cases.group, name="cases")
app.add_typer(users.group, name="users")

__all__ = ["app"]
