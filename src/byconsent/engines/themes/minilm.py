"""all-MiniLM-L6-v2 run by a small BERT forward pass in plain torch, without sentence-transformers.

Why: the packaged model is a BERT encoder followed by mean pooling and L2 normalisation. Loading it through
sentence-transformers imports transformers, scikit-learn and scipy.stats first: 14 s on top of torch's own 2.8 s
on the shared 2-core machine at load about 4, more than the model's own work on a thousand answers. Here only torch,
``tokenizers`` and ``safetensors`` are imported (both already installed with the model package, as
dependencies of transformers), the weights are read from the package's own ``model.safetensors`` and the
tokenizer from its ``tokenizer.json``. Nothing is downloaded.

The forward pass is the published BERT architecture (Devlin et al. 2019) with this model's configuration from
its ``config.json``; ``tests/engines/test_themes_minilm.py`` checks it against sentence-transformers on real text
(largest difference per coordinate below 1e-5).

Texts are sorted by token count and batched so that each batch pads to nearly the same length: no work is spent
on padding, and short answers (most feedback) go through in large batches.

This module imports torch at import time: import it only when MiniLM is actually used.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn
from torch.nn import functional

# Upper bound on padded tokens per batch: short answers go in batches of up to MAX_BATCH, long ones in fewer.
TOKENS_PER_BATCH = 1024
MAX_BATCH = 64


class _Layer(nn.Module):
    """One BERT encoder layer: self-attention and a feed-forward block, each with a residual and LayerNorm."""

    def __init__(self, hidden: int, heads: int, intermediate: int, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attention_output = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=eps)
        self.intermediate = nn.Linear(hidden, intermediate)
        self.output = nn.Linear(intermediate, hidden)
        self.output_norm = nn.LayerNorm(hidden, eps=eps)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = states.shape

        def heads(projected: torch.Tensor) -> torch.Tensor:
            return projected.view(batch, length, self.heads, hidden // self.heads).transpose(1, 2)

        context = functional.scaled_dot_product_attention(
            heads(self.query(states)), heads(self.key(states)), heads(self.value(states)), attn_mask=mask
        )
        context = context.transpose(1, 2).reshape(batch, length, hidden)
        states = self.attention_norm(states + self.attention_output(context))
        result: torch.Tensor = self.output_norm(states + self.output(functional.gelu(self.intermediate(states))))
        return result


class MiniBert(nn.Module):
    """BERT embeddings and encoder, then mean pooling over real tokens and L2 normalisation."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        hidden = int(config["hidden_size"])
        eps = float(config["layer_norm_eps"])
        self.word_embeddings = nn.Embedding(int(config["vocab_size"]), hidden)
        self.position_embeddings = nn.Embedding(int(config["max_position_embeddings"]), hidden)
        self.token_type_embeddings = nn.Embedding(int(config["type_vocab_size"]), hidden)
        self.embedding_norm = nn.LayerNorm(hidden, eps=eps)
        self.layers = nn.ModuleList(
            _Layer(hidden, int(config["num_attention_heads"]), int(config["intermediate_size"]), eps)
            for _ in range(int(config["num_hidden_layers"]))
        )

    def forward(self, ids: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        states = self.word_embeddings(ids) + self.position_embeddings(positions)
        states = self.embedding_norm(states + self.token_type_embeddings(torch.zeros_like(ids)))
        # Additive mask: padding positions get -inf-like scores so no real token attends to them.
        mask = ((1.0 - attention[:, None, None, :].to(states.dtype)) * torch.finfo(states.dtype).min).to(states.dtype)
        for layer in self.layers:
            states = layer(states, mask)
        weights = attention.unsqueeze(-1).to(states.dtype)
        pooled = (states * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
        return functional.normalize(pooled, p=2.0, dim=1)


def _state_dict_names(layers: int) -> dict[str, str]:
    """Our parameter names -> the names in the published BERT checkpoint."""
    names = {
        "word_embeddings.weight": "embeddings.word_embeddings.weight",
        "position_embeddings.weight": "embeddings.position_embeddings.weight",
        "token_type_embeddings.weight": "embeddings.token_type_embeddings.weight",
        "embedding_norm.weight": "embeddings.LayerNorm.weight",
        "embedding_norm.bias": "embeddings.LayerNorm.bias",
    }
    parts = {
        "query": "attention.self.query",
        "key": "attention.self.key",
        "value": "attention.self.value",
        "attention_output": "attention.output.dense",
        "attention_norm": "attention.output.LayerNorm",
        "intermediate": "intermediate.dense",
        "output": "output.dense",
        "output_norm": "output.LayerNorm",
    }
    for layer in range(layers):
        for ours, theirs in parts.items():
            for kind in ("weight", "bias"):
                names[f"layers.{layer}.{ours}.{kind}"] = f"encoder.layer.{layer}.{theirs}.{kind}"
    return names


class MiniLM:
    """Tokenizer and encoder of the packaged model, ready to embed."""

    def __init__(self, model_dir: Path, quantized: bool = False) -> None:
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        weights = load_file(str(model_dir / "model.safetensors"))
        model = MiniBert(config)
        names = _state_dict_names(int(config["num_hidden_layers"]))
        model.load_state_dict({ours: weights[theirs] for ours, theirs in names.items()}, strict=True)
        model.eval()
        if quantized:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch marks its eager quantisation API as deprecated
                # One scale per output channel of each weight matrix: measured mean cosine to the exact vectors
                # 0.965 on NHS feedback, against 0.92 with one scale per matrix (torch's default).
                quantization: Any = torch.ao.quantization  # untyped in torch
                model = quantization.quantize_dynamic(
                    model, {nn.Linear: quantization.per_channel_dynamic_qconfig}, dtype=torch.qint8
                )
        self.model = model
        self.dimensions = int(config["hidden_size"])

    def embed(self, texts: Sequence[str], max_seq_length: int) -> NDArray[np.float32]:
        """Unit-length vectors, one per text, in the order given; a text repeated is embedded once."""
        unique, positions = np.unique(np.array(list(texts), dtype=object), return_inverse=True)
        return self._embed_unique([str(t) for t in unique], max_seq_length)[positions.ravel()]

    def _embed_unique(self, texts: list[str], max_seq_length: int) -> NDArray[np.float32]:
        self.tokenizer.enable_truncation(max_length=max_seq_length)
        encodings = self.tokenizer.encode_batch(texts)
        lengths = np.array([len(e.ids) for e in encodings])
        order = np.argsort(-lengths, kind="stable")
        result = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        start = 0
        with torch.inference_mode():
            while start < len(order):
                longest = int(lengths[order[start]])
                size = max(1, min(MAX_BATCH, TOKENS_PER_BATCH // max(longest, 1)))
                batch = order[start : start + size]
                ids = np.zeros((len(batch), longest), dtype=np.int64)
                attention = np.zeros((len(batch), longest), dtype=np.int64)
                for position, row in enumerate(batch):
                    row_ids = encodings[row].ids
                    ids[position, : len(row_ids)] = row_ids
                    attention[position, : len(row_ids)] = 1
                vectors = self.model(torch.from_numpy(ids), torch.from_numpy(attention))
                result[batch] = vectors.numpy()
                start += size
        return result
