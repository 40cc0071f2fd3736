"""Who we heard from: participants (a questionnaire, the people register) compared with census population tables,
as a task, with every participant count protected on the page and in the CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from byconsent.insights import heard, services
from byconsent.insights.heard import Participants, category_key, characteristic_key, compare
from byconsent.insights.models import HeardComparison
from byconsent.insights.tasks import heard_comparison_task
from tests.insights.builders import questionnaire_with_about_you

AGE = {"Age (3 categories)": {"Aged 16 to 24 years": 0.3, "Aged 25 to 34 years": 0.3, "Aged 35 to 64 years": 0.4}}
SEX = {"Sex": {"Female": 0.5, "Male": 0.5}}


def ages(young: int, middle: int, older: int) -> list[str | None]:
    return ["16-24"] * young + ["25-34"] * middle + ["35-64"] * older


# ---- matching and the protected comparison (no database) -------------------------------------------------------------

def test_names_and_labels_are_matched_between_participants_and_census() -> None:
    assert characteristic_key("Age (6 categories)") == characteristic_key("age_band") == "age_band"
    assert characteristic_key("Ethnic group") == characteristic_key("ethnicity") == "ethnicity"
    assert characteristic_key("gender") == "sex"
    assert category_key("Aged 16 to 24 years") == category_key("16-24") == category_key("16 to 24")
    assert category_key("Aged 75 years and over") == category_key("75+") == category_key("75 or over")
    assert category_key("Female") == category_key("female")
    assert category_key("No religion") == category_key("None")


def test_large_groups_get_ratios_intervals_and_the_most_under_heard_first() -> None:
    values = ages(20, 80, 100)
    people = Participants("Survey", len(values), {"age_band": values, "sex": ["Female", "Male"] * 100})
    result = compare(people, [("Age", AGE), ("Sex", SEX)], threshold=10)
    age = result["characteristics"][0]
    young, middle, _older = age["groups"]
    assert [g["count"] for g in age["groups"]] == [20, 80, 100] and age["compared"] == 200
    assert young["ratio"] == pytest.approx((20 / 200) / 0.3)
    assert young["low"] < young["ratio"] < young["high"] < 1.0 and young["verdict"] == "under"
    assert middle["verdict"] == "over" and middle["low"] > 1.0
    assert result["under_heard"][0]["group"] == "Aged 16 to 24 years"
    assert result["characteristics"][1]["index"] == pytest.approx(1.0)
    assert 0 < age["index"] < 1 and result["average_index"] == pytest.approx((age["index"] + 1.0) / 2)
    # Only margins were given: the joint comparison is explained, not silently missing.
    assert result["joint"] == [] and "joint table" in result["joint_notes"][0]


def test_a_group_of_three_shows_no_count_share_or_ratio_and_nothing_lets_it_be_worked_out() -> None:
    values = ages(3, 40, 57)
    people = Participants("Survey", len(values), {"age_band": values})
    result = compare(people, [("Age", AGE)], threshold=10)
    young = result["characteristics"][0]["groups"][0]
    assert young["count"] is None and young["share"] is None and young["ratio"] is None
    shown = [g["count"] for g in result["characteristics"][0]["groups"]]
    compared = result["characteristics"][0]["compared"]
    # Either another group or the total is hidden too, so 3 cannot come from a subtraction.
    assert shown.count(None) >= 2 or compared is None
    for row in heard.csv_rows(result):
        if row[1] == "Aged 16 to 24 years":
            assert row[2:4] == ["[c]", "[c]"] and row[5] == "[c]"
        assert row[2] != "3"


def test_answers_not_in_the_census_are_listed_not_dropped() -> None:
    values: list[str | None] = ages(30, 40, 40) + ["Other"] * 12 + ["Prefer not to say"] * 11 + [None] * 2
    people = Participants("Survey", len(values), {"Age": values})
    result = compare(people, [("Age", AGE)], threshold=10)
    age = result["characteristics"][0]
    assert age["unmatched_labels"] == ["Other"] and age["unmatched"] == 12 and age["not_given"] == 13
    assert age["compared"] == 110 and age["rare_answers"] is False


def test_a_rare_free_answer_is_counted_but_never_named_while_offered_answers_always_are() -> None:
    # Naming an answer says someone gave it: "Sami" from 2 people must not appear; "65+" is on the form anyway.
    values: list[str | None] = ages(30, 40, 40) + ["Sami"] * 2 + ["Other"] * 10
    people = Participants("Survey", len(values), {"age_band": values},
                          options={"age_band": ["16-24", "25-34", "35-64", "65+", "Prefer not to say"]})
    result = compare(people, [("Age", AGE)], threshold=10)
    age = result["characteristics"][0]
    assert age["unmatched_labels"] == ["65+", "Other"] and age["rare_answers"] is True
    assert "Sami" not in str(result) and "Sami" not in str(heard.csv_rows(result))
    assert any("fewer than 10 people each" in row[1] for row in heard.csv_rows(result))


def test_a_joint_table_compares_two_characteristics_at_once() -> None:
    young_men = ["16-24"] * 2  # almost absent
    values = young_men + ["16-24"] * 40 + ["25-34"] * 60 + ["35-64"] * 80
    sexes = ["Male"] * 2 + ["Female"] * 40 + ["Male", "Female"] * 30 + ["Male", "Female"] * 40
    joint = {"age_band × sex": {"16-24 × Female": 0.15, "16-24 × Male": 0.15, "25-34 × Female": 0.15,
                                "25-34 × Male": 0.15, "35-64 × Female": 0.2, "35-64 × Male": 0.2}}
    people = Participants("Survey", len(values), {"age_band": values, "sex": sexes})
    result = compare(people, [("Age", AGE), ("Sex", SEX), ("Age by sex", joint)], threshold=10)
    assert len(result["joint"]) == 1
    cells = {g["group"]: g for g in result["joint"][0]["groups"]}
    assert cells["Aged 16 to 24 years × Male"]["count"] is None  # 2 young men: hidden
    truth = {"Aged 16 to 24 years × Female": 40, "Aged 25 to 34 years × Male": 30, "Aged 25 to 34 years × Female": 30,
             "Aged 35 to 64 years × Male": 40, "Aged 35 to 64 years × Female": 40}
    assert all(cells[g]["count"] in (None, n) for g, n in truth.items())
    assert sum(cells[g]["count"] is not None for g in truth) >= 2
    # The single "16 to 24" (42) is shown, so its other cell (40) must be hidden too: 42 - 40 would give 2.
    assert result["characteristics"][0]["groups"][0]["count"] is None or cells["Aged 16 to 24 years × Female"][
        "count"] is None
    # Singles agree with the sum of the joint cells wherever both are shown; the hidden cell stays hidden.
    assert all(row[2] != "2" for row in heard.csv_rows(result))


def test_no_characteristic_in_common_is_a_clear_error() -> None:
    people = Participants("Survey", 20, {"faith": ["Christian"] * 20})
    with pytest.raises(heard.HeardError, match="None of the population"):
        compare(people, [("Age", AGE)])


# ---- sources: a questionnaire and the people register ----------------------------------------------------------------

@pytest.fixture
def questionnaire(area_tree: dict[str, Any]) -> Any:
    from byconsent.surveys.models import Question
    from byconsent.surveys.services import create_response

    survey, main, about = questionnaire_with_about_you(area_tree["north"], slug="confidence",
                                                       title="Confidence in policing")
    version = survey.current_version
    Question.objects.create(page=main, key="confidence", type="single_choice", text="How confident are you?",
                            options=[{"value": "yes", "label": "Confident"}, {"value": "no", "label": "Not"}])
    Question.objects.create(page=about, key="age_band", type="single_choice", text="Age", is_demographic=True,
                            options=[{"value": v, "label": v.replace("-", " to ")} for v in ("16-24", "25-34",
                                                                                              "35-64")])
    Question.objects.create(page=about, key="sex", type="single_choice", text="Sex", is_demographic=True,
                            options=[{"value": "female", "label": "Female"}, {"value": "male", "label": "Male"}])
    for n, age in enumerate(ages(3, 27, 30)):
        create_response(version, submission_token=f"t{n}", answers={"confidence": "yes"},
                        demographics={"age_band": age, "sex": "female" if n % 2 else "male"},
                        channel="online_survey", area=area_tree["north_ward"])
    return survey


@pytest.fixture
def north_targets(analyst: Any, area_tree: dict[str, Any]) -> list[Any]:
    return [services.save_targets(analyst, name="Census age", area=area_tree["north"], targets=AGE,
                                  source="census: ts007a"),
            services.save_targets(analyst, name="Census sex", area=area_tree["north"], targets=SEX,
                                  source="census: ts008")]


def run(actor: Any, capture: Any, **inputs: Any) -> HeardComparison:
    with capture(execute=False):
        comparison = services.start_heard_comparison(actor, **inputs)
    heard_comparison_task.call(comparison.task_id)
    comparison.refresh_from_db()
    return comparison


def test_a_questionnaire_is_compared_as_a_task_and_the_group_of_three_is_never_shown(
        analyst: Any, area_tree: dict[str, Any], questionnaire: Any, north_targets: list[Any],
        django_capture_on_commit_callbacks: Any, client_for: Any) -> None:
    from byconsent.core.models import AuditEntry, TaskProgress

    comparison = run(analyst, django_capture_on_commit_callbacks, area=area_tree["north"],
                     source_key=f"survey:{questionnaire.pk}", targets=north_targets)
    assert comparison.status == HeardComparison.Status.DONE
    assert TaskProgress.objects.get(pk=comparison.task_id).status == TaskProgress.Status.DONE
    assert comparison.source_label == "Confidence in policing" and comparison.created_by == analyst
    assert {t.pk for t in comparison.targets.all()} == {t.pk for t in north_targets}
    sex = comparison.result["characteristics"][1]
    assert [g["count"] for g in sex["groups"]] == [30, 30] and sex["groups"][0]["ratio"] == pytest.approx(1.0)
    young = comparison.result["characteristics"][0]["groups"][0]
    assert young["group"] == "Aged 16 to 24 years" and young["count"] is None
    assert AuditEntry.objects.filter(action="insights.heard_compared").count() == 1

    client = client_for(analyst)
    page = client.get(reverse("insights:heard_detail", args=[comparison.pk])).content.decode()
    row = re.search(r'<th scope="row" class="govuk-table__header">Aged 16 to 24 years</th>(.*?)</tr>', page, re.S)
    assert row is not None and ">3<" not in row.group(1) and "[c]" in row.group(1)
    assert "Female" in page and "<svg" in page and "The most under-heard groups" in page
    exported = client.get(reverse("insights:heard_csv", args=[comparison.pk]))
    assert exported["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(exported.content.decode())))
    young_line = next(line for line in lines if line[1:2] == ["Aged 16 to 24 years"])
    assert young_line[2] == "[c]" and young_line[3] == "[c]" and young_line[5] == "[c]"
    assert all(line[2] != "3" for line in lines if len(line) > 2)


def test_double_submit_is_one_comparison_and_run_again_makes_a_new_one(
        analyst: Any, area_tree: dict[str, Any], questionnaire: Any, north_targets: list[Any],
        django_capture_on_commit_callbacks: Any) -> None:
    inputs = {"area": area_tree["north"], "source_key": f"survey:{questionnaire.pk}", "targets": north_targets}
    with django_capture_on_commit_callbacks(execute=False):
        first = services.start_heard_comparison(analyst, **inputs)
        second = services.start_heard_comparison(analyst, **inputs)
    assert first.pk == second.pk and HeardComparison.objects.count() == 1
    heard_comparison_task.call(first.task_id)
    with django_capture_on_commit_callbacks(execute=False):
        again = services.rerun_heard_comparison(analyst, first)
    assert again.pk != first.pk and again.source_key == first.source_key
    assert {t.pk for t in again.targets.all()} == {t.pk for t in north_targets}


def test_population_tables_of_another_area_and_bad_sources_are_refused(
        analyst: Any, area_tree: dict[str, Any], questionnaire: Any, north_targets: list[Any]) -> None:
    force_table = services.save_targets(analyst, name="Force sex", area=area_tree["force"], targets=SEX, source="")
    with pytest.raises(services.WorkspaceError, match="population of Test Force"):
        services.start_heard_comparison(analyst, area=area_tree["north"], source_key=f"survey:{questionnaire.pk}",
                                        targets=[force_table])
    with pytest.raises(services.WorkspaceError, match="not available"):
        services.start_heard_comparison(analyst, area=area_tree["north"], source_key="survey:99999",
                                        targets=north_targets)


def test_a_comparison_with_nothing_in_common_fails_with_its_reason(
        analyst: Any, area_tree: dict[str, Any], questionnaire: Any, django_capture_on_commit_callbacks: Any) -> None:
    faith = services.save_targets(analyst, name="Religion", area=area_tree["north"],
                                  targets={"Religion": {"Christian": 0.5, "No religion": 0.5}}, source="")
    comparison = run(analyst, django_capture_on_commit_callbacks, area=area_tree["north"],
                     source_key=f"survey:{questionnaire.pk}", targets=[faith])
    assert comparison.status == HeardComparison.Status.FAILED and "None of the population" in comparison.error


@pytest.fixture
def register(analyst: Any, area_tree: dict[str, Any]) -> dict[str, Any]:
    """People who responded or attended, with equality answers saved through the people app's service."""
    from byconsent.people.models import Person
    from byconsent.people.services import record_contact, save_demographics

    made: dict[str, Any] = {"north": [], "south": []}
    when = timezone.make_aware(datetime(2026, 10, 5, 12))
    for n in range(40):
        person = Person.objects.create(full_name=f"North {n}", area=area_tree["north_ward"])
        save_demographics(analyst, person, {"age_band": "16-24" if n < 4 else "25-34" if n < 20 else "35-44",
                                            "sex": "female" if n % 2 else "male", "ethnicity": "white",
                                            "health": "uses a wheelchair"})
        record_contact(person, "response" if n % 4 else "attendance", "online_survey" if n % 4 else "in_person",
                       source="consultation:1", when=when)
        made["north"].append(person)
    late = Person.objects.create(full_name="Late", area=area_tree["north_ward"])
    save_demographics(analyst, late, {"age_band": "65-74", "sex": "male"})
    record_contact(late, "response", "online_survey", source="consultation:1",
                   when=timezone.make_aware(datetime(2026, 12, 1, 12)))
    asked = Person.objects.create(full_name="Only invited", area=area_tree["north_ward"])
    save_demographics(analyst, asked, {"age_band": "65-74", "sex": "male"})
    record_contact(asked, "invitation", "email", source="consultation:1", when=when)
    for n in range(12):
        person = Person.objects.create(full_name=f"South {n}", area=area_tree["south_ward"])
        save_demographics(analyst, person, {"age_band": "65-74", "sex": "female"})
        record_contact(person, "response", "online_survey", source="consultation:1", when=when)
        made["south"].append(person)
    made["late"], made["asked"] = late, asked
    return made


