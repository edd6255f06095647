"""What the API loads once per process: the store, the embedding model, the occupation coder
and the matcher, kept current with the store's change log.

Keeping the matcher current: every request that ranks first reads the change log
(``record_changes``, one indexed query) past the last change its worker applied, and applies
the records named there to the matcher in place (``matching.live``: the catalog rows, the
history events, the vectors and the faiss indexes of just those records). A write is so
visible to the next request on every worker, and no worker rebuilds its matcher for it; the
worker that wrote applies it before its response is sent (``serving.app``), so its next
request finds nothing left to do. Only a bulk change (more than
``incremental_limit`` records at once, e.g. an import), a deletion or a newly promoted ranker
bundle (``jobmatch train``) leads to a rebuild (for a ranker: just loading the new bundle),
and that runs in a background thread while the previous matcher keeps serving; it is swapped
in, caught up with the changes made meanwhile, in one step. No request waits for a rebuild.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy.orm import sessionmaker

from matching.embedding import Embedder, EmbeddingCache
from matching.engine import Matcher, open_matcher
from matching.live import ChangeLog, LiveMatcher
from matching.occupation_coding import OccupationCoder
from matching.occupations import OccupationVocabulary
from matching.ranker import SPEC_FILE, Ranker
from matching.settings import Settings
from matching.store import Store

log = logging.getLogger(__name__)


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
        self._live: LiveMatcher | None = None
        self._log: ChangeLog | None = None
        self._ranker_stamp: int | None = None
        # One thread at a time applies changes or swaps a matcher in.
        self._applying = threading.Lock()
        self._rebuild_guard = threading.Lock()
        self._rebuilder: threading.Thread | None = None
        self._rebuild_again = False
        #: Matchers built (the first one included) and rebuilds that failed, for /readyz,
        #: tests and benchmarks.
        self.builds = 0
        self.last_error: BaseException | None = None

    @property
    def matcher(self) -> Matcher:
        """The matcher in service (raises before the first build)."""
        if self._matcher is None:
            raise RuntimeError("the matcher is not loaded yet")
        return self._matcher

    @property
    def ready(self) -> bool:
        return self._matcher is not None

    def ranker_stamp(self) -> int | None:
        """When the ranker bundle in service was last written (None: none is)."""
        spec = self.settings.ranker_dir / SPEC_FILE
        try:
            return spec.stat().st_mtime_ns
        except FileNotFoundError:
            return None

    def build(self) -> Matcher:
        """A matcher over everything in the store now, with the ranker in service."""
        return open_matcher(
            self.store,
            self.settings,
            self.resources.embedder,
            load_ranker(self.settings),
            self.resources.occupations,
        )

    def load(self) -> Matcher:
        """Build the first matcher (in the lifespan, before the process is ready)."""
        self._install(*self._built())
        return self.matcher

    def swap(self, matcher: Matcher) -> None:
        """Put a matcher over the store as it is now in service (kept current from here)."""
        changes = ChangeLog(self.store, limit=self.settings.incremental_limit)
        changes.start()
        self._install(matcher, changes, self.ranker_stamp())

    def current_matcher(self) -> Matcher:
        """The matcher, with every change committed before this call applied to it.

        A newly promoted ranker is loaded in the background; until then the previous one
        serves.
        """
        if self._matcher is None:
            return self.load()
        if self.ranker_stamp() != self._ranker_stamp:
            self.request_rebuild(ranker_only=True)
        self.catch_up()
        return self.matcher

    def catch_up(self) -> None:
        """Apply the changes committed since the last call (a bulk change, or a failure to
        apply, starts a background rebuild instead; the matcher serves on meanwhile)."""
        if self._matcher is None or self._log is None or self._live is None:
            return
        with self._applying:
            changes = self._log.read()
            if not changes:
                return
            if changes.bulk:
                self.request_rebuild()
                return
            try:
                applied = self._live.apply(changes)
            except Exception as error:
                log.exception("applying changes %s..%s failed", changes.after, changes.last)
                self.last_error = error
                self.request_rebuild()
                return
        if applied.needs_rebuild:
            self.request_rebuild()

    # -- rebuilding in the background -------------------------------------------------------

    def request_rebuild(self, *, ranker_only: bool = False) -> None:
        """Rebuild the matcher (or, with ``ranker_only``, just load the ranker bundle in
        service) in a background thread; one rebuild runs at a time, and a request made
        while one runs starts another after it."""
        with self._rebuild_guard:
            if self._rebuilder is not None and self._rebuilder.is_alive():
                self._rebuild_again = self._rebuild_again or not ranker_only
                return
            self._rebuilder = threading.Thread(
                target=self._rebuild, args=(ranker_only,), name="matcher-rebuild", daemon=True
            )
            self._rebuilder.start()

    def wait_for_rebuild(self, timeout: float | None = None) -> bool:
        """Wait until no rebuild runs; False if one still does after ``timeout`` seconds."""
        thread = self._rebuilder
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _rebuild(self, ranker_only: bool) -> None:
        while True:
            try:
                if ranker_only:
                    self._reload_ranker()
                else:
                    self._install(*self._built())
            except Exception as error:
                log.exception("rebuilding the matcher failed; the previous one serves on")
                self.last_error = error
            with self._rebuild_guard:
                if not self._rebuild_again:
                    return
                self._rebuild_again, ranker_only = False, False

    def _reload_ranker(self) -> None:
        stamp = self.ranker_stamp()
        ranker = load_ranker(self.settings)
        ranker.check_compatible(self.resources.embedder.model_id)
        matcher = self.matcher
        with matcher.lock.writing():
            matcher.ranker = ranker
        self._ranker_stamp = stamp

    def _built(self) -> tuple[Matcher, ChangeLog, int | None]:
        """A matcher over the store now, and a change log positioned where its snapshot
        begins (opened before the snapshot is read, so nothing is missed)."""
        changes = ChangeLog(self.store, limit=self.settings.incremental_limit)
        changes.start()
        stamp = self.ranker_stamp()
        matcher = self.build()
        self.builds += 1
        return matcher, changes, stamp

    def _install(self, matcher: Matcher, changes: ChangeLog, stamp: int | None) -> None:
        """Catch a new matcher up with the changes made while it was built, then put it in
        service: one reference assignment, atomic for readers (requests already running
        finish on the matcher they started with)."""
        live = LiveMatcher(
            matcher,
            self.store,
            EmbeddingCache(self.store, self.resources.embedder),
            self.resources.occupations,
            self.settings,
        )
        with self._applying:
            pending = changes.read()
            if pending.bulk:
                self.request_rebuild()
            elif pending:
                live.apply(pending)
            self._live, self._log, self._ranker_stamp = live, changes, stamp
            self._matcher = matcher
