"""Theme discovery on the light (TF-IDF + SVD) path: determinism, labels, outliers, blanks, auto-coding."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

from byconsent.engines.themes import (
    LsaEmbedder,
    ThemeSettings,
    discover_themes,
    embed_texts,
    make_embedder,
    suggest_codes,
    themes_from_embeddings,
)
from byconsent.engines.themes.autocoding import AutoCodingSettings, best_f1_threshold
from byconsent.engines.themes.clustering import (
    centred,
    cluster_embeddings,
    knn_affinity,
    silhouette,
    spectral_embedding,
)
from byconsent.engines.themes.embedders import free_cores
from byconsent.engines.themes.text import content_terms, readable_label
from tests.engines.test_themes_corpus import TOPICS, topic_corpus

DISTINCTIVE = {
    "parking": {"parking", "car park", "park"},
    "burglary": {"burglary", "burglaries", "burglars", "break-ins"},
}
DISTINCTIVE["speeding"] = {"speeding", "speed", "drivers", "cars"}


def _theme_of_each_topic(assignments: list[int | None], topics: list[str]) -> dict[str, int]:
    """The theme most of each topic's rows went to."""
    result = {}
    for topic in TOPICS:
        counts = Counter(a for a, t in zip(assignments, topics, strict=True) if t == topic and a is not None)
        result[topic] = counts.most_common(1)[0][0]
    return result


def test_same_seed_gives_identical_themes_and_assignments() -> None:
    texts, _ = topic_corpus()
    first = discover_themes(texts, LsaEmbedder(), ThemeSettings(n_themes=3, seed=11))
    second = discover_themes(texts, LsaEmbedder(), ThemeSettings(n_themes=3, seed=11))
    assert first.assignments == second.assignments
    assert [t.label for t in first.themes] == [t.label for t in second.themes]
    assert [t.examples for t in first.themes] == [t.examples for t in second.themes]


def test_obvious_topics_become_separate_themes_named_by_their_distinctive_words() -> None:
    texts, topics = topic_corpus()
    result = discover_themes(texts, LsaEmbedder(), ThemeSettings(n_themes=3, seed=0))
    assert len(result.themes) == 3
    theme_of = _theme_of_each_topic(result.assignments, topics)
    assert len(set(theme_of.values())) == 3, "each topic should get its own theme"
    agreeing = sum(a == theme_of[t] for a, t in zip(result.assignments, topics, strict=True))
    assert agreeing / len(texts) >= 0.9
    for topic, theme_id in theme_of.items():
        theme = result.themes[theme_id]
        assert set(theme.keywords[:3]) & DISTINCTIVE[topic], (topic, theme.keywords)
        assert any(word in theme.label for word in DISTINCTIVE[topic]), (topic, theme.label)
        assert theme.size == sum(a == theme_id for a in result.assignments)
        assert 1 <= len(theme.examples) <= 3
        assert all(texts[row] == quote for row, quote in zip(theme.example_rows, theme.examples, strict=True))


def test_themes_are_numbered_largest_first() -> None:
    texts, _ = topic_corpus()
    texts = texts + [f"Parking near the station is impossible on market day number {i}" for i in range(15)]
    result = discover_themes(texts, LsaEmbedder(), ThemeSettings(n_themes=3, seed=0))
    sizes = [t.size for t in result.themes]
    assert sizes == sorted(sizes, reverse=True)
    assert [t.id for t in result.themes] == list(range(len(result.themes)))


def test_automatic_number_of_themes_finds_the_three_topics() -> None:
    texts, _topics = topic_corpus()
    result = discover_themes(texts, LsaEmbedder(), ThemeSettings(n_themes=None, seed=0, max_themes=8))
    assert len(result.themes) == 3
    assert set(result.score_by_k) == set(range(3, 9))
    assert max(result.score_by_k, key=lambda k: result.score_by_k[k]) == 3


def test_blank_rows_are_reported_and_unassigned_never_dropped() -> None:
    texts, _ = topic_corpus(per_topic=10)
    texts = ["", *texts[:15], "   \n", *texts[15:]]
    result = discover_themes(texts, LsaEmbedder(), ThemeSettings(n_themes=3, seed=0))
    assert len(result.assignments) == len(texts)
    assert result.blank_rows == [0, 16]
    assert result.assignments[0] is None and result.assignments[16] is None
    assert result.similarity[0] is None
    assert sum(t.size for t in result.themes) + len(result.unassigned_rows) + 2 == len(texts)


