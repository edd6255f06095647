"""What every command shares: the settings of the invocation and the service's matcher."""

from __future__ import annotations

import typer

from matching.embedding import Embedder
from matching.engine import Matcher, open_matcher
from matching.occupations import OccupationVocabulary
from matching.settings import Settings
from matching.store import open_store
from serving.runtime import load_ranker


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the ``jobmatch`` callback read from the ``JOBMATCH_*`` variables."""
    settings: Settings = ctx.obj
    return settings


def open_service_matcher(settings: Settings, *, progress: bool = False) -> Matcher:
    """A matcher over the home's store with the ranker in service (baseline before training)."""
    occupations = OccupationVocabulary.load()
    store = open_store(settings, occupations)
    try:
        return open_matcher(
            store,
            settings,
            Embedder.from_settings(settings),
            load_ranker(settings),
            occupations,
            progress=progress,
        )
    finally:
        store.close()
