"""Responses from a CSV, cross-tabs with disclosure control (a small cell never appears anywhere), weighting."""

from __future__ import annotations

import csv
import io
import random

import pytest

from byconsent.insights import selectors, services
from byconsent.insights.crosstab import SUPPRESSED, cross_tabulate
from byconsent.insights.models import WeightingRun
from byconsent.insights.responses import ResponseDataError, ResponseTable, parse_response_csv, sources_for


def responses_csv(small_group_size: int = 3) -> str:
    """120 respondents; ethnicity 'Mixed' has only ``small_group_size`` people."""
    rng = random.Random(4)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["respondent_id", "area_code", "age_band", "sex", "ethnicity", "confidence", "weight"])
    for n in range(120):
        ethnicity = "Mixed" if n < small_group_size else ("White" if n % 3 else "Asian")
        sex = "Female" if n % 2 else "Male"
        age = "16-34" if n % 4 == 0 else "35+"
        answer = rng.choice(["Very confident", "Fairly confident", "Not confident"])
        writer.writerow([f"R{n}", "WN" if n % 2 else "WS", age, sex, ethnicity, answer, ""])
    return out.getvalue()


@pytest.fixture
def upload(analyst, area_tree):
    return services.upload_responses(analyst, name="Confidence survey", area=area_tree["force"],
                                     csv_text=responses_csv())


def test_upload_detects_questions_and_demographics_and_encrypts_rows(upload, analyst):
    assert upload.questions == ["confidence"]
    assert upload.demographics == ["age_band", "sex", "ethnicity"]
    assert upload.row_count == 120
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT rows FROM insights_responseupload WHERE id = %s", [upload.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("gAAAAA") and "ethnicity" not in stored  # Fernet ciphertext only
    assert [s.key for s in sources_for(analyst)] == [f"upload:{upload.pk}"]


def test_bad_response_files_get_clear_messages():
    with pytest.raises(ResponseDataError, match="respondent_id"):
        parse_response_csv("id,q\n1,a\n")
    with pytest.raises(ResponseDataError, match="Line 3: respondent 1 appears twice"):
        parse_response_csv("respondent_id,q\n1,a\n1,b\n")
    with pytest.raises(ResponseDataError, match="not a positive number"):
        parse_response_csv("respondent_id,q,weight\n1,a,-2\n")


def test_a_cell_below_the_threshold_never_appears(upload, analyst):
    loaded = selectors.responses_with_weights(analyst, f"upload:{upload.pk}", None)
    table = selectors.crosstab(analyst, loaded, "confidence", "ethnicity", threshold=10)
    mixed = next(row for row in table.rows if row.group == "Mixed")
    assert mixed.total is None and all(cell.count is None and cell.percent is None for cell in mixed.cells)
    shown_counts = [cell.count for row in table.rows for cell in row.cells if cell.count is not None]
    shown_counts += [row.total for row in table.rows if row.total is not None]
    shown_counts += [c for c in table.column_totals if c is not None]
    assert all(count >= 10 for count in shown_counts)
    # Secondary suppression: the small group cannot be recovered from the totals either.
    assert table.grand_total is None or any(t is None for t in table.column_totals) or \
        sum(1 for row in table.rows if row.total is None) >= 2
    flat = "\n".join(",".join(line) for line in table.flat_rows())
    assert SUPPRESSED in flat
    for row in table.rows:
        for cell in row.cells:
            if cell.count is not None:
                assert cell.ci_low <= cell.percent <= cell.ci_high


def test_cross_tab_by_area_uses_area_names(upload, analyst):
    loaded = selectors.responses_with_weights(analyst, f"upload:{upload.pk}", None)
    table = selectors.crosstab(analyst, loaded, "confidence", "area", threshold=10)
    assert {row.group for row in table.rows} == {"North Ward", "South Ward"}


def test_weights_change_bases_and_percentages_but_never_the_counts_shown():
    answers = ["yes"] * 60 + ["no"] * 20 + ["yes"] * 5 + ["no"] * 15
    sexes = ["Female"] * 80 + ["Male"] * 20
    ages = (["young", "old"] * 50)
    table = ResponseTable("t", [str(i) for i in range(100)], questions={"q": answers},
                          demographics={"sex": sexes, "age": ages})
    unweighted = cross_tabulate(table, "q", "age", threshold=1)
    weights = [0.625] * 80 + [2.5] * 20
    weighted = cross_tabulate(table, "q", "age", weights, threshold=1)
    assert [c.count for c in weighted.rows[0].cells] == [c.count for c in unweighted.rows[0].cells]
    assert weighted.weighted and sum(r.weighted_base for r in weighted.rows) == pytest.approx(100.0)
    # Men say "no" more often and weigh more, so the weighted share of "no" is higher than the unweighted one.
    no = weighted.answers.index("no")
    assert weighted.rows[0].cells[no].percent > unweighted.rows[0].cells[no].percent


def test_targets_csv_percentages_and_errors():
    targets = services.parse_targets_csv("variable,category,proportion\nsex,Female,51\nsex,Male,49\n")
    assert targets == {"sex": {"Female": pytest.approx(0.51), "Male": pytest.approx(0.49)}}
    with pytest.raises(services.WorkspaceError, match="Line 2"):
        services.parse_targets_csv("variable,category,proportion\nsex,Female,lots\n")
    with pytest.raises(services.WorkspaceError, match="sum to"):
        services.parse_targets_csv("variable,category,proportion\nsex,Female,0.2\nsex,Male,0.3\n")