def test_the_people_register_gives_participants_by_contact_kind_date_and_area(
        analyst: Any, area_tree: dict[str, Any], register: dict[str, Any],
        django_capture_on_commit_callbacks: Any) -> None:
    from byconsent.core.models import AuditEntry

    ages_table = services.save_targets(analyst, name="Ages", area=area_tree["north"], source="census", targets={
        "Age": {"Aged 16 to 24 years": 0.2, "Aged 25 to 34 years": 0.3, "Aged 35 to 44 years": 0.3,
                "Aged 65 to 74 years": 0.2}})
    filters = {"date_from": "2026-10-01", "date_to": "2026-10-31"}
    comparison = run(analyst, django_capture_on_commit_callbacks, area=area_tree["north"], source_key="people",
                     targets=[ages_table], filters=filters)
    assert comparison.status == HeardComparison.Status.DONE, comparison.error
    age = comparison.result["characteristics"][0]
    # 40 northern participants in October: the late responder, the invited-only person and the south are out.
    assert age["compared"] == 40 and comparison.result["participants"] == 40
    counts = {g["group"]: g["count"] for g in age["groups"]}
    truth = {"Aged 16 to 24 years": 4, "Aged 25 to 34 years": 16, "Aged 35 to 44 years": 20, "Aged 65 to 74 years": 0}
    assert counts["Aged 16 to 24 years"] is None and counts["Aged 65 to 74 years"] is None  # 4 and 0
    assert all(count is None or count == truth[group] for group, count in counts.items())
    assert any(count is not None for count in counts.values())
    assert comparison.filters["kinds"] == ["attendance", "response"]
    read = AuditEntry.objects.get(action="demographics.read")
    assert read.after["people"] == 40 and read.after["reason"] == "who we heard from"
    assert "16-24" not in str(read.after) and "health" not in read.after["characteristics"]

    attended = run(analyst, django_capture_on_commit_callbacks, area=area_tree["north"], source_key="people",
                   targets=[ages_table], filters={**filters, "kinds": ["attendance"]})
    assert attended.status == HeardComparison.Status.DONE
    assert AuditEntry.objects.filter(action="demographics.read").order_by("-pk").first().after["people"] == 10


