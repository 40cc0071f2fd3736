"""Grouping embeddings into themes: spectral partition of a neighbour graph, refined by spherical k-means.

Method (measured against plain k-means and a BERTopic-style peer in benchmarks/themes.py, see docs/themes.md):

1. Centre: the unit vectors minus their mean direction, renormalised (sentence embeddings share a large common
   component; removing it lets cosine similarity measure what tells answers apart).
2. With k "auto": Ward's hierarchical clustering of (a seeded sample of at most ``ward_sample`` of) the unit
   vectors; k runs from ``min_themes`` to ``max_themes`` and the one where the tree's merge cost jumps most
   (relative to the merge before) is kept: see ``_choose_k``.
3. Spectral step: each row is joined to its ``neighbours`` (15) most similar rows; the top k eigenvectors of the
   normalised affinity give every row k coordinates, and spherical k-means on those (best of a Ward-tree start
   and ``restarts`` seeded k-means++ starts, by the k-means objective) gives a first partition. A graph follows
   themes that are chains of paraphrases, where one centre per theme would cut them.
4. Refinement: the partition's centres (centred space) start spherical k-means over all rows, which settles rows
   on the borders by plain similarity to a theme's centre.

Small inputs (fewer than 30 rows, or fewer than 2k + 1) skip the graph and use step 3's k-means directly on the
centred vectors. Everything random draws from ``numpy.random.default_rng(seed)``: same rows and seed, same themes.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.linalg import eigh
from scipy.sparse.linalg import lobpcg

Matrix = NDArray[np.float64]
Labels = NDArray[np.int64]

NEIGHBOURS = 15  # nearest neighbours per row in the similarity graph (UMAP's and BERTopic's default)
MIN_ROWS_TO_CENTRE = 10  # below this the corpus mean is too noisy to remove
MIN_ROWS_FOR_GRAPH = 30  # below this the graph is too sparse to say more than k-means does
DENSE_EIGEN_ROWS = 1200  # up to this many rows a dense eigendecomposition is quick and exact
MANY_THEMES = 40  # from this many themes up, a dense eigensolver is used up to DENSE_EIGEN_ROWS_MANY_THEMES rows
DENSE_EIGEN_ROWS_MANY_THEMES = 6000
LOBPCG_EXTRA = 5  # extra vectors in LOBPCG's block: the k wanted converge faster and more surely


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
    neighbours: int = NEIGHBOURS,
    spectral: bool = True,
) -> Clustering:
    """Cluster row vectors into ``n_themes`` themes, or choose the number when it is None.

    ``centroids`` are the unit-length means of each theme's rows in the original (unit, uncentred) space, so the
    cosine similarity of a row to its theme's centre means what it did before centring was introduced.
    """
    unit = _unit_rows(np.asarray(vectors, dtype=np.float64))
    rows = unit.shape[0]
    if rows == 0:
        return Clustering(np.zeros(0, dtype=np.int64), np.zeros((0, unit.shape[1])), {})
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(rows, size=min(rows, ward_sample), replace=False))
    scores: dict[int, float] = {}
    if n_themes is None:
        # The number of themes comes from the Ward tree of the unit vectors as they are (before centring).
        tree = linkage(unit[sample], method="ward") if len(sample) > 1 else None
        n_themes, scores = _choose_k(tree, len(sample), min_themes, max_themes)
    k = max(1, min(n_themes, rows))
    space = centred(unit) if rows >= MIN_ROWS_TO_CENTRE else unit
    neighbours = min(neighbours, rows - 1)
    if spectral and k >= 2 and rows >= max(MIN_ROWS_FOR_GRAPH, 2 * k + 1) and neighbours >= 2:
        # Partition the k-nearest-neighbour graph (spectral), then let spherical k-means settle the borders in
        # the centred space, starting from the graph's groups.
        embedding = spectral_embedding(space, k, neighbours, rng)
        graph_labels = _best_spherical_kmeans(embedding, k, restarts, rng, sample)[0]
        start = _unit_rows(_group_sums(space, graph_labels, k))
        labels = spherical_kmeans(space, _keep_empty(start, graph_labels, space, k))[0]
    else:
        labels = _best_spherical_kmeans(space, k, restarts, rng, sample)[0]
    centroids = _unit_rows(_group_sums(unit, labels, k))
    return Clustering(labels=labels, centroids=centroids, score_by_k=scores)


def centred(unit: Matrix) -> Matrix:
    """Remove the mean direction and renormalise.

    Sentence embeddings are anisotropic: every vector shares a large common component, so all cosines are high
    and the differences that separate themes are a small part of each vector. Subtracting the corpus mean lets
    cosine similarity measure what distinguishes answers from each other (Banking77: k-means ARI 0.52 -> 0.56).
    """
    return _unit_rows(unit - unit.mean(axis=0))


def spectral_embedding(space: Matrix, k: int, neighbours: int, rng: np.random.Generator) -> Matrix:
    """Rows of the top-k eigenvectors of the normalised k-nearest-neighbour affinity, unit length (Ng et al. 2002).

    Each row's ``neighbours`` most similar rows (cosine, negative similarities clipped to a tiny weight) are joined
    by an edge weighted by their similarity; the graph is symmetrised (an edge if either row chose the other).
    Themes that are chains or irregular clouds of paraphrases stay connected in the graph even where a centroid
    would split them, which is what k-means on the raw vectors gets wrong on many small intents.
    """
    affinity = knn_affinity(space, neighbours)
    degree = np.asarray(affinity.sum(axis=1)).ravel()
    scale = sp.diags(1.0 / np.sqrt(np.maximum(degree, 1e-12)))
    normalised = (scale @ affinity @ scale).tocsr()
    rows = space.shape[0]
    if rows <= DENSE_EIGEN_ROWS or (k >= MANY_THEMES and rows <= DENSE_EIGEN_ROWS_MANY_THEMES):
        # Dense and exact; for many themes also faster than LOBPCG, whose cost grows with the square of k.
        _, top = eigh(normalised.toarray(), subset_by_index=[rows - k, rows - 1])
    else:
        # LOBPCG iterates a block of vectors at once, so it finds every copy of a repeated eigenvalue (one per
        # group of identical answers cut off from the rest, e.g. a hundred "No"); single-vector Lanczos (eigsh)
        # can miss them.
        block = rng.standard_normal((rows, k + LOBPCG_EXTRA))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "not reaching the requested tolerance": the ranking is what counts
            values, vectors = lobpcg(normalised, block, largest=True, tol=1e-5, maxiter=300)
        top = vectors[:, np.argsort(values, kind="stable")[-k:]]
    top = np.asarray(top, dtype=np.float64)
    # Fix each eigenvector's sign (largest entry positive): the partition does not depend on it, the floats do.
    signs = np.sign(top[np.argmax(np.abs(top), axis=0), np.arange(top.shape[1])])
    signs[signs == 0.0] = 1.0
    return _unit_rows(top * signs)


def knn_affinity(space: Matrix, neighbours: int, block: int = 512) -> sp.csr_matrix:
    """Symmetric sparse cosine affinity of each row to its ``neighbours`` nearest rows, built in row blocks."""
    rows = space.shape[0]
    points = space.astype(np.float32)  # single precision is plenty to rank neighbours, and twice as fast
    sources, targets, weights = [], [], []
    for first in range(0, rows, block):
        similarity = points[first : first + block] @ points.T
        local = np.arange(similarity.shape[0])
        similarity[local, first + local] = -np.inf  # a row is not its own neighbour
        nearest = np.argpartition(-similarity, neighbours - 1, axis=1)[:, :neighbours]
        sources.append(np.repeat(first + local, neighbours))
        targets.append(nearest.ravel())
        weights.append(np.take_along_axis(similarity, nearest, axis=1).ravel())
    values = np.maximum(np.concatenate(weights).astype(np.float64), 1e-3)
    graph = sp.csr_matrix((values, (np.concatenate(sources), np.concatenate(targets))), shape=(rows, rows))
    symmetric: sp.csr_matrix = graph.maximum(graph.T).tocsr()
    return symmetric


def _best_spherical_kmeans(
    points: Matrix,
    k: int,
    restarts: int,
    rng: np.random.Generator,
    sample: NDArray[np.int64],
) -> tuple[Labels, Matrix]:
    """Spherical k-means from a Ward-tree start and ``restarts`` k-means++ starts; the best objective wins."""
    tree = linkage(points[sample], method="ward") if len(sample) > 1 else None
    labels, centroids = spherical_kmeans(points, _tree_centroids(points[sample], tree, k))
    best = _cohesion(points, labels, centroids)
    for _ in range(restarts):
        # Seeded k-means++ starts compete with the tree's start; the tightest partition (highest total cosine
        # similarity to its centres, the k-means objective) wins, whichever start it came from.
        candidate_labels, candidate_centroids = spherical_kmeans(points, kmeans_plus_plus(points, k, rng))
        cohesion = _cohesion(points, candidate_labels, candidate_centroids)
        if cohesion > best + 1e-9:
            labels, centroids, best = candidate_labels, candidate_centroids, cohesion
    return labels, centroids


def _group_sums(points: Matrix, labels: Labels, k: int) -> Matrix:
    membership = np.zeros((k, points.shape[0]))
    membership[labels, np.arange(points.shape[0])] = 1.0
    sums: Matrix = membership @ points
    return sums


def _keep_empty(start: Matrix, labels: Labels, points: Matrix, k: int) -> Matrix:
    """A group the graph left empty starts from the row least like its own centre, so k themes are still sought."""
    counts = np.bincount(labels, minlength=k)
    if np.all(counts > 0):
        return start
    fit = np.sum(points * start[labels], axis=1)
    worst = np.argsort(fit, kind="stable")
    result = start.copy()
    for position, group in enumerate(np.flatnonzero(counts == 0)):
        result[group] = points[worst[position]]
    return result


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
