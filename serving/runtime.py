"""What the API loads once per process: the store, the embedding model, the occupation coder
and the matcher, with an atomic swap of the matcher.

Keeping the matcher current: every request that ranks first compares a cheap fingerprint of
the data (row counts and latest ``updated_at`` of the record tables and declarations) and of the
ranker bundle in service with the one the matcher was built from. On a difference it rebuilds the
matcher (``open_matcher``: vectors come from the embedding cache and the faiss indexes are
updated by difference, so only changed records cost real work) and swaps it in. This gives
read-your-writes across workers and picks up a newly promoted ranker (``jobmatch train``)
without a restart; requests already running finish on the matcher they started with.

A ranker bundle that is missing, partial, corrupted or built for other features is never put
in service: the last good ranker keeps ranking (the baseline if none was ever loaded), the
reason is logged and ``/readyz`` answers 503 with it until a good bundle is in place.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from matching.embedding import Embedder, EmbeddingCache
from matching.engine import Matcher, open_matcher
from matching.occupation_coding import OccupationCoder, open_coder
from matching.occupations import OccupationVocabulary
from matching.ranker import BundleError, Ranker
from matching.settings import Settings
from matching.store import Store
from matching.store.tables import (
    CandidateRow,
    EmployerRow,
    JobRow,
    QuotaDeclarationRow,
    ReferralRow,
)

log = logging.getLogger(__name__)


def load_ranker(settings: Settings) -> Ranker:
    """The ranker bundle in service, or the documented baseline before any training.

    Raises :class:`~matching.ranker.BundleError` for a bundle that is not whole and valid.
    """
    return Ranker.in_service(settings.ranker_dir) or Ranker()


def bundle_stamp(settings: Settings) -> tuple[Any, ...]:
    """Size and modification time of every file of the bundle in service (and of the one a
    killed save left at ``.old``): any change to any file, not only the spec, is seen."""
    stamp: list[Any] = []
    for directory in (settings.ranker_dir, settings.ranker_dir.with_name("ranker.old")):
        try:
            entries = sorted(directory.iterdir())
        except OSError:
            stamp.append((directory.name, None))
            continue
        for path in entries:
            try:
                info = path.stat()
            except OSError:  # removed while we looked: the next request sees the new state
                continue
            stamp.append((directory.name, path.name, info.st_size, info.st_mtime_ns))
    return tuple(stamp)


@dataclass(frozen=True, slots=True)
class Resources:
    """Costly, read-only things a process loads once (tests share them between apps).

    ``pending_coder`` is the occupation coder, or the future of one still being built in the
    background (:func:`load_resources`); read it through :attr:`coder`.
    """

    embedder: Embedder
    occupations: OccupationVocabulary
    pending_coder: OccupationCoder | Future[OccupationCoder]

    @property
    def coder(self) -> OccupationCoder:
        """The occupation coder; a request that comes while it is still built waits for it."""
        if isinstance(self.pending_coder, Future):
            return self.pending_coder.result()
        return self.pending_coder

    @property
    def coder_ready(self) -> bool:
        """Whether the coder is built (a request for it would not wait)."""
        return not isinstance(self.pending_coder, Future) or self.pending_coder.done()


def load_resources(settings: Settings, store: Store) -> Resources:
    """Load the embedding model, the occupation vocabulary and the occupation coder.

    Nothing here blocks readiness on the vocabulary: the coder is built in the background
    (its TF-IDF fits take seconds), from vocabulary vectors that ship with the package for
    the default embedding model (``matching/data/occupation_vectors.npz``). Another model id
    embeds them through the embedding cache in that background build (minutes on two cores,
    once: later starts read them back); only occupation suggestions wait for it. So a home
    that has never served is ready in seconds (``benchmarks/first_start.py``).
    """
    embedder = Embedder(settings.resolved_embedding_model)
    # The model loads in the background: the process is ready before it is (an empty home
    # embeds nothing), and the first request that embeds waits only for what is left.
    threading.Thread(target=embedder.warm_up, name="embedder-warm-up", daemon=True).start()
    occupations = OccupationVocabulary.load()
    pending: Future[OccupationCoder] = Future()

    def build() -> None:
        try:
            encoder = EmbeddingCache(store, embedder)
            pending.set_result(open_coder(occupations, encoder, settings.occupation_coder_dir))
        except BaseException as error:  # the request that asks for the coder sees why
            log.exception("the occupation coder could not be built")
            pending.set_exception(error)

    threading.Thread(target=build, name="occupation-coder", daemon=True).start()
    return Resources(embedder, occupations, pending)


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
        # The last ranker that loaded and validated, the bundle state it was judged on, and
        # why the bundle on disk is not in service (None: it is).
        self._ranker: Ranker | None = None
        self._ranker_stamp: tuple[Any, ...] | None = None
        self.degraded: str | None = None

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
        parts.append(bundle_stamp(self.settings))
        return tuple(parts)

    def ranker(self) -> Ranker:
        """The ranker to build with: the bundle on disk once it loaded and validated whole,
        otherwise the last good one (``degraded`` says why)."""
        stamp = bundle_stamp(self.settings)
        if stamp == self._ranker_stamp and self._ranker is not None:
            return self._ranker
        try:
            loaded = load_ranker(self.settings)
            loaded.check_compatible(self.resources.embedder.model_id)
            if not loaded.learned and self._ranker is not None and self._ranker.learned:
                raise BundleError(f"{self.settings.ranker_dir} is gone")
        except (BundleError, ValueError) as error:
            keep = self._ranker or Ranker()
            self.degraded = (
                f"ranker bundle not in service ({error}); still ranking with {keep.name}"
            )
            log.error("%s", self.degraded)
        else:
            if self.degraded is not None:
                log.warning("ranker bundle %s is valid again and in service", loaded.name)
            self._ranker, self.degraded = loaded, None
        self._ranker_stamp = stamp
        return self._ranker or Ranker()

    def build(self) -> Matcher:
        """A matcher over everything in the store now, with the ranker in service."""
        return open_matcher(
            self.store,
            self.settings,
            self.resources.embedder,
            self.ranker(),
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
