"""Theme discovery and auto-coding on real public feedback (NHS patient feedback, MIT licence upstream), through
the workspace's services and tasks, with the fast embedder. Skipped cleanly without the shared data."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from byconsent.insights import services
from byconsent.insights.models import CodeSuggestion, ProposedTheme, ThemeRun
from byconsent.insights.tasks import autocoding_task, theme_discovery_task
from tests.shared_data import shared_path

ROWS = 300


@pytest.fixture
def feedback(area_tree):
    from byconsent.core.models import Channel, Contribution

    path = shared_path("text-datasets", "nhs_patient_feedback", "phase1_text_data.csv")
    with path.open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["feedback"].strip()][:ROWS]
    made = Contribution.objects.bulk_create([
        Contribution(channel=Channel.ONLINE_SURVEY, area=area_tree["north_ward"], text=row["feedback"])
        for row in rows])
    return [(contribution, row["label"]) for contribution, row in zip(made, rows, strict=True)]


def test_themes_then_auto_coding_on_real_feedback(analyst, area_tree, feedback, django_capture_on_commit_callbacks):
    chosen = services.create_contribution_set(analyst, name="NHS feedback", area=area_tree["force"])
    with django_capture_on_commit_callbacks(execute=False):
        run = services.start_theme_run(analyst, chosen, seed=1)
    theme_discovery_task.call(run.task_id)
    run.refresh_from_db()
    assert run.status == ThemeRun.Status.REVIEW
    themes = list(run.themes.all())
    assert 3 <= len(themes) <= 15 and all(t.keywords for t in themes)
    accounted = sum(t.size for t in themes) + len(run.unassigned_ids) + len(run.blank_ids)
    assert accounted == len(feedback)
    # Themes mean something: judged by the publisher's labels, themes are purer than the corpus as a whole.
    label_of = {c.pk: label for c, label in feedback}
    purity = sum(Counter(label_of[i] for i in t.contribution_ids).most_common(1)[0][1] for t in themes) / sum(
        t.size for t in themes)
    baseline = Counter(label_of.values()).most_common(1)[0][1] / len(label_of)
    assert purity > baseline

    # Code a third by the publisher's labels, then ask for suggestions on the rest.
    book = services.create_codebook(analyst, name="NHS labels", area=area_tree["force"])
    codes = {label: services.save_code(analyst, book, label=label) for label in sorted({lb for _, lb in feedback})}
    services.set_codebook(analyst, chosen, book)
    for contribution, label in feedback[: ROWS // 3]:
        services.save_coding(analyst, contribution, book, [codes[label]])
    with django_capture_on_commit_callbacks(execute=False):
        coding_run = services.start_autocoding(analyst, chosen)
    autocoding_task.call(coding_run.task_id)
    suggestions = CodeSuggestion.objects.filter(autocoding_run=coding_run).select_related("code")
    assert suggestions.exists() and not suggestions.exclude(status="pending").exists()
    label_by_pk = {c.pk: label for c, label in feedback}
    best: dict[int, CodeSuggestion] = {}
    for suggestion in suggestions:
        current = best.get(suggestion.contribution_id)
        if current is None or suggestion.confidence > current.confidence:
            best[suggestion.contribution_id] = suggestion
    top1 = sum(1 for s in best.values() if s.code.label == label_by_pk[s.contribution_id]) / len(best)
    assert top1 > baseline  # better than always guessing the commonest label; a person still decides each one
    assert ProposedTheme.objects.filter(run=run).count() == len(themes)