def test_weighting_report_then_acceptance_before_weighted_results(upload, analyst, area_tree):
    targets = services.save_targets(analyst, name="Census sex and age", area=area_tree["force"], source="upload",
                                    targets=services.parse_targets_csv(
                                        "variable,category,proportion\nsex,Female,0.6\nsex,Male,0.4\n"
                                        "age_band,16-34,0.3\nage_band,35+,0.7\n"))
    run = services.run_weighting(analyst, source_key=f"upload:{upload.pk}", targets=targets)
    assert run.status == WeightingRun.Status.REVIEW
    assert run.report["converged"] and run.report["max_margin_error"] < 1e-5
    assert run.report["design_effect"] >= 1 and 0 < run.report["effective_sample_size"] <= 120
    with pytest.raises(LookupError):  # not yet accepted: weighted results are refused
        selectors.responses_with_weights(analyst, f"upload:{upload.pk}", run.pk)
    services.accept_weighting(analyst, run)
    loaded = selectors.responses_with_weights(analyst, f"upload:{upload.pk}", run.pk)
    assert loaded.weights is not None and sum(loaded.weights) == pytest.approx(120)
    table = selectors.crosstab(analyst, loaded, "confidence", "sex", threshold=10)
    assert table.weighted


def test_weighting_failure_is_kept_with_its_reason(upload, analyst, area_tree):
    targets = services.save_targets(analyst, name="Religion", area=area_tree["force"], source="upload",
                                    targets={"religion": {"None": 0.5, "Christian": 0.5}})
    run = services.run_weighting(analyst, source_key=f"upload:{upload.pk}", targets=targets)
    assert run.status == WeightingRun.Status.FAILED and "religion" in run.error
    with pytest.raises(services.WorkspaceError):
        services.accept_weighting(analyst, run)


def test_sources_are_scoped_to_the_analysts_areas(upload, make_user, area_tree):
    south = make_user("analyst", area_tree["south"])
    assert sources_for(south) == []
    with pytest.raises(LookupError):
        selectors.responses_with_weights(south, f"upload:{upload.pk}", None)


def test_targets_from_a_real_census_file(analyst, area_tree):
    from tests.shared_data import shared_path

    text = shared_path("domain-data", "census2021-ts001-lsoa_subset.csv").read_text(encoding="utf-8")
    area_tree["north_ward"].zone_codes = ["E01005098", "E01005099"]
    area_tree["north_ward"].save()
    targets = services.targets_from_census(text, "Residence type", area_tree["north_ward"])
    shares = targets["Residence type"]
    assert sum(shares.values()) == pytest.approx(1.0)
    # Manchester 001A and 001B: 1630 + 1933 in households out of 1631 + 1942.
    assert shares["Lives in a household"] == pytest.approx((1630 + 1933) / (1631 + 1942))


def test_weighting_report_counts_pass_disclosure_control(upload, analyst, area_tree):
    targets = services.save_targets(analyst, name="Ethnicity", area=area_tree["force"], source="upload",
                                    targets={"ethnicity": {"White": 0.8, "Asian": 0.15, "Mixed": 0.05}})
    run = services.run_weighting(analyst, source_key=f"upload:{upload.pk}", targets=targets)
    margins = {m["category"]: m["respondents"] for m in selectors.weighting_margins(run, 10)}
    assert margins["Mixed"] is None  # 3 respondents
    assert margins["Asian"] is None  # hidden too, so Mixed cannot be worked out from the total of 120
    assert margins["White"] is None or margins["White"] >= 10


def test_raking_skips_joint_variables_and_says_so(upload, analyst, area_tree, client_for):
    """A population table from a joint census table holds both margins and ``A × B``: raking uses the margins."""
    from django.urls import reverse

    joint = {"age_band × sex": {"16-34 × Female": 0.15, "16-34 × Male": 0.15, "35+ × Female": 0.45,
                                "35+ × Male": 0.25}}
    targets = services.save_targets(analyst, name="Age by sex", area=area_tree["force"], source="census: long.csv",
                                    targets={"age_band": {"16-34": 0.3, "35+": 0.7},
                                             "sex": {"Female": 0.6, "Male": 0.4}, **joint})
    run = services.run_weighting(analyst, source_key=f"upload:{upload.pk}", targets=targets)
    assert run.status == WeightingRun.Status.REVIEW and run.error == ""
    assert run.report["skipped"] == ["age_band × sex"] and run.report["converged"]
    assert {m["variable"] for m in run.report["margins"]} == {"age_band", "sex"}
    page = client_for(analyst).get(reverse("insights:weighting_detail", args=[run.pk])).content.decode()
    assert "Not used for weighting (two characteristics at once):" in page and "age_band × sex" in page
    # A table of pairs only cannot be raked: the run fails with that reason, not with a missing column.
    pairs = services.save_targets(analyst, name="Pairs only", area=area_tree["force"], source="upload",
                                  targets={"age_band x sex": joint["age_band × sex"]})
    failed = services.run_weighting(analyst, source_key=f"upload:{upload.pk}", targets=pairs)
    assert failed.status == WeightingRun.Status.FAILED and "only characteristics in pairs" in failed.error
    assert "no column" not in failed.error and failed.report == {"skipped": ["age_band x sex"]}
    page = client_for(analyst).get(reverse("insights:weighting_detail", args=[failed.pk])).content.decode()
    assert "age_band x sex" in page and "could not be weighted" in page
