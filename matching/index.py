"""Nearest-neighbour search over normalised embedding vectors, with string ids.

Small collections are searched exactly (``IndexFlatIP``); large ones through an HNSW graph
(``IndexHNSWFlat``, inner product). On L2-normalised vectors the inner product is the cosine.
HNSW cannot remove vectors, so removal and replacement leave a tombstone that searches skip,
and the index is rebuilt from its live vectors once tombstones pass a fifth of it.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

import faiss
import numpy as np

Kind = Literal["exact", "hnsw"]

MANIFEST = "index.json"
_FORMAT = 1
_VECTORS_PREFIX = "vectors-"
_LOCK = ".save.lock"
# Rebuild once this share of the stored vectors is tombstoned: each tombstone still costs
# memory and (in HNSW) graph hops that lead nowhere.
_COMPACT_ABOVE = 0.2
# Fewer queries than this are searched on one thread. On a 2-core host shared with the model
# and other requests, splitting one query's scan across threads costs more in OpenMP barriers
# than it saves (measured: 100k exact, one query, 27 ms on 1 thread vs 80 ms on 2 under load).
_PARALLEL_QUERIES = 20


def set_threads(threads: int | None = None) -> int:
    """Set how many OpenMP threads faiss calls made from the calling thread use.

    The OpenMP runtime keeps this per thread (a request thread of a web server does not see
    what the main thread set), so every operation of :class:`VectorIndex` sets what it needs.
    By default: ``OMP_NUM_THREADS`` if set, else the CPUs this process may run on (fewer than
    the machine's cores in a container). Returns the count set.
    """
    if threads is None:
        configured = os.environ.get("OMP_NUM_THREADS", "")
        threads = int(configured) if configured.isdigit() else len(os.sched_getaffinity(0))
    threads = max(1, threads)
    faiss.omp_set_num_threads(threads)
    return threads


class VectorIndex:
    """Vectors under string ids, searched by inner product (cosine on normalised vectors).

    Searches may run in several threads at once; adding, removing and saving need the index
    to themselves.
    """

    def __init__(
        self,
        dim: int,
        *,
        exact_below: int = 20000,
        hnsw_m: int = 32,
        ef_search: int = 128,
        ef_construction: int = 40,
    ) -> None:
        """An empty index of ``dim``-dimensional vectors; see :meth:`build` for the options."""
        self.dim = dim
        self.exact_below = exact_below
        self.hnsw_m = hnsw_m
        self.ef_search = ef_search
        self.ef_construction = ef_construction
        self._load_vectors([], np.empty((0, dim), dtype=np.float32))

    @classmethod
    def build(
        cls,
        ids: list[str],
        vectors: np.ndarray,
        *,
        exact_below: int = 20000,
        hnsw_m: int = 32,
        ef_search: int = 128,
        ef_construction: int = 40,
    ) -> VectorIndex:
        """An index of ``vectors`` (one row per id, L2-normalised; a repeated id: last wins).

        Below ``exact_below`` live vectors the search is exact; from there on it is HNSW with
        ``hnsw_m`` links per node, built with ``ef_construction`` and searched with
        ``ef_search`` candidates (more: better recall, slower search).
        """
        vectors = _as_matrix(vectors)
        index = cls(
            vectors.shape[1],
            exact_below=exact_below,
            hnsw_m=hnsw_m,
            ef_search=ef_search,
            ef_construction=ef_construction,
        )
        index._load_vectors(list(ids), vectors)
        return index

    # -- reading ------------------------------------------------------------------------

    @property
    def kind(self) -> Kind:
        """``"exact"`` (flat inner product) or ``"hnsw"``."""
        return "exact" if isinstance(self._faiss, faiss.IndexFlat) else "hnsw"

    @property
    def ids(self) -> list[str]:
        """The live ids, in storage order."""
        return [id_ for id_ in self._ids if id_ is not None]

    def __len__(self) -> int:
        """Number of live vectors."""
        return len(self._positions)

    def __contains__(self, id_: object) -> bool:
        """Whether ``id_`` is live in the index."""
        return id_ in self._positions

    def vector(self, id_: str) -> np.ndarray:
        """The stored vector of a live id (``KeyError`` if absent)."""
        return np.asarray(self._faiss.reconstruct(self._positions[id_]))

    def vectors(self, ids: list[str]) -> np.ndarray:
        """Stored vectors of live ids, one row each (``KeyError`` if one is absent).

        For re-scoring HNSW candidates exactly, or against other query vectors.
        """
        if not ids:
            return np.empty((0, self.dim), dtype=np.float32)
        positions = np.array([self._positions[id_] for id_ in ids], dtype=np.int64)
        return self._faiss.reconstruct_batch(positions)

    def search(self, queries: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        """For each query (a vector or a matrix of them), up to ``k`` ``(id, score)``, best first.

        Removed ids are never returned, nor more results than there are live vectors.
        """
        queries = _as_matrix(queries, self.dim)
        k = min(k, len(self))
        if k <= 0:
            return [[] for _ in range(len(queries))]
        set_threads(1 if len(queries) < _PARALLEL_QUERIES else None)
        scores, positions = self._faiss.search(queries, k, params=self._search_parameters(k))
        return [
            [
                (self._ids[position], float(score))
                for score, position in zip(row_scores, row_positions, strict=True)
                if position >= 0 and self._ids[position] is not None
            ]
            for row_scores, row_positions in zip(scores, positions, strict=True)
        ]

    def search_storage(
        self, query: np.ndarray, k: int, *, allowed: np.ndarray | None = None
    ) -> np.ndarray:
        """Storage positions (see :attr:`storage_ids`) of up to ``k`` live vectors nearest to
        one query, best first: :meth:`search` without building a Python pair per hit, for
        callers that map positions to their own rows with an array.

        ``allowed`` (one flag per storage position, False for removed ones) restricts the
        search to those positions: the search itself skips the others, so ``k`` allowed
        ones come back whenever there are that many."""
        query = _as_matrix(query, self.dim)
        k = min(k, len(self))
        if k <= 0:
            return np.empty(0, dtype=np.int64)
        set_threads(1)
        params = self._search_parameters(k)
        if allowed is not None:
            if len(allowed) != len(self._ids):
                raise ValueError(f"{len(allowed)} flags for {len(self._ids)} stored positions")
            bits = np.packbits(allowed, bitorder="little")
            selector = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bits))
            # Restricted to a share, HNSW meets fewer allowed items per node it visits: twice
            # the candidates kept recall of the 200 nearest where an unrestricted search has
            # it (0.90 against 0.73, a fifth of a million clustered vectors allowed).
            share = np.count_nonzero(allowed) / max(len(allowed), 1)
            params = self._parameters(k, selector, effort=2.0 if share < 0.5 else 1.0)
        _, positions = self._faiss.search(query[:1], k, params=params)
        row = positions[0]
        return row[row >= 0]

    @property
    def storage_ids(self) -> list[str | None]:
        """The id stored at each position (None: removed). Positions only ever get appended
        until :attr:`generation` changes (a compaction or rebuild renumbers them)."""
        return self._ids

    @property
    def tombstoned(self) -> list[int]:
        """The storage positions removed (or replaced: a vector added again under its id is
        stored anew) since :attr:`generation` last changed, in the order removed; only ever
        appended to until then, so a caller mapping positions can catch up from where it
        stopped."""
        return self._tombstoned

    # -- changing -----------------------------------------------------------------------

    def add(self, ids: list[str], vectors: np.ndarray) -> None:
        """Add vectors; an id already present is replaced (a repeated id: last wins)."""
        vectors = _as_matrix(vectors, self.dim)
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids but {len(vectors)} vectors")
        last = {id_: row for row, id_ in enumerate(ids)}
        if not last:
            return
        self._tombstone(last)
        set_threads()
        if self.kind == "exact" and len(self) + len(last) >= self.exact_below:
            # Grown past the threshold: rebuild as HNSW with the new vectors included.
            live_ids, live_vectors = self._live()
            self._load_vectors(
                live_ids + list(last), np.vstack([live_vectors, vectors[list(last.values())]])
            )
            return
        start = len(self._ids)
        self._faiss.add(np.ascontiguousarray(vectors[list(last.values())]))
        for offset, id_ in enumerate(last):
            self._ids.append(id_)
            self._positions[id_] = start + offset
        self._compact_if_needed()

    def remove(self, ids: Iterable[str]) -> int:
        """Remove the given ids (absent ones are ignored); returns how many were removed."""
        removed = self._tombstone(ids)
        self._compact_if_needed()
        return removed

    # -- persistence --------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write the index to ``directory``, replacing what was there all at once.

        The vectors go to a new ``vectors-<random>.faiss`` file, then the manifest
        ``index.json`` (ids, options, name of that file) replaces the old one atomically: a
        crash at any point leaves the previous index or the new one, never a mix. Files of
        earlier saves are deleted afterwards. Saves by several processes (the API's workers)
        take turns (a lock file): otherwise each would delete the vectors file the other's
        manifest names, leaving a manifest that names no file.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        with (directory / _LOCK).open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._save_locked(directory)

    def _save_locked(self, directory: Path) -> None:
        vectors_name = f"{_VECTORS_PREFIX}{uuid.uuid4().hex}.faiss"
        _write_atomically(
            directory / vectors_name, lambda tmp: faiss.write_index(self._faiss, str(tmp))
        )
        manifest = {
            "format": _FORMAT,
            "dim": self.dim,
            "kind": self.kind,
            "exact_below": self.exact_below,
            "hnsw_m": self.hnsw_m,
            "ef_search": self.ef_search,
            "ef_construction": self.ef_construction,
            "vectors": vectors_name,
            "ids": self._ids,  # storage order; null marks a tombstone
        }
        _write_atomically(
            directory / MANIFEST,
            lambda tmp: tmp.write_text(json.dumps(manifest, ensure_ascii=False), "utf-8"),
        )
        for stale in directory.glob(f"{_VECTORS_PREFIX}*.faiss"):
            if stale.name != vectors_name:
                stale.unlink(missing_ok=True)

    @staticmethod
    def exists(directory: Path) -> bool:
        """Whether :meth:`save` has written an index to ``directory``."""
        return (Path(directory) / MANIFEST).is_file()

    @classmethod
    def load(cls, directory: Path) -> VectorIndex:
        """Read an index written by :meth:`save` (``FileNotFoundError`` if there is none)."""
        directory = Path(directory)
        # Another process (an API worker) may save between our reading the manifest and the
        # vectors file it names, deleting that file: read the new manifest then.
        for attempt in range(5):
            manifest: dict[str, Any] = json.loads((directory / MANIFEST).read_text("utf-8"))
            if (directory / str(manifest.get("vectors"))).is_file() or attempt == 4:
                try:
                    return cls._from_manifest(directory, manifest)
                except RuntimeError:
                    if attempt == 4 or (directory / str(manifest.get("vectors"))).is_file():
                        raise
            time.sleep(0.05 * (attempt + 1))  # let the save under way finish its manifest
        raise FileNotFoundError(directory / MANIFEST)

    @classmethod
    def _from_manifest(cls, directory: Path, manifest: dict[str, Any]) -> VectorIndex:
        if manifest.get("format") != _FORMAT:
            raise ValueError(f"{directory / MANIFEST}: unknown format {manifest.get('format')!r}")
        index = cls(
            manifest["dim"],
            exact_below=manifest["exact_below"],
            hnsw_m=manifest["hnsw_m"],
            ef_search=manifest["ef_search"],
            ef_construction=manifest["ef_construction"],
        )
        stored = faiss.read_index(str(directory / manifest["vectors"]))
        ids: list[str | None] = manifest["ids"]
        if stored.ntotal != len(ids) or stored.d != index.dim:
            raise ValueError(f"{directory}: vectors file does not match the manifest")
        index._faiss = stored
        index._ids = ids
        index.generation += 1
        index._positions = {id_: pos for pos, id_ in enumerate(ids) if id_ is not None}
        index._removed = {pos for pos, id_ in enumerate(ids) if id_ is None}
        index._tombstoned = sorted(index._removed)
        index._selector = None
        return index

    # -- internals ----------------------------------------------------------------------

    def _load_vectors(self, ids: list[str], vectors: np.ndarray) -> None:
        """Replace everything with these vectors, in a fresh faiss index of the fitting kind."""
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids but {len(vectors)} vectors")
        last = {id_: row for row, id_ in enumerate(ids)}
        rows = list(last.values())
        set_threads()
        if len(last) < self.exact_below:
            self._faiss: faiss.Index = faiss.IndexFlatIP(self.dim)
        else:
            self._faiss = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            self._faiss.hnsw.efConstruction = self.ef_construction
            self._faiss.hnsw.efSearch = self.ef_search
        if rows:
            self._faiss.add(np.ascontiguousarray(vectors[rows]))
        self._ids: list[str | None] = list(last)
        self.generation = getattr(self, "generation", 0) + 1
        self._positions: dict[str, int] = {id_: pos for pos, id_ in enumerate(last)}
        self._removed: set[int] = set()
        self._tombstoned: list[int] = []  # the same positions, in the order removed
        # faiss keeps raw pointers to the selector's parts: they live here while in use.
        self._selector: tuple[Any, ...] | None = None

    def _tombstone(self, ids: Iterable[str]) -> int:
        count = 0
        for id_ in ids:
            position = self._positions.pop(id_, None)
            if position is not None:
                self._ids[position] = None
                self._removed.add(position)
                self._tombstoned.append(position)
                count += 1
        if count:
            self._selector = None
        return count

    def _compact_if_needed(self) -> None:
        if self._removed and len(self._removed) > _COMPACT_ABOVE * len(self._ids):
            self._load_vectors(*self._live())

    def _live(self) -> tuple[list[str], np.ndarray]:
        ids = self.ids
        return ids, self.vectors(ids)

    def _search_parameters(self, k: int) -> faiss.SearchParameters | None:
        selector = None
        if self._removed:
            if self._selector is None:
                removed = faiss.IDSelectorBatch(np.fromiter(self._removed, dtype=np.int64))
                self._selector = (faiss.IDSelectorNot(removed), removed)
            selector = self._selector[0]
        return self._parameters(k, selector)

    def _parameters(
        self, k: int, selector: Any, *, effort: float = 1.0
    ) -> faiss.SearchParameters | None:
        if self.kind == "exact":
            # faiss's bundled stubs lack the parameters' keyword constructors.
            return None if selector is None else faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        # HNSW keeps efSearch candidates; fewer than k would cut the result list short.
        candidates = int(max(self.ef_search, k) * effort)
        return faiss.SearchParametersHNSW(sel=selector, efSearch=candidates)  # type: ignore[attr-defined]


def _as_matrix(vectors: np.ndarray, dim: int | None = None) -> np.ndarray:
    """``vectors`` as a C-contiguous float32 matrix (a single vector becomes one row)."""
    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[np.newaxis, :]
    if matrix.ndim != 2 or (dim is not None and matrix.shape[1] != dim):
        expected = f"(n, {dim})" if dim is not None else "(n, dim)"
        raise ValueError(f"expected vectors of shape {expected}, got {matrix.shape}")
    return matrix


def _write_atomically(target: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(temporary path)``, flush it to disk, then move it onto ``target``."""
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(temporary)
        with temporary.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a power cut only once this is done
    finally:
        os.close(directory)
