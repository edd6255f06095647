"""Vectors of the occupation vocabulary, computed once per embedding model and shipped.

The occupation coder embeds every name, alias, definition, task list and group name of the
2022 classification (about 7,000 texts). On two CPU cores that takes minutes, and it used to
happen on the first start of every new home. Instead the vectors are computed once per
embedding model id (``jobmatch occupations build-vectors``) and shipped as package data, one
file per backend of the bundled model (:func:`shipped_file`), so that switching
``JOBMATCH_EMBEDDING_BACKEND`` never re-embeds the vocabulary: int8 with one scale per
vector, which keeps cosines within about 0.001 of float32 (measured in
``benchmarks/occupation_coding.py``) at a quarter of the size.

Each file is keyed by the embedding model id and by each text's SHA-256, like the embedding
cache in the database: a different model finds no shipped vectors and falls back to its
encoder, whose cache keeps them after the first time; a changed vocabulary text misses just
that text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from matching.embedding import text_hash
from matching.occupations import Occupation, OccupationVocabulary
from matching.onnx_embedding import Backend

_SHIPPED_DIR = Path(__file__).parent / "data"
# Characters of a task list that are embedded: the first tasks say what the work is, and
# m3e's cost grows with the square of the length (a whole list takes ~20 times longer).
TASKS_CHARS = 128
# Bytes of a text's SHA-256 kept in the file: 8 bytes make a collision among 7,000 texts
# (p ~ 1e-12) as unlikely as one can wish.
_HASH_BYTES = 8


def shipped_file(backend: Backend) -> Path:
    """The package's vocabulary vectors for the bundled model on ``backend``:
    ``occupation_vectors.npz`` for torch (the name it always had), else
    ``occupation_vectors-<backend>.npz``."""
    suffix = "" if backend == "torch" else f"-{backend}"
    return _SHIPPED_DIR / f"occupation_vectors{suffix}.npz"


def definition_text(occ: Occupation) -> str:
    """What stands for an occupation's definition in the embedding space: the definition
    alone (without the name, so that a title matching the name does not count twice)."""
    return occ.definition or occ.name


def tasks_text(occ: Occupation) -> str:
    """What stands for an occupation's task list in the embedding space: ``task；task…``."""
    return "；".join(occ.tasks)[:TASKS_CHARS] if occ.tasks else definition_text(occ)


def vocabulary_texts(vocabulary: OccupationVocabulary) -> list[str]:
    """Every text of the vocabulary the coder embeds, each once, in a stable order.

    Names, aliases, definitions (:func:`definition_text`), task lists (:func:`tasks_text`)
    and the names and aliases of the major, middle and minor groups.
    """
    texts: list[str] = []
    for occ in vocabulary:
        texts.append(occ.name)
        texts.extend(occ.aliases)
        texts.append(definition_text(occ))
        texts.append(tasks_text(occ))
    for code, name in vocabulary.groups():
        texts.append(name)
        texts.extend(vocabulary.group_aliases(code))
    return list(dict.fromkeys(texts))


def _key(text: str) -> int:
    """The first 8 bytes of the text's SHA-256 as an integer (stored as uint64: a bytes
    dtype would drop trailing zero bytes)."""
    return int.from_bytes(bytes.fromhex(text_hash(text))[:_HASH_BYTES], "little")


def quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 codes and one float32 scale per row: ``row ≈ codes * scale``."""
    vectors = np.asarray(vectors, dtype=np.float32)
    scale = np.abs(vectors).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    codes = np.clip(np.rint(vectors / scale[:, None]), -127, 127).astype(np.int8)
    return codes, scale.astype(np.float32)


def dequantise(codes: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """float32 rows of length 1 from :func:`quantise`'s output (or float32 rows, scale 1)."""
    vectors = codes.astype(np.float32) * scale[:, None]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def write_vectors(
    path: Path,
    model_id: str,
    texts: Sequence[str],
    vectors: np.ndarray,
    *,
    precision: str = "int8",
) -> None:
    """Save ``vectors`` of ``texts`` under ``model_id``: int8 (:func:`quantise`, what ships)
    or ``precision="float32"`` (four times the size; to measure what int8 costs)."""
    if len(texts) != len(vectors):
        raise ValueError("as many vectors as texts are needed")
    if precision == "int8":
        codes, scale = quantise(vectors)
    elif precision == "float32":
        codes = np.asarray(vectors, dtype=np.float32)
        scale = np.ones(len(codes), dtype=np.float32)
    else:
        raise ValueError(f"precision is int8 or float32, not {precision!r}")
    keys = np.array([_key(text) for text in texts], dtype="<u8")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written next to the target, then renamed: a reader never sees half a file.
    staging = path.with_name(path.name + ".tmp.npz")
    np.savez(staging, model_id=np.array(model_id), keys=keys, codes=codes, scale=scale)
    staging.replace(path)


