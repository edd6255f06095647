"""Occupation coding: suggest the 2022 occupation (CSCO) code of a job posting from its title.

Four similarity signals are computed between a title and every detailed occupation, each
rescaled to [0, 1], and fused by a fixed weighted average (:class:`FusionWeights`):

* ``char_name``: cosine of character 1–3-gram TF-IDF vectors, title against the occupation's
  name and each of its aliases (the best of them counts). Catches shared words of the trade
  (``超市收银员`` → 收银员) with no model at all.
* ``char_text``: the same kind of n-grams, title (and description) against the definition and
  tasks. Weak alone, but it knows the words of the work (``录入`` is in 打字员's definition).
* ``embedding_name``: cosine of sentence embeddings, title against name and aliases (best).
  Catches paraphrases that share no characters (``外卖骑手`` → 网约配送员).
* ``embedding_text``: embedding cosine, title (and description) against ``name：definition``.

An exact code, name or alias (:meth:`OccupationVocabulary.find_all`, on the raw title or on the
title stripped of job-ad boilerplate) ranks first with score 1.0, whatever the signals say.

The default weights were chosen by ``benchmarks/occupation_coding.py --tune`` (grid of 0.05,
maximising top-1 + top-5 accuracy) on two of five folds of aliases held out of the index; the
other three folds and a hand-written set of job-ad titles are the test sets (results in that
script's docstring). The embedding of the title against names and aliases carries most of the
weight: on held-out aliases it is right more often than the character n-grams, which add
most where a title shares the wording of a name, alias or definition.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Protocol

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from matching.occupations import Occupation, OccupationVocabulary, normalize_text

# m3e-small puts unrelated short Chinese texts at a cosine of about 0.6–0.7 and near-synonyms
# above 0.85, so embedding cosines are read on [0.6, 1] rather than [-1, 1].
EMBEDDING_FLOOR = 0.6
# A title shares few n-grams with a definition-and-tasks paragraph: the right occupation's
# cosine is ~0.1 and the best one's rarely above 0.3, so that range is stretched to [0, 1].
CHAR_TEXT_CEILING = 0.3
# Titles scored per matrix product: bounds memory to a few MB per signal whatever the batch.
_CHUNK = 512

# Job-ad boilerplate that says nothing about the occupation: recruiting words, terms and
# conditions, who is preferred, pay and head counts. Bracketed remarks go too: 保洁员（包吃住）.
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|<[^<>]*>|《[^《》]*》")
_BOILERPLATE = re.compile(
    r"急招|急聘|诚聘|直招|高薪|招聘|聘请|招募|"
    r"长期|短期|临时|兼职|全职|日结|周结|月结|包吃住|包吃|包住|五险一金|五险|双休|单休|"
    r"男女不限|不限学历|经验不限|无经验|可培训|带薪培训|持证上岗|持证|"
    r"可?居家办公|在家办公|远程办公|计件工资|计件|"
    r"残疾人?(?:专岗|岗位)?|(?:听障|视障|聋哑|聋人|盲人|肢残|残障|退役军人|应届生?|女性|宝妈)?"
    r"(?:人士)?优先|"
    r"\d+(?:\.\d+)?(?:[-~至]\d+(?:\.\d+)?)?(?:k|千|万|元)(?:/(?:月|天|时|小时))?|"
    r"若干名?|\d+名|多名|数名"
)
_SEPARATORS = re.compile(r"^[\W_]+|[\W_]+$")


class Encoder(Protocol):
    """What the coder needs of a sentence embedder (``matching.embedding.Embedder`` is one)."""

    def encode(
        self, texts: list[str], *, progress: bool = False, batch_size: int = 64
    ) -> np.ndarray:
        """L2-normalised float32 vectors of ``texts``, shape ``(len(texts), dim)``."""
        ...


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggested occupation: its code, its name and a score in [0, 1] (1.0: exact)."""

    code: str
    name: str
    score: float


