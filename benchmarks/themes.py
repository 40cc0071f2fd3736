"""Theme discovery and auto-coding, measured on labelled public data against named peers.

    .venv/bin/python benchmarks/themes.py                 # full run (a few minutes on 2 cores)
    .venv/bin/python benchmarks/themes.py --quick         # 1 seed, 1,500 rows per set, no 10k timing
    .venv/bin/python benchmarks/themes.py --cache var/embeddings   # keep embeddings between runs

Data: /work/shared/text-datasets (or $BYCONSENT_SHARED_DIR/text-datasets): Banking77 test (3,080 queries, 77
intents) and NHS Friends-and-Family feedback (7,821 comments, 9 major labels). The number of themes is set to the
number of human labels; agreement with the labels is the adjusted Rand index (ARI) and normalised mutual
information (NMI). Rows our engine leaves as "no clear theme" count as one extra group (no credit is taken for
leaving hard rows out).

Peers, all on the same cached embeddings:
- KMeans: scikit-learn KMeans(n_clusters=k, n_init=10), the usual baseline.
- BERTopic-style: UMAP (15 neighbours, 5 dimensions, min_dist 0, cosine) then HDBSCAN (min_cluster_size 10),
  BERTopic's defaults; HDBSCAN picks its own number of clusters and its outliers count as one group. UMAP is
  slow (about a minute per run on Banking77): ``--bertopic-seeds 1`` runs it for the first seed only.
- MiniLM int8 (``--int8``): our engine on MiniLM with dynamically quantised Linear layers, to weigh speed
  against quality (a separate cache entry: the vectors differ).

Seconds are per clustering run (embedding excluded; embedding time is printed once per set). Peak memory is the
peak of numpy/Python allocations during the run (tracemalloc). The end-to-end check runs the real command in a
fresh interpreter on 10,000 comments (model load, embedding, clustering, labels, JSON) and reports wall-clock
seconds and the child's peak resident memory.

Benchmark-only dependencies: scikit-learn (metrics, KMeans, HDBSCAN) and umap-learn.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# On a shared 2-core machine OpenBLAS's worker threads spin against other processes' load: a 1,500 x 138 QR was
# measured 100x slower with its default threads than with one. One BLAS thread (torch keeps its own threads).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from byconsent.engines.themes import (  # noqa: E402
    Embedded,
    EmbedderInfo,
    LsaEmbedder,
    MiniLMEmbedder,
    ThemeSettings,
    embed_texts,
    minilm_available,
    themes_from_embeddings,
)
from byconsent.engines.themes.autocoding import AutoCodingSettings, suggest_codes  # noqa: E402


@dataclass
class LabelledSet:
    name: str
    texts: list[str]
    labels: list[str]


@dataclass
class Measure:
    ari: float
    nmi: float
    seconds: float
    peak_mb: float
    groups: int
    unassigned: int = 0


def embed_with_cache(texts: list[str], embedder: Any, cache: Path | None) -> tuple[Embedded, float | None]:
    """Embed, or load the vectors a previous run stored for exactly these texts and this model version."""
    if cache is None:
        started = time.perf_counter()
        return embed_texts(texts, embedder), time.perf_counter() - started
    key = hashlib.sha256(json.dumps([embedder.model_version, texts]).encode()).hexdigest()[:20]
    path = cache / f"{embedder.backend}-{key}.npy"
    if path.exists():
        rows = [i for i, t in enumerate(texts) if t and t.strip()]
        blank = [i for i, t in enumerate(texts) if not (t and t.strip())]
        info = EmbedderInfo(embedder.backend, embedder.model_version)
        return Embedded(np.load(path), rows, blank, info), None
    started = time.perf_counter()
    embedded = embed_texts(texts, embedder)
    seconds = time.perf_counter() - started
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, embedded.vectors)
    return embedded, seconds


def shared_text_dir() -> Path:
    configured = os.environ.get("BYCONSENT_SHARED_DIR")
    base = Path(configured) if configured else REPO.parent / "shared"
    return base / "text-datasets"


def load_sets(limit: int | None, seed: int) -> list[LabelledSet]:
    base = shared_text_dir()
    sets = []
    with (base / "banking77" / "test.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    sets.append(LabelledSet("Banking77 test", [r["text"] for r in rows], [r["category"] for r in rows]))
    with (base / "nhs_patient_feedback" / "phase1_text_data.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    sets.append(LabelledSet("NHS feedback", [r["feedback"] or "" for r in rows], [r["label"] for r in rows]))
    if limit:
        rng = np.random.default_rng(seed)
        for labelled in sets:
            keep = np.sort(rng.choice(len(labelled.texts), min(limit, len(labelled.texts)), replace=False))
            labelled.texts = [labelled.texts[i] for i in keep]
            labelled.labels = [labelled.labels[i] for i in keep]
    return sets


def measured(run: Callable[[], tuple[np.ndarray, int]], truth: list[str]) -> Measure:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    tracemalloc.start()
    started = time.perf_counter()
    labels, unassigned = run()
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Measure(
        ari=float(adjusted_rand_score(truth, labels)),
        nmi=float(normalized_mutual_info_score(truth, labels)),
        seconds=seconds,
        peak_mb=peak / 2**20,
        groups=len(set(labels.tolist()) - {-1}),
        unassigned=unassigned,
    )


def ours(texts: list[str], embedded: Embedded, k: int, seed: int) -> tuple[np.ndarray, int]:
    result = themes_from_embeddings(texts, embedded, ThemeSettings(n_themes=k, seed=seed))
    labels = np.array([-1 if a is None else a for a in result.assignments])
    return labels, len(result.unassigned_rows) + len(result.blank_rows)


def kmeans(vectors: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, int]:
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(vectors), 0


def bertopic_style(vectors: np.ndarray, seed: int) -> tuple[np.ndarray, int]:
    import umap
    from sklearn.cluster import HDBSCAN

    reduced = umap.UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    points = reduced.fit_transform(vectors)
    labels = HDBSCAN(min_cluster_size=10, metric="euclidean", cluster_selection_method="eom").fit_predict(points)
    return labels, int(np.sum(labels < 0))


def summary(measures: list[Measure]) -> dict[str, float]:
    ari = np.array([m.ari for m in measures])
    return {
        "ari": float(ari.mean()),
        "ari_sd": float(ari.std()),
        "nmi": float(np.mean([m.nmi for m in measures])),
        "seconds": float(np.mean([m.seconds for m in measures])),
        "peak_mb": float(max(m.peak_mb for m in measures)),
        "groups": float(np.mean([m.groups for m in measures])),
        "unassigned": float(np.mean([m.unassigned for m in measures])),
    }


def print_row(name: str, s: dict[str, float]) -> None:
    print(
        f"  {name:<30} ARI {s['ari']:.3f} (sd {s['ari_sd']:.3f})  NMI {s['nmi']:.3f}  {s['seconds']:6.2f}s  "
        f"peak {s['peak_mb']:6.0f} MB  groups {s['groups']:.0f}  unassigned {s['unassigned']:.0f}"
    )


def compare_on(
    labelled: LabelledSet, embedded: Embedded, seeds: list[int], bertopic: bool, bertopic_seeds: int
) -> dict[str, Any]:
    k = len(set(labelled.labels))
    vectors = np.zeros((len(labelled.texts), embedded.vectors.shape[1]), dtype=np.float32)
    vectors[embedded.rows] = embedded.vectors
    results: dict[str, dict[str, float]] = {}
    results["ours"] = summary(
        [measured(lambda s=s: ours(labelled.texts, embedded, k, s), labelled.labels) for s in seeds]
    )
    print_row("ours (graph + spherical)", results["ours"])
    results["kmeans"] = summary([measured(lambda s=s: kmeans(vectors, k, s), labelled.labels) for s in seeds])
    print_row("KMeans n_init=10", results["kmeans"])
    if bertopic:
        runs = [measured(lambda s=s: bertopic_style(vectors, s), labelled.labels) for s in seeds[:bertopic_seeds]]
        results["bertopic"] = summary(runs)
        print_row("BERTopic-style UMAP+HDBSCAN", results["bertopic"])
    for peer in ("kmeans", "bertopic") if bertopic else ("kmeans",):
        if results[peer]["ari"] > 0.01:
            print(f"  ARI ours / {peer}: {results['ours']['ari'] / results[peer]['ari']:.2f}x")
        else:
            print(f"  ARI ours - {peer}: {results['ours']['ari'] - results[peer]['ari']:+.3f} (peer ARI near 0)")
    return results


def auto_coding(labelled: LabelledSet, embedded: Embedded, seed: int, share: float = 0.10) -> dict[str, float]:
    """Analysts code a random 10% of rows; suggestions for the rest are scored against the human labels."""
    vectors = np.zeros((len(labelled.texts), embedded.vectors.shape[1]), dtype=np.float32)
    vectors[embedded.rows] = embedded.vectors
    rng = np.random.default_rng(seed)
    candidates = np.array(embedded.rows)
    coded_rows = rng.choice(candidates, round(share * len(candidates)), replace=False)
    coded = {int(r): {labelled.labels[r]} for r in coded_rows}
    codebook = sorted(set(labelled.labels))
    started = time.perf_counter()
    result = suggest_codes(vectors, coded, codebook, AutoCodingSettings(seed=seed))
    seconds = time.perf_counter() - started
    rows = sorted(result.suggestions)
    f1s = []
    for code in codebook:
        suggested = np.array([any(s.code == code for s in result.suggestions[r]) for r in rows])
        true = np.array([labelled.labels[r] == code for r in rows])
        hits = float(np.sum(suggested & true))
        f1s.append(2 * hits / max(float(suggested.sum() + true.sum()), 1.0))
    top = np.mean([bool(result.suggestions[r]) and result.suggestions[r][0].code == labelled.labels[r] for r in rows])
    none = np.mean([not result.suggestions[r] for r in rows])
    return {"macro_f1": float(np.mean(f1s)), "top1": float(top), "no_suggestion": float(none), "seconds": seconds}


def end_to_end(texts: list[str], embedder: str) -> dict[str, float]:
    """The real command on a CSV, in a fresh interpreter: imports, model load, embedding, themes, JSON."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "comments.csv"
        with source.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["comment"])
            writer.writerows([t] for t in texts)
        output = Path(folder) / "themes.json"
        code = (
            "import argparse, sys\n"
            "from byconsent.commands.themes import add_arguments, run\n"
            "p = argparse.ArgumentParser(); add_arguments(p)\n"
            "code = run(p.parse_args(sys.argv[1:]))\n"
            "import resource\n"
            "print('MAXRSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
            "sys.exit(code)\n"
        )
        argv = ["--input", str(source), "--text-column", "comment", "--embedder", embedder, "--output", str(output)]
        env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "HF_HUB_OFFLINE": "1"}
        if os.getloadavg()[0] > (os.cpu_count() or 1):
            env["OMP_NUM_THREADS"] = "1"  # torch reads it at start-up; see MiniLMEmbedder.threads
        started = time.perf_counter()
        completed = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env)
        seconds = time.perf_counter() - started
        if completed.returncode != 0:
            raise RuntimeError(completed.stderr[-2000:])
        # The child reports its own peak: RUSAGE_CHILDREN would carry an earlier, larger child's peak over.
        peak = max(int(line.split()[1]) for line in completed.stderr.splitlines() if line.startswith("MAXRSS_KB"))
        themes = len(json.loads(output.read_text(encoding="utf-8"))["themes"])
    return {"seconds": seconds, "peak_mb": peak / 1024, "themes": themes, "rows": len(texts)}


