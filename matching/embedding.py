"""Text embeddings of jobs and candidates, and a database cache of them.

The texts given to the model hold what a person can do and what a job asks for: skills,
certificates, trainings, occupations and free text. They never hold the disability, a name, an
ID or certificate number or a phone number: matching on functional capacities is the rules'
job (DOMAIN.md, "Functional demands, not stereotypes"), and embedding vectors are stored and
indexed without the protection that sealed personal data has.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

import numpy as np
from sqlalchemy import Insert, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from tqdm import tqdm

from matching.domain import Candidate, Job
from matching.occupations import OccupationVocabulary
from matching.onnx_embedding import BACKENDS, Backend, OnnxEncoder, check_exportable, export_onnx
from matching.privacy import scrub as _scrubbed
from matching.privacy import scrub_about_person
from matching.store.database import Store
from matching.store.tables import EmbeddingRow

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from matching.settings import Settings

T = TypeVar("T")

# m3e-small reads at most 512 tokens, two of them [CLS] and [SEP]. Its tokenizer makes at most
# one token of each character (a Chinese character is one token, a Latin word fewer tokens than
# letters), so 510 characters always fit; the most telling fields come first, so a long
# description or summary is what gets cut.
MAX_TEXT_CHARS = 510

# Files in a model folder that do not change what the model computes.
_NOT_MODEL_FILES = re.compile(r"^(\.|README)", re.IGNORECASE)
# Above this size a file enters the model id by size only: hashing 100 MB of weights on every
# start would cost more than it protects against (a retrained model of identical size).
_HASH_CONTENT_MAX = 1 << 20

_LIST_SEPARATOR = "、"


def job_text(
    job: Job, occupations: OccupationVocabulary | None, *, max_chars: int = MAX_TEXT_CHARS
) -> str:
    """The text that stands for a job in the embedding space.

    Title, occupation (name and definition of the 2022 classification when ``occupations``
    resolves it), skills, required certificates and description, in that order, cut to
    ``max_chars`` characters. Free text is scrubbed as :func:`candidate_text` describes: an
    ad reading "听力残疾人专岗" must not steer matching by category.
    """
    occupation = (
        _occupation_name(job.occupation, occupations, with_definition=True)
        if job.occupation
        else None
    )
    parts = [
        _labelled("岗位", _scrubbed(job.title)),
        _labelled("职业", occupation),
        _listed("技能", [_scrubbed(skill) for skill in job.skills]),
        _listed("证书要求", [_scrubbed(c) for c in job.certificates_required]),
        _labelled("岗位描述", _scrubbed(job.description or "")),
    ]
    return _joined(parts, max_chars)


def candidate_text(
    candidate: Candidate,
    occupations: OccupationVocabulary | None,
    *,
    max_chars: int = MAX_TEXT_CHARS,
) -> str:
    """The text that stands for a job seeker in the embedding space.

    Skills, certificates, training names, target occupations (2022 names where ``occupations``
    resolves them) and the summary, cut to ``max_chars`` characters. Training years are left
    out: they say nothing about the kind of work, and would make identical profiles differ.
    Counselors type free text, so the person's own identifiers, any ID-, certificate- or
    phone-like number and any mention of a disability category or grade are removed from
    everything but the resolved occupations.
    """
    targets = [
        name
        for name in (
            _occupation_name(target, occupations, with_definition=False)
            for target in candidate.target_occupations
        )
        if name
    ]
    # Longest first: the certificate number begins with the ID number.
    personal = (candidate.cert_number, candidate.id_number, candidate.phone, candidate.name)
    parts = [
        _listed("技能", [_scrubbed(skill, personal) for skill in candidate.skills]),
        _listed("证书", [_scrubbed(c, personal) for c in candidate.certificates]),
        _listed("培训", [_scrubbed(t.name, personal) for t in candidate.trainings]),
        _listed("求职意向", list(dict.fromkeys(targets))),
        _labelled("个人简介", scrub_about_person(candidate.summary or "", personal)),
    ]
    return _joined(parts, max_chars)


def text_hash(text: str) -> str:
    """SHA-256 of the text (hex): the cache key of its vector under one model."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def model_id_for(path: Path) -> str:
    """A stable id of the model in a folder: ``<folder name>-<12 hex digits>``.

    The digits hash the folder's files: the content of small ones (configuration, tokenizer,
    ``modules.json``) and the size of large ones (weights). Another model, or the same model
    reconfigured (pooling, maximum sequence length), gets another id, so cached vectors of
    one are never taken for the other; a copy of the same folder elsewhere keeps the id.
    """
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        relative = file.relative_to(path)
        if any(_NOT_MODEL_FILES.match(part) for part in relative.parts):
            continue
        size = file.stat().st_size
        digest.update(f"{relative.as_posix()}\0{size}\0".encode())
        if size <= _HASH_CONTENT_MAX:
            digest.update(file.read_bytes())
    return f"{path.name[:100]}-{digest.hexdigest()[:12]}"


