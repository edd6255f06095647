"""The one way the service and the command line open a store: with job occupations coded from
the 2022 vocabulary."""

from __future__ import annotations

from matching.occupations import OccupationVocabulary
from matching.settings import Settings
from matching.store.database import Store


def open_store(settings: Settings, occupations: OccupationVocabulary | None = None) -> Store:
    """The (migrated) store of the configured home; a job's ``occupation`` is resolved through
    ``occupations`` (the shipped 2022 vocabulary when not given)."""
    vocabulary = occupations or OccupationVocabulary.load()

    def resolve(text: str) -> str | None:
        # An occupation's code, name or alias, or a group code an employer confirmed.
        return vocabulary.resolve_code(text)

    return Store.open(settings, resolve_occupation=resolve)