def test_a_glasgow_analyst_sees_nothing_of_edinburgh(
        analyst: Any, make_user: Any, area_tree: dict[str, Any], questionnaire: Any, north_targets: list[Any],
        register: dict[str, Any], django_capture_on_commit_callbacks: Any, client_for: Any) -> None:
    comparison = run(analyst, django_capture_on_commit_callbacks, area=area_tree["north"],
                     source_key=f"survey:{questionnaire.pk}", targets=north_targets)
    south = make_user("analyst", area_tree["south"])
    client = client_for(south)
    assert client.get(reverse("insights:heard_detail", args=[comparison.pk])).status_code == 404
    assert client.get(reverse("insights:heard_csv", args=[comparison.pk])).status_code == 404
    assert client.post(reverse("insights:heard_detail", args=[comparison.pk])).status_code == 404
    form_page = client.get(reverse("insights:heard")).content.decode()
    assert "Confidence in policing" not in form_page and "Census age" not in form_page
    assert "no population tables in your areas yet" in form_page
    assert (f"survey:{questionnaire.pk}", "Confidence in policing") not in heard.source_choices(south)
    with pytest.raises(PermissionDenied):
        services.start_heard_comparison(south, area=area_tree["north"], source_key="people", targets=north_targets)
    # Posting another area's ids through the form is refused like a bad choice, and nothing is queued.
    response = client.post(reverse("insights:heard"), {"area": area_tree["north"].pk, "source": "people",
                                                        "targets": [str(north_targets[0].pk)]})
    assert response.status_code == 200 and HeardComparison.objects.count() == 1
    # People in the north are never read for a southern analyst, even when asked for.
    from byconsent.people.models import Person
    from byconsent.people.selectors import participant_characteristics

    read = participant_characteristics(south, Person.objects.all(), reason="test")
    assert set(read) == {p.pk for p in register["south"]}