@dataclass(frozen=True, slots=True)
class FusionWeights:
    """Relative weights of the four signals; the fused score is their weighted average."""

    char_name: float
    char_text: float
    embedding_name: float = 0.0
    embedding_text: float = 0.0

    def __post_init__(self) -> None:
        values = [getattr(self, f.name) for f in fields(self)]
        if any(value < 0 for value in values) or sum(values) <= 0:
            raise ValueError(f"weights must be >= 0 and not all 0: {self}")

    @property
    def uses_embeddings(self) -> bool:
        """Whether any embedding signal has weight (then the coder needs an embedder)."""
        return self.embedding_name > 0 or self.embedding_text > 0

    def normalised(self) -> dict[str, float]:
        """Signal name → weight, the weights summing to 1."""
        values = {f.name: float(getattr(self, f.name)) for f in fields(self)}
        total = sum(values.values())
        return {name: value / total for name, value in values.items()}


#: Weights with an embedder (tuned on held-out aliases, see the module docstring).
FUSION_WEIGHTS = FusionWeights(
    char_name=0.10, char_text=0.10, embedding_name=0.60, embedding_text=0.20
)
#: Weights without an embedder: the two character n-gram signals.
CHAR_WEIGHTS = FusionWeights(char_name=0.60, char_text=0.40)


def clean_title(title: str) -> str:
    """The title as a lookup key (:func:`normalize_text`) without job-ad boilerplate.

    ``"急招 保洁员（包吃住）残疾人优先"`` → ``"保洁员"``. When nothing would be left (the
    whole title is boilerplate, or it is all in brackets) the normalised title is returned.
    """
    key = normalize_text(title)
    stripped = _BOILERPLATE.sub("", _BRACKETED.sub("", key))
    stripped = _SEPARATORS.sub("", stripped)
    return stripped or key


