"""An autoencoder (torch) trained to reconstruct PPMI rows of a corpus or another provider's vectors."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field

from embbench.contract import Context
from embbench.errors import EmbbenchError
from embbench.hookspecs import Register, hookimpl
from embbench.providers._cooccurrence import cooccurrence, ppmi
from embbench.providers._training import (
    CorpusOrBase,
    cached_fit,
    check_dim,
    provider_corpus,
    provider_vocabulary,
)
from embbench.words import WordOptions

if TYPE_CHECKING:
    pass

DECODER_FILE = "decoder.pt"


class AutoencoderOptions(WordOptions):
    """Input: PPMI rows of ``corpus`` over its ``contexts`` most frequent words, or ``base=`` provider vectors."""

    corpus: str = "sotu"
    base: str | None = None
    dim: int = Field(100, ge=1)
    hidden: int | None = Field(None, ge=1)
    activation: Literal["tanh", "relu", "linear"] = "tanh"
    window: int = Field(5, ge=1)
    min_count: int = Field(5, ge=1)
    contexts: int = Field(5000, ge=1)
    epochs: int = Field(20, ge=1)
    batch_size: int = Field(256, ge=1)
    learning_rate: float = Field(1e-3, gt=0)
    seed: int = 0


def build_network(inputs: int, options: AutoencoderOptions) -> tuple[Any, Any]:
    """Encoder and decoder: input -> [hidden] -> dim (the embedding) -> [hidden] -> input."""
    import torch

    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "linear": torch.nn.Identity}[options.activation]
    if options.hidden:
        encoder = torch.nn.Sequential(
            torch.nn.Linear(inputs, options.hidden), act(), torch.nn.Linear(options.hidden, options.dim), act()
        )
        decoder = torch.nn.Sequential(
            torch.nn.Linear(options.dim, options.hidden), act(), torch.nn.Linear(options.hidden, inputs)
        )
    else:
        encoder = torch.nn.Sequential(torch.nn.Linear(inputs, options.dim), act())
        decoder = torch.nn.Sequential(torch.nn.Linear(options.dim, inputs))
    return encoder, decoder


class Autoencoder(CorpusOrBase[AutoencoderOptions]):
    """The bottleneck of an autoencoder is the embedding; the decoder is kept (``decode``) for later tasks."""

    name = "autoencoder"
    description = "torch autoencoder over PPMI rows of a corpus or another provider's vectors (base=)"

    def fit(self, context: Context) -> Autoencoder:
        corpus = None
        if self.options.base:
            base = self.base_vectors(context)
            words, inputs = base.words, base.matrix
        else:
            corpus = provider_corpus(self)
            words = provider_vocabulary(self, corpus, at_least=2)
            ids, starts = corpus.encode({w: i for i, w in enumerate(words)})
            inputs = ppmi(cooccurrence(ids, starts, len(words), self.options.window))[:, : self.options.contexts]
        self.vectors_, self.provenance_, folder = cached_fit(
            context, self, lambda f: self._train(words, inputs, f), corpus=corpus
        )
        self.decoder_path_ = folder / DECODER_FILE
        return self

    def _train(self, words: list[str], inputs: Any, folder: Path) -> tuple[list[str], np.ndarray, dict[str, Any]]:
        import torch

        options = self.options
        check_dim(self, min(inputs.shape[1] - 1, len(words)), "input size minus one or the vocabulary size")
        torch.manual_seed(options.seed)
        generator = np.random.default_rng(options.seed)
        encoder, decoder = build_network(inputs.shape[1], options)
        optimiser = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=options.learning_rate)
        losses = []
        for _ in range(options.epochs):
            order = generator.permutation(len(words))
            total = 0.0
            for start in range(0, len(order), options.batch_size):
                batch = torch.from_numpy(_dense(inputs, order[start : start + options.batch_size]))
                loss = torch.nn.functional.mse_loss(decoder(encoder(batch)), batch)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total += float(loss.detach()) * len(batch)
            if not np.isfinite(total):
                raise EmbbenchError(
                    "training diverged (loss is NaN); try a smaller learning_rate", "provider 'autoencoder'"
                )
            losses.append(total / len(words))
        with torch.inference_mode():
            blocks = [np.arange(s, min(s + 4096, len(words))) for s in range(0, len(words), 4096)]
            codes = np.concatenate([encoder(torch.from_numpy(_dense(inputs, rows))).numpy() for rows in blocks])
        torch.save({"decoder": decoder.state_dict(), "inputs": int(inputs.shape[1])}, folder / DECODER_FILE)
        return words, codes, {"input_size": int(inputs.shape[1]), "loss_per_epoch": [round(x, 6) for x in losses],
                              "seed": options.seed}  # fmt: skip

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """Reconstruct input representations (PPMI rows or base vectors) from embeddings."""
        import torch

        saved = torch.load(self.decoder_path_, weights_only=True)
        _, decoder = build_network(saved["inputs"], self.options)
        decoder.load_state_dict(saved["decoder"])
        with torch.inference_mode():
            return decoder(torch.from_numpy(np.array(codes, dtype=np.float32))).numpy()  # a writable copy


def _dense(inputs: Any, rows: np.ndarray) -> np.ndarray:
    import scipy.sparse

    block = inputs[rows]
    return np.asarray(block.toarray() if scipy.sparse.issparse(block) else block, dtype=np.float32)


@hookimpl
def register_providers(register: Register) -> None:
    register(Autoencoder)
