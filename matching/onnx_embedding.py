"""The ONNX Runtime backend of :class:`matching.embedding.Embedder`: export, quantise, encode.

sentence-transformers' own ``backend="onnx"`` needs ``optimum``, whose releases pin a
``transformers`` older than the one installed, so the model is exported here with
``torch.onnx.export`` from the very weights the torch backend reads (nothing is downloaded)
and run with ONNX Runtime directly. The exported graph is the transformer followed by mean
pooling over the attention mask, exactly sentence-transformers' default for a folder without
``modules.json`` (m3e-small ships none); the vectors are L2-normalised afterwards as the torch
path does. ``onnx-int8`` is the same graph with its matrix multiplications' weights quantised
to int8 per output channel (dynamic quantisation: activations are quantised at run time, so
no calibration set is needed). Their scale is taken over the whole input, so int8 texts run
one at a time: in a batch, a text's vector would depend on the texts embedded with it (and
its padding), by cosine 0.996 on short titles; alone it is the same in every call and nearer
torch's (0.9977 against 0.9974 on job texts, 0.9980 against 0.9967 on job titles), as fast
on job texts (49.5 against 47.4 texts/s) and about a third as fast on short titles, which
take ~2 ms each.

Tried and left out (``benchmarks/embedding_speed.py`` and scratch variants on the same 192 job
texts, 193 tokens on average, texts per CPU-second; README, *Embeddings*): ONNX Runtime's BERT
fusions (they need the eager attention export; +5 % on int8, within the run-to-run spread),
dropping the constant ``token_type_ids`` input (no change), a cap of 128 tokens (1.7× faster,
but cosine to torch 0.967 mean, 0.919 min), and OpenVINO (float32 twice ONNX Runtime's, but
int8 no faster than this, for 180 MB more in the environment).

Exports are written once per model and backend into a cache folder
(``Settings.resolved_embedding_cache``), named by the model id, atomically, so concurrent
processes never read half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    import onnxruntime
    from transformers import PreTrainedTokenizerBase

Backend = Literal["torch", "onnx", "onnx-int8"]
BACKENDS: tuple[Backend, ...] = ("torch", "onnx", "onnx-int8")
ONNX_BACKENDS: tuple[Backend, ...] = ("onnx", "onnx-int8")

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Opset 17 has LayerNormalization as one operator (one kernel in ONNX Runtime, not seven).
_OPSET = 17


def check_exportable(model_path: Path) -> None:
    """Raise ``ValueError`` unless the folder is a plain transformer (mean pooling).

    A folder with ``modules.json`` may pool differently or add layers, which the exported
    graph would silently leave out; such models keep the torch backend.
    """
    if (Path(model_path) / "modules.json").exists():
        raise ValueError(
            f"{model_path} declares its own sentence-transformers modules (modules.json); the "
            "ONNX backends export plain transformer folders (mean pooling) only: set "
            "JOBMATCH_EMBEDDING_BACKEND=torch for this model"
        )


def export_onnx(model_path: Path, target: Path, *, backend: Backend) -> Path:
    """Export the model in ``model_path`` to ``target`` (an ``.onnx`` file) for ``backend``.

    Written to a temporary file beside ``target`` and renamed, so a reader sees the whole
    file or none. Returns ``target``.
    """
    if backend not in ONNX_BACKENDS:
        raise ValueError(f"no ONNX export for backend {backend!r}")
    check_exportable(model_path)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as scratch:
        plain = Path(scratch) / "plain.onnx"
        _export_plain(Path(model_path), plain)
        if backend == "onnx":
            result = plain
        else:
            result = Path(scratch) / "int8.onnx"
            _quantise(plain, result)
        os.replace(result, target)
    return target


def _export_plain(model_path: Path, target: Path) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_path), local_files_only=True)
    model = AutoModel.from_pretrained(str(model_path), local_files_only=True).eval()

    class MeanPooled(torch.nn.Module):
        """The transformer and sentence-transformers' mean pooling, in one graph."""

        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            hidden = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)

    # Two texts of different lengths: the padding path is traced, and no shape is constant.
    sample = tokenizer(["岗位：仓库管理员。技能：叉车", "样本"], padding=True, return_tensors="pt")
    dynamic = {name: {0: "batch", 1: "sequence"} for name in _INPUTS}
    with torch.no_grad():
        torch.onnx.export(
            MeanPooled(model),
            tuple(sample[name] for name in _INPUTS),
            str(target),
            input_names=list(_INPUTS),
            output_names=["embedding"],
            dynamic_axes={**dynamic, "embedding": {0: "batch"}},
            opset_version=_OPSET,
            # The TorchScript exporter: the dynamo one needs onnxscript's rewriter and takes
            # minutes on two cores for the same graph.
            dynamo=False,
        )