def ten_thousand_comments() -> list[str]:
    """All 7,821 NHS comments topped up with Banking77 training queries: 10,000 real short texts."""
    base = shared_text_dir()
    with (base / "nhs_patient_feedback" / "phase1_text_data.csv").open(encoding="utf-8") as handle:
        texts = [r["feedback"] or "" for r in csv.DictReader(handle)]
    with (base / "banking77" / "train.csv").open(encoding="utf-8") as handle:
        texts += [r["text"] for r in csv.DictReader(handle)]
    return texts[:10_000]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 seed, 1,500 rows per set, skip the 10k timing")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--bertopic-seeds", type=int, default=3, help="seeds for the (slow) UMAP + HDBSCAN peer")
    parser.add_argument("--no-minilm", action="store_true", help="only the fast (TF-IDF + SVD) embedder")
    parser.add_argument("--cache", type=Path, default=None, help="folder to keep embeddings between runs")
    parser.add_argument("--no-end-to-end", action="store_true", help="skip the 10,000-comment timing")
    parser.add_argument("--only-end-to-end", action="store_true", help="only the 10,000-comment timing")
    parser.add_argument(
        "--int8", action="store_true", help="MiniLM with dynamic int8 Linear layers (measured: faster, less accurate)"
    )
    args = parser.parse_args()
    if not shared_text_dir().is_dir():
        print(f"shared text datasets not found at {shared_text_dir()}", file=sys.stderr)
        return 2
    seeds = [0] if args.quick else list(range(args.seeds))
    sets = [] if args.only_end_to_end else load_sets(1500 if args.quick else None, seed=0)
    embedders: list[Any] = [LsaEmbedder()]
    busy = os.getloadavg()[0] > (os.cpu_count() or 1)
    # On an oversubscribed machine torch's threads stall each other (measured 3.5x slower with 2 than with 1).
    # None lets the embedder choose (MiniLM: all cores unless the machine is oversubscribed, see free_cores).
    threads = 1 if busy else None
    if minilm_available() and not args.no_minilm:
        embedders.insert(0, MiniLMEmbedder(threads=threads, quantized=args.int8))
    print(f"cores: {os.cpu_count()}  seeds: {seeds}  load average at start: {os.getloadavg()[0]:.1f}")
    print(f"torch threads: {'1 (machine busy)' if busy else 'all cores'}; OpenBLAS threads: 1")
    for embedder in embedders:
        print(f"\n=== embedder {embedder.backend}: {embedder.model_version}")
        for labelled in sets:
            embedded, seconds = embed_with_cache(labelled.texts, embedder, args.cache)
            k = len(set(labelled.labels))
            timing = "cached" if seconds is None else f"{seconds:.1f}s ({len(embedded.rows) / seconds:.0f}/s)"
            print(f"\n{labelled.name}: {len(labelled.texts)} rows, k = {k}; embedding {timing}")
            # UMAP is slow: the BERTopic-style peer runs on the MiniLM vectors (what BERTopic itself uses).
            bertopic = (embedder.backend == "minilm" or args.no_minilm) and args.bertopic_seeds > 0
            compare_on(labelled, embedded, seeds, bertopic, args.bertopic_seeds)
            if labelled.name.startswith("NHS"):
                coding = auto_coding(labelled, embedded, seed=0)
                print(
                    f"  auto-coding, 10% coded: macro-F1 {coding['macro_f1']:.3f}, top suggestion correct "
                    f"{coding['top1']:.3f}, rows without suggestion {coding['no_suggestion']:.3f}, "
                    f"{coding['seconds']:.1f}s"
                )
    if not args.quick and not args.no_end_to_end:
        comments = ten_thousand_comments()
        for name in ("minilm", "minilm-int8", "fast") if minilm_available() and not args.no_minilm else ("fast",):
            timing = end_to_end(comments, name)
            print(f"load average now: {os.getloadavg()[0]:.1f}")
            print(
                f"end to end, {timing['rows']:.0f} comments, --embedder {name}, --themes auto: "
                f"{timing['seconds']:.1f}s (target < 60 s), peak RSS {timing['peak_mb']:.0f} MB, "
                f"{timing['themes']:.0f} themes"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
