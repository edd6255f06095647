"""A home holding an imported synthetic world with every vector already embedded."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from demo.world import generate_world
from matching.catalog import Catalog
from matching.embedding import Embedder, EmbeddingCache
from matching.engine import embed_catalog
from matching.interchange import import_directory
from matching.occupations import OccupationVocabulary
from matching.settings import Settings
from matching.store import Store


@dataclass
class SyntheticHome:
    settings: Settings
    files: Path
    embedder: Embedder
    occupations: OccupationVocabulary


def synthetic_home(
    root: Path, *, today: dt.date, seed: int = 5, candidates: int = 400, jobs: int = 120
) -> SyntheticHome:
    """Generate a world under ``root``, import it into ``root/home`` and embed it, so that
    later runs in the home (or copies of it) find every vector in the cache."""
    files = root / "files"
    generate_world(files, seed=seed, candidates=candidates, jobs=jobs, today=today)
    settings = Settings(home=root / "home")
    store = Store.open(settings)
    try:
        assert import_directory(store, files).ok
        occupations = OccupationVocabulary.load()
        embedder = Embedder(settings.resolved_embedding_model)
        embed_catalog(
            Catalog.from_store(store, settings, occupations),
            EmbeddingCache(store, embedder),
            occupations,
        )
    finally:
        store.close()
    return SyntheticHome(settings, files, embedder, occupations)
