"""Read queries of the workspace, always scoped to what the user may see: coding progress, agreement, cross-tabs
with weights, crime beside contributions, and what awaits review."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Max, QuerySet
from django.db.models.functions import TruncMonth
from django.urls import reverse

from byconsent.core.models import Area, Contribution
from byconsent.core.policy import Action, scope
from byconsent.core.registries import AttentionItem
from byconsent.engines.agreement import CodeAgreement, agreement_per_code
from byconsent.insights.crosstab import CrossTab, cross_tabulate
from byconsent.insights.models import (
    Codebook,
    CodeSuggestion,
    CodingRecord,
    ContributionSet,
    CrimeRecord,
    PopulationTargets,
    ThemeRun,
    WeightingRun,
)
from byconsent.insights.responses import AREA, ResponseTable, load_source


def sets_for(user: Any) -> QuerySet[ContributionSet]:
    return scope(user, Action.ANALYSE, ContributionSet.objects.select_related("area", "codebook"))


def codebooks_for(user: Any) -> QuerySet[Codebook]:
    return scope(user, Action.ANALYSE, Codebook.objects.select_related("area"))


def theme_runs_for(user: Any) -> QuerySet[ThemeRun]:
    return scope(user, Action.ANALYSE, ThemeRun.objects.select_related("contribution_set", "area", "task"))


def targets_for(user: Any) -> QuerySet[PopulationTargets]:
    return scope(user, Action.ANALYSE, PopulationTargets.objects.select_related("area"))


def weighting_runs_for(user: Any) -> QuerySet[WeightingRun]:
    return scope(user, Action.ANALYSE, WeightingRun.objects.select_related("targets", "area"))


def set_contributions(user: Any, contribution_set: ContributionSet) -> QuerySet[Contribution]:
    return scope(user, Action.VIEW_CONTRIBUTIONS, contribution_set.contributions())


# ---- coding progress -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProgressLine:
    label: str
    total: int
    coded: int

    @property
    def percent(self) -> float:
        return 100.0 * self.coded / self.total if self.total else 0.0


@dataclass(frozen=True)
class CodingProgress:
    overall: ProgressLine
    mine: ProgressLine
    by_area: list[ProgressLine]
    by_month: list[ProgressLine]
    by_channel: list[ProgressLine]


def coding_progress(user: Any, contribution_set: ContributionSet) -> CodingProgress | None:
    """Share of the set's contributions coded by at least one coder (and by this user), per area beneath the set's
    area, per month and per channel."""
    codebook = contribution_set.codebook
    if codebook is None:
        return None
    contributions = set_contributions(user, contribution_set)
    rows = list(contributions.values_list("pk", "area__path", "created_on", "channel"))
    records = CodingRecord.objects.filter(codebook=codebook, contribution_id__in=contributions.values("pk"))
    coded = set(records.values_list("contribution_id", flat=True))
    mine = set(records.filter(coder=user).values_list("contribution_id", flat=True))
    children = list(Area.objects.filter(parent=contribution_set.area))

    def area_label(path: str) -> str:
        for child in children:
            if path.startswith(child.path):
                return child.name
        return contribution_set.area.name

    def group(key_of: Any) -> list[ProgressLine]:
        totals: Counter[str] = Counter()
        done: Counter[str] = Counter()
        for row in rows:
            key = key_of(row)
            totals[key] += 1
            done[key] += row[0] in coded
        return [ProgressLine(key, totals[key], done[key]) for key in sorted(totals)]

    from byconsent.core.models import Channel

    channel_names = dict(Channel.choices)
    return CodingProgress(
        overall=ProgressLine("All", len(rows), sum(1 for r in rows if r[0] in coded)),
        mine=ProgressLine("Mine", len(rows), sum(1 for r in rows if r[0] in mine)),
        by_area=group(lambda r: area_label(r[1] or "")),
        by_month=group(lambda r: r[2].strftime("%Y-%m")),
        by_channel=group(lambda r: str(channel_names.get(r[3], r[3]))),
    )


def my_progress(user: Any, contribution_set: ContributionSet) -> ProgressLine:
    """How much of the set this user has coded: two counts, cheap enough for every coding screen."""
    contributions = set_contributions(user, contribution_set)
    mine = CodingRecord.objects.filter(codebook=contribution_set.codebook, coder_id=user.pk,
                                       contribution_id__in=contributions.values("pk")).count()
    return ProgressLine("Mine", contributions.count(), mine)


def next_uncoded(user: Any, contribution_set: ContributionSet, after: int | None = None) -> Contribution | None:
    """The next contribution (by id, after ``after``) this user has not coded yet, wrapping round to the start."""
    codebook = contribution_set.codebook
    if codebook is None:
        return None
    done = CodingRecord.objects.filter(codebook=codebook, coder=user).values("contribution_id")
    remaining = set_contributions(user, contribution_set).exclude(pk__in=done).select_related("area")
    if after is not None:
        later = remaining.filter(pk__gt=after).first()
        if later is not None:
            return later
    return remaining.first()


# ---- inter-coder agreement -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AgreementReport:
    coders: list[str]
    rows: list[tuple[str, CodeAgreement]]  # (code label, agreement)
    units: int  # contributions coded by at least two coders
    message: str = ""


def agreement_report(user: Any, codebook: Codebook, contribution_set: ContributionSet | None = None) -> AgreementReport:
    records = CodingRecord.objects.filter(codebook=codebook).select_related("coder").prefetch_related("codes")
    if contribution_set is not None:
        records = records.filter(contribution_id__in=set_contributions(user, contribution_set).values("pk"))
    else:
        records = records.filter(contribution__in=scope(user, Action.VIEW_CONTRIBUTIONS, Contribution.objects.all()))
    codings: dict[str, dict[str, set[str]]] = defaultdict(dict)
    per_unit: Counter[int] = Counter()
    for record in records:
        codings[f"{record.coder} (#{record.coder_id})"][str(record.contribution_id)] = {
            str(code.pk) for code in record.codes.all()}
        per_unit[record.contribution_id] += 1
    coders = sorted(codings)
    if len(coders) < 2:
        return AgreementReport(coders, [], 0, "Agreement needs at least two coders who have coded the same "
                                              "contributions.")
    codes = codebook.ordered_codes()
    results = agreement_per_code(codings, [str(code.pk) for code in codes])
    units = sum(1 for count in per_unit.values() if count >= 2)
    return AgreementReport(coders, [(code.label, result) for code, result in zip(codes, results, strict=True)], units)


# ---- theme review and suggestions -----------------------------------------------------------------------------------

def contribution_texts(user: Any, ids: list[int]) -> dict[int, Contribution]:
    visible = scope(user, Action.VIEW_CONTRIBUTIONS, Contribution.objects.filter(pk__in=ids))
    return {c.pk: c for c in visible}


def pending_suggestions(user: Any, codebook: Codebook) -> QuerySet[CodeSuggestion]:
    contributions = scope(user, Action.VIEW_CONTRIBUTIONS, Contribution.objects.all())
    return (CodeSuggestion.objects.filter(code__codebook=codebook, status=CodeSuggestion.Status.PENDING,
                                          contribution__in=contributions)
            .select_related("code", "contribution").order_by("contribution_id", "-confidence"))


def insights_attention(user: Any) -> list[AttentionItem]:
    from byconsent.core.policy import can

    if not can(user, Action.ANALYSE):
        return []
    runs = theme_runs_for(user).filter(status=ThemeRun.Status.REVIEW).count()
    weights = weighting_runs_for(user).filter(status=WeightingRun.Status.REVIEW).count()
    return [AttentionItem("Theme discovery runs awaiting review", runs, reverse("insights:theme_run_list")),
            AttentionItem("Weighting reports awaiting review", weights, reverse("insights:weighting_list"))]


# ---- cross-tabulation ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoadedResponses:
    table: ResponseTable
    weights: list[float] | None
    weighting_run: WeightingRun | None


def responses_with_weights(user: Any, source_key: str, weighting_run_id: int | None) -> LoadedResponses:
    """Load a source; with a weighting run, its weights (only an accepted run of this very source is used)."""
    table = load_source(user, source_key)
    if weighting_run_id is None:
        return LoadedResponses(table, None, None)
    run = weighting_runs_for(user).filter(pk=weighting_run_id, source_key=source_key,
                                          status=WeightingRun.Status.ACCEPTED).first()
    if run is None:
        raise LookupError("no accepted weighting for these responses")
    weights = [float(run.weights.get(rid, 0.0)) for rid in table.respondent_ids]
    return LoadedResponses(table, weights, run)


def crosstab(user: Any, loaded: LoadedResponses, question: str, by: str, threshold: int) -> CrossTab:
    labels: dict[str, str] | None = None
    if by == AREA:
        codes = {code for code in loaded.table.areas if code}
        labels = dict(Area.objects.filter(code__in=codes).values_list("code", "name"))
    return cross_tabulate(loaded.table, question, by, loaded.weights, threshold=threshold, group_labels=labels)


# ---- crime beside contributions ---------------------------------------------------------------------------------
# Street crime is stored once, row by row (CrimeRecord): analysts read outcomes and locations, and the public
# neighbourhood pages read counts aggregated here over the (area, month) index, then apply disclosure control.

def crime_records_in(area: Area) -> QuerySet[CrimeRecord]:
    """Street crime rows placed in an area or beneath it (an id list from the area tree, so the (area, month)
    index serves the query)."""
    return CrimeRecord.objects.filter(area_id__in=Area.objects.filter(path__startswith=area.path).values("pk"))


@dataclass(frozen=True)
class CrimeCounts:
    months: list[date]
    counts: dict[str, dict[date, int]]  # crime type -> month -> count
    forces: list[str]


def crime_counts(area: Area, latest_months: int = 6) -> CrimeCounts:
    """Counts per crime type and month for an area and everything in it, over the latest months imported there.
    Raw counts: anything published must go through disclosure control first."""
    records = crime_records_in(area)
    months = sorted(records.order_by("-month").values_list("month", flat=True).distinct()[:latest_months])
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    recent = records.filter(month__in=months)
    for row in recent.values("crime_type", "month").annotate(n=Count("id")).order_by():
        counts[row["crime_type"]][row["month"]] = row["n"]
    forces = sorted(set(recent.order_by().values_list("falls_within", flat=True).distinct()) - {""})
    return CrimeCounts(months, dict(counts), forces)


def latest_crime_months() -> list[tuple[str, date]]:
    """Each force whose street crime has been imported, with the latest month held."""
    return [(row["falls_within"], row["latest"]) for row in CrimeRecord.objects.order_by().values("falls_within")
            .annotate(latest=Max("month")).order_by("falls_within")]


@dataclass(frozen=True)
class CrimeSummary:
    months: list[date]
    crime_types: list[str]
    counts: dict[str, dict[date, int]]  # crime type -> month -> count
    totals: dict[date, int]
    contributions: dict[date, int]
    top_codes: list[tuple[str, int]]


MAX_MONTHS = 36


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _every_month(first: date, last: date) -> list[date]:
    months = [first.replace(day=1)]
    while months[-1] < last.replace(day=1):
        months.append(_next_month(months[-1]))
    return months


def crime_summary(user: Any, area: Area) -> CrimeSummary:
    """Monthly street crime by type in an area (and beneath it), with the contributions made there each month
    and the codes most often applied to them."""
    crimes = crime_records_in(area)
    per_type = (crimes.values("crime_type", "month").annotate(n=Count("id")).order_by("month", "crime_type"))
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    months: set[date] = set()
    for row in per_type:
        counts[row["crime_type"]][row["month"]] = row["n"]
        months.add(row["month"])
    contributions = scope(user, Action.VIEW_CONTRIBUTIONS,
                          Contribution.objects.filter(area__path__startswith=area.path))
    if months:
        # The months the crime data covers, every one of them (a gap is a month with none, not a missing month).
        first, last = min(months), max(months)
        contributions = contributions.filter(created_on__gte=first, created_on__lt=_next_month(last))
    per_month = {row["month"].date() if hasattr(row["month"], "date") else row["month"]: row["n"]
                 for row in contributions.annotate(month=TruncMonth("created_on")).values("month")
                 .annotate(n=Count("id")).order_by("month")}
    months.update(per_month)
    ordered = _every_month(min(months), max(months))[-MAX_MONTHS:] if months else []
    totals = {month: sum(by_month.get(month, 0) for by_month in counts.values()) for month in ordered}
    coded: dict[str, set[int]] = defaultdict(set)
    for record in CodingRecord.objects.filter(contribution__in=contributions).prefetch_related("codes"):
        for code in record.codes.all():
            coded[code.label].add(record.contribution_id)  # a contribution counts once, however many coders
    code_counts = Counter({label: len(ids) for label, ids in coded.items()})
    crime_types = sorted(counts, key=lambda name: -sum(counts[name].values()))
    return CrimeSummary(ordered, crime_types, dict(counts), totals, per_month, code_counts.most_common(10))


# ---- weighting report ------------------------------------------------------------------------------------------------

def weighting_margins(run: WeightingRun, threshold: int) -> list[dict[str, Any]]:
    """The report's margins, with each variable's respondent counts passed through disclosure control (a count
    below the threshold is None, as is any count from which one could be worked out)."""
    from byconsent.engines.disclosure import DisclosureSettings, protect_one_way

    margins = list(run.report.get("margins", []))
    by_variable: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for margin in margins:
        by_variable[margin["variable"]].append(margin)
    rows: list[dict[str, Any]] = []
    for items in by_variable.values():
        counts = [int(item["respondents"]) for item in items]
        published = protect_one_way(counts, DisclosureSettings(threshold=threshold)).published
        for item, shown in zip(items, published[: len(items)], strict=True):
            rows.append({**item, "respondents": shown})
    return rows