def test_the_page_runs_a_comparison_from_the_form(
        analyst: Any, area_tree: dict[str, Any], questionnaire: Any, north_targets: list[Any],
        django_capture_on_commit_callbacks: Any, client_for: Any) -> None:
    client = client_for(analyst)
    page = client.get(reverse("insights:heard")).content.decode()
    assert "Confidence in policing" in page and "People register" in page
    bad = client.post(reverse("insights:heard"), {"area": area_tree["north"].pk,
                                                  "source": f"survey:{questionnaire.pk}", "channel": "email"})
    text = bad.content.decode()
    assert "Choose at least one population table" in text and "people register only" in text
    assert HeardComparison.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("insights:heard"), {
            "area": area_tree["north"].pk, "source": f"survey:{questionnaire.pk}",
            "targets": [str(t.pk) for t in north_targets]})
    comparison = HeardComparison.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("insights:heard_detail",
                                                                           args=[comparison.pk])
    waiting = client.get(response["Location"]).content.decode()
    assert "being worked out" in waiting
    heard_comparison_task.call(comparison.task_id)
    done = client.get(response["Location"]).content.decode()
    assert "Aged 35 to 64 years" in done and "Download the table as CSV" in done
    assert reverse("insights:heard") in client.get(reverse("insights:home")).content.decode()