class VocabularyVectors:
    """Shipped (or built) vectors of one embedding model, looked up by text."""

    def __init__(self, model_id: str, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Vectors by the text keys ``keys`` (see :func:`write_vectors`)."""
        self.model_id = model_id
        self._row = {int(key): row for row, key in enumerate(keys)}
        self._vectors = vectors

    @classmethod
    def load(cls, path: Path) -> VocabularyVectors | None:
        """The vectors in ``path``; ``None`` when there is no such file."""
        if not Path(path).is_file():
            return None
        with np.load(path, allow_pickle=False) as data:
            return cls(
                str(data["model_id"]), data["keys"], dequantise(data["codes"], data["scale"])
            )

    @classmethod
    def shipped(cls, model_id: str | None) -> VocabularyVectors | None:
        """The package's vectors of ``model_id`` (one of the :func:`shipped_file` files);
        ``None`` when none ships for it."""
        for path in sorted(_SHIPPED_DIR.glob("occupation_vectors*.npz")):
            with np.load(path, allow_pickle=False) as data:
                if model_id is not None and str(data["model_id"]) == model_id:
                    return cls(model_id, data["keys"], dequantise(data["codes"], data["scale"]))
        return None

    def __len__(self) -> int:
        """Number of texts with a vector."""
        return len(self._row)

    def lookup(self, texts: Sequence[str]) -> tuple[np.ndarray, list[int]]:
        """Vectors of ``texts`` (rows of zeros where there is none) and the rows missing."""
        out = np.zeros((len(texts), self._vectors.shape[1]), dtype=np.float32)
        missing: list[int] = []
        for index, text in enumerate(texts):
            row = self._row.get(_key(text))
            if row is None:
                missing.append(index)
            else:
                out[index] = self._vectors[row]
        return out, missing


def encoder_model_id(encoder: Any) -> str | None:
    """The embedding model id of an encoder (an ``Embedder`` or an ``EmbeddingCache``)."""
    model_id = getattr(encoder, "model_id", None)
    if model_id is None and hasattr(encoder, "embedder"):
        model_id = getattr(encoder.embedder, "model_id", None)
    return model_id


class WithVocabularyVectors:
    """An encoder that answers vocabulary texts from shipped vectors and the rest itself.

    Only vectors of the encoder's own model id are used; with another model every text goes
    to the encoder (and, if it is an ``EmbeddingCache``, is cached in the store).
    """

    def __init__(self, encoder: Any, shipped: VocabularyVectors | None) -> None:
        """Serve ``shipped`` vectors when they are of ``encoder``'s model, else none."""
        self.encoder = encoder
        self.model_id = encoder_model_id(encoder)
        self.shipped = (
            shipped if shipped is not None and shipped.model_id == self.model_id else None
        )

    @property
    def uses_shipped(self) -> bool:
        """Whether shipped vectors of this model were found."""
        return self.shipped is not None

    def encode(
        self, texts: list[str], *, progress: bool = False, batch_size: int = 64
    ) -> np.ndarray:
        """L2-normalised vectors of ``texts``: shipped where known, encoded otherwise."""
        texts = list(texts)
        if self.shipped is None:
            return self.encoder.encode(texts, progress=progress, batch_size=batch_size)
        out, missing = self.shipped.lookup(texts)
        if missing:
            encoded = self.encoder.encode(
                [texts[i] for i in missing], progress=progress, batch_size=batch_size
            )
            out[missing] = encoded
        return out


def build_vectors(
    vocabulary: OccupationVocabulary, encoder: Any, path: Path, *, precision: str = "int8"
) -> int:
    """Embed every vocabulary text with ``encoder`` and write them to ``path``.

    This is what ``jobmatch occupations build-vectors`` runs to regenerate the shipped file
    for the default model (or to build one for another model). Returns the number of texts.
    """
    model_id = encoder_model_id(encoder)
    if model_id is None:
        raise ValueError("the encoder has no model id to key its vectors by")
    texts = vocabulary_texts(vocabulary)
    vectors = encoder.encode(texts, progress=True, batch_size=32)
    write_vectors(Path(path), model_id, texts, vectors, precision=precision)
    return len(texts)
