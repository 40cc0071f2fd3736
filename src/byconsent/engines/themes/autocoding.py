"""Auto-coding: once analysts have coded some responses, suggest codes for the rest. Suggestions only.

Nothing here applies a code. The result is a list of *suggestions* with a confidence each; callers store them as
suggestions and an analyst confirms or rejects every one (the human sign-off the codebook process requires).

Method: one-vs-rest L2-regularised logistic regression on the response embeddings, one model per code (a
response may carry several codes). Each code's threshold is chosen on the coded sample itself by k-fold
cross-validation: the cut-off on out-of-fold scores that maximises that code's F1. A code with fewer than
``min_examples`` coded examples is not learnt and is reported as such rather than guessed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import expit

from byconsent.engines.themes.embedders import EmbedderInfo

Matrix = NDArray[np.float64]


@dataclass(frozen=True)
class CodeSuggestion:
    """A code suggested for one response, for an analyst to confirm or reject."""

    row: int
    code: str
    confidence: float  # the model's probability that the code applies, 0..1
    threshold: float  # the code's cut-off; suggestions are made only at or above it


@dataclass(frozen=True)
class CodeThreshold:
    """How one code was learnt from the coded sample."""

    code: str
    examples: int  # coded responses carrying the code
    trained: bool  # False when there were too few examples (no suggestions are made for it)
    threshold: float | None
    cross_validated_f1: float | None  # F1 of out-of-fold suggestions at the chosen threshold


@dataclass(frozen=True)
class AutoCodingResult:
    """Suggestions per uncoded row (best first) and how each code was learnt. Never applied automatically."""

    suggestions: dict[int, list[CodeSuggestion]]
    codes: list[CodeThreshold]
    coded_rows: int
    embedder: EmbedderInfo | None
    status: str = "suggested"  # always: these await an analyst's decision


@dataclass(frozen=True)
class AutoCodingSettings:
    folds: int = 5
    min_examples: int = 3
    # L2 penalty on the weights (larger: simpler models). 0.1 gave the best macro-F1 of 0.01/0.1/1/10/100 on NHS
    # feedback with a 10% coded sample (benchmarks/themes.py); it equals scikit-learn's C = 10.
    regularisation: float = 0.1
    seed: int = 0


def suggest_codes(
    vectors: NDArray[np.floating[Any]] | Matrix,
    coded: Mapping[int, Collection[str]],
    codebook: Sequence[str],
    settings: AutoCodingSettings | None = None,
    embedder: EmbedderInfo | None = None,
) -> AutoCodingResult:
    """Suggest codes for every row of ``vectors`` that is not in ``coded``.

    ``coded`` maps row -> the codes an analyst applied (an empty collection means "coded, no code applies").
    Rows whose vector is all zeros (blank text) get no suggestions.
    """
    settings = settings or AutoCodingSettings()
    features = _with_bias(np.asarray(vectors, dtype=np.float64))
    coded_rows = np.array(sorted(coded), dtype=np.int64)
    uncoded = np.array([r for r in range(len(features)) if r not in coded and np.any(features[r, :-1])], dtype=np.int64)
    folds = _fold_of_each_row(len(coded_rows), settings)
    suggestions: dict[int, list[CodeSuggestion]] = {int(r): [] for r in uncoded}
    learnt: list[CodeThreshold] = []
    for code in codebook:
        targets = np.array([code in coded[int(r)] for r in coded_rows], dtype=np.float64)
        examples = int(targets.sum())
        if examples < settings.min_examples or examples == len(targets):
            learnt.append(CodeThreshold(code, examples, trained=False, threshold=None, cross_validated_f1=None))
            continue
        threshold, f1 = _cross_validated_threshold(features[coded_rows], targets, folds, settings.regularisation)
        weights = fit_logistic(features[coded_rows], targets, settings.regularisation)
        learnt.append(CodeThreshold(code, examples, trained=True, threshold=threshold, cross_validated_f1=f1))
        if len(uncoded):
            scores = expit(features[uncoded] @ weights)
            for row, score in zip(uncoded, scores, strict=True):
                if score >= threshold:
                    suggestions[int(row)].append(CodeSuggestion(int(row), code, float(score), threshold))
    for row in suggestions:
        # Best first: how far above its own threshold each suggestion stands.
        suggestions[row].sort(key=lambda s: (-(s.confidence - s.threshold), s.code))
    return AutoCodingResult(suggestions=suggestions, codes=learnt, coded_rows=len(coded_rows), embedder=embedder)


def fit_logistic(features: Matrix, targets: NDArray[np.float64], regularisation: float) -> NDArray[np.float64]:
    """Weights minimising mean log-loss + regularisation/2 * |w|^2 / n (bias unpenalised), by L-BFGS."""
    rows = len(targets)
    penalty = np.ones(features.shape[1])
    penalty[-1] = 0.0  # the last column is the bias

    def loss_and_gradient(weights: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        margins = features @ weights
        # log(1 + e^m) - y*m, written with logaddexp for numerical safety.
        loss = float(np.sum(np.logaddexp(0.0, margins) - targets * margins)) / rows
        loss += 0.5 * regularisation * float(np.sum(penalty * weights**2)) / rows
        gradient = features.T @ (expit(margins) - targets) / rows + regularisation * penalty * weights / rows
        return loss, gradient

    start = np.zeros(features.shape[1])
    solution = minimize(loss_and_gradient, start, jac=True, method="L-BFGS-B", options={"maxiter": 300, "ftol": 1e-7})
    fitted: NDArray[np.float64] = solution.x
    return fitted


def _cross_validated_threshold(
    features: Matrix, targets: NDArray[np.float64], folds: NDArray[np.int64], regularisation: float
) -> tuple[float, float]:
    """Out-of-fold scores for every coded row, then the cut-off with the best F1 on them."""
    scores = np.zeros(len(targets))
    for fold in np.unique(folds):
        held_out = folds == fold
        training = ~held_out
        if targets[training].sum() == 0 or targets[training].sum() == training.sum():
            scores[held_out] = targets[training].mean()  # one class only: no model, the base rate
            continue
        weights = fit_logistic(features[training], targets[training], regularisation)
        scores[held_out] = expit(features[held_out] @ weights)
    return best_f1_threshold(scores, targets)


def best_f1_threshold(scores: NDArray[np.float64], targets: NDArray[np.float64]) -> tuple[float, float]:
    """The score cut-off maximising F1 (midpoint between neighbouring scores), and that F1."""
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    hits = np.cumsum(targets[order])
    suggested = np.arange(1, len(scores) + 1)
    f1 = 2.0 * hits / (suggested + targets.sum())
    # Only cut between distinct scores: a threshold cannot split tied rows.
    distinct = np.append(sorted_scores[1:] < sorted_scores[:-1], True)
    f1 = np.where(distinct, f1, -1.0)
    best = int(np.argmax(f1))
    below = sorted_scores[best + 1] if best + 1 < len(scores) else 0.0
    threshold = float((sorted_scores[best] + below) / 2.0)
    return threshold, float(f1[best])


def _fold_of_each_row(rows: int, settings: AutoCodingSettings) -> NDArray[np.int64]:
    """Seeded random fold numbers, as even as possible."""
    folds = max(2, min(settings.folds, rows))
    permutation = np.random.default_rng(settings.seed).permutation(rows)
    assignment = np.empty(rows, dtype=np.int64)
    assignment[permutation] = np.arange(rows) % folds
    return assignment


def _with_bias(vectors: Matrix) -> Matrix:
    return np.hstack([vectors, np.ones((vectors.shape[0], 1))])