def test_a_response_unlike_every_theme_gets_no_clear_theme() -> None:
    texts, _ = topic_corpus()
    outlier = "Quantum chromodynamics describes gluons binding quarks inside protons."
    texts = [*texts, outlier]
    result = discover_themes(texts, LsaEmbedder(), ThemeSettings(n_themes=3, seed=0))
    assert result.assignments[-1] is None
    assert len(texts) - 1 in result.unassigned_rows
    # and ordinary responses keep their themes
    assert sum(a is not None for a in result.assignments) >= len(texts) - 3


def test_outlier_in_embedding_space_is_cut_by_distance_to_its_theme() -> None:
    rng = np.random.default_rng(0)
    centres = np.eye(8)[:3]
    vectors = np.vstack([centres[i % 3] + 0.05 * rng.standard_normal(8) for i in range(60)])
    stray = np.ones(8) / np.sqrt(8)  # equally far from all three centres
    vectors = np.vstack([vectors, stray]).astype(np.float32)
    texts = [f"response {i}" for i in range(61)]
    embedded = embed_texts(texts, _FixedEmbedder(vectors))
    result = themes_from_embeddings(texts, embedded, ThemeSettings(n_themes=3, seed=0))
    assert result.assignments[60] is None
    assert all(a is not None for a in result.assignments[:60])
    groups = {result.assignments[i] for i in range(0, 60, 3)}
    assert len(groups) == 1


def test_asking_for_more_themes_than_responses_is_clamped() -> None:
    texts = ["Parking is awful in town", "Parking fees are too high", "Burglary is rising on the estate"]
    result = discover_themes(texts, LsaEmbedder(), ThemeSettings(n_themes=10, seed=0))
    assert 1 <= len(result.themes) <= 3
    assert len(result.assignments) == 3


def test_all_blank_input_gives_no_themes() -> None:
    result = discover_themes(["", " "], LsaEmbedder(), ThemeSettings(n_themes=2))
    assert result.themes == []
    assert result.assignments == [None, None]
    assert result.blank_rows == [0, 1]


def test_result_records_the_backend_and_model_version() -> None:
    texts, _ = topic_corpus(per_topic=5)
    result = discover_themes(texts, make_embedder("fast"), ThemeSettings(n_themes=2))
    assert result.embedder.backend == "tfidf-lsa"
    assert "tfidf-lsa-1" in result.embedder.model_version
    with pytest.raises(ValueError):
        make_embedder("cloud")


def test_lsa_vectors_are_unit_length_and_deterministic() -> None:
    texts, _ = topic_corpus()
    first = LsaEmbedder(seed=3).embed(texts)
    second = LsaEmbedder(seed=3).embed(texts)
    assert np.array_equal(first, second)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-5)


def test_phrases_do_not_cross_punctuation_and_skip_stop_words() -> None:
    terms = content_terms("The car park was full, parking is a nightmare")
    assert "car park" in terms
    assert "full parking" not in terms
    assert "the" not in terms and "was" not in terms
    assert readable_label(["car", "car park", "park", "parking", "full"]) == "car park, parking, full"


def test_silhouette_matches_a_hand_computed_case() -> None:
    # Points 0, 1 on a line in group A, point 5 and 6 in group B (distances |x - y|).
    points = np.array([0.0, 1.0, 5.0, 6.0])
    distances = np.abs(points[:, None] - points[None, :])
    labels = np.array([0, 0, 1, 1])
    # s(0): a = 1, b = (5 + 6)/2 = 5.5 -> 1 - 1/5.5; s(1): a = 1, b = 4.5; symmetric for B.
    expected = np.mean([1 - 1 / 5.5, 1 - 1 / 4.5, 1 - 1 / 4.5, 1 - 1 / 5.5])
    assert silhouette(distances, labels) == pytest.approx(expected)


def test_clustering_is_seed_deterministic_on_large_samples() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((300, 16))
    first = cluster_embeddings(vectors, 5, seed=4, ward_sample=100)
    second = cluster_embeddings(vectors, 5, seed=4, ward_sample=100)
    assert np.array_equal(first.labels, second.labels)
    assert first.centroids.shape == (5, 16)


