"""Benchmark: secondary suppression on area x category count tables.

Compares the engine's exact method (integer program with cut generation) and its flow heuristic with the named
peer, the naive rule "while a row or column has exactly one hidden cell, also hide its next smallest cell". Prints
time, cells hidden, information loss (secondary count and hidden total), ratios to the exact method, and whether each
pattern passes the exact LP audit (no hidden cell determined, every small cell protected by +/- the threshold).

Run: .venv/bin/python benchmarks/disclosure.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from byconsent.engines.disclosure import (
    AdditiveTable,
    CellStatus,
    DisclosureSettings,
    audit,
    linked_area_table,
    primary_mask,
    protect,
    two_way_table,
)

SEED = 20261121


def area_counts(areas: int, categories: int, rng: np.random.Generator) -> np.ndarray:
    """Counts like responses by neighbourhood and category: uneven area sizes, uneven category shares."""
    sizes = rng.lognormal(mean=5.3, sigma=0.8, size=areas)
    shares = rng.dirichlet(np.full(categories, 1.5), size=areas) * 0.5 + rng.dirichlet(np.ones(categories)) * 0.5
    return rng.poisson(sizes[:, None] * shares)


def naive_pattern(table: AdditiveTable, settings: DisclosureSettings) -> list[CellStatus]:
    """The peer: make sure no row or column (margins included) has exactly one hidden cell."""
    primary = primary_mask(table, settings)
    hidden = primary.copy()
    changed = True
    while changed:
        changed = False
        for total, parts in table.sums:
            members = [total, *parts]
            if sum(hidden[m] for m in members) != 1:
                continue
            open_parts = [p for p in parts if not hidden[p]] or [total]
            hidden[min(open_parts, key=lambda cell: table.values[cell])] = True
            changed = True
    return ["primary" if p else "secondary" if h else "published" for p, h in zip(primary, hidden, strict=True)]


def loss(table: AdditiveTable, status: list[CellStatus]) -> tuple[int, int]:
    chosen = [v for v, s in zip(table.values, status, strict=True) if s == "secondary"]
    return len(chosen), sum(chosen)


def run(name: str, table: AdditiveTable) -> None:
    settings = DisclosureSettings(time_limit_seconds=120.0, exact_max_cells=100_000)
    primary = int(primary_mask(table, settings).sum())
    print(f"\n{name}: {table.size} cells, {primary} below the threshold of {settings.threshold} (zeros included)")
    print(f"  {'method':<10} {'seconds':>8} {'secondary':>9} {'hidden total':>12} {'cells x':>8} {'value x':>8}  audit")
    rows: list[tuple[str, float, list[CellStatus]]] = []
    for method in ("exact", "heuristic"):
        started = time.perf_counter()
        result = protect(table, DisclosureSettings(method=method, time_limit_seconds=120.0))
        rows.append((f"{method}", time.perf_counter() - started, list(result.status)))
        assert result.method_used == method, result.method_used
    started = time.perf_counter()
    naive = naive_pattern(table, settings)
    rows.append(("naive peer", time.perf_counter() - started, naive))
    exact_count, exact_value = loss(table, rows[0][2])
    for method, seconds, status in rows:
        count, value = loss(table, status)
        audit_started = time.perf_counter()
        report = audit(table, status, settings)
        audit_seconds = time.perf_counter() - audit_started
        exact_recoveries = sum("worked out exactly" in failure.problem for failure in report.failures)
        narrow = len(report.failures) - exact_recoveries
        verdict = (
            "pass" if report.passed else f"FAIL: {exact_recoveries} recoverable exactly, {narrow} ranges too narrow"
        )
        print(
            f"  {method:<10} {seconds:>8.2f} {count:>9} {value:>12} {count / max(exact_count, 1):>8.2f}"
            f" {value / max(exact_value, 1):>8.2f}  {verdict} [{audit_seconds:.2f}s]"
        )


def main() -> None:
    rng = np.random.default_rng(SEED)
    run("50 areas x 8 categories", two_way_table(area_counts(50, 8, rng)))
    run("300 areas x 12 categories", two_way_table(area_counts(300, 12, rng)))
    neighbourhoods = area_counts(120, 8, rng)
    divisions = [area * 6 // 120 for area in range(120)]
    run("1000 areas x 12 categories", two_way_table(area_counts(1000, 12, rng)))
    run("linked: 120 neighbourhoods + 6 divisions x 8 categories", linked_area_table(neighbourhoods, divisions))


if __name__ == "__main__":
    main()