def _quantise(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Per output channel: one scale per weight column kept the vectors' cosine to torch's at
    # 0.997 on job texts, where one scale per matrix gave 0.991.
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True)


class OnnxEncoder:
    """An exported model in an ONNX Runtime session, with the folder's own tokenizer."""

    def __init__(
        self,
        model_path: Path,
        onnx_file: Path,
        *,
        threads: int | None = None,
        per_text: bool = False,
    ) -> None:
        """Open ``onnx_file`` (exported from ``model_path``); ``threads``: ONNX Runtime's
        intra-op threads (``None``: one per physical core); ``per_text``: run every text
        alone, whatever batch size is asked (the int8 graph, see the module)."""
        import onnxruntime
        from transformers import AutoTokenizer

        options = onnxruntime.SessionOptions()
        # Every graph optimisation (constant folding, node fusions, layout), one operator at a
        # time with its work split over the cores: a 4-layer model has no parallel branches
        # worth the inter-op threads' hand-offs.
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = threads or 0  # 0: one per physical core
        # Idle threads sleep instead of spinning: on a shared two-core machine (or a Dask
        # worker beside others) spinning takes the cores other work needs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session: onnxruntime.InferenceSession = onnxruntime.InferenceSession(
            str(onnx_file), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer: PreTrainedTokenizerBase = AutoTokenizer.from_pretrained(
            str(model_path), local_files_only=True
        )
        config = json.loads((Path(model_path) / "config.json").read_text(encoding="utf-8"))
        # sentence-transformers caps the tokenizer's length at the position embeddings.
        self.max_length = min(
            int(self._tokenizer.model_max_length), int(config["max_position_embeddings"])
        )
        self._inputs = {node.name for node in self._session.get_inputs()}
        self._lock = threading.Lock()
        self.per_text = per_text

    def encode(self, texts: list[str], *, batch_size: int = 64) -> np.ndarray:
        """L2-normalised float32 vectors of ``texts``, in order.

        Texts are batched longest first (as sentence-transformers does), so a batch pads to
        texts of similar length and little work goes to padding; with :attr:`per_text`, each
        text is its own batch.
        """
        if self.per_text:
            batch_size = 1
        order = np.argsort([-len(text) for text in texts], kind="stable")
        out: np.ndarray | None = None
        for start in range(0, len(texts), batch_size):
            rows = order[start : start + batch_size]
            # The fast tokenizer is not safe to call from two threads at once.
            with self._lock:
                encoded = self._tokenizer(
                    [texts[i] for i in rows],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="np",
                )
            feed = {
                k: np.asarray(v, dtype=np.int64) for k, v in encoded.items() if k in self._inputs
            }
            pooled = np.asarray(self._session.run(None, feed)[0], dtype=np.float32)
            if out is None:
                out = np.empty((len(texts), pooled.shape[1]), dtype=np.float32)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[rows] = pooled / np.maximum(norms, 1e-12)
        assert out is not None  # texts is not empty (the Embedder answers that case)
        return out