def _two_long_parallel_lines(points_per_line: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """Two long, close, parallel chains of points: one centre per theme cuts them across, a graph does not."""
    rng = np.random.default_rng(0)
    x = np.linspace(-3.0, 3.0, points_per_line)
    first = np.stack([x, np.zeros_like(x), np.ones_like(x)], axis=1)
    second = np.stack([x, np.full_like(x, 0.5), np.ones_like(x)], axis=1)
    vectors = np.vstack([first, second]) + rng.normal(0.0, 0.01, (2 * points_per_line, 3))
    return vectors, np.repeat([0, 1], points_per_line)


def _same_partition(labels: np.ndarray, truth: np.ndarray) -> bool:
    pairs = {(int(a), int(b)) for a, b in zip(labels, truth, strict=True)}
    return len(pairs) == len(set(truth.tolist())) == len({a for a, _ in pairs})


def test_graph_step_follows_chains_that_centroids_cut_across() -> None:
    vectors, truth = _two_long_parallel_lines()
    assert _same_partition(cluster_embeddings(vectors, 2, seed=0).labels, truth)
    # Without the graph, spherical k-means alone splits both lines into left and right halves.
    assert not _same_partition(cluster_embeddings(vectors, 2, seed=0, spectral=False).labels, truth)


def test_knn_affinity_is_symmetric_and_links_nearest_rows() -> None:
    rng = np.random.default_rng(3)
    points = rng.standard_normal((60, 8))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    affinity = knn_affinity(points, neighbours=4, block=16)  # several blocks
    assert (affinity != affinity.T).nnz == 0
    assert affinity.diagonal().sum() == 0.0
    similarity = points @ points.T
    np.fill_diagonal(similarity, -np.inf)
    for row in (0, 17, 59):
        nearest = set(np.argsort(-similarity[row])[:4].tolist())
        assert nearest <= set(affinity[row].indices.tolist())
    assert np.all(np.diff(affinity.indptr) >= 4)


def test_spectral_embedding_separates_disconnected_groups_dense_and_sparse() -> None:
    rng = np.random.default_rng(5)
    centres = np.eye(6)[:3]
    # The same three far-apart groups, small (dense eigensolver) and large (sparse eigensolver).
    for per_group in (20, 450):
        points = np.repeat(centres, per_group, axis=0) + rng.normal(0.0, 0.05, (3 * per_group, 6))
        points /= np.linalg.norm(points, axis=1, keepdims=True)
        embedding = spectral_embedding(centred(points), 3, 10, np.random.default_rng(0))
        groups = np.repeat([0, 1, 2], per_group)
        within = [float(np.min(embedding[groups == g] @ embedding[groups == g].T)) for g in range(3)]
        across = float(np.max(embedding[groups == 0] @ embedding[groups == 1].T))
        assert min(within) > 0.99 and across < 0.1


def test_centring_removes_the_common_direction() -> None:
    rng = np.random.default_rng(2)
    shared = np.array([5.0, 0.0, 0.0, 0.0])
    points = shared + rng.standard_normal((200, 4))
    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    assert float(np.mean(unit @ unit.T)) > 0.7  # anisotropic: everything looks alike
    result = centred(unit)
    assert np.allclose(np.linalg.norm(result, axis=1), 1.0)
    assert abs(float(np.mean(result @ result.T))) < 0.05


def test_free_cores_is_between_one_and_the_cores_we_may_use() -> None:
    assert 1 <= free_cores() <= (os.cpu_count() or 1)


def test_module_imports_and_runs_without_torch() -> None:
    code = (
        "import sys; sys.modules['torch'] = None; sys.modules['sentence_transformers'] = None\n"
        "from byconsent.engines.themes import discover_themes, LsaEmbedder, ThemeSettings\n"
        "r = discover_themes(['parking is bad', 'parking costs', 'burglary up', 'burglary again'], LsaEmbedder(),"
        " ThemeSettings(n_themes=2))\n"
        "assert len(r.assignments) == 4\n"
        "assert 'torch' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr


# ---------------------------------------------------------------------------------------------------------------
# Auto-coding
# ---------------------------------------------------------------------------------------------------------------


def test_auto_coding_suggests_the_right_codes_for_uncoded_responses() -> None:
    texts, topics = topic_corpus(per_topic=30)
    vectors = LsaEmbedder().embed(texts)
    coded = {i: {topics[i]} for i in range(0, len(texts), 3)}  # analysts coded a third
    result = suggest_codes(vectors, coded, codebook=list(TOPICS))
    assert set(result.suggestions) == set(range(len(texts))) - set(coded)
    correct = 0
    for row, suggestions in result.suggestions.items():
        assert all(0.0 <= s.confidence <= 1.0 and s.confidence >= s.threshold for s in suggestions)
        correct += bool(suggestions) and suggestions[0].code == topics[row]
    assert correct / len(result.suggestions) >= 0.9
    assert all(c.trained and c.cross_validated_f1 is not None and c.cross_validated_f1 > 0.8 for c in result.codes)
    assert result.status == "suggested"


def test_auto_coding_is_multi_label() -> None:
    texts, topics = topic_corpus(per_topic=30)
    by_topic = {topic: [t for t, tt in zip(texts, topics, strict=True) if tt == topic] for topic in TOPICS}
    # Some coded responses raise two topics at once, and analysts gave them both codes.
    pairs = [("parking", "speeding"), ("burglary", "speeding"), ("parking", "burglary")]
    mixed = [f"{by_topic[a][i]} {by_topic[b][i]}" for i in range(6) for a, b in pairs]
    mixed_codes = [{a, b} for _ in range(6) for a, b in pairs]
    # New responses join two uncoded answers (odd rows are left uncoded below) on different topics.
    uncoded = {topic: [t for i, t in enumerate(texts) if i % 2 and topics[i] == topic] for topic in TOPICS}
    new = [f"{uncoded['speeding'][0]} {uncoded['parking'][0]}", f"{uncoded['burglary'][1]} {uncoded['speeding'][1]}"]
    all_texts = [*texts, *mixed, *new]
    vectors = LsaEmbedder().embed(all_texts)
    coded: dict[int, set[str]] = {i: {topics[i]} for i in range(0, len(texts), 2)}
    coded.update({len(texts) + i: codes for i, codes in enumerate(mixed_codes)})
    result = suggest_codes(vectors, coded, codebook=list(TOPICS))
    first = {s.code for s in result.suggestions[len(all_texts) - 2]}
    second = {s.code for s in result.suggestions[len(all_texts) - 1]}
    assert first == {"speeding", "parking"}
    assert second == {"speeding", "burglary"}


def test_codes_with_too_few_examples_are_reported_not_guessed() -> None:
    texts, topics = topic_corpus(per_topic=20)
    vectors = LsaEmbedder().embed(texts)
    coded = {i: {topics[i]} for i in range(0, 30)}
    coded[30] = {"rare code"}
    result = suggest_codes(vectors, coded, codebook=[*TOPICS, "rare code"], settings=AutoCodingSettings(seed=2))
    rare = next(c for c in result.codes if c.code == "rare code")
    assert not rare.trained and rare.examples == 1 and rare.threshold is None
    assert all(s.code != "rare code" for suggestions in result.suggestions.values() for s in suggestions)


def test_blank_rows_get_no_suggestions() -> None:
    texts, topics = topic_corpus(per_topic=10)
    vectors = LsaEmbedder().embed(texts)
    vectors = np.vstack([vectors, np.zeros((1, vectors.shape[1]), dtype=np.float32)])
    coded = {i: {topics[i]} for i in range(15)}
    result = suggest_codes(vectors, coded, codebook=list(TOPICS))
    assert len(texts) not in result.suggestions


def test_best_f1_threshold_by_hand() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.2, 0.1])
    targets = np.array([1.0, 1.0, 0.0, 1.0, 0.0])
    # Cut after 2: P=1, R=2/3 -> F1 0.8; after 4: P=3/4, R=1 -> F1 6/7 (best); after 1: 0.5.
    threshold, f1 = best_f1_threshold(scores, targets)
    assert f1 == pytest.approx(6 / 7)
    assert threshold == pytest.approx(0.15)


class _FixedEmbedder:
    """Returns given vectors, to test the geometry without any text model."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors

    @property
    def backend(self) -> str:
        return "fixed"

    @property
    def model_version(self) -> str:
        return "test"

    def embed(self, texts: list[str]) -> np.ndarray:
        assert len(texts) == len(self.vectors)
        return self.vectors
