"""Grouping embeddings into themes: spherical k-means seeded from a Ward tree, automatic choice of k.

Method (measured against plain k-means in benchmarks/themes.py, see docs/themes.md):

1. Ward's hierarchical clustering of (a seeded sample of at most ``ward_sample`` of) the unit vectors. One tree
   gives every candidate number of themes at once, and its groups are a far better start than random centres.
2. For a fixed k, the tree's k groups become the starting centroids of spherical k-means (cosine similarity,
   centroids renormalised to unit length) over all rows, iterated to convergence. ``restarts`` further runs from
   seeded k-means++ starts compete with it and the partition with the highest total cosine similarity to its
   centres (the k-means objective) is kept. On Banking77 the tree's start wins; on NHS feedback a restart
   usually does: neither start is best everywhere, the objective decides.
3. With k "auto", k runs from ``min_themes`` to ``max_themes`` and the one where the tree's merge cost jumps
   most (relative to the merge before) is kept: see ``_choose_k``.

Everything random draws from ``numpy.random.default_rng(seed)``: the same rows and seed give the same themes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.cluster.hierarchy import fcluster, linkage

Matrix = NDArray[np.float64]
Labels = NDArray[np.int64]


@dataclass(frozen=True)
class Clustering:
    """Theme index per row (0..k-1), unit-length centroids, and each k's score when k was chosen automatically."""

    labels: Labels
    centroids: Matrix
    score_by_k: dict[int, float]


def cluster_embeddings(
    vectors: NDArray[np.floating[Any]] | Matrix,
    n_themes: int | None,
    seed: int,
    min_themes: int = 3,
    max_themes: int = 15,
    ward_sample: int = 4000,
    restarts: int = 8,
) -> Clustering:
    """Cluster unit-length row vectors into ``n_themes`` themes, or choose the number when it is None."""
    unit = _unit_rows(np.asarray(vectors, dtype=np.float64))
    rows = unit.shape[0]
    if rows == 0:
        return Clustering(np.zeros(0, dtype=np.int64), np.zeros((0, unit.shape[1])), {})
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(rows, size=min(rows, ward_sample), replace=False))
    tree = linkage(unit[sample], method="ward") if len(sample) > 1 else None
    scores: dict[int, float] = {}
    if n_themes is None:
        n_themes, scores = _choose_k(tree, len(sample), min_themes, max_themes)
    k = max(1, min(n_themes, rows))
    labels, centroids = spherical_kmeans(unit, _tree_centroids(unit[sample], tree, k))
    best = _cohesion(unit, labels, centroids)
    for _ in range(restarts):
        # Seeded k-means++ starts compete with the tree's start; the tightest partition (highest total cosine
        # similarity to its centres, the k-means objective) wins, whichever start it came from.
        candidate_labels, candidate_centroids = spherical_kmeans(unit, kmeans_plus_plus(unit, k, rng))
        cohesion = _cohesion(unit, candidate_labels, candidate_centroids)
        if cohesion > best + 1e-9:
            labels, centroids, best = candidate_labels, candidate_centroids, cohesion
    return Clustering(labels=labels, centroids=centroids, score_by_k=scores)


def kmeans_plus_plus(unit: Matrix, k: int, rng: np.random.Generator) -> Matrix:
    """k-means++ seeding on cosine distance: each new centre drawn with probability ~ distance^2 to the nearest."""
    centres = [int(rng.integers(unit.shape[0]))]
    distance = 1.0 - unit @ unit[centres[0]]
    for _ in range(k - 1):
        weights = np.maximum(distance, 0.0) ** 2
        total = weights.sum()
        choice = int(rng.choice(unit.shape[0], p=weights / total)) if total > 0 else int(rng.integers(unit.shape[0]))
        centres.append(choice)
        distance = np.minimum(distance, 1.0 - unit @ unit[choice])
    return unit[centres].copy()


def _cohesion(unit: Matrix, labels: Labels, centroids: Matrix) -> float:
    return float(np.sum(unit * centroids[labels]))


