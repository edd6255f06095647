"""Keeping a matcher current while the records change: the store's change log, and applying
the changed records to a matcher in place of rebuilding it.

Every write of an employer, job, candidate or referral appends a row to ``record_changes``
(database triggers, migration 0700), numbered in commit order. A :class:`ChangeLog` reads
the rows after the last one it saw; a :class:`LiveMatcher` loads just the records they name
and splices them into the matcher's catalog, history index, vectors and faiss indexes, by
the same code that builds them whole, under the matcher's write lock (queries hold it shared,
so none sees half an update). Many changes at once (a bulk import) are better served by a
full rebuild, which the caller runs in the background.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, select

from matching.catalog import (
    Catalog,
    stored_candidates,
    stored_employers,
    stored_jobs,
    stored_referral_facts,
)
from matching.domain import Candidate, Job
from matching.embedding import EmbeddingCache, candidate_text, job_text
from matching.engine import Matcher
from matching.features import updated_history
from matching.index import VectorIndex
from matching.lifecycle import StreakRule
from matching.occupations import OccupationVocabulary
from matching.settings import Settings
from matching.store import Store
from matching.store.tables import JobRow, RecordChangeRow

# Declarations carry an employer's latest quota figures: a change is the employer's.
KINDS = ("employers", "jobs", "candidates", "referrals", "declarations")


@dataclass
class Changes:
    """The records named by change-log rows ``(after, last]``, by kind."""

    after: int
    last: int
    upserted: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in KINDS})
    deleted: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in KINDS})
    #: More rows than the log's limit: not listed; rebuild from the store instead.
    bulk: bool = False

    def __len__(self) -> int:
        """How many records changed (0 for a bulk change, which is not listed)."""
        return sum(map(len, self.upserted.values())) + sum(map(len, self.deleted.values()))

    def __bool__(self) -> bool:
        return self.bulk or len(self) > 0


class ChangeLog:
    """A reader of the store's change log that remembers how far it has read."""

    def __init__(self, store: Store, *, limit: int) -> None:
        """Read ``store``'s log; more than ``limit`` rows at once count as a bulk change."""
        self.store = store
        self.limit = limit
        self.position = 0

    def latest(self) -> int:
        """The number of the last committed change (0 before any)."""
        with self.store.engine.connect() as connection:
            return self._latest(connection)

    def start(self) -> int:
        """Read from now on: call before reading the snapshot the changes will apply to
        (a change committed in between is then applied twice, which changes nothing)."""
        self.position = self.latest()
        return self.position

    def read(self, connection: Connection | None = None) -> Changes:
        """The changes committed since the last read (one indexed query when there are
        none), and move past them.

        ``connection``: read on this one (a request's own, inside its transaction: a request
        then checks the log without a connection of its own) instead of one of the store's.
        """
        if connection is None:
            with self.store.engine.connect() as own:
                return self._read(own)
        return self._read(connection)

    def _read(self, connection: Connection) -> Changes:
        rows = connection.execute(
            select(
                RecordChangeRow.seq,
                RecordChangeRow.kind,
                RecordChangeRow.record_id,
                RecordChangeRow.deleted,
            )
            .where(RecordChangeRow.seq > self.position)
            .order_by(RecordChangeRow.seq)
            .limit(self.limit + 1)
        ).all()
        if len(rows) > self.limit:
            last = self._latest(connection)
            changes = Changes(self.position, last, bulk=True)
            self.position = last
            return changes
        newest = rows[-1][0] if rows else self.position
        assert newest is not None  # rows with seq > position: never a NULL seq
        changes = Changes(self.position, newest)
        for _seq, kind, record_id, deleted in rows:
            if kind not in changes.upserted:
                continue
            # The last change of a record decides: deleted, or there to be read.
            (changes.deleted if deleted else changes.upserted)[kind].add(record_id)
            (changes.upserted if deleted else changes.deleted)[kind].discard(record_id)
        self.position = changes.last
        return changes

    @staticmethod
    def _latest(connection: Connection) -> int:
        return int(connection.scalar(select(func.max(RecordChangeRow.seq))) or 0)