def test_age_bands_with_other_cut_points_are_listed_never_matched_by_their_first_number() -> None:
    census = {"Age": {"Aged 16 to 19 years": 0.4, "Aged 20 to 24 years": 0.6}}
    values: list[str | None] = ["16-24"] * 20 + ["Aged 20 to 24 years"] * 20
    result = compare(Participants("Survey", 40, {"age_band": values}), [("Age", census)])
    age = result["characteristics"][0]
    assert age["unmatched_labels"] == ["16-24"] and age["loosely_matched"] == []
    assert age["unmatched"] == 20 and [g["count"] for g in age["groups"]][1] in (20, None)


ONS_CUSTOM = (
    '"Lower layer Super Output Areas Code","Lower layer Super Output Areas","Age (3 categories) Code",'
    '"Age (3 categories)","Sex (2 categories) Code","Sex (2 categories)","Observation"\n'
    + "".join(f'"{lsoa}","{lsoa} name","{a}","{age}","{s}","{sex}",{count}\n'
              for lsoa, factor in (("S01000001", 1), ("S01000002", 2), ("S01009999", 50))
              for a, age in ((1, "Aged 16 to 24 years"), (2, "Aged 25 to 34 years"), (3, "Aged 35 to 64 years"))
              for s, sex in ((1, "Female"), (2, "Male"))
              for count in [factor * (30 if a == 3 else 20 if a == 2 else 10)])
    + '"S01000001","x","-8","Does not apply","1","Female",999\n'
)


