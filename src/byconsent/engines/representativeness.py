"""Who took part, against who lives there: representativeness across several characteristics at once.

For every characteristic (age band, sex, ethnic group, deprivation quintile, ...) and, where the census publishes
them, for cross-classified cells (age band x sex), each group gets a *representation ratio*: its share of the
participants divided by its share of the population. 1 means heard in proportion; 0.5 means heard half as much as
its size would suggest. The interval on the ratio is a Wilson score interval on the participant share divided by
the population share: the census is a full count, so only the participant side is uncertain.

The overall index is 1 minus the Hellinger distance between the participant and population distributions,
``1 - sqrt(1 - sum(sqrt(p_i q_i)))``, in [0, 1] with 1 a perfect match. Why this one:
- it does not collapse to zero when one group is entirely absent (a product or minimum of ratios would), so it
  still tells a mostly-representative exercise that missed one small group from one that missed everyone;
- it is symmetric, bounded and needs no smoothing of zero counts (Kullback-Leibler divergence is infinite there);
- the square roots give small groups more say than a total-variation distance would, which suits "seldom heard";
- 1 - H moves roughly linearly with the size of the mismatch, where the Bhattacharyya coefficient itself
  (sum sqrt(p q)) stays within a hair of 1 for all but gross mismatches and is hard to read.

The module also reads census population counts from the ONS bulk CSV shape ("date,geography,geography code,
<Variable>: <Category>; measures: Value") and Scotland's Census bulk shape (first column the area code under a blank
header, then one column per category, "-" for zero), or any CSV given a mapping of columns.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy import stats

JOINT_SEPARATOR = " \u00d7 "  # a multiplication sign between categories of a cross-classified cell


class RepresentativenessError(ValueError):
    """An input problem, with a message meant for the analyst."""


# --------------------------------------------------------------------------------------------------------------
# Comparison results
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupComparison:
    """One group (a category, or a cell of several characteristics) compared with its population share."""

    characteristic: str
    category: str
    participants: int
    participant_share: float
    population: float
    population_share: float
    ratio: float  # participant share / population share; 1 = heard in proportion
    ratio_low: float
    ratio_high: float
    shortfall: float  # participants expected at the population share minus those who took part

    @property
    def clearly_under_heard(self) -> bool:
        """The whole interval lies below 1: under-representation that chance alone does not explain."""
        return self.ratio_high < 1.0

    @property
    def clearly_over_heard(self) -> bool:
        return self.ratio_low > 1.0


@dataclass(frozen=True)
class CharacteristicComparison:
    """All groups of one characteristic (or of one cross-classification), and how well they match overall."""

    characteristic: str
    participants: int
    index: float  # 1 - Hellinger distance; 1 = participants mirror the population
    groups: list[GroupComparison]


@dataclass(frozen=True)
class RepresentativenessReport:
    characteristics: list[CharacteristicComparison]
    joint: list[CharacteristicComparison]
    average_index: float  # mean of the per-characteristic indices (each characteristic counts once)
    under_heard: list[GroupComparison] = field(default_factory=list)  # most under-heard first


# --------------------------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------------------------


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion: sensible at 0 and at small n, unlike p +/- 1.96 se."""
    if trials <= 0:
        return 0.0, 1.0
    if not 0 < confidence < 1:
        raise RepresentativenessError(f"confidence must be between 0 and 1, got {confidence}")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    share = successes / trials
    denominator = 1 + z * z / trials
    centre = (share + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def hellinger_index(participant_shares: Sequence[float], population_shares: Sequence[float]) -> float:
    """1 - Hellinger distance between two distributions over the same groups (each summing to 1)."""
    if len(participant_shares) != len(population_shares):
        raise RepresentativenessError("the two distributions must cover the same groups")
    affinity = sum(
        math.sqrt(max(p, 0.0) * max(q, 0.0)) for p, q in zip(participant_shares, population_shares, strict=True)
    )
    return 1.0 - math.sqrt(max(0.0, 1.0 - affinity))


@dataclass(frozen=True)
class IndexBenchmark:
    """How the index behaves by chance alone, to read an observed index against."""

    observed: float
    interval_low: float  # bootstrap interval of the observed index (resampling the participants)
    interval_high: float
    representative_median: float  # the index a perfectly representative draw of the same size typically gets
    representative_low: float  # ... and its lower 5% point: an observed index below it is not chance
    replicates: int


def index_benchmark(
    comparison: CharacteristicComparison, replicates: int = 2000, seed: int = 0, confidence: float = 0.95
) -> IndexBenchmark:
    """Bootstrap interval for the index, and what a perfectly representative sample of this size would score.

    Sampling noise alone pulls the index below 1, more so for few participants and many groups: 40 people spread
    over 18 ethnic groups cannot mirror the census exactly. Comparing with the representative baseline separates
    "not representative" from "too few people to tell".
    """
    if comparison.participants == 0:
        raise RepresentativenessError(f"{comparison.characteristic!r}: no participants to resample")
    rng = np.random.default_rng(seed)
    n = comparison.participants
    observed_shares = np.array([g.participant_share for g in comparison.groups])
    population_shares = np.array([g.population_share for g in comparison.groups])
    resampled = _indices(rng.multinomial(n, observed_shares, size=replicates) / n, population_shares)
    representative = _indices(rng.multinomial(n, population_shares, size=replicates) / n, population_shares)
    tail = (1 - confidence) / 2
    return IndexBenchmark(
        observed=comparison.index,
        interval_low=float(np.quantile(resampled, tail)),
        interval_high=float(np.quantile(resampled, 1 - tail)),
        representative_median=float(np.median(representative)),
        representative_low=float(np.quantile(representative, 0.05)),
        replicates=replicates,
    )


def _indices(shares: npt.NDArray[np.float64], population_shares: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """1 - Hellinger distance for many participant distributions at once (one per row)."""
    affinity = np.sqrt(shares * population_shares).sum(axis=1)
    result: npt.NDArray[np.float64] = 1.0 - np.sqrt(np.clip(1.0 - affinity, 0.0, None))
    return result


# --------------------------------------------------------------------------------------------------------------
# Comparing
# --------------------------------------------------------------------------------------------------------------


def compare_characteristic(
    characteristic: str,
    participants: Mapping[str, int],
    population: Mapping[str, float],
    confidence: float = 0.95,
) -> CharacteristicComparison:
    """Compare participant counts with population counts (or shares) for the categories of one characteristic.

    Every population category appears in the result, with 0 participants if nobody from it took part. A
    participant category the population does not know is an error: it usually means mismatched labels.
    """
    unknown = sorted(set(participants) - set(population))
    if unknown:
        raise RepresentativenessError(
            f"{characteristic!r}: participant categories not in the population figures: {', '.join(map(repr, unknown))}"
        )
    for category, count in participants.items():
        if count < 0:
            raise RepresentativenessError(f"{characteristic!r}, {category!r}: negative participant count {count}")
    for category, size in population.items():
        if not math.isfinite(size) or size < 0:
            raise RepresentativenessError(f"{characteristic!r}, {category!r}: population {size!r} is not >= 0")
    population_total = float(sum(population.values()))
    if population_total <= 0:
        raise RepresentativenessError(f"{characteristic!r}: the population figures add up to zero")
    taking_part = int(sum(participants.values()))
    groups = [
        _compare_group(
            characteristic,
            category,
            int(participants.get(category, 0)),
            taking_part,
            size,
            population_total,
            confidence,
        )
        for category, size in population.items()
    ]
    index = (
        hellinger_index([g.participant_share for g in groups], [g.population_share for g in groups])
        if taking_part
        else 0.0
    )
    return CharacteristicComparison(characteristic=characteristic, participants=taking_part, index=index, groups=groups)


def _compare_group(
    characteristic: str,
    category: str,
    count: int,
    taking_part: int,
    size: float,
    population_total: float,
    confidence: float,
) -> GroupComparison:
    population_share = size / population_total
    participant_share = count / taking_part if taking_part else 0.0
    low, high = wilson_interval(count, taking_part, confidence)
    if population_share > 0:
        ratio, ratio_low, ratio_high = (
            participant_share / population_share,
            low / population_share,
            high / population_share,
        )
    else:
        # Nobody of this group lives here: any participant from it is infinitely over-represented; none is neutral.
        ratio = math.inf if count else math.nan
        ratio_low, ratio_high = (math.inf if count else math.nan), math.inf
    return GroupComparison(
        characteristic=characteristic,
        category=category,
        participants=count,
        participant_share=participant_share,
        population=size,
        population_share=population_share,
        ratio=ratio,
        ratio_low=ratio_low,
        ratio_high=ratio_high,
        shortfall=population_share * taking_part - count,
    )


def count_values(values: Iterable[str | None]) -> dict[str, int]:
    """Participants per category; ``None`` and blank values (not disclosed) are left out."""
    counts: dict[str, int] = {}
    for value in values:
        if value is None or not str(value).strip():
            continue
        counts[value] = counts.get(value, 0) + 1
    return counts


def count_joint(columns: Sequence[Sequence[str | None]]) -> dict[tuple[str, ...], int]:
    """Participants per combination of categories; anyone with a value missing in any column is left out."""
    if len({len(column) for column in columns}) > 1:
        raise RepresentativenessError("joint columns must have one value per participant each")
    counts: dict[tuple[str, ...], int] = {}
    for row in zip(*columns, strict=True):
        if any(value is None or not str(value).strip() for value in row):
            continue
        key = tuple(str(value) for value in row)
        counts[key] = counts.get(key, 0) + 1
    return counts


def assess(
    participants: Mapping[str, Sequence[str | None]],
    population: Mapping[str, Mapping[str, float]],
    *,
    joint_population: Mapping[tuple[str, ...], Mapping[tuple[str, ...], float]] | None = None,
    confidence: float = 0.95,
    top: int = 10,
) -> RepresentativenessReport:
    """Compare participants with the population on every characteristic at once.

    ``participants`` holds one column per characteristic, one value per participant (``None`` = not disclosed);
    ``population`` maps each characteristic to its category counts. ``joint_population`` optionally maps a tuple of
    characteristics, e.g. ``("age", "sex")``, to counts per tuple of categories, for a cross-classified comparison.
    """
    missing = [name for name in population if name not in participants]
    if missing:
        raise RepresentativenessError(f"no participant column for characteristic(s) {', '.join(map(repr, missing))}")
    singles = [
        compare_characteristic(name, count_values(participants[name]), counts, confidence)
        for name, counts in population.items()
    ]
    joint = [
        _compare_joint(names, participants, counts, confidence) for names, counts in (joint_population or {}).items()
    ]
    average = sum(c.index for c in singles) / len(singles) if singles else math.nan
    return RepresentativenessReport(
        characteristics=singles,
        joint=joint,
        average_index=average,
        under_heard=rank_under_heard([*singles, *joint], limit=top),
    )


def _compare_joint(
    names: tuple[str, ...],
    participants: Mapping[str, Sequence[str | None]],
    population: Mapping[tuple[str, ...], float],
    confidence: float,
) -> CharacteristicComparison:
    missing = [name for name in names if name not in participants]
    if missing:
        raise RepresentativenessError(f"no participant column for characteristic(s) {', '.join(map(repr, missing))}")
    counts = count_joint([participants[name] for name in names])
    labelled_counts = {JOINT_SEPARATOR.join(key): value for key, value in counts.items()}
    labelled_population = {JOINT_SEPARATOR.join(key): value for key, value in population.items()}
    return compare_characteristic(JOINT_SEPARATOR.join(names), labelled_counts, labelled_population, confidence)


def rank_under_heard(comparisons: Iterable[CharacteristicComparison], limit: int = 10) -> list[GroupComparison]:
    """Groups heard least relative to their size: lowest ratio first; among equals, the larger group first.

    Only groups heard less than in proportion (ratio < 1) are listed. Check ``clearly_under_heard`` before
    acting on a small group: with few participants a low ratio can be chance.
    """
    groups = [
        group
        for comparison in comparisons
        for group in comparison.groups
        if group.population_share > 0 and group.ratio < 1.0
    ]
    groups.sort(key=lambda group: (group.ratio, -group.population_share))
    return groups[:limit]


# --------------------------------------------------------------------------------------------------------------
# Census import
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CensusCounts:
    """Population counts per area for the categories of one characteristic."""

    characteristic: str
    categories: list[str]
    counts: dict[str, dict[str, float]]  # area code -> category -> count
    totals: dict[str, float]  # area code -> the table's own total column, when it has one
    area_names: dict[str, str]
    source_format: str  # "ons", "scotland" or "mapped"

    def population(self, areas: Iterable[str] | None = None) -> dict[str, float]:
        """Counts per category summed over ``areas`` (all areas when None): the input to the comparisons."""
        chosen = list(self.counts) if areas is None else list(areas)
        unknown = [area for area in chosen if area not in self.counts]
        if unknown:
            raise RepresentativenessError(f"areas not in the census table: {', '.join(unknown[:10])}")
        return {category: sum(self.counts[area][category] for area in chosen) for category in self.categories}


_ONS_HEADER = re.compile(r"^(?P<variable>[^:;]+?):\s*(?P<category>.+?);\s*measures:\s*Value$")
_AREA_CODE = re.compile(r"^[A-Z]\d{8}$")
_ONS_AREA_COLUMNS = ("geography code", "geography")


def read_census_csv(
    path: str | Path,
    *,
    area_column: str | None = None,
    columns: Mapping[str, str] | None = None,
    characteristic: str | None = None,
    level: int = 1,
) -> CensusCounts:
    """Read population counts per area from a census CSV.

    Without ``columns`` the shape is detected: ONS bulk headers ("<Variable>: <Category>; measures: Value") or
    Scotland's Census bulk layout. Category hierarchies written with ": " ("White: Irish") are cut at ``level``
    (1 = top-level groups, 2 = their subdivisions); reading two levels at once would count people twice. Total
    columns ("Total", "All ...") go to ``totals``. With ``columns`` = {csv column: category} and ``area_column``,
    any CSV can be read; ``characteristic`` then names it.
    """
    rows = _read_rows(Path(path))
    if columns is not None:
        return _read_mapped(rows, area_column, columns, characteristic, path)
    header_index = _find_header(rows)
    header = [cell.strip() for cell in rows[header_index]]
    if any(_ONS_HEADER.match(name) for name in header):
        return _read_ons(header, rows[header_index + 1 :], area_column, characteristic, level, path)
    return _read_scotland(header, rows[header_index + 1 :], area_column, characteristic, level, path)


def _read_rows(path: Path) -> list[list[str]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    except UnicodeDecodeError:
        # Older National Records of Scotland downloads are Windows-1252, not UTF-8.
        with path.open(newline="", encoding="cp1252") as handle:
            return [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]


def _find_header(rows: list[list[str]]) -> int:
    """The header is the last row before the first row that starts with an area code (skips title lines)."""
    for index, row in enumerate(rows):
        if index > 0 and _looks_like_data(row):
            return index - 1
        if any(_ONS_HEADER.match(cell.strip()) for cell in row):
            return index
    return 0


def _looks_like_data(row: list[str]) -> bool:
    return bool(row) and bool(_AREA_CODE.match(row[0].strip())) and len(row) > 1


def _read_ons(
    header: list[str],
    body: list[list[str]],
    area_column: str | None,
    characteristic: str | None,
    level: int,
    path: str | Path,
) -> CensusCounts:
    parsed = {index: match for index, name in enumerate(header) if (match := _ONS_HEADER.match(name))}
    variables = sorted({match["variable"].strip() for match in parsed.values()})
    if characteristic is None and len(variables) > 1:
        raise RepresentativenessError(f"{path}: several variables {variables}; choose one with characteristic=")
    chosen = characteristic or variables[0]
    if chosen not in variables:
        raise RepresentativenessError(f"{path}: no columns for {chosen!r} (found {variables})")
    labels = {
        index: match["category"].strip() for index, match in parsed.items() if match["variable"].strip() == chosen
    }
    code_column = _pick_area_column(header, area_column, path)
    name_column = header.index("geography") if "geography" in header and header[code_column] != "geography" else None
    # Some ONS tables repeat every area once per rural/urban split; the "Total" rows are the whole area.
    rural_urban = header.index("Rural Urban") if "Rural Urban" in header else None
    kept = [row for row in body if rural_urban is None or row[rural_urban].strip() == "Total"]
    return _build(chosen, labels, kept, code_column, name_column, level, "ons", path)


def _read_scotland(
    header: list[str],
    body: list[list[str]],
    area_column: str | None,
    characteristic: str | None,
    level: int,
    path: str | Path,
) -> CensusCounts:
    code_column = 0 if area_column is None else _pick_area_column(header, area_column, path)
    labels = {index: name for index, name in enumerate(header) if index != code_column and name}
    if not labels:
        raise RepresentativenessError(f"{path}: no category columns found")
    # Footnotes and notes under the table do not start with an area code.
    kept = [row for row in body if row and _AREA_CODE.match(row[code_column].strip())]
    if not kept:
        raise RepresentativenessError(f"{path}: no rows start with an area code (e.g. S12000033); is the shape right?")
    name = characteristic or Path(path).stem
    return _build(name, labels, kept, code_column, None, level, "scotland", path)


def _read_mapped(
    rows: list[list[str]],
    area_column: str | None,
    columns: Mapping[str, str],
    characteristic: str | None,
    path: str | Path,
) -> CensusCounts:
    if area_column is None or characteristic is None:
        raise RepresentativenessError("with a column mapping, give area_column and characteristic too")
    header = [cell.strip() for cell in rows[0]] if rows else []
    missing = [name for name in [area_column, *columns] if name not in header]
    if missing:
        raise RepresentativenessError(f"{path}: missing column(s) {', '.join(map(repr, missing))}")
    labels = {header.index(column): category for column, category in columns.items()}
    # A mapping names exactly the categories wanted, so no hierarchy cut is applied (level 0 keeps everything).
    return _build(characteristic, labels, rows[1:], header.index(area_column), None, 0, "mapped", path)


def _pick_area_column(header: list[str], area_column: str | None, path: str | Path) -> int:
    candidates = [area_column] if area_column is not None else list(_ONS_AREA_COLUMNS)
    for candidate in candidates:
        if candidate in header:
            return header.index(candidate)
    raise RepresentativenessError(f"{path}: no area column (looked for {', '.join(map(repr, candidates))})")


def _is_total(label: str) -> bool:
    return label == "Total" or label.startswith("All ") or label.startswith("Total:")


def _build(
    characteristic: str,
    labels: Mapping[int, str],
    body: list[list[str]],
    code_column: int,
    name_column: int | None,
    level: int,
    source_format: str,
    path: str | Path,
) -> CensusCounts:
    total_columns = [index for index, label in labels.items() if _is_total(label)]
    category_columns = {
        index: label
        for index, label in labels.items()
        if index not in total_columns and (level == 0 or label.count(": ") + 1 == level)
    }
    if not category_columns:
        raise RepresentativenessError(f"{path}: no categories at level {level} for {characteristic!r}")
    counts: dict[str, dict[str, float]] = {}
    totals: dict[str, float] = {}
    names: dict[str, str] = {}
    for row in body:
        area = row[code_column].strip()
        if area in counts:
            raise RepresentativenessError(f"{path}: area {area!r} appears twice")
        counts[area] = {label: _count(row, index, path, area) for index, label in category_columns.items()}
        if total_columns:
            totals[area] = _count(row, total_columns[0], path, area)
        if name_column is not None:
            names[area] = row[name_column].strip()
    return CensusCounts(
        characteristic=characteristic,
        categories=list(category_columns.values()),
        counts=counts,
        totals=totals,
        area_names=names,
        source_format=source_format,
    )


def _count(row: list[str], index: int, path: str | Path, area: str) -> float:
    if index >= len(row):
        raise RepresentativenessError(f"{path}: area {area!r} has fewer fields than the header")
    text = row[index].strip().replace(",", "")
    if text == "-":
        return 0.0  # Scotland's Census writes "-" for zero
    try:
        value = float(text)
    except ValueError:
        raise RepresentativenessError(f"{path}: area {area!r} has a non-numeric count {row[index]!r}") from None
    if value < 0 or not math.isfinite(value):
        raise RepresentativenessError(f"{path}: area {area!r} has an invalid count {row[index]!r}")
    return value
