"""Occupation coding: suggest the 2022 occupation (CSCO) code of a job posting from its title.

Three stages:

1. **Normalisation** (:func:`matching.job_titles.normalise_title`): seniority, place, employer
   and recruiting words are stripped (``急聘 高级Java开发工程师（长沙）`` → ``java开发工程师``);
   what was stripped is kept for display.
2. **Candidates.** Every detailed occupation (细类) and every group (小类, 中类, 大类; a group
   competes with what it contains) is compared with the title on character n-grams and m3e
   embeddings of its name, aliases, definition and task list (:data:`CODER_FEATURES`). The
   best few dozen by a fixed fusion of those signals (:data:`FUSION_WEIGHTS`), or by any one
   of them, are the candidates.
3. **Re-ranking.** A LightGBM LambdaRank model (:class:`CoderModel`) trained on the
   classification's own aliases and names, split by occupation (``training/occupation_coder.py``),
   orders the candidates; its bundle (model, feature list, embedding model id) ships in the
   package (:data:`SHIPPED_MODEL`), so a fresh home needs no training. A group is proposed
   (``level == "group"``) where the title fits a group better than any occupation in it,
   e.g. the classification's own generic titles (``技术研究员`` → 工程技术人员 2-02-00-00).

An exact code, name or alias (of an occupation, or of a group) ranks first with score 1.0.
Without an embedder, or with an embedding model the shipped re-ranker was not trained on,
the coder falls back to the fixed fusion (:class:`FusionWeights`) of the signals it has.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from matching.job_titles import TitleParts, normalise_title, title_roles
from matching.occupation_reranker import (
    CHAR_WEIGHTS,
    CODER_FEATURES,
    FUSION_WEIGHTS,
    SHIPPED_MODEL,
    CoderModel,
    FusionWeights,
    fuse,
)
from matching.occupation_vectors import (
    VocabularyVectors,
    WithVocabularyVectors,
    definition_text,
    encoder_model_id,
    tasks_text,
)
from matching.occupations import OccupationVocabulary, normalize_text

# m3e-small puts unrelated short Chinese texts at a cosine of about 0.6–0.7 and near-synonyms
# above 0.85, so embedding cosines are read on [0.6, 1] rather than [-1, 1] when fused.
EMBEDDING_FLOOR = 0.6
# A title shares few n-grams with a definition-and-tasks paragraph: the right occupation's
# cosine is ~0.1 and the best one's rarely above 0.3, so that range is stretched to [0, 1].
CHAR_TEXT_CEILING = 0.3
# Titles scored per matrix product: bounds memory to tens of MB whatever the batch.
_CHUNK = 256
# Candidates: the best occupations by the fusion, plus the best by each single signal, plus
# the best groups. On held-out aliases the right occupation is among them 97 % of the time.
_FUSED_CANDIDATES = 40
_SIGNAL_CANDIDATES = 8
_GROUP_CANDIDATES = 8
# Features an encoder provides: unknown (NaN) without one.
_EMBEDDING_FEATURES = (
    *("emb_form", "emb_name", "emb_definition", "emb_tasks", "emb_group"),
    *("rank_emb_form", "gap_emb_form"),
)
# Ranks among a title's entities are counted this far (above every candidate threshold);
# the rest share this rank.
_RANK_DEPTH = 64
# At most this many groups among the suggestions: a group is a fallback, not a crowd.
_MAX_GROUPS = 1


class Encoder(Protocol):
    """What the coder needs of a sentence embedder (``matching.embedding.Embedder`` is one)."""

    def encode(
        self, texts: list[str], *, progress: bool = False, batch_size: int = 64
    ) -> np.ndarray:
        """L2-normalised float32 vectors of ``texts``, shape ``(len(texts), dim)``."""
        ...


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One suggested code: its name, a score in [0, 1] (1.0: exact) and whether it is a
    detailed occupation or a group (``"occupation"`` | ``"group"``)."""

    code: str
    name: str
    score: float
    level: str = "occupation"


def clean_title(title: str) -> str:
    """The title as a lookup key without seniority, place, employer and recruiting words.

    ``"急招 保洁员（包吃住）残疾人优先"`` → ``"保洁员"`` (see :func:`normalise_title`).
    """
    return normalise_title(title).core


@dataclass(frozen=True, slots=True)
class CandidateRows:
    """Candidates of a batch of titles and their features, grouped by title."""

    query: np.ndarray  # title index of each row, non-decreasing
    entity: np.ndarray  # entity index of each row (see OccupationCoder.entity_codes)
    features: np.ndarray  # (rows, len(CODER_FEATURES)) float32
    fused: np.ndarray  # the fixed fusion's score of each row, in [0, 1]