class OccupationCoder:
    """Suggests 2022 occupation codes for job titles; build once, then query many times.

    Construction fits the n-gram vectorisers and, with an embedder, embeds every name, alias
    and ``name：definition`` of the vocabulary once (m3e-small: about 45 s on two idle CPU
    cores, most of it the definitions; about 2 s without an embedder). Queries are batched
    matrix products, and with an embedder one batched encoding of the titles.
    """

    def __init__(
        self,
        vocabulary: OccupationVocabulary,
        embedder: Encoder | None = None,
        *,
        weights: FusionWeights | None = None,
    ) -> None:
        """Index ``vocabulary``; ``weights`` default to :data:`FUSION_WEIGHTS` with an
        ``embedder`` and :data:`CHAR_WEIGHTS` without one.

        Raises ``ValueError`` when ``weights`` give an embedding signal weight but there is
        no embedder.
        """
        weights = weights or (FUSION_WEIGHTS if embedder is not None else CHAR_WEIGHTS)
        if weights.uses_embeddings and embedder is None:
            raise ValueError("these weights use embedding signals: pass an embedder")
        self.vocabulary = vocabulary
        self.embedder = embedder
        self._weights = weights
        self._occupations: list[Occupation] = list(vocabulary)
        if not self._occupations:
            raise ValueError("the vocabulary has no occupations")

        # One row per surface form (name or alias), grouped by occupation: an occupation
        # scores its best form, so 47 aliases neither dilute nor inflate it.
        forms: list[str] = []
        owners: list[int] = []
        for index, occ in enumerate(self._occupations):
            for form in (occ.name, *occ.aliases):
                forms.append(form)
                owners.append(index)
        self._form_starts = np.flatnonzero(np.diff(owners, prepend=-1))

        self._name_vectoriser = _char_vectoriser()
        self._form_matrix = self._name_vectoriser.fit_transform(
            [normalize_text(form) for form in forms]
        ).T.tocsr()
        self._text_vectoriser = _char_vectoriser()
        self._text_matrix = self._text_vectoriser.fit_transform(
            [normalize_text(_occupation_text(occ)) for occ in self._occupations]
        ).T.tocsr()

        self._form_embeddings: np.ndarray | None = None
        self._text_embeddings: np.ndarray | None = None
        if embedder is not None:
            self._form_embeddings = embedder.encode(forms).T.copy()
            self._text_embeddings = embedder.encode(
                [vocabulary.text_of(occ.code) for occ in self._occupations]
            ).T.copy()

    @property
    def weights(self) -> FusionWeights:
        """The fusion weights in force."""
        return self._weights

    @property
    def codes(self) -> list[str]:
        """Occupation codes in the column order of :meth:`signals` and :meth:`scores`."""
        return [occ.code for occ in self._occupations]

    def with_weights(self, weights: FusionWeights) -> OccupationCoder:
        """The same index with other fusion weights (shares the precomputed matrices)."""
        if weights.uses_embeddings and self.embedder is None:
            raise ValueError("these weights use embedding signals: pass an embedder")
        other = copy.copy(self)
        other._weights = weights
        return other

    def suggest(self, title: str, description: str | None = None, k: int = 5) -> list[Suggestion]:
        """The ``k`` most likely occupations for one job posting, best first.

        ``description`` (the ad's text, optional) joins the title in the definition-and-tasks
        signals; the name signals read the title alone.
        """
        return self.suggest_many([title], k=k, descriptions=[description])[0]

    def suggest_many(
        self,
        titles: Sequence[str],
        k: int = 5,
        *,
        descriptions: Sequence[str | None] | None = None,
    ) -> list[list[Suggestion]]:
        """:meth:`suggest` for many titles at once (one matrix product per chunk of titles).

        A blank title gets no suggestions.
        """
        if k < 1:
            raise ValueError(f"k must be at least 1, not {k}")
        if descriptions is not None and len(descriptions) != len(titles):
            raise ValueError("descriptions must be as many as titles")
        results: list[list[Suggestion]] = []
        for start in range(0, len(titles), _CHUNK):
            chunk = list(titles[start : start + _CHUNK])
            chunk_descriptions = (
                None if descriptions is None else list(descriptions[start : start + _CHUNK])
            )
            fused = self.scores(chunk, chunk_descriptions)
            results.extend(
                self._ranked(title, row, k) for title, row in zip(chunk, fused, strict=True)
            )
        return results

    def scores(
        self, titles: Sequence[str], descriptions: Sequence[str | None] | None = None
    ) -> np.ndarray:
        """Fused scores, shape ``(len(titles), len(codes))``, in [0, 1] (no exact-match rule)."""
        return fuse(self.signals(titles, descriptions), self._weights)

    def signals(
        self, titles: Sequence[str], descriptions: Sequence[str | None] | None = None
    ) -> dict[str, np.ndarray]:
        """Each weighted signal's scores in [0, 1]: name → ``(len(titles), len(codes))``.

        Signals of weight 0 are not computed. This is what :meth:`scores` fuses; it is public
        so that weights can be tuned without recomputing the signals.
        """
        queries = [clean_title(title) for title in titles]
        texts = [
            f"{query}：{description.strip()}" if description and description.strip() else query
            for query, description in zip(
                queries, descriptions or [None] * len(queries), strict=True
            )
        ]
        weights = self._weights.normalised()
        out: dict[str, np.ndarray] = {}
        if weights["char_name"] > 0:
            similarity = _dense(self._name_vectoriser.transform(queries) @ self._form_matrix)
            out["char_name"] = self._best_form(similarity)
        if weights["char_text"] > 0:
            text_query = self._text_vectoriser.transform([normalize_text(t) for t in texts])
            similarity = _dense(text_query @ self._text_matrix)
            out["char_text"] = np.clip(similarity / CHAR_TEXT_CEILING, 0.0, 1.0)
        if self.embedder is not None and self._weights.uses_embeddings:
            assert self._form_embeddings is not None and self._text_embeddings is not None
            query_vectors = self.embedder.encode(queries)
            if weights["embedding_name"] > 0:
                out["embedding_name"] = _from_cosine(
                    self._best_form(query_vectors @ self._form_embeddings)
                )
            if weights["embedding_text"] > 0:
                # Reuse the title vectors where there is no description to add.
                text_vectors = query_vectors if texts == queries else self.embedder.encode(texts)
                out["embedding_text"] = _from_cosine(text_vectors @ self._text_embeddings)
        return out

    def _best_form(self, similarity: np.ndarray) -> np.ndarray:
        """Per occupation, the best of its forms' columns (forms are grouped by occupation)."""
        return np.maximum.reduceat(similarity, self._form_starts, axis=1)

    def _ranked(self, title: str, fused: np.ndarray, k: int) -> list[Suggestion]:
        """Exact matches first (score 1.0), then the best fused scores."""
        if not normalize_text(title):
            return []
        exact: list[Occupation] = []
        for text in (title, clean_title(title)):
            for occ in self.vocabulary.find_all(text):
                if occ not in exact:
                    exact.append(occ)
        suggestions = [Suggestion(occ.code, occ.name, 1.0) for occ in exact[:k]]
        wanted = k - len(suggestions)
        if wanted <= 0:
            return suggestions
        taken = {occ.code for occ in exact}
        count = min(wanted + len(exact), fused.size)
        top = np.argpartition(-fused, count - 1)[:count]
        # Sort by score, then by code so that ties come out the same on every run.
        for index in sorted(top, key=lambda i: (-fused[i], self._occupations[i].code)):
            occ = self._occupations[index]
            if occ.code in taken:
                continue
            suggestions.append(Suggestion(occ.code, occ.name, float(fused[index])))
            if len(suggestions) == k:
                break
        return suggestions


