"""Panel selection benchmark on the public instances in ../shared/sortition.

For each instance: our LEXIMIN and MAXIMIN (time, minimum selection probability, certified gap, validation), the
`sortition-algorithms` package's MAXIMIN with its default solver (HiGHS) in a subprocess with a time limit, the
time ratio, and LEGACY's minimum probability by the protocol of Flanigan et al. (Nature 2021): 10,000 draws to
find the least-selected person, 10,000 fresh draws to estimate that person's probability, and the 99% Jeffreys
upper confidence bound.

Run:  .venv/bin/python benchmarks/sortition.py
The peer package is a benchmark-only dependency; install it apart from the project, e.g.
    python3 -m venv /tmp/sortition-peer-venv && /tmp/sortition-peer-venv/bin/pip install sortition-algorithms==0.12.15
and point --peer-python (or $SORTITION_PEER_PYTHON) at that interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.stats import beta

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from byconsent.engines.sortition import (  # noqa: E402
    SelectionProblem,
    read_problem_files,
    select_panel,
    validate_result,
)
from byconsent.engines.sortition.api import generator_for_seed  # noqa: E402
from byconsent.engines.sortition.compiled import compile_problem  # noqa: E402
from byconsent.engines.sortition.legacy import legacy_draws  # noqa: E402


@dataclass(frozen=True)
class Instance:
    name: str
    categories: Path
    respondents: Path
    size: int
    households: tuple[str, ...]
    optimum: float  # known optimal minimum selection probability


def instances(shared: Path) -> list[Instance]:
    fixtures = shared / "sortition" / "sortition-algorithms" / "tests" / "fixtures"
    data = shared / "sortition" / "citizensassemblies-replication" / "data"
    return [
        Instance(
            "sf_fixture_150_22",
            fixtures / "features.csv",
            fixtures / "candidates.csv",
            22,
            ("primary_address1", "primary_zip"),
            1 / 11,
        ),
        Instance(
            "example_small_20",
            data / "example_small_20" / "categories.csv",
            data / "example_small_20" / "respondents.csv",
            20,
            (),
            0.1,
        ),
        Instance(
            "example_large_200",
            data / "example_large_200" / "categories.csv",
            data / "example_large_200" / "respondents.csv",
            200,
            (),
            0.1,
        ),
    ]


# The peer runs in its own interpreter; this script converts the replication format to its CSV format.
PEER_CODE = r"""
import csv, io, json, sys, time
from importlib.metadata import version
from sortition_algorithms.adapters import CSVStringDataSource, SelectionData
from sortition_algorithms.committee_generation.maximin import find_distribution_maximin
from sortition_algorithms.settings import Settings
categories, respondents, size, households = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
features = open(categories, encoding="utf-8").read()
people = open(respondents, encoding="utf-8").read()
id_column = "nationbuilder_id"
if features.lower().startswith("category,feature"):
    rows = list(csv.reader(io.StringIO(features)))
    features = "feature,value,min,max\n" + "".join(",".join(r) + "\n" for r in rows[1:] if r)
    rows = [r for r in csv.reader(io.StringIO(people)) if r]
    people = ",".join([id_column] + rows[0]) + "\n" + "".join(
        ",".join([str(i)] + r) + "\n" for i, r in enumerate(rows[1:]))
address = [c for c in households.split(",") if c]
settings = Settings(id_column=id_column, columns_to_keep=[], check_same_address=bool(address),
                    check_same_address_columns=address)
data = SelectionData(CSVStringDataSource(features, people))
feature_collection, _ = data.load_features(size)
pool, _ = data.load_people(settings, feature_collection)
started, cpu_started = time.perf_counter(), time.process_time()
committees, probabilities, _ = find_distribution_maximin(feature_collection, pool, size, address, "highspy")
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
marginal = {person: 0.0 for person in pool}
for committee, probability in zip(committees, probabilities):
    for person in committee:
        marginal[person] += probability
print(json.dumps({"seconds": seconds, "cpu": cpu, "min_probability": min(marginal.values()),
                  "version": version("sortition-algorithms"), "highspy": version("highspy")}))
