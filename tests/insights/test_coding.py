"""Codebooks, coding by several coders, agreement and progress."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from byconsent.core.models import AuditEntry
from byconsent.insights import selectors, services
from byconsent.insights.models import Code, CodingRecord


def code(codebook, label):
    return Code.objects.get(codebook=codebook, label=label)


def test_codebook_is_a_hierarchy_in_order(codebook):
    ordered = codebook.ordered_codes()
    assert [(c.label, c.depth) for c in ordered] == [("Roads", 0), ("Parking", 1), ("Speeding", 1), ("Drugs", 0)]


def test_code_labels_are_unique_and_parents_cannot_loop(analyst, codebook):
    with pytest.raises(services.WorkspaceError, match="already has"):
        services.save_code(analyst, codebook, label="parking")
    roads, parking = code(codebook, "Roads"), code(codebook, "Parking")
    with pytest.raises(services.WorkspaceError, match="beneath itself"):
        services.save_code(analyst, codebook, label="Roads", parent=parking, code=roads)


def test_each_coders_codes_are_kept_apart_and_saving_twice_is_harmless(analyst, make_user, area_tree, coding_set,
                                                                        contributions, codebook):
    second = make_user("analyst", area_tree["force"])
    first_item = contributions[0]
    services.save_coding(analyst, first_item, codebook, [code(codebook, "Parking")])
    services.save_coding(analyst, first_item, codebook, [code(codebook, "Parking")])
    services.save_coding(second, first_item, codebook, [code(codebook, "Speeding")])
    records = CodingRecord.objects.filter(contribution=first_item)
    assert records.count() == 2
    assert {r.coder_id: [c.label for c in r.codes.all()] for r in records} == {
        analyst.pk: ["Parking"], second.pk: ["Speeding"]}
    assert AuditEntry.objects.filter(action="insights.coded").count() == 2  # the repeat changed nothing


def test_coding_needs_the_analyse_role_and_sight_of_the_contribution(make_user, area_tree, contributions, codebook):
    officer = make_user("local_officer", area_tree["force"])
    with pytest.raises(PermissionDenied):
        services.save_coding(officer, contributions[0], codebook, [])
    south_analyst = make_user("analyst", area_tree["south"])
    north_item = next(c for c in contributions if c.area.code == "WN")
    with pytest.raises(PermissionDenied):
        services.save_coding(south_analyst, north_item, codebook, [])


def test_codes_from_another_codebook_are_refused(analyst, area_tree, contributions, codebook):
    other = services.create_codebook(analyst, name="Other", area=area_tree["force"])
    stray = services.save_code(analyst, other, label="Stray")
    with pytest.raises(services.WorkspaceError):
        services.save_coding(analyst, contributions[0], codebook, [stray])


def test_agreement_report_per_code(analyst, make_user, area_tree, coding_set, contributions, codebook):
    second = make_user("analyst", area_tree["force"])
    parking, speeding, drugs = (code(codebook, n) for n in ("Parking", "Speeding", "Drugs"))
    truth = {0: parking, 1: parking, 4: speeding, 5: speeding, 8: drugs, 9: drugs}
    for index, right in truth.items():
        services.save_coding(analyst, contributions[index], codebook, [right])
        # The second coder agrees except on item 1, where they chose speeding.
        services.save_coding(second, contributions[index], codebook, [speeding if index == 1 else right])
    report = selectors.agreement_report(analyst, codebook, coding_set)
    assert report.units == 6 and len(report.coders) == 2
    by_label = dict(report.rows)
    assert by_label["Drugs"].cohen_kappa == pytest.approx(1.0)
    assert by_label["Parking"].cohen_kappa < 1.0
    assert by_label["Parking"].krippendorff_alpha is not None
    assert by_label["Roads"].krippendorff_alpha is None  # never applied by anyone: undefined, not 1


def test_agreement_needs_two_coders(analyst, coding_set, contributions, codebook):
    services.save_coding(analyst, contributions[0], codebook, [])
    report = selectors.agreement_report(analyst, codebook, coding_set)
    assert report.rows == [] and "two coders" in report.message


def test_progress_per_area_month_and_channel(analyst, coding_set, contributions, codebook):
    for item in contributions[:6]:
        services.save_coding(analyst, item, codebook, [])
    progress = selectors.coding_progress(analyst, coding_set)
    assert progress.overall.total == 36 and progress.overall.coded == 6
    assert round(progress.overall.percent, 1) == 16.7
    assert {line.label for line in progress.by_area} == {"North Division", "South Division"}
    assert [line.label for line in progress.by_month] == ["2026-09", "2026-10", "2026-11"]
    assert sum(line.coded for line in progress.by_channel) == 6


def test_next_uncoded_skips_what_i_coded(analyst, coding_set, contributions, codebook):
    first = selectors.next_uncoded(analyst, coding_set)
    assert first == contributions[0]
    services.save_coding(analyst, first, codebook, [])
    assert selectors.next_uncoded(analyst, coding_set, after=first.pk) == contributions[1]


def test_sets_filter_by_date_and_channel(analyst, area_tree, contributions):
    from datetime import date

    chosen = services.create_contribution_set(analyst, name="October comments", area=area_tree["north"],
                                              date_from=date(2026, 10, 1), date_to=date(2026, 10, 31),
                                              channels=["online_survey"])
    texts = list(chosen.contributions())
    assert texts and all(c.created_on.month == 10 and c.area.code == "WN" for c in texts)
    with pytest.raises(services.WorkspaceError):
        services.create_contribution_set(analyst, name="x", area=area_tree["north"], date_from=date(2026, 2, 1),
                                         date_to=date(2026, 1, 1))


def test_privacy_export_and_erasure_of_a_coder(analyst, make_user, area_tree, contributions, codebook):
    from byconsent.core import privacy

    services.save_coding(analyst, contributions[0], codebook, [code(codebook, "Drugs")], note="Ask Sam about this")
    admin = make_user("administrator", area_tree["force"])
    export = privacy.subject_access_export(admin, analyst)["data"]["insights"]
    assert export["codings"][0]["codes"] == ["Drugs"]
    privacy.erase_person(admin, analyst)
    record = CodingRecord.objects.get()
    assert record.note == "" and [c.label for c in record.codes.all()] == ["Drugs"]  # kept, agreement stays true


def test_staff_home_lists_runs_awaiting_review(analyst, coding_set):
    from byconsent.core.registries import attention_items
    from byconsent.insights.models import ThemeRun

    ThemeRun.objects.create(contribution_set=coding_set, area=coding_set.area, status=ThemeRun.Status.REVIEW)
    items = {item.title: item.count for item in attention_items(analyst)}
    assert items["Theme discovery runs awaiting review"] == 1
