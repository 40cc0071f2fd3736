"""Raking benchmark: byconsent.engines.weighting against weightipy and ipfn on one synthetic survey.

    .venv/bin/python benchmarks/weighting.py [--respondents 1000000] [--peer-timeout 300]

1,000,000 seeded synthetic respondents on four margins (age 6 x sex 2 x area 30 x deprivation quintile 5), raked
to tolerance 1e-6. Every tool runs in its own fresh Python process on the same data, so peak memory is that tool's
own (peak resident memory during the call minus resident memory before it, from /proc). Fast tools are timed as
the best of several runs; a slow peer runs once and is stopped after --peer-timeout seconds.

Peers (benchmark-only dependencies): weightipy 0.4.2 (pandas, fancy indexing per category) and ipfn 1.4.4 (pandas
group-by per margin). Both are used the way their documentation shows for respondent-level data. One extra,
informational row runs ipfn's numpy mode on the cell cube after we have collapsed respondents into cells: it is not
a respondent-level peer, it shows how much of the gain is the cell collapsing itself.

Agreement: every tool's weights (normalised to mean 1) are compared with a reference solution raked to 1e-13;
the check is a largest absolute difference of at most 1e-6.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from byconsent.engines import weighting  # noqa: E402

SEED = 20261121
TOLERANCE = 1e-6
AGREEMENT = 1e-6
VARIABLES = ("age", "sex", "area", "deprivation")
SIZES = (6, 2, 30, 5)


def make_survey(respondents: int, seed: int = SEED) -> dict[str, np.ndarray]:
    """A survey that over-represents older people and women, with deprivation tied to area."""
    rng = np.random.default_rng(seed)
    area_weights = np.linspace(1, 3, 30)
    area = rng.choice(30, size=respondents, p=area_weights / area_weights.sum())
    lean = rng.dirichlet(np.full(5, 2.0), size=30)  # each area leans towards some deprivation quintiles
    deprivation = (lean[area].cumsum(axis=1) > rng.random(respondents)[:, None]).argmax(axis=1)
    age_shares = np.array([0.08, 0.12, 0.15, 0.20, 0.22, 0.23])
    age = np.minimum(
        rng.choice(6, size=respondents, p=age_shares) + (rng.random(respondents) < 0.1 * deprivation / 4), 5
    )
    sex = (rng.random(respondents) < 0.55).astype(np.int64)
    return {"age": age, "sex": sex, "area": area, "deprivation": deprivation}


def population_targets() -> dict[str, dict[int, float]]:
    area = np.linspace(1, 1.5, 30)
    return {
        "age": dict(enumerate([0.20, 0.20, 0.17, 0.16, 0.14, 0.13])),
        "sex": {0: 0.49, 1: 0.51},
        "area": {c: float(v) for c, v in enumerate(area / area.sum())},
        "deprivation": {c: 0.2 for c in range(5)},
    }


# ------------------------------------------------------------------------------------------------ the tools


def run_byconsent(data: dict[str, np.ndarray]) -> np.ndarray:
    result = weighting.rake(data, population_targets(), tol=TOLERANCE)
    assert result.converged, result
    return result.weights


def run_weightipy(data: dict[str, np.ndarray]) -> np.ndarray:
    import pandas as pd
    import weightipy

    frame = pd.DataFrame(data)
    percentages = {v: {c: share * 100 for c, share in shares.items()} for v, shares in population_targets().items()}
    # weightipy stops when a sweep no longer improves the weights by the fraction convcrit.
    scheme = weightipy.scheme_from_dict(percentages, rim_params={"max_iterations": 1000, "convcrit": TOLERANCE})
    weights: np.ndarray = weightipy.weight(frame, scheme).to_numpy(dtype=np.float64)
    return weights


def run_ipfn(data: dict[str, np.ndarray]) -> np.ndarray:
    import pandas as pd
    from ipfn.ipfn import ipfn

    frame = pd.DataFrame(data)
    frame["total"] = 1.0
    frame["row"] = np.arange(len(frame))
    n = len(frame)
    aggregates = [
        pd.Series({c: share * n for c, share in population_targets()[v].items()}).rename_axis(v) for v in VARIABLES
    ]
    fitted = ipfn(
        frame,
        aggregates,
        [[v] for v in VARIABLES],
        weight_col="total",
        convergence_rate=TOLERANCE,
        rate_tolerance=0.0,
        max_iteration=1000,
    ).iteration()
    weights: np.ndarray = fitted.sort_values("row")["total"].to_numpy(dtype=np.float64)
    return weights


def run_ipfn_on_cells(data: dict[str, np.ndarray], tolerance: float = TOLERANCE) -> np.ndarray:
    """Informational: ipfn's numpy mode on the 6x2x30x5 cube of cell counts (our collapsing, their fitting)."""
    from ipfn.ipfn import ipfn

    key = np.zeros(len(data["age"]), dtype=np.int64)
    for variable, size in zip(VARIABLES, SIZES, strict=True):
        key = key * size + data[variable]
    cube = np.bincount(key, minlength=int(np.prod(SIZES))).reshape(SIZES).astype(np.float64)
    n = float(cube.sum())
    targets = population_targets()
    aggregates = [np.array(list(targets[v].values())) * n for v in VARIABLES]
    # ipfn's numpy mode overwrites the array it is given, so it gets a copy.
    fitted = ipfn(
        cube.copy(), aggregates, [[0], [1], [2], [3]], convergence_rate=tolerance, rate_tolerance=0.0
    ).iteration()
    factors = np.divide(fitted, cube, out=np.zeros_like(fitted), where=cube > 0).reshape(-1)
    weights: np.ndarray = factors[key]
    return weights