class _Rows:
    """A vector matrix with room to grow: appending writes past the rows in use, so most
    updates copy nothing, and queries keep reading the rows they were given."""

    def __init__(self, matrix: np.ndarray) -> None:
        self.buffer = np.ascontiguousarray(matrix, dtype=np.float32)
        self.used = len(matrix)

    def view(self) -> np.ndarray:
        return self.buffer[: self.used]

    def room_for(self, rows: int) -> np.ndarray:
        """A buffer holding the rows in use with room for ``rows`` more (a new one when
        this one is full, so that its readers are not disturbed)."""
        if self.used + rows <= len(self.buffer):
            return self.buffer
        grown = np.empty(
            (max(self.used + rows, len(self.buffer) * 3 // 2 + 64),) + self.buffer.shape[1:],
            np.float32,
        )
        grown[: self.used] = self.buffer[: self.used]
        return grown


@dataclass
class Applied:
    """What applying some changes did."""

    jobs: int = 0
    candidates: int = 0
    referrals: int = 0
    #: Records were deleted: they are out of matching now, but a rebuild should drop them.
    needs_rebuild: bool = False


class LiveMatcher:
    """Applies changed records to one matcher (one applier at a time: the caller's lock)."""

    def __init__(
        self,
        matcher: Matcher,
        store: Store,
        cache: EmbeddingCache,
        occupations: OccupationVocabulary | None,
        settings: Settings,
    ) -> None:
        self.matcher = matcher
        self.store = store
        self.cache = cache
        self.occupations = occupations
        self.settings = settings
        self._jobs = _Rows(matcher.job_vectors)
        self._candidates = _Rows(matcher.candidate_vectors)
        # History id -> row, kept up to date by Catalog.with_records.
        self._referrals: dict[str, int] | None = self._referral_rows()

    def _referral_rows(self) -> dict[str, int]:
        return {rid: row for row, rid in enumerate(self.matcher.catalog.history.ids)}

    def apply(self, changes: Changes, *, on: dt.date | None = None) -> Applied:
        """Bring the matcher up to date with the records ``changes`` names (not a bulk one).

        Loading, embedding and building the new rows happens before the matcher's write
        lock is taken; under it, only references are swapped and the faiss indexes edited.
        """
        if changes.bulk:
            raise ValueError("a bulk change is applied by rebuilding the matcher")
        if not changes:
            return Applied()
        try:
            return self._apply(changes, on)
        except BaseException:
            self._referrals = None  # it may hold rows the matcher never got: rebuild it
            raise

    def _apply(self, changes: Changes, on: dt.date | None) -> Applied:
        applied = Applied()
        matcher, catalog = self.matcher, self.matcher.catalog
        today = (on or dt.date.today()).toordinal()
        jobs, employers, candidates, inactive, referrals = self._load(changes)
        applied.needs_rebuild = any(changes.deleted[k] for k in KINDS if k != "declarations")
        # A deleted person or job is out of matching at once (the rebuild then drops it).
        for cid in changes.deleted["candidates"]:
            if cid in catalog.candidates.index:
                candidates.append(catalog.candidates.records[catalog.candidates.index[cid]])
                inactive.add(cid)
        gone = dt.date.fromordinal(today - 1)
        for jid in changes.deleted["jobs"]:
            if jid in catalog.jobs.index:
                record = catalog.jobs.records[catalog.jobs.index[jid]]
                jobs.append(record.model_copy(update={"posted_at": gone, "closes_at": gone}))
        if self._referrals is None:
            self._referrals = self._referral_rows()
        before = self._referral_parties(catalog, [r.id for r in referrals])
        updated = catalog.with_records(
            employers=employers,
            jobs=jobs,
            candidates=candidates,
            referrals=referrals,
            settings=self.settings,
            occupations=self.occupations,
            inactive=inactive,
            referral_positions=self._referrals,
        )
        history = matcher.history
        people, affected_jobs = self._history_groups(catalog, updated, jobs, referrals, before)
        if len(people) or len(affected_jobs):
            history = updated_history(
                history, updated, people, affected_jobs, StreakRule.of(self.settings)
            )
        job_rows = np.array([updated.jobs.index[j.id] for j in jobs], dtype=np.int64)
        person_rows = np.array([updated.candidates.index[c.id] for c in candidates], dtype=np.int64)
        job_vectors = self._vectors(
            jobs, catalog.jobs.index, catalog.jobs.records, self._jobs, job_text
        )
        person_vectors = self._vectors(
            candidates,
            catalog.candidates.index,
            catalog.candidates.records,
            self._candidates,
            candidate_text,
        )
        job_edits = _index_edits(
            matcher.job_index,
            [j.id for j in jobs],
            job_vectors,
            updated.jobs.closes[job_rows] >= today,
        )
        person_edits = _index_edits(
            matcher.candidate_index,
            [c.id for c in candidates],
            person_vectors,
            updated.candidates.active[person_rows],
        )
        job_buffer, job_used = self._placed(self._jobs, job_rows, job_vectors, len(updated.jobs))
        person_buffer, person_used = self._placed(
            self._candidates, person_rows, person_vectors, len(updated.candidates)
        )
        with matcher.lock.writing():
            for rows, buffer, placed, used, vectors in (
                (self._jobs, job_buffer, job_rows, job_used, job_vectors),
                (self._candidates, person_buffer, person_rows, person_used, person_vectors),
            ):
                # Rows in use are rewritten only now, with no query reading them.
                existing = placed < rows.used
                buffer[placed[existing]] = vectors[existing]
                rows.buffer, rows.used = buffer, used
            matcher.catalog, matcher.history = updated, history
            matcher.job_vectors, matcher.candidate_vectors = (
                self._jobs.view(),
                self._candidates.view(),
            )
            _edit(matcher.job_index, *job_edits)
            _edit(matcher.candidate_index, *person_edits)
        applied.jobs, applied.candidates, applied.referrals = (
            len(jobs),
            len(candidates),
            len(referrals),
        )
        return applied

    # -- steps ------------------------------------------------------------------------------

    def _vectors(
        self,
        records: list,
        index: dict[str, int],
        current: list,
        rows: _Rows,
        text: Any,
    ) -> np.ndarray:
        """Vectors of the records: the one in use where the text did not change (most edits:
        pay, needs, status), else from the embedding cache (embedding what it lacks)."""
        out = np.empty((len(records), rows.buffer.shape[1]), dtype=np.float32)
        wanted: list[int] = []
        for n, record in enumerate(records):
            row = index.get(record.id)
            if row is not None and text(current[row], self.occupations) == text(
                record, self.occupations
            ):
                out[n] = rows.buffer[row]
            else:
                wanted.append(n)
        if wanted:
            out[wanted] = self.cache.vectors([text(records[n], self.occupations) for n in wanted])
        return out

    def _load(self, changes: Changes) -> tuple[list[Job], list, list[Candidate], set[str], list]:
        """The changed records as stored now (an employer's change reloads its jobs: their
        quota gap and employer type come from it)."""
        upserted = changes.upserted
        with self.store.session() as session:
            job_ids = set(upserted["jobs"])
            # A declaration's id is "<employer id>@<year>" (a deleted one can only be read so).
            declared = changes.upserted["declarations"] | changes.deleted["declarations"]
            employer_ids = upserted["employers"] | {d.rsplit("@", 1)[0] for d in declared}
            for start in range(0, len(employer_ids), 500):
                chunk = sorted(employer_ids)[start : start + 500]
                job_ids.update(
                    session.scalars(select(JobRow.id).where(JobRow.employer_id.in_(chunk)))
                )
            jobs = stored_jobs(session, sorted(job_ids))
            employers = stored_employers(session, sorted({j.employer_id for j in jobs}))
            candidates, inactive = stored_candidates(
                session, self.store, sorted(upserted["candidates"])
            )
            referrals = stored_referral_facts(session, self.store, sorted(upserted["referrals"]))
        return jobs, employers, candidates, set(inactive), referrals

    def _referral_parties(
        self, catalog: Catalog, ids: Iterable[str]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Person and job rows of these referrals as the history holds them now."""
        assert self._referrals is not None
        rows = np.array([self._referrals[i] for i in ids if i in self._referrals], dtype=np.int64)
        return catalog.history.candidate[rows], catalog.history.job[rows]

    @staticmethod
    def _history_groups(
        old: Catalog,
        new: Catalog,
        jobs: list[Job],
        referrals: list,
        before: tuple[np.ndarray, np.ndarray],
    ) -> tuple[np.ndarray, np.ndarray]:
        """The people and jobs whose history events may have changed: the parties of the
        changed referrals (before and after), and the people referred to a job whose
        public-welfare flag changed (their failed-market streak counts only market jobs)."""
        people = [before[0]]
        affected = [before[1]]
        rows = [new.jobs.index.get(r.job_id) for r in referrals]
        people.append(
            np.array(
                [
                    new.candidates.index[r.candidate_id]
                    for r in referrals
                    if r.candidate_id in new.candidates.index
                ],
                dtype=np.int64,
            )
        )
        affected.append(np.array([r for r in rows if r is not None], dtype=np.int64))
        flipped = [
            new.jobs.index[j.id]
            for j in jobs
            if j.id in old.jobs.index
            and old.jobs.public_welfare[old.jobs.index[j.id]] != j.public_welfare
        ]
        if flipped:
            people.append(new.history.candidate[np.isin(new.history.job, flipped)])
        return np.concatenate(people), np.concatenate(affected)

    @staticmethod
    def _placed(
        rows: _Rows, placed: np.ndarray, vectors: np.ndarray, used: int
    ) -> tuple[np.ndarray, int]:
        """The buffer to use and its rows in use, with new rows already written (rows in
        use are written under the lock)."""
        buffer = rows.room_for(max(0, used - rows.used))
        fresh = placed >= rows.used
        buffer[placed[fresh]] = vectors[fresh]
        return buffer, used


def _index_edits(
    index: VectorIndex | None, ids: list[str], vectors: np.ndarray, wanted: np.ndarray
) -> tuple[list[str], np.ndarray, list[str]]:
    """What to add to (ids, vectors) and remove from an index: items that should be in it
    and are not, or are with another vector, and items that should no longer be."""
    if index is None:
        return [], vectors[:0], []
    add, remove = [], []
    for row, (item, keep) in enumerate(zip(ids, wanted.tolist(), strict=True)):
        if not keep:
            if item in index:
                remove.append(item)
        elif item not in index or np.abs(index.vector(item) - vectors[row]).max() > 1e-6:
            add.append(row)
    return [ids[r] for r in add], vectors[add], remove


def _edit(
    index: VectorIndex | None, add: list[str], vectors: np.ndarray, remove: list[str]
) -> None:
    if index is None:
        return
    if remove:
        index.remove(remove)
    if add:
        index.add(add, vectors)