"""


def run_peer(python: str, instance: Instance, timeout: float) -> dict[str, object]:
    arguments = [
        python,
        "-c",
        PEER_CODE,
        str(instance.categories),
        str(instance.respondents),
        str(instance.size),
        ",".join(instance.households),
    ]
    started = time.perf_counter()
    try:
        completed = subprocess.run(arguments, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "wall": time.perf_counter() - started}
    if completed.returncode != 0:
        return {"status": "error", "message": completed.stderr.strip().splitlines()[-1:]}
    result: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    result["status"] = "ok"
    result["wall"] = time.perf_counter() - started
    return result


def run_ours(instance: Instance, algorithm: str) -> dict[str, float | str]:
    _, quotas, pool = read_problem_files(
        instance.categories, instance.respondents, household_columns=list(instance.households)
    )
    cpu_started = time.process_time()
    result = select_panel(pool, quotas, instance.size, algorithm, seed="benchmark", lottery_size=1000)
    cpu = time.process_time() - cpu_started
    issues = validate_result(SelectionProblem(pool, quotas, instance.size), result)
    lottery = result.lottery
    return {
        "seconds": result.seconds,
        "cpu": cpu,
        "solve_seconds": result.timings["solve"],
        "min_probability": result.min_probability,
        "gap": result.gap,
        "valid": "valid" if not issues else f"INVALID: {issues[0]}",
        "panels": float(len(result.panels)),
        "rounds": result.stats.get("rounds", 0.0),
        "stages": result.stats.get("stages", 0.0),
        "lottery_deviation": lottery.max_marginal_deviation if lottery else 0.0,
    }


def legacy_minimum(instance: Instance, draws: int) -> tuple[float, float, float, float]:
    """(99% Jeffreys upper bound on LEGACY's minimum probability, the point estimate, first-set minimum, seconds)."""
    _, quotas, pool = read_problem_files(
        instance.categories, instance.respondents, household_columns=list(instance.households)
    )
    compiled = compile_problem(SelectionProblem(pool, quotas, instance.size))
    started = time.perf_counter()
    first = np.zeros(compiled.size)
    for panel in legacy_draws(compiled, generator_for_seed("legacy-set-1"), draws):
        first[panel] += 1
    eligible = compiled.selectable()
    weakest = int(np.flatnonzero(eligible)[np.argmin(first[eligible])])
    hits = sum(1 for panel in legacy_draws(compiled, generator_for_seed("legacy-set-2"), draws) if weakest in panel)
    upper = float(beta.ppf(0.99, hits + 0.5, draws - hits + 0.5))
    return upper, hits / draws, float(first[eligible].min() / draws), time.perf_counter() - started


def peer_interpreter(requested: str | None) -> str | None:
    candidates = [requested, os.environ.get("SORTITION_PEER_PYTHON"), sys.executable]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            probe = subprocess.run([candidate, "-c", "import sortition_algorithms"], capture_output=True, check=False)
            if probe.returncode == 0:
                return candidate
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--shared-dir", type=Path, default=Path(os.environ.get("BYCONSENT_SHARED_DIR", REPO.parent / "shared"))
    )
    parser.add_argument("--draws", type=int, default=10_000, help="legacy draws per set (paper: 10,000)")
    parser.add_argument("--peer-timeout", type=float, default=240.0, help="seconds before the peer is stopped")
    parser.add_argument("--peer-python", default=None, help="interpreter with sortition-algorithms installed")
    parser.add_argument("--only", default=None, help="comma-separated instance names")
    parser.add_argument("--skip-legacy", action="store_true")
    parser.add_argument("--skip-peer", action="store_true")
    args = parser.parse_args()
    selected = [i for i in instances(args.shared_dir) if args.only is None or i.name in args.only.split(",")]
    missing = [i.name for i in selected if not i.respondents.exists()]
    if missing:
        print(f"shared data missing for {missing}; set --shared-dir")
        return 1
    peer = None if args.skip_peer else peer_interpreter(args.peer_python)
    print(f"machine: {os.cpu_count()} cores; peer: {peer or 'not available'}")
    began = time.perf_counter()
    for instance in selected:
        report_instance(instance, peer, args)
    print(f"\nwhole benchmark: {time.perf_counter() - began:.0f} s")
    return 0


def report_instance(instance: Instance, peer: str | None, args: argparse.Namespace) -> None:
    print(f"\n== {instance.name} (k={instance.size}, known optimum minimum {instance.optimum:.6f})")
    ours: dict[str, dict[str, float | str]] = {}
    for algorithm in ("leximin", "maximin"):
        figures = ours[algorithm] = run_ours(instance, algorithm)
        error = abs(float(figures["min_probability"]) - instance.optimum)
        print(
            f"ours {algorithm:8s} {figures['seconds']:8.2f} s wall {figures['cpu']:7.2f} s CPU   "
            f"min {figures['min_probability']:.6f} "
            f"(|error| {error:.1e}{' OK' if error <= 1e-4 else ' MISSED'})   gap {figures['gap']:.1e}   "
            f"{int(float(figures['panels']))} panels, {int(float(figures['rounds']))} rounds, "
            f"{int(float(figures['stages']))} stages   lottery deviation {figures['lottery_deviation']:.4f}   "
            f"{figures['valid']}"
        )
    if peer is not None:
        outcome = run_peer(peer, instance, args.peer_timeout)
        fastest = min(float(ours["maximin"]["seconds"]), float(ours["leximin"]["seconds"]))
        if outcome["status"] == "ok":
            seconds, cpu = float(str(outcome["seconds"])), float(str(outcome["cpu"]))
            print(
                f"peer maximin     {seconds:8.2f} s wall {cpu:7.2f} s CPU   "
                f"min {float(str(outcome['min_probability'])):.6f}   "
                f"(sortition-algorithms {outcome['version']}, highspy {outcome['highspy']})"
            )
            for name in ("maximin", "leximin"):
                print(
                    f"ratio peer maximin / ours {name}: {seconds / float(ours[name]['seconds']):.1f}x wall, "
                    f"{cpu / max(float(ours[name]['cpu']), 1e-3):.1f}x CPU"
                )
        elif outcome["status"] == "timeout":
            print(f"peer maximin     > {args.peer_timeout:.0f} s wall, not finished (stopped)")
            print(f"ratio peer maximin / ours: > {args.peer_timeout / fastest:.0f}x")
        else:
            print(f"peer maximin    failed: {outcome.get('message')}")
    if not args.skip_legacy:
        upper, estimate, first_min, seconds = legacy_minimum(instance, args.draws)
        print(
            f"legacy minimum probability <= {upper:.4%} (99% Jeffreys upper bound; estimate {estimate:.4%}, "
            f"lowest share in the first set {first_min:.4%}, "
            f"{args.draws:,} + {args.draws:,} draws, {seconds:.0f} s)   vs ours leximin "
            f"{float(ours['leximin']['min_probability']):.4%}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