TOOLS: dict[str, tuple[Callable[[dict[str, np.ndarray]], np.ndarray], int, bool]] = {
    # name: (function, timed repetitions, counts as a peer for the speed target)
    "byconsent": (run_byconsent, 5, False),
    "weightipy": (run_weightipy, 3, True),
    "ipfn": (run_ipfn, 1, True),
    "ipfn-numpy-on-our-cells": (run_ipfn_on_cells, 3, False),
    # Same, run to 1e-10: an independent fitting loop reaching the same weights is the correctness cross-check.
    "ipfn-numpy-cells-1e-10": (partial(run_ipfn_on_cells, tolerance=1e-10), 3, False),
}


# ------------------------------------------------------------------------------------------------ measuring


def _proc_status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_memory() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def child(tool: str, respondents: int, output: Path) -> None:
    """Run one tool in this (fresh) process and print one JSON line with its figures."""
    function, repetitions, _ = TOOLS[tool]
    data = make_survey(respondents)
    can_reset = _reset_peak_memory()
    before = _proc_status_kib("VmRSS")
    best = float("inf")
    weights = np.empty(0)
    for _ in range(repetitions):
        start = time.perf_counter()
        weights = function(data)
        best = min(best, time.perf_counter() - start)
    peak = _proc_status_kib("VmHWM")
    np.save(output, weights / weights.mean())
    peak_mib = (peak - before) / 1024 if can_reset and peak is not None and before is not None else None
    print(json.dumps({"seconds": best, "runs": repetitions, "peak_mib": peak_mib}))


def measure(tool: str, respondents: int, timeout: float, folder: Path) -> dict[str, Any]:
    output = folder / f"{tool}.npy"
    command = [sys.executable, __file__, "--child", tool, "--respondents", str(respondents), "--out", str(output)]
    try:
        finished = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"tool": tool, "error": f"stopped after {timeout:.0f} s"}
    if finished.returncode != 0:
        return {"tool": tool, "error": finished.stderr.strip().splitlines()[-1]}
    figures: dict[str, Any] = json.loads(finished.stdout.strip().splitlines()[-1])
    figures["tool"] = tool
    figures["weights"] = np.load(output)
    return figures


