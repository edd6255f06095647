"""What the API loads once per process: the store, the embedding model, the occupation coder
and the matcher, kept current with the store's change log.

Keeping the matcher current: every request that ranks first reads the change log
(``record_changes``, one indexed query) past the last change its worker applied, and applies
the records named there to the matcher in place (``matching.live``: the catalog rows, the
history events, the vectors and the faiss indexes of just those records). A write is so
visible to the next request on every worker, and no worker rebuilds its matcher for it; the
worker that wrote applies it before its response is sent (``serving.app``), so its next
request finds nothing left to do. Only a bulk change (more than ``incremental_limit`` records
at once, e.g. an import) or a deletion leads to a rebuild, and that runs in a background
thread while the previous matcher keeps serving; it is swapped in, caught up with the changes
made meanwhile, in one step. No request waits for a rebuild.

A newly promoted ranker bundle (``jobmatch train``) is seen by the size and modification time
of its files and loaded into the matcher in service (milliseconds: no rebuild). A bundle that
is missing, partial, corrupted or built for other features is never put in service: the last
good ranker keeps ranking (the baseline if none was ever loaded), the reason is logged and
``/readyz`` answers 503 with it until a good bundle is in place.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import sessionmaker

from matching.embedding import Embedder, EmbeddingCache
from matching.engine import Matcher, open_matcher
from matching.live import ChangeLog, LiveMatcher
from matching.occupation_coding import OccupationCoder, open_coder
from matching.occupations import OccupationVocabulary
from matching.ranker import BundleError, Ranker
from matching.settings import Settings
from matching.store import Store

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
    embedder = Embedder.from_settings(settings)
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
        self._live: LiveMatcher | None = None
        self._log: ChangeLog | None = None
        # One thread at a time applies changes, loads a ranker or swaps a matcher in.
        self._applying = threading.Lock()
        self._rebuild_guard = threading.Lock()
        self._rebuilder: threading.Thread | None = None
        self._rebuild_again = False
        # The last ranker that loaded and validated, the bundle state it was judged on, and
        # why the bundle on disk is not in service (None: it is).
        self._ranker: Ranker | None = None
        self._ranker_stamp: tuple[Any, ...] | None = None
        self.degraded: str | None = None
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

    def load(self) -> Matcher:
        """Build the first matcher (in the lifespan, before the process is ready)."""
        self._install(*self._built())
        return self.matcher

    def swap(self, matcher: Matcher) -> None:
        """Put a matcher over the store as it is now in service (kept current from here)."""
        changes = ChangeLog(self.store, limit=self.settings.incremental_limit)
        changes.start()
        self._install(matcher, changes)

    def current_matcher(self, connection: Connection | None = None) -> Matcher:
        """The matcher, with every change committed before this call applied to it.

        A newly promoted ranker bundle is loaded into it first (or, if it is not valid, the
        last good ranker serves on and ``degraded`` says why). ``connection``: the request's
        own, on which the change log is read (see :meth:`catch_up`).
        """
        if self._matcher is None:
            return self.load()
        if bundle_stamp(self.settings) != self._ranker_stamp:
            self._reload_ranker()
        self.catch_up(connection)
        return self.matcher

    def catch_up(self, connection: Connection | None = None) -> None:
        """Apply the changes committed since the last call (a bulk change, or a failure to
        apply, starts a background rebuild instead; the matcher serves on meanwhile).

        ``connection``: read the change log on it, e.g. a request's own, whose transaction
        began after every write whose response its client saw (one connection a request);
        otherwise on one of the store's.
        """
        if self._matcher is None or self._log is None or self._live is None:
            return
        with self._applying:
            changes = self._log.read(connection)
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

    def request_rebuild(self) -> None:
        """Rebuild the matcher in a background thread; one rebuild runs at a time, and a
        request made while one runs starts another after it."""
        with self._rebuild_guard:
            if self._rebuilder is not None and self._rebuilder.is_alive():
                self._rebuild_again = True
                return
            self._rebuilder = threading.Thread(
                target=self._rebuild, name="matcher-rebuild", daemon=True
            )
            self._rebuilder.start()

    def wait_for_rebuild(self, timeout: float | None = None) -> bool:
        """Wait until no rebuild runs; False if one still does after ``timeout`` seconds."""
        thread = self._rebuilder
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _rebuild(self) -> None:
        while True:
            try:
                self._install(*self._built())
            except Exception as error:
                log.exception("rebuilding the matcher failed; the previous one serves on")
                self.last_error = error
            with self._rebuild_guard:
                if not self._rebuild_again:
                    return
                self._rebuild_again = False

    def _reload_ranker(self) -> None:
        """Put the ranker bundle on disk into the matcher in service if it is valid (the
        features do not change with the ranker, so nothing is rebuilt)."""
        with self._applying:
            ranker = self.ranker()
            matcher = self.matcher
            if matcher.ranker is not ranker:
                with matcher.lock.writing():
                    matcher.ranker = ranker

    def _built(self) -> tuple[Matcher, ChangeLog]:
        """A matcher over the store now, and a change log positioned where its snapshot
        begins (opened before the snapshot is read, so nothing is missed)."""
        changes = ChangeLog(self.store, limit=self.settings.incremental_limit)
        changes.start()
        matcher = self.build()
        self.builds += 1
        return matcher, changes

    def _install(self, matcher: Matcher, changes: ChangeLog) -> None:
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
            self._live, self._log = live, changes
            self._matcher = matcher