class Embedder:
    """An embedding model on the CPU, giving L2-normalised float32 vectors.

    ``backend`` says how it runs (``Settings.embedding_backend``): ``torch`` through
    sentence-transformers, or ``onnx`` / ``onnx-int8`` through ONNX Runtime
    (:mod:`matching.onnx_embedding`, exported once into ``cache``). The model loads on first
    use (or :meth:`warm_up`), not on construction: importing torch and reading the weights
    takes 5-15 s on two cores, and a server is ready to answer before it embeds anything
    (the occupation vocabulary's vectors ship with the package).

    The model id is the folder's (:func:`model_id_for`) for torch, and that id with the
    backend appended otherwise: ONNX vectors differ from torch's in the last digits (float32)
    or the third (int8), so vectors cached or indexed under one backend are never mixed with
    another's, and changing the backend re-embeds a home.
    """

    def __init__(
        self,
        path: Path,
        *,
        backend: Backend = "torch",
        cache: Path | None = None,
        threads: int | None = None,
    ) -> None:
        """Prepare the model in ``path`` (see ``Settings.resolved_embedding_model``).

        ``cache`` is the folder of ONNX exports (required for the ONNX backends, see
        ``Settings.resolved_embedding_cache``); ``threads`` caps ONNX Runtime's threads
        (``None``: one per core). Nothing is downloaded: the Hugging Face libraries read
        ``HF_HUB_OFFLINE`` when they are first imported, so it is set (unless the caller
        chose otherwise) before importing them, and ``local_files_only`` covers the case
        that they were imported earlier. A folder without ``modules.json`` (m3e-small ships
        none) gets mean pooling, which is what m3e was trained with.
        """
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        path = Path(path)
        if not path.is_dir():
            raise FileNotFoundError(f"no embedding model folder at {path}")
        if backend not in BACKENDS:
            raise ValueError(f"unknown embedding backend {backend!r}: one of {', '.join(BACKENDS)}")
        if backend != "torch":
            check_exportable(path)
            if cache is None:
                raise ValueError(f"the {backend} backend needs a cache folder for its export")
        self.path = path
        self.backend: Backend = backend
        self.cache = Path(cache) if cache is not None else None
        self.threads = threads
        folder_id = model_id_for(path)
        self.model_id: str = folder_id if backend == "torch" else f"{folder_id}-{backend}"
        self._declared_dim = _declared_dimension(path)
        self._loaded: SentenceTransformer | OnnxEncoder | None = None
        self._loading = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        """The embedding model, backend and export cache that ``settings`` configure."""
        return cls(
            settings.resolved_embedding_model,
            backend=settings.embedding_backend,
            cache=settings.resolved_embedding_cache,
        )

    @property
    def onnx_file(self) -> Path | None:
        """Where this model's ONNX export lives (``None`` for the torch backend)."""
        if self.backend == "torch" or self.cache is None:
            return None
        return self.cache / "onnx" / self.model_id / "model.onnx"

    def warm_up(self) -> None:
        """Load the model now (a server calls this in the background after starting); for an
        ONNX backend, export it first if the cache has no export yet."""
        self._model  # noqa: B018 (loads it)

    @property
    def _model(self) -> SentenceTransformer | OnnxEncoder:
        if self._loaded is None:
            with self._loading:
                if self._loaded is None:
                    self._loaded = self._load()
        return self._loaded

    def _load(self) -> SentenceTransformer | OnnxEncoder:
        onnx_file = self.onnx_file
        if onnx_file is None:
            from sentence_transformers import SentenceTransformer

            return SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        if not onnx_file.is_file():
            export_onnx(self.path, onnx_file, backend=self.backend)
        return OnnxEncoder(
            self.path, onnx_file, threads=self.threads, per_text=self.backend == "onnx-int8"
        )

    @property
    def dim(self) -> int:
        """Length of the vectors (from the model's configuration, without loading it)."""
        if self._declared_dim is not None:
            return self._declared_dim
        model = self._model
        if isinstance(model, OnnxEncoder):  # pragma: no cover (ONNX folders declare theirs)
            raise RuntimeError("an exported model always declares its hidden size")
        # sentence-transformers 6 renamed get_sentence_embedding_dimension.
        dimension = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension
        )
        declared = dimension()
        assert declared is not None, "the model declares no embedding dimension"
        return int(declared)

    def encode(
        self, texts: list[str], *, progress: bool = False, batch_size: int = 64
    ) -> np.ndarray:
        """Vectors of ``texts``: shape ``(len(texts), dim)``, float32, each of length 1."""
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        model = self._model
        if isinstance(model, OnnxEncoder):
            return model.encode(list(texts), batch_size=batch_size)
        vectors = model.encode(
            list(texts),
            batch_size=batch_size,
            show_progress_bar=progress,
            normalize_embeddings=True,
            convert_to_numpy=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _declared_dimension(path: Path) -> int | None:
    """The vector length a model folder declares: a plain transformer's ``hidden_size``
    (mean pooling keeps it), or ``None`` where modules may change it (then the model is
    loaded to ask it)."""
    if (path / "modules.json").exists():
        return None
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    size = config.get("hidden_size")
    return int(size) if isinstance(size, int) else None


class VectorModel(Protocol):
    """What :class:`EmbeddingCache` needs of a model: an :class:`Embedder`, or one that runs
    it elsewhere (``training.distributed.DaskEmbedder``)."""

    model_id: str

    @property
    def dim(self) -> int:
        """Length of the vectors."""
        ...

    def encode(
        self, texts: list[str], *, progress: bool = False, batch_size: int = 64
    ) -> np.ndarray:
        """L2-normalised float32 vectors of ``texts``, shape ``(len(texts), dim)``."""
        ...


class EmbeddingCache:
    """Vectors of texts under one model, kept in the store's ``embeddings`` table.

    Keyed by (model id, SHA-256 of the text), so re-running after an import embeds only the
    records whose text changed, and switching models never mixes vectors of two models.
    """

    #: Texts embedded, then stored, per transaction: a crash loses at most one batch of work.
    batch = 512
    #: Keys per ``IN (...)`` look-up and rows per insert, below SQLite's bound-parameter limit.
    chunk = 500

    def __init__(self, store: Store, embedder: VectorModel, *, batch: int | None = None) -> None:
        """Cache the vectors ``embedder`` computes in ``store``, ``batch`` texts per
        transaction (default :attr:`batch`; more for an embedder on a cluster, whose
        workers each take a share of a batch)."""
        self.store = store
        self.embedder = embedder
        if batch is not None:
            if batch < 1:
                raise ValueError(f"batch must be at least 1, not {batch}")
            self.batch = batch

    def vectors(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        """Vectors of ``texts`` in order, shape ``(len(texts), dim)``, float32.

        Texts without a stored vector are embedded (each distinct text once) and stored.
        No transaction is held open while the model runs.
        """
        if not texts:
            return np.empty((0, self.embedder.dim), dtype=np.float32)
        keys = [text_hash(text) for text in texts]
        text_of = dict(zip(keys, texts, strict=True))
        found = self._lookup(list(text_of))
        missing = [key for key in text_of if key not in found]
        with tqdm(total=len(missing), desc="embedding", unit=" texts", disable=not progress) as bar:
            for start in range(0, len(missing), self.batch):
                batch = missing[start : start + self.batch]
                vectors = self.embedder.encode([text_of[key] for key in batch])
                self._store(dict(zip(batch, vectors, strict=True)))
                found.update(zip(batch, vectors, strict=True))
                bar.update(len(batch))
        return np.stack([found[key] for key in keys]).astype(np.float32, copy=False)

    def encode(
        self, texts: list[str], *, progress: bool = False, batch_size: int = 64
    ) -> np.ndarray:
        """The embedder's ``encode``, served from the cache (so the cache can stand in for it)."""
        return self.vectors(list(texts), progress=progress)

    def _lookup(self, keys: list[str]) -> dict[str, np.ndarray]:
        model_id = self.embedder.model_id
        found: dict[str, np.ndarray] = {}
        with self.store.session() as session:
            for chunk in _chunks(keys, self.chunk):
                rows = session.execute(
                    select(EmbeddingRow.text_hash, EmbeddingRow.vector).where(
                        EmbeddingRow.model_id == model_id, EmbeddingRow.text_hash.in_(chunk)
                    )
                )
                found.update((key, np.frombuffer(blob, dtype="<f4")) for key, blob in rows)
        return found

    def _store(self, vectors: dict[str, np.ndarray]) -> None:
        model_id = self.embedder.model_id
        rows = [
            {"model_id": model_id, "text_hash": key, "vector": vector.astype("<f4").tobytes()}
            for key, vector in vectors.items()
        ]
        with self.store.session() as session:
            for chunk in _chunks(rows, self.chunk):
                session.execute(_insert_ignoring_duplicates(session), chunk)


def _insert_ignoring_duplicates(session: Session) -> Insert:
    """An insert of embedding rows that skips keys already stored.

    Another process embedding the same texts at the same time stores the same vectors under
    the same keys, so its rows are as good as ours and a conflict is simply skipped.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(EmbeddingRow).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(EmbeddingRow).on_conflict_do_nothing()
    return insert(EmbeddingRow)


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    return (items[start : start + size] for start in range(0, len(items), size))


def _occupation_name(
    text: str, occupations: OccupationVocabulary | None, *, with_definition: bool
) -> str | None:
    """The classification's name (and definition) for a name or code; else the text, scrubbed.

    A code that nothing resolves is dropped: digits mean nothing to a language model.
    """
    occupation = occupations.find(text) if occupations is not None else None
    if occupation is None:
        cleaned = _scrubbed(text)
        return cleaned if cleaned and not re.fullmatch(r"[\d\s-]+", cleaned) else None
    if with_definition and occupation.definition:
        return f"{occupation.name}（{occupation.definition.rstrip('。')}）"
    return occupation.name


def _labelled(label: str, text: str | None) -> str:
    return f"{label}：{text}" if text else ""


def _listed(label: str, items: list[str]) -> str:
    joined = _LIST_SEPARATOR.join(cleaned for cleaned in map(_clean, items) if cleaned)
    return f"{label}：{joined}" if joined else ""


def _clean(text: str) -> str:
    """Whitespace collapsed to single spaces (Chinese text needs none, but Latin words do)."""
    return " ".join(text.split())


def _joined(parts: list[str], max_chars: int) -> str:
    return "。".join(part.rstrip("。；;，, ") for part in parts if part)[:max_chars]