def spherical_kmeans(unit: Matrix, centroids: Matrix, max_iterations: int = 100) -> tuple[Labels, Matrix]:
    """Lloyd iterations on the sphere: assign by cosine, recentre as the renormalised mean, until stable.

    A centroid that loses all its rows keeps its previous position (it may win rows back) instead of
    disappearing, so the number of themes asked for is kept whenever the data allows.
    """
    labels = np.argmax(unit @ centroids.T, axis=1)
    for _ in range(max_iterations):
        centroids = _recentre(unit, labels, centroids)
        new_labels = np.argmax(unit @ centroids.T, axis=1)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
    return labels.astype(np.int64), centroids


def _recentre(unit: Matrix, labels: NDArray[np.intp], previous: Matrix) -> Matrix:
    k = previous.shape[0]
    membership = np.zeros((k, unit.shape[0]))
    membership[labels, np.arange(unit.shape[0])] = 1.0
    sums = membership @ unit  # one matrix product: much faster than np.add.at for thousands of rows
    norms = np.linalg.norm(sums, axis=1)
    empty = norms == 0.0
    centroids = previous.copy()
    centroids[~empty] = sums[~empty] / norms[~empty, None]
    return centroids


def _tree_centroids(sample: Matrix, tree: Matrix | None, k: int) -> Matrix:
    """Unit-length mean of each of the tree's k groups (fewer if the sample has fewer distinct points)."""
    if tree is None:
        return _unit_rows(sample[:1])
    groups = fcluster(tree, t=k, criterion="maxclust") - 1
    sums = np.array([sample[groups == g].sum(axis=0) for g in range(int(groups.max()) + 1)])
    return _unit_rows(sums)


def _choose_k(tree: Matrix | None, rows: int, min_themes: int, max_themes: int) -> tuple[int, dict[int, float]]:
    """The k whose last Ward merge (k themes -> k - 1) costs most relative to the merge before it.

    Ward's merge cost grows slowly while near-duplicates and sub-themes are joined and jumps when two genuinely
    different themes have to be forced together; the largest relative jump marks the most natural number of
    themes (the "elbow" of the dendrogram). Silhouette was tried first and rejected: on sentence embeddings of
    real feedback it rises almost steadily with k, so it simply picks the largest k allowed.
    """
    upper = min(max_themes, max(rows // 5, min_themes), rows - 1)  # at least ~5 responses per theme on average
    lower = max(2, min(min_themes, upper))
    if tree is None or upper < 2:
        return 1, {}
    heights = tree[:, 2]
    # Row rows - k of the linkage matrix is the merge that takes k clusters down to k - 1.
    scores = {k: float((heights[rows - k] + 1e-9) / (heights[rows - k - 1] + 1e-9)) for k in range(lower, upper + 1)}
    best = max(sorted(scores), key=lambda k: scores[k])
    return best, scores


def silhouette(distances: Matrix, labels: NDArray[np.intp] | Labels) -> float:
    """Mean silhouette width from a precomputed distance matrix; singleton groups score 0 (Rousseeuw 1987)."""
    groups = np.unique(labels)
    if len(groups) < 2:
        return 0.0
    membership = labels[:, None] == groups[None, :]
    counts = membership.sum(axis=0).astype(np.float64)
    totals = distances @ membership  # sum of distances from each row to each group
    own = np.searchsorted(groups, labels)
    rows = np.arange(len(labels))
    own_count = counts[own] - 1.0
    within = np.where(own_count > 0, totals[rows, own] / np.maximum(own_count, 1.0), 0.0)
    between_all = totals / counts[None, :]
    between_all[rows, own] = np.inf
    nearest = between_all.min(axis=1)
    width = np.where(own_count > 0, (nearest - within) / np.maximum(np.maximum(nearest, within), 1e-12), 0.0)
    return float(width.mean())


def _unit_rows(matrix: Matrix) -> Matrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0.0] = 1.0
    unit: Matrix = matrix / norms
    return unit