class OccupationCoder:
    """Suggests 2022 occupation codes for job titles; build once, then query many times.

    Construction fits the n-gram vectorisers (about 2 s) and, with an embedder, takes the
    vocabulary's vectors from the shipped file when it holds the embedder's model
    (:mod:`matching.occupation_vectors`), embedding them otherwise (minutes on two cores,
    then cached by an ``EmbeddingCache``).
    """

    def __init__(
        self,
        vocabulary: OccupationVocabulary,
        embedder: Encoder | None = None,
        *,
        weights: FusionWeights | None = None,
        model: CoderModel | None | Literal["shipped"] = "shipped",
        vectors: VocabularyVectors | None | Literal["shipped"] = "shipped",
    ) -> None:
        """Index ``vocabulary``.

        ``weights`` (default :data:`FUSION_WEIGHTS` with an ``embedder``, :data:`CHAR_WEIGHTS`
        without) fuse the signals for candidate generation and, where no re-ranker applies,
        for the ranking. ``model`` is the re-ranker (default: the shipped bundle, used when it
        was trained with the embedder's model id; ``None``: fusion only). ``vectors`` are
        precomputed vocabulary vectors (default: the shipped file).

        Raises ``ValueError`` when ``weights`` give an embedding signal weight but there is
        no embedder.
        """
        weights = weights or (FUSION_WEIGHTS if embedder is not None else CHAR_WEIGHTS)
        if weights.uses_embeddings and embedder is None:
            raise ValueError("these weights use embedding signals: pass an embedder")
        self.vocabulary = vocabulary
        self._weights = weights
        occupations = list(vocabulary)
        if not occupations:
            raise ValueError("the vocabulary has no occupations")

        # Entities: the occupations in code order, then the groups that contain at least one
        # of them (a minor group that is itself an occupation, 2-05-10-00, is not repeated).
        codes = [occ.code for occ in occupations]
        self._n_occupations = len(occupations)
        code_array = np.array(codes)
        groups: list[tuple[str, str, int, int, int]] = []  # code, name, level, first, stop
        for code, name in vocabulary.groups():
            if code in vocabulary:
                continue
            prefix = _group_prefix(code)
            first = int(np.searchsorted(code_array, prefix, side="left"))
            stop = int(np.searchsorted(code_array, prefix + "\uffff", side="left"))
            if stop > first:
                groups.append((code, name, _group_level(code), first, stop))
        self._groups = groups
        self.entity_codes: list[str] = codes + [g[0] for g in groups]
        self.entity_names: list[str] = [occ.name for occ in occupations] + [g[1] for g in groups]
        levels = [0] * len(occupations) + [g[2] for g in groups]
        self._levels = np.array(levels, dtype=np.float32)
        children = [0] * len(occupations) + [g[4] - g[3] for g in groups]
        self._log_children = np.log1p(np.array(children, dtype=np.float32))
        # For each entity, the entity index of its minor group (itself for a group; for an
        # occupation whose minor group is itself an occupation, that occupation).
        entity_of = {code: index for index, code in enumerate(self.entity_codes)}
        self._minor_of = np.array(
            [entity_of.get(occ.minor_group, i) for i, occ in enumerate(occupations)]
            + [self._n_occupations + j for j in range(len(groups))]
        )
        self._entity_of = entity_of

        # One row per surface form (name, then aliases), grouped by entity: an entity scores
        # its best form, so 47 aliases neither dilute nor inflate it.
        forms: list[str] = []
        owners: list[int] = []
        for index, occ in enumerate(occupations):
            for form in (occ.name, *occ.aliases):
                forms.append(form)
                owners.append(index)
        for j, (code, name, *_rest) in enumerate(groups):
            for form in (name, *vocabulary.group_aliases(code)):
                forms.append(form)
                owners.append(self._n_occupations + j)
        self._forms = forms
        self._form_keys = [normalize_text(form) for form in forms]
        self._form_owner = np.array(owners)
        self._form_starts = np.flatnonzero(np.diff(owners, prepend=-1))
        self._name_form = self._form_starts  # the first form of each entity is its name
        self._exact: dict[str, list[int]] = {}
        for form_index, key in enumerate(self._form_keys):
            self._exact.setdefault(key, []).append(form_index)

        texts = [normalize_text("。".join((occ.definition, *occ.tasks))) for occ in occupations]
        self._name_vectoriser = _char_vectoriser()
        self._form_matrix = self._name_vectoriser.fit_transform(self._form_keys).T.tocsr()
        self._text_vectoriser = _char_vectoriser()
        self._text_matrix = self._text_vectoriser.fit_transform(texts).T.tocsr()
        self._cover_vectoriser = CountVectorizer(
            analyzer="char", ngram_range=(1, 2), lowercase=False, binary=True, dtype=np.float32
        )
        self._cover_vectoriser.fit(self._form_keys + texts)
        self._cover_forms = self._cover_vectoriser.transform(self._form_keys).T.tocsr()
        self._cover_texts = self._cover_vectoriser.transform(texts).T.tocsr()
        self._cover_forms_rows = self._cover_forms  # (vocabulary × forms), rows by n-gram
        self._form_gram_counts = np.maximum(
            np.asarray(self._cover_forms.sum(axis=0)).ravel(), 1.0
        ).astype(np.float32)
        suffixes = [_suffixes(key) for key in self._form_keys]
        self._suffix_ids: dict[str, int] = {}
        self._form_suffix = np.array(
            [[self._suffix_id(s) for s in triple] for triple in suffixes], dtype=np.int64
        )

        self.encoder: Encoder | None = None
        self._form_embeddings: np.ndarray | None = None
        self._definition_embeddings: np.ndarray | None = None
        self._tasks_embeddings: np.ndarray | None = None
        embedding_model = encoder_model_id(embedder) if embedder is not None else None
        if embedder is not None:
            shipped = (
                VocabularyVectors.shipped(embedding_model) if vectors == "shipped" else vectors
            )
            self.encoder = WithVocabularyVectors(embedder, shipped)
            self._form_embeddings = self.encoder.encode(forms).T.copy()
            self._definition_embeddings = self.encoder.encode(
                [definition_text(occ) for occ in occupations]
            ).T.copy()
            self._tasks_embeddings = self.encoder.encode(
                [tasks_text(occ) for occ in occupations]
            ).T.copy()

        loaded = CoderModel.load(SHIPPED_MODEL) if model == "shipped" else model
        usable = (
            loaded is not None and embedder is not None and loaded.compatible_with(embedding_model)
        )
        self.model: CoderModel | None = loaded if usable else None

    # -- public API ----------------------------------------------------------------------

    @property
    def weights(self) -> FusionWeights:
        """The fusion weights in force."""
        return self._weights

    @property
    def embedder(self) -> Encoder | None:
        """The encoder the coder embeds titles with (``None``: character n-grams only)."""
        return self.encoder

    @property
    def codes(self) -> list[str]:
        """Detailed occupation codes in the column order of :meth:`scores`."""
        return self.entity_codes[: self._n_occupations]

    @property
    def ranker_name(self) -> str:
        """What orders the suggestions: ``lightgbm-lambdarank@<version>`` or ``fusion``."""
        return f"lightgbm-lambdarank@{self.model.version}" if self.model else "fusion"

    def with_weights(self, weights: FusionWeights) -> OccupationCoder:
        """The same index ranking by the fixed fusion ``weights`` (no re-ranker)."""
        if weights.uses_embeddings and self.encoder is None:
            raise ValueError("these weights use embedding signals: pass an embedder")
        other = copy.copy(self)
        other._weights = weights
        other.model = None
        return other

    def with_model(self, model: CoderModel | None) -> OccupationCoder:
        """The same index re-ranked by ``model`` (``None``: the fixed fusion)."""
        other = copy.copy(self)
        other.model = model
        return other

    def suggest(self, title: str, description: str | None = None, k: int = 5) -> list[Suggestion]:
        """The ``k`` most likely codes for one job posting, best first.

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
        """:meth:`suggest` for many titles at once. Each distinct normalised title (with its
        description) is coded once, all of them embedded in one batched call, then scored
        :data:`_CHUNK` at a time by matrix products. A blank title gets no suggestions.

        A title naming several roles one after another (``保安/保洁``, :func:`title_roles`) that
        is not itself a form of the classification is coded role by role, and the roles'
        suggestions are taken in turn, the first named first (:func:`merge_roles`)."""
        if k < 1:
            raise ValueError(f"k must be at least 1, not {k}")
        if descriptions is not None and len(descriptions) != len(titles):
            raise ValueError("descriptions must be as many as titles")
        parts: list[TitleParts] = []
        described: list[str | None] = []
        owners: list[list[int]] = []  # for each title, its roles' places in parts
        for title, text in zip(
            titles, descriptions if descriptions is not None else [None] * len(titles), strict=True
        ):
            part = normalise_title(title)
            roles = title_roles(part.core)
            if len(roles) == 1 or self._exact_entities(part):
                named = [part]
            else:  # each role a title of its own, already normalised
                named = [TitleParts(title=role, core=role) for role in roles]
            owners.append(list(range(len(parts), len(parts) + len(named))))
            parts.extend(named)
            described.extend([text] * len(named))
        # A file of job titles repeats itself (普工 a hundred times, 高级普工 among them).
        titles_of: dict[tuple[str, str | None], list[int]] = {}
        for index, key in enumerate(zip((p.core for p in parts), described, strict=True)):
            titles_of.setdefault(key, []).append(index)
        keys = list(titles_of)
        queries = [query for query, _ in keys]
        texts = [text for _, text in keys]
        uses = self.model is not None or self._weights.uses_embeddings
        embedded = self._embed(queries, texts) if self.encoder is not None and uses else None
        results: list[list[Suggestion]] = [[] for _ in parts]
        # Ranked deeper than asked, so that the first suggestion does not depend on k.
        depth = max(k, SPECIFIC_DEPTH)
        for start in range(0, len(keys), _CHUNK):
            stop = start + _CHUNK
            chunk = None if embedded is None else (embedded[0][start:stop], embedded[1][start:stop])
            if self.model is None:
                signals = self._signals(queries[start:stop], texts[start:stop], None, chunk)
                fused = fuse(signals, self._weights)
                for key, row in zip(keys[start:stop], fused, strict=True):
                    for index in titles_of[key]:
                        ranked = self._ranked_fused(parts[index], row, depth)
                        results[index] = specific_first(parts[index].core, ranked)[:k]
                continue
            rows = self.candidates(queries[start:stop], texts[start:stop], embedded=chunk)
            scores = self.model.score(rows.features)
            bounds = np.searchsorted(rows.query, np.arange(len(keys[start:stop]) + 1))
            for offset, key in enumerate(keys[start:stop]):
                lo, hi = bounds[offset], bounds[offset + 1]
                entities, ranking = rows.entity[lo:hi], scores[lo:hi]
                for index in titles_of[key]:
                    ranked = self._ranked_model(parts[index], entities, ranking, depth)
                    results[index] = specific_first(parts[index].core, ranked)[:k]
        return [merge_roles([results[i] for i in owner], k) for owner in owners]

    def scores(
        self,
        titles: Sequence[str],
        descriptions: Sequence[str | None] | None = None,
        *,
        masked_forms: Sequence[Iterable[int]] | None = None,
    ) -> np.ndarray:
        """Fixed-fusion scores of the detailed occupations, ``(len(titles), len(codes))``."""
        signals = self.signals(titles, descriptions, masked_forms=masked_forms)
        return fuse(signals, self._weights)

    def signals(
        self,
        titles: Sequence[str],
        descriptions: Sequence[str | None] | None = None,
        *,
        masked_forms: Sequence[Iterable[int]] | None = None,
    ) -> dict[str, np.ndarray]:
        """The fusion's four signals over the detailed occupations, each in [0, 1]:
        ``char_name``, ``char_text``, ``embedding_name``, ``embedding_text`` → arrays of shape
        ``(len(titles), len(codes))`` (embedding ones only with an embedder). ``masked_forms``
        hides forms from each title (held-out evaluation)."""
        queries = [clean_title(title) for title in titles]
        # Character n-gram weights alone embed nothing.
        embedded = (
            self._embed(queries, descriptions)
            if self.encoder is not None and self._weights.uses_embeddings
            else None
        )
        return self._signals(queries, descriptions, masked_forms, embedded)

    def _signals(
        self,
        queries: list[str],
        descriptions: Sequence[str | None] | None,
        masked_forms: Sequence[Iterable[int]] | None,
        embedded: tuple[np.ndarray, np.ndarray] | None,
    ) -> dict[str, np.ndarray]:
        """:meth:`signals` of normalised titles, embedded by :meth:`_embed` (or not)."""
        raw = self._raw(queries, descriptions, masked_forms, embedded)
        n = self._n_occupations
        out = {
            "char_name": np.clip(raw["char_form"][:, :n], 0.0, 1.0),
            "char_text": np.clip(raw["char_text"] / CHAR_TEXT_CEILING, 0.0, 1.0),
        }
        if "emb_form" in raw:
            out["embedding_name"] = _from_cosine(raw["emb_form"][:, :n])
            out["embedding_text"] = _from_cosine(raw["emb_definition"])
        return out

    def candidates(
        self,
        queries: Sequence[str],
        descriptions: Sequence[str | None] | None = None,
        *,
        masked_forms: Sequence[Iterable[int]] | None = None,
        embedded: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> CandidateRows:
        """Candidates and their :data:`CODER_FEATURES` for normalised titles ``queries``.

        ``masked_forms`` (training only) hides forms from each query, so that an alias used
        as a training title does not find itself. ``embedded``: the queries' vectors from
        :meth:`_embed`, when the caller embedded more titles at once (default: embed them).
        """
        queries = list(queries)
        if embedded is None and self.encoder is not None:
            embedded = self._embed(queries, descriptions)
        raw = self._raw(queries, descriptions, masked_forms, embedded)
        n = self._n_occupations
        q = len(queries)
        # Group features that are "the best of what it contains".
        char_text = self._with_groups(raw["char_text"])
        cover_text = self._with_groups(raw["cover_text"])
        has_embeddings = "emb_form" in raw
        zeros = np.zeros((q, len(self.entity_codes)), dtype=np.float32)
        emb_form = raw.get("emb_form", zeros)
        emb_definition = self._with_groups(raw["emb_definition"]) if has_embeddings else zeros
        emb_tasks = self._with_groups(raw["emb_tasks"]) if has_embeddings else zeros
        emb_name = raw.get("emb_name", zeros)
        emb_group = emb_name[:, self._minor_of] if has_embeddings else zeros

        weights = self._weights.normalised()
        fused_occ = weights["char_name"] * raw["char_form"][:, :n] + weights["char_text"] * np.clip(
            raw["char_text"] / CHAR_TEXT_CEILING, 0, 1
        )
        if has_embeddings:
            fused_occ = fused_occ + weights["embedding_name"] * _from_cosine(emb_form[:, :n])
            fused_occ = fused_occ + weights["embedding_text"] * _from_cosine(raw["emb_definition"])
        fused_groups = self._with_groups(fused_occ)[:, n:]
        own = (
            0.75 * _from_cosine(emb_form[:, n:]) + 0.25 * raw["char_form"][:, n:]
            if has_embeddings
            else raw["char_form"][:, n:]
        )
        fused = np.concatenate([fused_occ, 0.5 * fused_groups + 0.5 * own], axis=1)
        fused = np.clip(fused, 0.0, 1.0).astype(np.float32)

        rank_fused = np.concatenate([_ranks(fused[:, :n]), _ranks(fused[:, n:])], axis=1).astype(
            np.float32
        )
        rank_emb = _ranks(emb_form).astype(np.float32)
        rank_char = _ranks(raw["char_form"]).astype(np.float32)
        selected = rank_fused < _FUSED_CANDIDATES
        selected[:, n:] = rank_fused[:, n:] < _GROUP_CANDIDATES
        selected[:, :n] |= rank_char[:, :n] < _SIGNAL_CANDIDATES
        if has_embeddings:
            selected[:, :n] |= rank_emb[:, :n] < _SIGNAL_CANDIDATES
            for signal in (raw["emb_definition"], raw["emb_tasks"]):
                selected[:, :n] |= _ranks(signal) < _SIGNAL_CANDIDATES
        selected |= raw["exact_form"] > 0

        # Share of the title's 10 best fused occupations inside each candidate's group.
        top10 = np.argpartition(-fused_occ, 9, axis=1)[:, :10]
        sibling = np.zeros_like(fused)
        for g, (_code, _name, _level, first, stop) in enumerate(self._groups):
            inside = ((top10 >= first) & (top10 < stop)).sum(axis=1) / 10.0
            sibling[:, n + g] = inside
        minor_share = sibling[:, self._minor_of[:n]]
        sibling[:, :n] = minor_share

        query_rows, entity_rows = np.nonzero(selected)
        title_chars = np.array([len(text) for text in queries], dtype=np.float32)
        latin = [sum(ch.isascii() and ch.isalnum() for ch in text) for text in queries]
        title_latin = np.array(latin, dtype=np.float32) / np.maximum(title_chars, 1)
        columns = {
            "char_form": raw["char_form"],
            "char_name": raw["char_name"],
            "char_text": char_text,
            "cover_form": raw["cover_form"],
            "cover_text": cover_text,
            "emb_form": emb_form,
            "emb_name": emb_name,
            "emb_definition": emb_definition,
            "emb_tasks": emb_tasks,
            "emb_group": emb_group,
            "suffix_match": raw["suffix_match"],
            "head_in_form": raw["head_in_form"],
            "exact_form": raw["exact_form"],
            "rank_fused": rank_fused,
            "rank_emb_form": rank_emb,
            "rank_char_form": rank_char,
            "gap_emb_form": emb_form.max(axis=1, keepdims=True) - emb_form,
            "gap_char_form": raw["char_form"].max(axis=1, keepdims=True) - raw["char_form"],
            "sibling_share": sibling,
            "fused": fused,
            "gap_fused": np.concatenate([_gaps(fused[:, :n]), _gaps(fused[:, n:])], axis=1),
            "cover_by_title": raw["cover_by_title"],
        }
        per_query: dict[str, np.ndarray] = {"title_chars": title_chars, "title_latin": title_latin}
        per_entity = {
            "level": self._levels,
            "log_children": self._log_children,
        }
        matrix = np.empty((len(query_rows), len(CODER_FEATURES)), dtype=np.float32)
        for j, name in enumerate(CODER_FEATURES):
            if name in columns:
                matrix[:, j] = columns[name][query_rows, entity_rows]
            elif name in per_query:
                matrix[:, j] = per_query[name][query_rows]
            else:
                matrix[:, j] = per_entity[name][entity_rows]
        if not has_embeddings:
            matrix[:, [CODER_FEATURES.index(name) for name in _EMBEDDING_FEATURES]] = np.nan
        fused_rows = fused[query_rows, entity_rows]
        return CandidateRows(query_rows, entity_rows, matrix, fused_rows)

    def entity_level(self, entity: int) -> str:
        """``"occupation"`` or ``"group"`` for an entity index."""
        return "occupation" if entity < self._n_occupations else "group"

    def entity_index(self, code: str) -> int | None:
        """The entity index of an occupation or group code, ``None`` if it is neither."""
        return self._entity_of.get(code)

    def forms_of(self, entity: int) -> range:
        """Form indexes of an entity (its name first)."""
        bounds = [*self._form_starts[entity : entity + 2].tolist(), len(self._forms)]
        return range(int(bounds[0]), int(bounds[1]))

    def form_text(self, form: int) -> str:
        """The text of a form (a name or an alias)."""
        return self._forms[form]

    # -- internals -----------------------------------------------------------------------

    def _suffix_id(self, suffix: str) -> int:
        if not suffix:
            return -1
        return self._suffix_ids.setdefault(suffix, len(self._suffix_ids))

    def _with_groups(self, per_occupation: np.ndarray) -> np.ndarray:
        """Occupation columns, then for each group the best of its occupations' values."""
        out = np.empty((per_occupation.shape[0], len(self.entity_codes)), dtype=np.float32)
        out[:, : self._n_occupations] = per_occupation
        for g, (_code, _name, _level, first, stop) in enumerate(self._groups):
            out[:, self._n_occupations + g] = per_occupation[:, first:stop].max(axis=1)
        return out

    def _raw(
        self,
        queries: list[str],
        descriptions: Sequence[str | None] | None,
        masked_forms: Sequence[Iterable[int]] | None,
        embedded: tuple[np.ndarray, np.ndarray] | None,
    ) -> dict[str, np.ndarray]:
        """Signals of normalised titles: form-level ones per entity (occupations and groups),
        text-level ones per occupation (embedding ones only when ``embedded`` is given)."""
        texts = _described(queries, descriptions)
        mask_rows: list[int] = []
        mask_cols: list[int] = []
        for row, forms in enumerate(masked_forms or []):
            for form in forms:
                mask_rows.append(row)
                mask_cols.append(form)

        def per_entity(form_scores: np.ndarray, floor: float) -> np.ndarray:
            if mask_rows:
                form_scores[mask_rows, mask_cols] = floor
            return np.maximum.reduceat(form_scores, self._form_starts, axis=1)

        def per_name(form_scores: np.ndarray) -> np.ndarray:
            return form_scores[:, self._name_form]

        out: dict[str, np.ndarray] = {}
        similarity = _dense(self._name_vectoriser.transform(queries) @ self._form_matrix)
        out["char_form"] = per_entity(similarity, 0.0)
        out["char_name"] = per_name(similarity)
        text_query = self._text_vectoriser.transform(texts)
        out["char_text"] = _dense(text_query @ self._text_matrix)

        grams = self._cover_vectoriser.transform(queries)
        sizes = np.maximum(np.asarray(grams.sum(axis=1)).ravel(), 1.0)[:, None]
        shared = _dense(grams @ self._cover_forms)
        out["cover_form"] = per_entity(shared / sizes, 0.0)
        # The other way round: how much of a form the title holds (电工 in 物业维修电工).
        out["cover_by_title"] = per_entity(shared / self._form_gram_counts, 0.0)
        out["cover_text"] = (_dense(grams @ self._cover_texts) / sizes).astype(np.float32)

        # Suffix agreement: 1–3 trailing characters shared with the form.
        suffix_ids = np.array(
            [[self._suffix_ids.get(s, -2) if s else -2 for s in _suffixes(q)] for q in queries],
            dtype=np.int64,
        ).reshape(len(queries), 3)
        agree = np.zeros((len(queries), len(self._forms)), dtype=np.float32)
        running = np.ones_like(agree, dtype=bool)
        for level in range(3):
            running &= self._form_suffix[None, :, level] == suffix_ids[:, None, level]
            agree += running
        out["suffix_match"] = per_entity(agree, 0.0)

        # The head noun (last two characters) anywhere in a form.
        vocabulary = self._cover_vectoriser.vocabulary_
        heads = [vocabulary.get(q[-2:]) if len(q) >= 2 else vocabulary.get(q) for q in queries]
        head = np.zeros((len(queries), len(self._forms)), dtype=np.float32)
        known = [i for i, h in enumerate(heads) if h is not None]
        if known:
            head[known] = _dense(self._cover_forms_rows[[heads[i] for i in known]])
        out["head_in_form"] = per_entity(head, 0.0)

        exact = np.zeros((len(queries), len(self._forms)), dtype=np.float32)
        for row, query in enumerate(queries):
            for form in self._exact.get(query, ()):
                exact[row, form] = 1.0
        out["exact_form"] = per_entity(exact, 0.0)

        if embedded is not None:
            assert self._form_embeddings is not None
            assert self._definition_embeddings is not None and self._tasks_embeddings is not None
            vectors, text_vectors = embedded
            cosine = vectors @ self._form_embeddings
            out["emb_form"] = per_entity(cosine, -1.0)  # masks in place: before emb_name
            out["emb_name"] = per_name(cosine)
            out["emb_definition"] = text_vectors @ self._definition_embeddings
            out["emb_tasks"] = text_vectors @ self._tasks_embeddings
        return out

    def _embed(
        self, queries: list[str], descriptions: Sequence[str | None] | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Vectors of normalised titles, and of the titles with their descriptions (the same
        array where there are none), in one encoder call each."""
        assert self.encoder is not None
        vectors = self.encoder.encode(queries)
        texts = _described(queries, descriptions)
        return vectors, vectors if texts == queries else self.encoder.encode(texts)

    def _exact_entities(self, part: TitleParts) -> list[int]:
        """Entities the title names exactly, raw or normalised: an occupation's code, name
        or alias (names first, :meth:`OccupationVocabulary.find_all`), then a group's."""
        found: list[int] = []
        for text in (part.title, part.core):
            found.extend(self._entity_of[occ.code] for occ in self.vocabulary.find_all(text))
            for form in self._exact.get(normalize_text(text), ()):
                if self._form_owner[form] >= self._n_occupations:
                    found.append(int(self._form_owner[form]))
        return list(dict.fromkeys(found))

    def _suggestion(self, entity: int, score: float) -> Suggestion:
        level = self.entity_level(entity)
        return Suggestion(self.entity_codes[entity], self.entity_names[entity], score, level)

    def _ranked_fused(self, part: TitleParts, fused: np.ndarray, k: int) -> list[Suggestion]:
        """Exact matches first (score 1.0), then the best fused occupations (for a worker
        title those of major groups 1 and 2 last, :meth:`order_candidates`)."""
        if not normalize_text(part.title):
            return []
        exact = self._exact_entities(part)
        suggestions = [self._suggestion(e, 1.0) for e in exact[:k]]
        taken = set(exact)
        order = np.lexsort((np.arange(fused.size), -fused))
        if is_worker_title(part.core):  # as in order_candidates
            professional = np.array([is_professional(self.entity_codes[int(i)]) for i in order])
            order = np.concatenate([order[~professional], order[professional]])
        for index in order:
            if len(suggestions) >= k:
                break
            if int(index) in taken:
                continue
            suggestions.append(self._suggestion(int(index), float(fused[index])))
        return suggestions

    def order_candidates(
        self,
        entities: np.ndarray,
        scores: np.ndarray,
        *,
        skip: set[int] | frozenset[int] = frozenset(),
        worker: bool = False,
    ) -> list[tuple[int, int]]:
        """Candidates best first as ``(entity, row)``: by score, ties by code, without the
        entities in ``skip`` and with at most :data:`_MAX_GROUPS` groups. For a ``worker``
        title (:func:`is_worker_title`) the managers' and professionals' codes (major groups
        1 and 2) follow all the others."""
        codes = self.entity_codes
        order = sorted(
            range(len(entities)),
            key=lambda i: (
                worker and is_professional(codes[entities[i]]),
                -scores[i],
                codes[entities[i]],
            ),
        )
        groups = 0
        ranked: list[tuple[int, int]] = []
        for i in order:
            entity = int(entities[i])
            if entity in skip:
                continue
            if entity >= self._n_occupations:
                if groups >= _MAX_GROUPS:
                    continue
                groups += 1
            ranked.append((entity, i))
        return ranked

    def _ranked_model(
        self, part: TitleParts, entities: np.ndarray, scores: np.ndarray, k: int
    ) -> list[Suggestion]:
        """Exact matches first (score 1.0), then candidates by the re-ranker
        (:meth:`order_candidates`); scores are a softmax over the candidates."""
        if not normalize_text(part.title):
            return []
        exact = self._exact_entities(part)
        suggestions = [self._suggestion(e, 1.0) for e in exact[:k]]
        if len(scores):
            shifted = np.exp(scores - scores.max())
            probability = shifted / shifted.sum()
        else:
            probability = scores
        # A group named exactly counts against the cap like any other group.
        skip = set(exact)
        if any(e >= self._n_occupations for e in exact[:k]):
            skip |= {int(e) for e in entities if e >= self._n_occupations}
        worker = is_worker_title(part.core)
        for entity, i in self.order_candidates(entities, scores, skip=skip, worker=worker):
            if len(suggestions) >= k:
                break
            # Below the exact matches' 1.0 whatever the softmax says.
            suggestions.append(self._suggestion(entity, min(float(probability[i]), 0.9999)))
        if len(suggestions) < k:
            # More asked for than there are candidates: the other occupations follow in the
            # fusion's order, with score 0 (the re-ranker never saw them).
            have = {s.code for s in suggestions}
            for rest in self._ranked_fused(part, self.scores([part.core])[0], k + len(have)):
                if len(suggestions) >= k:
                    break
                if rest.code not in have:
                    suggestions.append(Suggestion(rest.code, rest.name, 0.0, rest.level))
        return suggestions


#: Endings of titles that name a manual or production worker of no stated trade (食品厂操作工,
#: 车间工人, 塑料厂普工): such a title is not a manager's or an engineer's, however much the
#: rest of it (食品, 塑料) resembles an engineering group (食品工程技术人员).
WORKER_ENDINGS = ("工人", "普工", "操作工", "杂工", "小工", "力工", "学徒工")
_NOT_WORKERS = frozenset("12")


#: Endings that say what kind of worker a title names but not in what (小学语文老师, 鞋厂普工):
#: the rest of the title, its qualifier, is what :func:`specific_first` reads.
GENERIC_ENDINGS = (
    *WORKER_ENDINGS,
    "老师",
    "教师",
    "师傅",
    "人员",
    "员工",
    "工作者",
    "员",
    "师",
    "工",
)


def merge_roles(ranked: Sequence[list[Suggestion]], k: int) -> list[Suggestion]:
    """The first ``k`` of several roles' suggestions taken in turn (the first role's best,
    the second's best, ..., then each one's second), each code once and at most
    :data:`_MAX_GROUPS` groups; one role's list as it is. Scores are capped by the score
    before them, so that they never rise down the list (each role's were its own softmax)."""
    if len(ranked) == 1:
        return ranked[0][:k]
    merged: list[Suggestion] = []
    seen: set[str] = set()
    groups = 0
    for rank in range(max(len(r) for r in ranked)):
        for suggestions in ranked:
            if rank >= len(suggestions) or suggestions[rank].code in seen:
                continue
            found = suggestions[rank]
            if found.level == "group":
                if groups >= _MAX_GROUPS:
                    continue
                groups += 1
            seen.add(found.code)
            if merged and found.score > merged[-1].score:
                found = replace(found, score=merged[-1].score)
            merged.append(found)
    return merged[:k]


#: How many suggestions :func:`specific_first` looks through, whatever ``k`` is asked.
SPECIFIC_DEPTH = 5


def specific_first(core: str, suggestions: list[Suggestion]) -> list[Suggestion]:
    """``suggestions`` with a group's place taken by an occupation inside it that names the
    title's qualifier better. When the first suggestion is a group and the title ends in one
    of :data:`GENERIC_ENDINGS`, the occupation of that group among the later suggestions
    sharing the most characters with the qualifier (the title before that ending), and more
    than the group's name does, goes first and the group second (the earliest placed of
    equals; for a worker title, :func:`is_worker_title`, only a worker's occupation, named
    …工 or …员, not a master's …师).

    A generic ending made the group look best (小学语文老师 → 教学人员), while the qualifier
    picks the occupation (小学 → 小学教师; 鞋厂普工 → 制鞋工). A title that is only generic
    (普工, 老师), has no generic ending (注册护士) or whose qualifier no occupation of the
    group names (书法老师) keeps the group, as does a group the title names exactly (score
    1.0). The order only changes inside the suggestions, what goes first lies inside the
    group it displaces, and scores stay in order (the occupation takes the group's)."""
    if len(suggestions) < 2 or suggestions[0].level != "group" or suggestions[0].score >= 1.0:
        return suggestions  # no group first, or one the title names exactly
    ending = max((e for e in GENERIC_ENDINGS if core.endswith(e)), key=len, default="")
    qualifier = set(core[: len(core) - len(ending)])
    if not ending or not qualifier:
        return suggestions
    group, worker = suggestions[0], is_worker_title(core)
    prefix = _group_prefix(group.code)
    best, most = 0, len(qualifier & set(group.name))
    for place, suggestion in enumerate(suggestions[1:], start=1):
        if suggestion.level != "occupation" or not suggestion.code.startswith(prefix):
            continue
        if worker and not suggestion.name.endswith(("工", "员")):
            continue
        shared = len(qualifier & set(suggestion.name))
        if shared > most:
            best, most = place, shared
    if not best:
        return suggestions
    rest = suggestions[1:best] + suggestions[best + 1 :]
    # It takes the group's score: whatever is right about the group is about its members too.
    specific = replace(suggestions[best], score=group.score)
    return [specific, group, *rest]


def is_professional(code: str) -> bool:
    """Whether a code is a manager's or professional's (major groups 1 and 2), the codes a
    worker title (:func:`is_worker_title`) ranks last."""
    return code[0] in _NOT_WORKERS


def is_worker_title(core: str) -> bool:
    """Whether a normalised title ends in a production worker's generic ending
    (:data:`WORKER_ENDINGS`)."""
    return core.endswith(WORKER_ENDINGS)


def open_coder(
    vocabulary: OccupationVocabulary, encoder: Encoder | None, coder_dir: Path | None = None
) -> OccupationCoder:
    """The coder a home serves: re-ranked by the home's own retrained bundle (``coder_dir``,
    written by ``jobmatch occupations train``) when it fits the encoder's model, else by the
    shipped one, else by the fixed fusion."""
    model_id = encoder_model_id(encoder) if encoder is not None else None
    for directory in (coder_dir, SHIPPED_MODEL):
        model = CoderModel.load(directory) if directory is not None else None
        if model is not None and model.compatible_with(model_id):
            return OccupationCoder(vocabulary, encoder, model=model)
    return OccupationCoder(vocabulary, encoder, model=None)


def _described(queries: list[str], descriptions: Sequence[str | None] | None) -> list[str]:
    """Each normalised title, followed by its description where it has one."""
    return [
        f"{query}：{normalize_text(description)}" if description and description.strip() else query
        for query, description in zip(queries, descriptions or [None] * len(queries), strict=True)
    ]


def _group_prefix(code: str) -> str:
    """A group's code prefix: ``"2-02-10-00"`` → ``"2-02-10-"``, ``"2-00-00-00"`` → ``"2-"``."""
    parts = code.split("-")
    while parts and parts[-1] == "00":
        parts.pop()
    return "-".join(parts) + "-"


def _group_level(code: str) -> int:
    """1 minor, 2 middle, 3 major group."""
    return 4 - len(_group_prefix(code).rstrip("-").split("-"))


def _suffixes(text: str) -> tuple[str, str, str]:
    return (text[-1:], text[-2:] if len(text) >= 2 else "", text[-3:] if len(text) >= 3 else "")


def _gaps(scores: np.ndarray) -> np.ndarray:
    """Each row's best score minus every score of the row (0 for the best)."""
    return scores.max(axis=1, keepdims=True) - scores if scores.shape[1] else scores


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Rank of each column within its row, 0 for the best (ties: the lower column first),
    counted down to :data:`_RANK_DEPTH`; every column further down gets that depth. A full
    sort of every row cost more than the rest of the features together."""
    rows, columns = scores.shape
    depth = min(_RANK_DEPTH, columns)
    if depth == columns:
        top = np.broadcast_to(np.arange(columns), scores.shape)
    else:
        top = np.argpartition(-scores, depth - 1, axis=1)[:, :depth]
    values = np.take_along_axis(scores, top, axis=1)
    order = np.lexsort((top, -values), axis=1)
    ranks = np.full(scores.shape, _RANK_DEPTH, dtype=np.int64)
    np.put_along_axis(ranks, np.take_along_axis(top, order, axis=1), np.arange(depth), axis=1)
    return ranks


def _char_vectoriser() -> TfidfVectorizer:
    # Texts arrive normalised (NFKC, case-folded, no whitespace): nothing more to lowercase.
    return TfidfVectorizer(
        analyzer="char", ngram_range=(1, 3), sublinear_tf=True, lowercase=False, dtype=np.float32
    )


def _dense(matrix: sparse.spmatrix | np.ndarray) -> np.ndarray:
    dense = matrix.toarray() if sparse.issparse(matrix) else np.asarray(matrix)  # type: ignore[union-attr]
    return dense.astype(np.float32, copy=False)


def _from_cosine(cosine: np.ndarray) -> np.ndarray:
    """Embedding cosines read on [:data:`EMBEDDING_FLOOR`, 1] and clipped to [0, 1]."""
    return np.clip((cosine - EMBEDDING_FLOOR) / (1.0 - EMBEDDING_FLOOR), 0.0, 1.0)