def margin_error(weights: np.ndarray, data: dict[str, np.ndarray]) -> float:
    worst = 0.0
    total = weights.sum()
    for variable, shares in population_targets().items():
        achieved = np.bincount(data[variable], weights=weights, minlength=len(shares)) / total
        worst = max(worst, float(np.abs(achieved - np.array(list(shares.values()))).max()))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=1_000_000)
    parser.add_argument("--peer-timeout", type=float, default=300.0, help="seconds before a slow peer is stopped")
    parser.add_argument("--child", choices=sorted(TOOLS), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.respondents, args.out)
        return

    data = make_survey(args.respondents)
    reference = weighting.rake(data, population_targets(), tol=1e-13, max_iter=10_000)
    print(
        f"raking {args.respondents:,} respondents on margins {' x '.join(map(str, SIZES))} to tolerance {TOLERANCE:g}"
    )
    print(f"reference solution: {reference.iterations} sweeps to 1e-13, {reference.cells} non-empty cells")
    print(f"design effect {reference.design_effect:.4f}, effective sample size {reference.effective_sample_size:,.0f}")
    print()
    header = f"{'tool':<26}{'seconds':>10}{'runs':>6}{'peak MiB':>10}{'margin err':>12}{'max |w - ref|':>15}  agree"
    print(header)
    print("-" * len(header))
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for tool in TOOLS:
            timeout = args.peer_timeout if TOOLS[tool][2] else 120.0
            figures = measure(tool, args.respondents, timeout, Path(folder))
            results[tool] = figures
            if "error" in figures:
                print(f"{tool:<26}{'-':>10}{'-':>6}{'-':>10}{'-':>12}{'-':>15}  {figures['error']}")
                continue
            difference = float(np.abs(figures["weights"] - reference.weights).max())
            figures["difference"] = difference
            peak = "n/a" if figures["peak_mib"] is None else f"{figures['peak_mib']:.0f}"
            agree = "yes" if difference <= AGREEMENT else "NO"
            print(
                f"{tool:<26}{figures['seconds']:>10.3f}{figures['runs']:>6}{peak:>10}"
                f"{margin_error(figures['weights'], data):>12.1e}{difference:>15.1e}  {agree}"
            )
    print()
    _print_verdict(results, args.peer_timeout)


def _print_verdict(results: dict[str, dict[str, Any]], peer_timeout: float) -> None:
    ours = results["byconsent"]
    if "error" in ours:
        print(f"byconsent failed: {ours['error']}")
        return
    for tool, figures in results.items():
        if tool == "byconsent":
            continue
        if "error" in figures:
            print(f"ratio {tool} / byconsent: > {peer_timeout / ours['seconds']:.0f}x (peer did not finish)")
        else:
            print(f"ratio {tool} / byconsent: {figures['seconds'] / ours['seconds']:.1f}x")
    peers = [figures for tool, figures in results.items() if TOOLS[tool][2] and "error" not in figures]
    fastest = min(peers, key=lambda figures: float(figures["seconds"])) if peers else None
    under = ours["seconds"] < 0.5
    print(f"target under 0.5 s: {'met' if under else 'NOT met'} ({ours['seconds']:.3f} s)")
    if fastest is not None:
        ratio = fastest["seconds"] / ours["seconds"]
        print(f"target >= 3x the fastest peer ({fastest['tool']}): {'met' if ratio >= 3 else 'NOT met'} ({ratio:.1f}x)")
    disagree = [tool for tool, f in results.items() if "difference" in f and f["difference"] > AGREEMENT]
    tight = results.get("ipfn-numpy-cells-1e-10", {})
    if "difference" in tight:
        print(
            f"independent check: ipfn run to 1e-10 on the same cells differs from byconsent's reference by "
            f"{tight['difference']:.1e}"
        )
    print(f"weights agree to {AGREEMENT:g}: {'all' if not disagree else 'NOT ' + ', '.join(disagree)}")
    if disagree:
        print(
            "  (ipfn stops as soon as every margin is within a relative 1e-6, whatever the weights are still doing;\n"
            "   byconsent also waits for the weights to settle, weightipy runs until they stop improving)"
        )


if __name__ == "__main__":
    main()