def test_an_ons_custom_dataset_gives_both_margins_and_the_joint_table(
        analyst: Any, area_tree: dict[str, Any], questionnaire: Any, client_for: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    client = client_for(analyst)
    response = client.post(reverse("insights:weighting_list"), {
        "form": "census", "census-name": "Age by sex 2021", "census-area": area_tree["north"].pk,
        "census-file": SimpleUploadedFile(
            "custom.csv", ONS_CUSTOM.encode())})
    assert response.status_code == 302
    table = services.PopulationTargets.objects.get(name="Age by sex 2021")
    # Summed over the north ward's two data zones only (the third zone and "Does not apply" are left out).
    assert set(table.targets) == {"Age (3 categories)", "Sex (2 categories)",
                                  "Age (3 categories) × Sex (2 categories)"}
    assert table.targets["Age (3 categories)"]["Aged 35 to 64 years"] == pytest.approx(0.5)
    assert table.targets["Age (3 categories) × Sex (2 categories)"]["Aged 16 to 24 years × Male"] == pytest.approx(
        30 / 360)
    comparison = run(analyst, django_capture_on_commit_callbacks, area=area_tree["north"],
                     source_key=f"survey:{questionnaire.pk}", targets=[table])
    assert comparison.status == HeardComparison.Status.DONE, comparison.error
    assert [c["name"] for c in comparison.result["characteristics"]] == ["Age (3 categories)", "Sex (2 categories)"]
    assert comparison.result["joint"][0]["name"] == "Age (3 categories) × Sex (2 categories)"
    assert comparison.result["joint_notes"] == []

    wide_without_variable = client.post(reverse("insights:weighting_list"), {
        "form": "census", "census-name": "Wide", "census-area": area_tree["north"].pk,
        "census-file": SimpleUploadedFile(
            "KS201SC.csv", b",All people,White,Other\nS01000001,10,8,2\n")})
    assert "Enter the variable name" in wide_without_variable.content.decode()


def test_the_form_passes_people_register_filters_through(
        analyst: Any, area_tree: dict[str, Any], register: dict[str, Any], client_for: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    ages_table = services.save_targets(analyst, name="Ages", area=area_tree["north"], source="census",
                                       targets={"Age": {"Aged 16 to 24 years": 0.5, "Aged 25 to 34 years": 0.5}})
    client = client_for(analyst)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("insights:heard"), {
            "area": area_tree["north"].pk, "source": "people", "targets": [str(ages_table.pk)],
            "kinds": ["response"], "channel": "online_survey", "activity": "consultation:1",
            "date_from": "2026-10-01", "date_to": "2026-10-31"})
    assert response.status_code == 302
    comparison = HeardComparison.objects.get()
    assert comparison.filters == {"kinds": ["response"], "channel": "online_survey", "activity": "consultation:1",
                                  "date_from": "2026-10-01", "date_to": "2026-10-31"}
    assert comparison.source_label.startswith("People register")
    page = client.get(reverse("insights:heard_detail", args=[comparison.pk])).content.decode()
    assert "channel: online_survey" in page and "date from: 2026-10-01" in page
    backwards = client.post(reverse("insights:heard"), {
        "area": area_tree["north"].pk, "source": "people", "targets": [str(ages_table.pk)],
        "date_from": "2026-10-31", "date_to": "2026-10-01"})
    assert "The end date must be on or after the start date" in backwards.content.decode()
    assert HeardComparison.objects.count() == 1


# ---- review findings: differencing, areas, who may read a comparison, permission in the task, bounds -----------------

OCTOBER_AGES = {"Age": {"Aged 16 to 24 years": 0.2, "Aged 25 to 34 years": 0.3, "Aged 35 to 44 years": 0.3,
                        "Aged 65 to 74 years": 0.2}}


def test_two_comparisons_that_differ_by_one_person_are_refused_with_the_earlier_one_named(
        analyst: Any, area_tree: dict[str, Any], register: dict[str, Any],
        django_capture_on_commit_callbacks: Any) -> None:
    ages_table = services.save_targets(analyst, name="Ages", area=area_tree["north"], source="census",
                                       targets=OCTOBER_AGES)
    inputs = {"area": area_tree["north"], "source_key": "people", "targets": [ages_table]}
    first = run(analyst, django_capture_on_commit_callbacks, **inputs,
                filters={"date_from": "2026-10-01", "date_to": "2026-11-30"})
    assert first.status == HeardComparison.Status.DONE, first.error
    # Moving the end date by a month adds one person (the late responder): refused, and nothing is stored.
    later = run(analyst, django_capture_on_commit_callbacks, **inputs,
                filters={"date_from": "2026-10-01", "date_to": "2026-12-31"})
    assert later.status == HeardComparison.Status.FAILED and later.result == {}
    assert f"comparison {first.pk} (North Division" in later.error and "fewer than 10 people" in later.error
    # The same people again is the same figures: allowed. Ten people more or fewer is allowed too.
    again = run(analyst, django_capture_on_commit_callbacks, **inputs,
                filters={"date_from": "2026-10-01", "date_to": "2026-11-30"})
    assert again.status == HeardComparison.Status.DONE
    attended = run(analyst, django_capture_on_commit_callbacks, **inputs,
                   filters={"date_from": "2026-10-01", "date_to": "2026-11-30", "kinds": ["attendance"]})
    assert attended.status == HeardComparison.Status.DONE, attended.error
    # The fingerprint is kept with the protected figures: keyed hashes, 8 bytes a person, never the ids.
    stored = first.result["participant_set"]
    assert set(stored) == {"version", "key", "members"}
    members = heard.fingerprint_members(stored)
    assert members is not None and len(members) == 40
    assert all(str(p.pk).encode() not in members for p in register["north"])


def test_run_again_on_today_s_data_is_refused_when_a_few_people_have_joined(
        analyst: Any, area_tree: dict[str, Any], register: dict[str, Any],
        django_capture_on_commit_callbacks: Any) -> None:
    from byconsent.people.models import Person
    from byconsent.people.services import record_contact, save_demographics

    ages_table = services.save_targets(analyst, name="Ages", area=area_tree["north"], source="census",
                                       targets=OCTOBER_AGES)
    first = run(analyst, django_capture_on_commit_callbacks, area=area_tree["north"], source_key="people",
                targets=[ages_table])
    assert first.status == HeardComparison.Status.DONE
    newcomer = Person.objects.create(full_name="Newcomer", area=area_tree["north_ward"])
    save_demographics(analyst, newcomer, {"age_band": "65-74", "sex": "female"})
    record_contact(newcomer, "response", "online_survey", source="consultation:2")
    with django_capture_on_commit_callbacks(execute=False):
        again = services.rerun_heard_comparison(analyst, first)
    heard_comparison_task.call(again.task_id)
    again.refresh_from_db()
    assert again.status == HeardComparison.Status.FAILED and f"comparison {first.pk}" in again.error


def test_a_ward_and_the_division_above_it_are_checked_against_each_other(
        analyst: Any, area_tree: dict[str, Any], register: dict[str, Any],
        django_capture_on_commit_callbacks: Any) -> None:
    from byconsent.people.models import Person
    from byconsent.people.services import record_contact, save_demographics

    for n in range(3):  # three people of Northtown outside the North Ward
        person = Person.objects.create(full_name=f"Town {n}", area=area_tree["north_town"])
        save_demographics(analyst, person, {"age_band": "25-34", "sex": "male"})
        record_contact(person, "response", "online_survey", source="consultation:1",
                       when=timezone.make_aware(datetime(2026, 10, 9, 12)))
    ward_table = services.save_targets(analyst, name="Ward ages", area=area_tree["north_ward"], source="census",
                                       targets=OCTOBER_AGES)
    town_table = services.save_targets(analyst, name="Town ages", area=area_tree["north_town"], source="census",
                                       targets=OCTOBER_AGES)
    filters = {"date_from": "2026-10-01", "date_to": "2026-10-31"}
    ward = run(analyst, django_capture_on_commit_callbacks, area=area_tree["north_ward"], source_key="people",
               targets=[ward_table], filters=filters)
    assert ward.status == HeardComparison.Status.DONE
    town = run(analyst, django_capture_on_commit_callbacks, area=area_tree["north_town"], source_key="people",
               targets=[town_table], filters=filters)
    assert town.status == HeardComparison.Status.FAILED and f"comparison {ward.pk} (North Ward" in town.error


def _members(*ranges: range) -> frozenset[bytes]:
    return frozenset(n.to_bytes(8, "big") for r in ranges for n in r)


def test_a_chain_of_comparisons_cannot_single_out_a_small_group() -> None:
    # S, S+P and S+Q each differ from the others by 10 or more people, but S+P+Q+z gives z by
    # (S+P+Q+z) - (S+P) - (S+Q) + S: the new comparison cuts no earlier one, yet adds one person nobody counted.
    common, p, q = range(0, 30), range(100, 110), range(200, 210)
    earlier = [heard.Earlier("A", _members(common)), heard.Earlier("B", _members(common, p)),
               heard.Earlier("C", _members(common, q))]
    problem = heard.differencing_problem(_members(common, p, q, range(999, 1000)), earlier, 10)
    assert problem is not None and "fewer than 10 people" in problem
    # Splitting the people an earlier comparison counted into 3 counted here and 7 not is refused as well...
    problem = heard.differencing_problem(_members(common, range(100, 103), range(300, 320)), earlier, 10)
    assert problem is not None and "B" in problem
    # ...while whole groups of 10 or more, or people nobody compared, are fine.
    assert heard.differencing_problem(_members(common, p, q), earlier, 10) is None
    assert heard.differencing_problem(_members(range(500, 503)), earlier, 10) is None
    assert heard.differencing_problem(_members(common, p, q, range(300, 312)), earlier, 10) is None


def test_a_fingerprint_made_with_another_secret_key_is_not_read(settings: Any) -> None:
    made = heard.participant_fingerprint("people", ["1", "2"])
    assert heard.fingerprint_members(made) is not None
    settings.SECRET_KEY = "another secret key for this test, long enough to be one"
    assert heard.fingerprint_members(made) is None


def test_respondents_with_no_area_are_left_out_of_an_area_and_counted_on_the_page(
        analyst: Any, area_tree: dict[str, Any], questionnaire: Any, north_targets: list[Any],
        django_capture_on_commit_callbacks: Any, client_for: Any) -> None:
    from byconsent.surveys.services import create_response

    version = questionnaire.current_version
    for n in range(3):  # a force-wide link answered without a postcode
        create_response(version, submission_token=f"nowhere{n}", answers={"confidence": "no"},
                        demographics={"age_band": "35-64", "sex": "female"}, channel="online_survey", area=None)
    comparison = run(analyst, django_capture_on_commit_callbacks, area=area_tree["north"],
                     source_key=f"survey:{questionnaire.pk}", targets=north_targets)
    assert comparison.status == HeardComparison.Status.DONE, comparison.error
    sex = comparison.result["characteristics"][1]
    assert [g["count"] for g in sex["groups"]] == [30, 30]  # the 60 of the North Ward, not 63
    assert comparison.result["left_out"] == 0 and comparison.result["left_out_fewer_than"] is True
    page = client_for(analyst).get(reverse("insights:heard_detail", args=[comparison.pk])).content.decode()
    assert "fewer than 10 respondents" in page
    exported = client_for(analyst).get(reverse("insights:heard_csv", args=[comparison.pk])).content.decode()
    assert "Left out: fewer than 10 respondents" in exported


def test_a_comparison_of_a_source_the_viewer_may_not_read_is_not_found(
        analyst: Any, make_user: Any, area_tree: dict[str, Any], questionnaire: Any,
        django_capture_on_commit_callbacks: Any, client_for: Any) -> None:
    ward_tables = [services.save_targets(analyst, name="Ward sex", area=area_tree["north_ward"], targets=SEX,
                                         source="census")]
    comparison = run(analyst, django_capture_on_commit_callbacks, area=area_tree["north_ward"],
                     source_key=f"survey:{questionnaire.pk}", targets=ward_tables)
    assert comparison.status == HeardComparison.Status.DONE, comparison.error
    ward_analyst = make_user("analyst", area_tree["north_ward"])  # the questionnaire belongs to the division
    assert f"survey:{questionnaire.pk}" not in dict(heard.source_choices(ward_analyst))
    client = client_for(ward_analyst)
    assert client.get(reverse("insights:heard_detail", args=[comparison.pk])).status_code == 404
    assert client.get(reverse("insights:heard_csv", args=[comparison.pk])).status_code == 404
    assert client.post(reverse("insights:heard_detail", args=[comparison.pk])).status_code == 404
    assert comparison.pk not in heard.comparisons_for(ward_analyst).values_list("pk", flat=True)
    assert comparison.pk in heard.comparisons_for(analyst).values_list("pk", flat=True)


def test_the_task_checks_the_area_again_and_never_counts_unreadable_people_as_not_given(
        make_user: Any, area_tree: dict[str, Any], register: dict[str, Any],
        django_capture_on_commit_callbacks: Any) -> None:
    from byconsent.core.models import RoleAssignment

    both = make_user("analyst", area_tree["north"])
    RoleAssignment.objects.create(user=both, role="analyst", area=area_tree["south"])
    ages_table = services.save_targets(both, name="Ages", area=area_tree["north"], source="census",
                                       targets=OCTOBER_AGES)
    with django_capture_on_commit_callbacks(execute=False):
        comparison = services.start_heard_comparison(both, area=area_tree["north"], source_key="people",
                                                     targets=[ages_table])
    RoleAssignment.objects.filter(user=both, area=area_tree["north"]).delete()  # moved to the south meanwhile
    heard_comparison_task.call(comparison.task_id)
    comparison.refresh_from_db()
    assert comparison.status == HeardComparison.Status.FAILED and comparison.result == {}
    assert "not available" in comparison.error
    # And the people read are the people counted: nobody outside the actor's areas is counted as "not given".
    participants = heard.load_participants(both, "people", area_tree["force"], {})
    assert participants.count == len(register["south"])


def test_the_largest_ratio_of_a_hidden_group_is_worked_out_on_the_table_the_reader_sees() -> None:
    # Everyone aged 35-64 and every man gave both answers, so their "without the other" cells are zero; those cells
    # are never shown, so a reader cannot know that, and the bound must not use it (it gave 2.69 instead of 4.10).
    pairs = ([("16-24", "Male")] * 20 + [("16-24", "Female")] * 15 + [(None, "Female")] * 11
             + [("25-34", "Male")] * 8 + [("25-34", "Female")] * 3 + [("35-64", "Female")] * 3
             + [("35-64", "Male")] * 3 + [("16-24", None)] * 3 + [("25-34", None)])
    joint = {"age × sex": {f"{a} × {s}": 0.5 * q for a, q in {"16-24": 0.3, "25-34": 0.3, "35-64": 0.4}.items()
                           for s in ("Female", "Male")}}
    people = Participants("Survey", len(pairs), {"age_band": [a for a, _ in pairs], "sex": [s for _, s in pairs]})
    result = compare(people, [("Age", AGE), ("Sex", SEX), ("Age by sex", joint)], threshold=10)
    cells = {g["group"]: g for g in result["joint"][0]["groups"]}
    assert cells["Aged 16 to 24 years × Female"]["count"] is None
    assert cells["Aged 16 to 24 years × Female"]["ratio_at_most"] == pytest.approx(4.1026, abs=1e-3)
    assert cells["Aged 35 to 64 years × Female"]["ratio_at_most"] == pytest.approx(3.0769, abs=1e-3)


def test_a_comparison_the_analyst_cannot_open_still_counts_but_is_not_described(
        analyst: Any, make_user: Any, area_tree: dict[str, Any], register: dict[str, Any],
        django_capture_on_commit_callbacks: Any) -> None:
    division = services.save_targets(analyst, name="Ages", area=area_tree["north"], source="census",
                                     targets=OCTOBER_AGES)
    first = run(analyst, django_capture_on_commit_callbacks, area=area_tree["north"], source_key="people",
                targets=[division], filters={"date_to": "2026-11-30"})
    assert first.status == HeardComparison.Status.DONE
    ward_analyst = make_user("analyst", area_tree["north_ward"])
    ward = services.save_targets(ward_analyst, name="Ward ages", area=area_tree["north_ward"], source="census",
                                 targets=OCTOBER_AGES)
    mine = run(ward_analyst, django_capture_on_commit_callbacks, area=area_tree["north_ward"], source_key="people",
               targets=[ward], filters={"date_to": "2026-12-31"})
    assert mine.status == HeardComparison.Status.FAILED
    assert "a comparison of the same participants that you cannot open" in mine.error
    assert "North Division" not in mine.error and f"comparison {first.pk} " not in mine.error
