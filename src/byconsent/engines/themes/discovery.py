"""Theme discovery: from free-text answers to named themes, sizes, quotes and one theme (or none) per answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from byconsent.engines.themes.clustering import cluster_embeddings
from byconsent.engines.themes.embedders import Embedder, EmbedderInfo, describe
from byconsent.engines.themes.text import class_tfidf, readable_label, term_matrix, top_keywords

METHOD = (
    "centred unit embeddings; spectral partition of the 15-nearest-neighbour cosine graph (spherical k-means, "
    "best of a Ward-tree start and 8 k-means++ starts, on its eigenvectors), refined by spherical k-means; "
    "c-TF-IDF labels; robust outlier cut-off"
)


@dataclass(frozen=True)
class Embedded:
    """Vectors for the non-blank texts of a corpus, with the rows they belong to."""

    vectors: NDArray[np.float32]  # one row per entry of ``rows``
    rows: list[int]  # positions in the original texts of the non-blank texts
    blank_rows: list[int]  # positions of empty or whitespace-only texts
    embedder: EmbedderInfo


@dataclass(frozen=True)
class Theme:
    """One theme: a readable label from its most distinctive words and phrases, and what it holds."""

    id: int
    label: str
    keywords: list[str]
    size: int  # responses assigned to it (outliers excluded)
    examples: list[str]  # representative quotes: close to the centre of the theme, and not all alike
    example_rows: list[int]


@dataclass(frozen=True)
class ThemeSettings:
    """Knobs of a run; the defaults are the ones documented and benchmarked."""

    n_themes: int | None = None  # None: choose automatically in min_themes..max_themes
    seed: int = 0
    min_themes: int = 3
    max_themes: int = 15
    n_keywords: int = 10
    n_examples: int = 3
    # A response is "no clear theme" when its similarity to its theme's centre is below the theme's median by
    # more than outlier_mads robust standard deviations (and at least min_outlier_gap), or below min_similarity.
    outlier_mads: float = 3.0
    min_outlier_gap: float = 0.15
    min_similarity: float = 0.05


@dataclass(frozen=True)
class ThemeResult:
    """Themes (largest first, ids 0..k-1) and, for every input row, its theme id or None ("no clear theme")."""

    themes: list[Theme]
    assignments: list[int | None]
    similarity: list[float | None]  # cosine similarity of each row to its theme's centre (None if blank)
    blank_rows: list[int]
    unassigned_rows: list[int]  # non-blank rows far from every theme
    embedder: EmbedderInfo
    settings: ThemeSettings
    score_by_k: dict[int, float] = field(default_factory=dict)
    method: str = METHOD


def embed_texts(texts: Sequence[str], embedder: Embedder) -> Embedded:
    """Embed the non-blank texts; blank ones are remembered, never dropped silently."""
    rows = [i for i, text in enumerate(texts) if text and text.strip()]
    blank = [i for i, text in enumerate(texts) if not (text and text.strip())]
    vectors = embedder.embed([texts[i] for i in rows]) if rows else np.zeros((0, 1), dtype=np.float32)
    return Embedded(
        vectors=np.asarray(vectors, dtype=np.float32), rows=rows, blank_rows=blank, embedder=describe(embedder)
    )


def discover_themes(texts: Sequence[str], embedder: Embedder, settings: ThemeSettings | None = None) -> ThemeResult:
    """Embed, cluster, label and pick quotes: the whole path for one corpus."""
    return themes_from_embeddings(texts, embed_texts(texts, embedder), settings or ThemeSettings())


def themes_from_embeddings(texts: Sequence[str], embedded: Embedded, settings: ThemeSettings) -> ThemeResult:
    """Everything after embedding; callers that already hold the vectors (benchmarks, re-runs) start here."""
    vectors = embedded.vectors.astype(np.float64)
    has_content = np.linalg.norm(vectors, axis=1) > 0.0 if len(vectors) else np.zeros(0, dtype=bool)
    content = np.flatnonzero(has_content)
    labels = np.full(len(vectors), -1, dtype=np.int64)
    similarity = np.zeros(len(vectors))
    k_scores: dict[int, float] = {}
    n_themes = 0
    if len(content):
        clustering = cluster_embeddings(
            vectors[content], settings.n_themes, settings.seed, settings.min_themes, settings.max_themes
        )
        unit = vectors[content] / np.linalg.norm(vectors[content], axis=1, keepdims=True)
        labels[content] = clustering.labels
        similarity[content] = np.sum(unit * clustering.centroids[clustering.labels], axis=1)
        labels = _drop_outliers(labels, similarity, settings)
        labels, n_themes = _order_by_size(labels, clustering.centroids.shape[0])
        k_scores = clustering.score_by_k
    row_texts = [texts[i] for i in embedded.rows]
    themes = _describe_themes(row_texts, embedded.rows, vectors, labels, similarity, n_themes, settings)
    return _result(len(texts), embedded, labels, similarity, themes, settings, k_scores)


def _drop_outliers(
    labels: NDArray[np.int64], similarity: NDArray[np.float64], settings: ThemeSettings
) -> NDArray[np.int64]:
    """Mark rows much further from their theme's centre than its typical member as "no clear theme" (-1).

    The cut-off is robust (median and median absolute deviation), per theme, because themes differ in how
    tight they are: a theme of near-identical "nothing to add" answers is far tighter than a theme on policing.
    """
    result = labels.copy()
    for theme in np.unique(labels[labels >= 0]):
        members = labels == theme
        values = similarity[members]
        median = float(np.median(values))
        spread = 1.4826 * float(np.median(np.abs(values - median)))
        cutoff = median - max(settings.outlier_mads * spread, settings.min_outlier_gap)
        result[members & (similarity < cutoff)] = -1
    result[(labels >= 0) & (similarity < settings.min_similarity)] = -1
    return result


def _order_by_size(labels: NDArray[np.int64], k: int) -> tuple[NDArray[np.int64], int]:
    """Renumber themes 0.. by decreasing size (ties by old number); themes left empty disappear."""
    sizes = np.bincount(labels[labels >= 0], minlength=k)
    order = [t for t in sorted(range(k), key=lambda t: (-sizes[t], t)) if sizes[t] > 0]
    mapping = np.full(k + 1, -1, dtype=np.int64)
    mapping[np.array(order, dtype=np.int64)] = np.arange(len(order))
    renumbered = np.where(labels >= 0, mapping[labels], -1)
    return renumbered.astype(np.int64), len(order)


def _describe_themes(
    texts: Sequence[str],
    rows: Sequence[int],
    vectors: NDArray[np.float64],
    labels: NDArray[np.int64],
    similarity: NDArray[np.float64],
    n_themes: int,
    settings: ThemeSettings,
) -> list[Theme]:
    if n_themes == 0:
        return []
    terms = term_matrix(texts)
    weights, support = class_tfidf(terms, labels, n_themes)
    themes: list[Theme] = []
    for theme in range(n_themes):
        members = np.flatnonzero(labels == theme)
        keywords = top_keywords(weights[theme], terms.vocabulary, support[theme], settings.n_keywords)
        picks = representative_rows(
            vectors[members], similarity[members], [texts[int(i)] for i in members], settings.n_examples
        )
        themes.append(
            Theme(
                id=theme,
                label=readable_label(keywords),
                keywords=keywords,
                size=len(members),
                examples=[texts[members[p]] for p in picks],
                example_rows=[rows[members[p]] for p in picks],
            )
        )
    return themes


def representative_rows(
    vectors: NDArray[np.float64],
    similarity: NDArray[np.float64],
    texts: Sequence[str],
    count: int,
    balance: float = 0.6,
) -> list[int]:
    """Maximal marginal relevance: close to the centre, but each new quote unlike those already chosen.

    Only the 50 rows nearest the centre are candidates, so quotes stay typical; a quote whose normalised text
    repeats one already chosen is skipped (many people write "Nothing." and one is enough).
    """
    candidates = list(np.argsort(-similarity, kind="stable")[:50])
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    chosen: list[int] = []
    seen: set[str] = set()
    while candidates and len(chosen) < count:

        def score(i: int) -> float:
            redundancy = max((float(unit[i] @ unit[j]) for j in chosen), default=0.0)
            return balance * float(similarity[i]) - (1.0 - balance) * redundancy

        best = max(candidates, key=score)
        candidates.remove(best)
        key = " ".join(texts[best].lower().split()).strip(" .!")
        if key in seen:
            continue
        seen.add(key)
        chosen.append(int(best))
    return chosen


def _result(
    n_rows: int,
    embedded: Embedded,
    labels: NDArray[np.int64],
    similarity: NDArray[np.float64],
    themes: list[Theme],
    settings: ThemeSettings,
    k_scores: dict[int, float],
) -> ThemeResult:
    assignments: list[int | None] = [None] * n_rows
    similarities: list[float | None] = [None] * n_rows
    unassigned: list[int] = []
    for position, row in enumerate(embedded.rows):
        similarities[row] = round(float(similarity[position]), 6)
        if labels[position] >= 0:
            assignments[row] = int(labels[position])
        else:
            unassigned.append(row)
    return ThemeResult(
        themes=themes,
        assignments=assignments,
        similarity=similarities,
        blank_rows=list(embedded.blank_rows),
        unassigned_rows=unassigned,
        embedder=embedded.embedder,
        settings=settings,
        score_by_k=k_scores,
    )