def fuse(signals: dict[str, np.ndarray], weights: FusionWeights) -> np.ndarray:
    """Weighted average of ``signals`` (as :meth:`OccupationCoder.signals` returns them)."""
    normalised = weights.normalised()
    missing = [name for name, weight in normalised.items() if weight > 0 and name not in signals]
    if missing:
        raise ValueError(f"weighted signals not computed: {missing}")
    parts = [normalised[name] * signals[name] for name in normalised if normalised[name] > 0]
    return np.clip(np.sum(parts, axis=0), 0.0, 1.0).astype(np.float32)


def write_suggestions(coder: OccupationCoder, titles_path: Path, out_path: Path, k: int) -> int:
    """Code every title of a file: the batch contract of ``jobmatch occupations suggest``.

    ``titles_path`` holds one title per line (UTF-8; surrounding whitespace stripped, blank
    lines skipped). ``out_path`` gets one JSON line per title, in input order:
    ``{"query": title, "results": [{"code", "name", "score"}, ...]}`` with scores rounded to
    4 decimals and Chinese written as is. Returns the number of titles written.
    """
    with Path(titles_path).open(encoding="utf-8-sig") as handle:
        titles = [line.strip() for line in handle]
    titles = [title for title in titles if title]
    suggestions = coder.suggest_many(titles, k=k)
    with Path(out_path).open("w", encoding="utf-8", newline="\n") as out:
        for title, results in zip(titles, suggestions, strict=True):
            record = {
                "query": title,
                "results": [
                    {"code": s.code, "name": s.name, "score": round(s.score, 4)} for s in results
                ],
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(titles)


def _char_vectoriser() -> TfidfVectorizer:
    # Texts arrive normalised (NFKC, case-folded, no whitespace): nothing more to lowercase.
    return TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), sublinear_tf=True, lowercase=False, dtype=np.float32
    )


def _occupation_text(occ: Occupation) -> str:
    """Definition and tasks, the text the ``char_text`` signal reads."""
    return "。".join((occ.definition, *occ.tasks))


def _dense(matrix: sparse.spmatrix | np.ndarray) -> np.ndarray:
    return matrix.toarray() if sparse.issparse(matrix) else np.asarray(matrix)


def _from_cosine(cosine: np.ndarray) -> np.ndarray:
    """Embedding cosines read on [:data:`EMBEDDING_FLOOR`, 1] and clipped to [0, 1]."""
    return np.clip((cosine - EMBEDDING_FLOOR) / (1.0 - EMBEDDING_FLOOR), 0.0, 1.0)
