"""Theme discovery runs as a task, is reviewed (rename, merge, split, discard), then signed off into codes whose
members are only suggestions until a person confirms each one. The fast embedder keeps these tests quick."""

from __future__ import annotations

import pytest

from byconsent.core.models import TaskProgress
from byconsent.insights import services
from byconsent.insights.models import CodeSuggestion, CodingRecord, ProposedTheme, ThemeRun
from byconsent.insights.tasks import autocoding_task, theme_discovery_task


def run_themes(analyst, coding_set, django_capture_on_commit_callbacks, **parameters):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.start_theme_run(analyst, coding_set, **parameters)
    assert len(callbacks) == 1  # enqueued only after the transaction commits
    theme_discovery_task.call(run.task_id)
    run.refresh_from_db()
    return run


@pytest.fixture
def run(analyst, coding_set, django_capture_on_commit_callbacks):
    return run_themes(analyst, coding_set, django_capture_on_commit_callbacks, n_themes=3, seed=7)


def test_a_run_records_inputs_parameters_and_model(run, contributions):
    assert run.status == ThemeRun.Status.REVIEW
    assert run.contribution_ids == [c.pk for c in contributions]
    assert run.parameters() == {"n_themes": 3, "seed": 7, "embedder": "fast"}
    assert run.embedder_backend == "tfidf-lsa" and "tfidf-lsa" in run.model_version
    assert TaskProgress.objects.get(pk=run.task_id).status == TaskProgress.Status.DONE
    themes = list(run.themes.all())
    assert len(themes) == 3
    assigned = sum(t.size for t in themes) + len(run.unassigned_ids) + len(run.blank_ids)
    assert assigned == len(contributions)


def test_the_same_inputs_and_parameters_reproduce_the_same_themes(run, analyst, coding_set,
                                                                  django_capture_on_commit_callbacks):
    again = run_themes(analyst, coding_set, django_capture_on_commit_callbacks, n_themes=3, seed=7)
    assert [(t.label, t.contribution_ids) for t in again.themes.all()] == [
        (t.label, t.contribution_ids) for t in run.themes.all()]


def test_review_rename_merge_discard_split_then_sign_off(run, analyst, codebook):
    first, second, third = run.themes.all()
    services.rename_theme(analyst, first, "Parking near schools", "Cars on pavements")
    merged = services.merge_themes(analyst, [first, second], "Roads and parking")
    assert merged.size == first.size + second.size or merged.size == len(set(first.contribution_ids)
                                                                         | set(second.contribution_ids))
    second.refresh_from_db()
    assert second.status == ProposedTheme.Status.MERGED and second.merged_into_id == merged.pk
    parts = services.split_theme(analyst, merged, parts=2)
    assert len(parts) >= 2 and sum(p.size for p in parts) == merged.size
    services.discard_theme(analyst, third)
    services.sign_off_theme_run(analyst, run, codebook)
    run.refresh_from_db()
    assert run.status == ThemeRun.Status.SIGNED_OFF and run.signed_off_by == analyst
    kept = list(run.themes.filter(status=ProposedTheme.Status.PROPOSED))
    assert all(t.code and t.code.codebook == codebook for t in kept)
    assert CodeSuggestion.objects.filter(theme_run=run).count() == sum(t.size for t in kept)
    # Nothing is coded until a person confirms.
    assert not CodingRecord.objects.exists()
    with pytest.raises(services.WorkspaceError):
        services.rename_theme(analyst, kept[0], "Too late")
    services.sign_off_theme_run(analyst, run, codebook)  # repeating is harmless
    assert CodeSuggestion.objects.filter(theme_run=run).count() == sum(t.size for t in kept)


def test_confirming_a_suggestion_codes_it_for_me_only(run, analyst, codebook):
    services.sign_off_theme_run(analyst, run, codebook)
    suggestion, other = CodeSuggestion.objects.all()[:2]
    services.decide_suggestion(analyst, suggestion, accept=True)
    services.decide_suggestion(analyst, suggestion, accept=False)  # already decided: unchanged
    services.decide_suggestion(analyst, other, accept=False)
    suggestion.refresh_from_db()
    assert suggestion.status == CodeSuggestion.Status.ACCEPTED
    record = CodingRecord.objects.get(contribution=suggestion.contribution, coder=analyst)
    assert list(record.codes.all()) == [suggestion.code]
    assert not CodingRecord.objects.filter(contribution=other.contribution).exists()


def test_signing_off_with_everything_discarded_is_refused(run, analyst, codebook):
    for theme in run.themes.all():
        services.discard_theme(analyst, theme)
    with pytest.raises(services.WorkspaceError, match="nothing to sign off"):
        services.sign_off_theme_run(analyst, run, codebook)


def test_a_run_needs_enough_contributions(analyst, area_tree, codebook):
    empty = services.create_contribution_set(analyst, name="Empty", area=area_tree["south_ward"])
    with pytest.raises(services.WorkspaceError, match="at least 3"):
        services.start_theme_run(analyst, empty)


def test_auto_coding_suggests_codes_for_uncoded_contributions_only(analyst, coding_set, contributions, codebook,
                                                                   django_capture_on_commit_callbacks):
    from byconsent.insights.models import Code

    labels = {"parking": "Parking", "speeding": "Speeding", "drugs": "Drugs"}
    for item in contributions[:24]:
        topic = next(t for t in labels if any(w in item.text.lower() for w in {
            "parking": ["park", "driveway"], "speeding": ["speed", "racers"], "drugs": ["drug", "needle", "cannabis"],
        }[t]))
        services.save_coding(analyst, item, codebook, [Code.objects.get(codebook=codebook, label=labels[topic])])
    with django_capture_on_commit_callbacks(execute=False):
        run = services.start_autocoding(analyst, coding_set)
    autocoding_task.call(run.task_id)
    run.refresh_from_db()
    suggested = CodeSuggestion.objects.filter(autocoding_run=run)
    assert suggested.exists()
    assert not suggested.filter(contribution__in=contributions[:24]).exists()
    assert all(s.status == CodeSuggestion.Status.PENDING for s in suggested)
    assert any(row["trained"] for row in run.code_report)


def test_a_failed_run_is_marked_failed_and_can_be_retried(analyst, coding_set, django_capture_on_commit_callbacks,
                                                          monkeypatch):
    from byconsent.core import tasks as core_tasks
    from byconsent.insights import services as insight_services

    with django_capture_on_commit_callbacks(execute=False):
        run = services.start_theme_run(analyst, coding_set, n_themes=3)

    def broken(name, seed=0):
        raise RuntimeError("model files missing")

    monkeypatch.setattr(insight_services, "make_embedder", broken)
    with pytest.raises(RuntimeError):
        theme_discovery_task.call(run.task_id)
    run.refresh_from_db()
    assert run.status == ThemeRun.Status.FAILED and "model files missing" in run.error
    progress = TaskProgress.objects.get(pk=run.task_id)
    assert progress.status == TaskProgress.Status.FAILED
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=False):
        core_tasks.retry(progress)
    theme_discovery_task.call(run.task_id)
    run.refresh_from_db()
    assert run.status == ThemeRun.Status.REVIEW and run.themes.count() == 3 and run.error == ""
