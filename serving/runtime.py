"""What the API loads once per process: the store, the embedding model, the occupation coder
and the matcher, with an atomic swap of the matcher.

Keeping the matcher current: every request that ranks first compares a cheap fingerprint of
the data (row counts and latest ``updated_at`` of the record tables and declarations) and of the
ranker bundle in service with the one the matcher was built from. On a difference it rebuilds the
matcher (``open_matcher``: vectors come from the embedding cache and the faiss indexes are
updated by difference, so only changed records cost real work) and swaps it in. This gives
read-your-writes across workers and picks up a newly promoted ranker (``jobmatch train``)
without a restart; requests already running finish on the matcher they started with.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from matching.embedding import Embedder, EmbeddingCache
from matching.engine import Matcher, open_matcher
from matching.occupation_coding import OccupationCoder
from matching.occupations import OccupationVocabulary
from matching.ranker import SPEC_FILE, Ranker
from matching.settings import Settings
from matching.store import Store
from matching.store.tables import (
    CandidateRow,
    EmployerRow,
    JobRow,
    QuotaDeclarationRow,
    ReferralRow,
)


def load_ranker(settings: Settings) -> Ranker:
    """The ranker bundle in service, or the documented baseline before any training."""
    return Ranker.in_service(settings.ranker_dir) or Ranker()


@dataclass(frozen=True, slots=True)
class Resources:
    """Costly, read-only things a process loads once (tests share them between apps)."""

    embedder: Embedder
    occupations: OccupationVocabulary
    coder: OccupationCoder


def load_resources(settings: Settings, store: Store) -> Resources:
    """Load the embedding model, the occupation vocabulary and the occupation coder.

    The coder fuses character n-grams with m3e embeddings of the whole vocabulary; the
    vocabulary's vectors go through the embedding cache in the database, so only the first
    start of an installation pays for them (about 45 s on two cores).
    """
    embedder = Embedder(settings.resolved_embedding_model)
    occupations = OccupationVocabulary.load()
    coder = OccupationCoder(occupations, EmbeddingCache(store, embedder))
    return Resources(embedder, occupations, coder)


class Runtime:
    """The process-wide serving state held on ``app.state.runtime``."""

    def __init__(self, settings: Settings, store: Store, resources: Resources) -> None:
        self.settings = settings
        self.store = store
        self.resources = resources
        self.sessions = sessionmaker(store.engine, expire_on_commit=False)
        self._matcher: Matcher | None = None
        self._built_from: tuple[Any, ...] | None = None
        self._rebuild = threading.Lock()

    @property
    def matcher(self) -> Matcher:
        """The matcher in service (raises before the first build)."""
        if self._matcher is None:
            raise RuntimeError("the matcher is not loaded yet")
        return self._matcher

    @property
    def ready(self) -> bool:
        return self._matcher is not None

    def swap(self, matcher: Matcher) -> None:
        """Put a new matcher in service: one reference assignment, atomic for readers."""
        self._matcher = matcher

    def fingerprint(self, session: Session) -> tuple[Any, ...]:
        """What the matcher depends on: the record tables' sizes and last changes, and the
        ranker bundle in service."""
        parts: list[Any] = []
        for table in (EmployerRow, JobRow, CandidateRow, ReferralRow, QuotaDeclarationRow):
            parts.extend(session.execute(select(func.count(), func.max(table.updated_at))).one())
        spec = self.settings.ranker_dir / SPEC_FILE
        parts.append(spec.stat().st_mtime_ns if spec.exists() else None)
        return tuple(parts)

    def build(self) -> Matcher:
        """A matcher over everything in the store now, with the ranker in service."""
        return open_matcher(
            self.store,
            self.settings,
            self.resources.embedder,
            load_ranker(self.settings),
            self.resources.occupations,
        )

    def current_matcher(self) -> Matcher:
        """The matcher, rebuilt first if the data or the ranker changed since it was built.

        Concurrent callers wait for one rebuild rather than each starting their own.
        """
        with self.sessions() as session:
            seen = self.fingerprint(session)
        if seen == self._built_from and self._matcher is not None:
            return self._matcher
        with self._rebuild:
            with self.sessions() as session:
                seen = self.fingerprint(session)
            if seen != self._built_from or self._matcher is None:
                # The fingerprint is taken before building: a write during the build leaves
                # it stale, so the next request builds again rather than missing the write.
                self.swap(self.build())
                self._built_from = seen
            return self.matcher
