"""The builder's type settings (validated, GOV.UK messages), moving and removing pages, and the versioning rule:
once a version has responses, every change makes a new version and responses keep theirs."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from byconsent.core.models import AuditEntry
from byconsent.surveys import logic, services
from byconsent.surveys.forms import PageForm
from byconsent.surveys.models import new_token

pytestmark = pytest.mark.django_db


def titles(version: Any) -> list[str]:
    return list(version.pages.order_by("position", "id").values_list("title", flat=True))


def add(client: Any, survey: Any, page: Any, **fields: Any) -> Any:
    return client.post(reverse("surveys:staff_question_add", args=[survey.pk, page.pk]),
                        {"text": "Q", "key": "q", **fields})


# ---- type settings ----------------------------------------------------------------------------------------------

def test_file_settings_are_saved_and_checked(officer: Any, client_for: Any, survey: Any) -> None:
    client = client_for(officer)
    page = survey.current_version.pages.get(title="More")
    too_big = add(client, survey, page, type="file", max_size_mb="100").content.decode()
    assert "Largest file size must be between 1 and 25 MB" in too_big and "There is a problem" in too_big
    not_number = add(client, survey, page, type="file", max_size_mb="ten").content.decode()
    assert "Largest file size must be a whole number of MB, like 10" in not_number
    assert add(client, survey, page, type="file", max_size_mb="5", file_types=["png", "pdf"]).status_code == 302
    question = page.questions.get(key="q")
    assert question.settings == {"file_types": ["pdf", "png"], "max_size_mb": 5}
    form = client.get(reverse("surveys:staff_question_edit", args=[survey.pk, question.pk])).content.decode()
    assert 'value="png" checked' in form and 'value="gif" checked' not in form and 'value="5"' in form
    hint = str(PageForm([question]).fields["q"].help_text)
    assert "PDF, PNG, up to 5 MB" in hint


def test_number_limits_must_make_sense(officer: Any, client_for: Any, survey: Any) -> None:
    client = client_for(officer)
    page = survey.current_version.pages.get(title="More")
    reply = add(client, survey, page, type="number", minimum="10", maximum="5").content.decode()
    assert "Largest number allowed must be more than the smallest number allowed" in reply
    assert not page.questions.filter(key="q").exists()
    assert add(client, survey, page, type="number", minimum="-5", maximum="2.5").status_code == 302
    assert page.questions.get(key="q").settings == {"min": -5, "max": 2.5}


def test_rating_labels_text_limit_and_settings_of_other_types_ignored(officer: Any, client_for: Any,
                                                                       survey: Any) -> None:
    client = client_for(officer)
    page = survey.current_version.pages.get(title="More")
    long_label = add(client, survey, page, type="rating", low_label="x" * 61).content.decode()
    assert "Label for 0 must be 60 characters or fewer" in long_label
    add(client, survey, page, type="rating", low_label="Very poor", high_label="Excellent", max_size_mb="5",
        file_types=["pdf"], max_length="40")
    rating = page.questions.get(key="q")
    assert rating.settings == {"low_label": "Very poor", "high_label": "Excellent"}
    labels = dict(PageForm([rating]).fields["q"].choices)
    assert labels["0"] == "0 – Very poor" and labels["10"] == "10 – Excellent"
    add(client, survey, page, type="long_text", max_length="40", key="story")
    story = page.questions.get(key="story")
    assert story.settings == {"max_length": 40}
    form = PageForm([story], {"story": "x" * 41})
    assert not form.is_valid() and "must be 40 characters or fewer" in form.errors["story"][0]
    bad_limit = add(client, survey, page, type="long_text", max_length="0", key="other").content.decode()
    assert "Most characters allowed must be between 1 and 20,000" in bad_limit


def test_agreement_scale_labels_and_grid_rows(officer: Any, client_for: Any, survey: Any) -> None:
    client = client_for(officer)
    page = survey.current_version.pages.get(title="More")
    add(client, survey, page, type="likert", options="Very happy\nHappy\nUnhappy", key="mood")
    mood = page.questions.get(key="mood")
    assert [c[1] for c in PageForm([mood]).fields["mood"].choices] == ["Very happy", "Happy", "Unhappy"]
    no_rows = add(client, survey, page, type="grid", options="Good\nPoor", key="g").content.decode()
    assert "Enter at least one row, one per line" in no_rows
    add(client, survey, page, type="grid", options="Good\nPoor", rows="Speed\nCare", key="g")
    assert [r["label"] for r in page.questions.get(key="g").settings["rows"]] == ["Speed", "Care"]


# ---- moving and removing pages -------------------------------------------------------------------------------

def test_move_pages_once_per_press_and_never_above_what_they_depend_on(officer: Any, client_for: Any,
                                                                        survey: Any) -> None:
    client = client_for(officer)
    version = survey.current_version
    assert titles(version) == ["Your views", "Speeding", "More", "About you"]
    more = version.pages.get(title="More")
    url = reverse("surveys:staff_move_page", args=[survey.pk, more.pk])
    client.post(url, {"direction": "up", "position": "3"})
    client.post(url, {"direction": "up", "position": "3"})  # the same press again: nothing more moves
    assert titles(version) == ["Your views", "More", "Speeding", "About you"]
    speeding = version.pages.get(title="Speeding")
    client.post(reverse("surveys:staff_move_page", args=[survey.pk, speeding.pk]), {"direction": "up",
                                                                                     "position": "3"})
    refused = client.post(reverse("surveys:staff_move_page", args=[survey.pk, speeding.pk]),
                          {"direction": "up", "position": "2"}, follow=True).content.decode()
    assert "This page cannot move there, because the page “Speeding” depends on “priorities”" in refused
    assert titles(version) == ["Your views", "Speeding", "More", "About you"]
    assert AuditEntry.objects.filter(action="questionnaire.page_moved").count() == 2


def test_remove_a_page_after_confirming_unless_conditions_need_it(officer: Any, client_for: Any,
                                                                   survey: Any) -> None:
    client = client_for(officer)
    version = survey.current_version
    first = version.pages.get(title="Your views")
    url = reverse("surveys:staff_page_delete", args=[survey.pk, first.pk])
    confirm = client.get(url).content.decode()
    assert "the page “Speeding”" in confirm and "Yes, remove this page" not in confirm
    refused = client.post(url).content.decode()
    assert "cannot be removed, because the page “Speeding” depend" in refused
    assert version.pages.filter(pk=first.pk).exists()
    more = version.pages.get(title="More")
    url = reverse("surveys:staff_page_delete", args=[survey.pk, more.pk])
    page = client.get(url).content.decode()
    assert "Yes, remove this page" in page and "Its 6 questions go with it" in page
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # a second press: nothing else happens
    assert titles(version) == ["Your views", "Speeding", "About you"]
    assert AuditEntry.objects.filter(action="questionnaire.page_removed").count() == 1


def test_removing_a_question_others_depend_on_is_refused(officer: Any, survey: Any) -> None:
    priorities = survey.current_version.pages.get(title="Your views").questions.get(key="priorities")
    with pytest.raises(ValueError, match="the page “Speeding”"):
        services.delete_question(officer, priorities)
    with pytest.raises(ValueError, match="short name cannot change"):
        services.update_question(officer, priorities, key="focus")


# ---- versions ---------------------------------------------------------------------------------------------------

def test_every_page_change_after_responses_makes_a_new_version(officer: Any, client_for: Any,
                                                               survey: Any) -> None:
    client = client_for(officer)
    first_version = survey.current_version
    response = services.record_staff_response(officer, survey, channel="paper", submission_token=new_token(),
                                              answers={"safe": "agree"})
    more = first_version.pages.get(title="More")
    client.post(reverse("surveys:staff_move_page", args=[survey.pk, more.pk]), {"direction": "up",
                                                                                 "position": "3"})
    survey.refresh_from_db()
    second = survey.current_version
    assert second.number == 2
    assert titles(first_version) == ["Your views", "Speeding", "More", "About you"]
    assert titles(second) == ["Your views", "More", "Speeding", "About you"]
    # The old page's address is stale now: the builder says so and changes nothing.
    stale = client.post(reverse("surveys:staff_page_delete", args=[survey.pk, more.pk]), follow=True)
    assert "earlier version" in stale.content.decode() and titles(first_version)[2] == "More"
    services.record_staff_response(officer, survey, channel="paper", submission_token=new_token(),
                                   answers={"safe": "agree"})
    new_more = second.pages.get(title="More")
    client.post(reverse("surveys:staff_page_edit", args=[survey.pk, new_more.pk]), {
        "title": "More", "c-count": "2", "c-match": "any", "c-question_0": "safe", "c-op_0": "equals",
        "c-value_0": "agree", "c-question_1": "safe", "c-op_1": "equals", "c-value_1": "disagree"})
    survey.refresh_from_db()
    third = survey.current_version
    assert third.number == 3 and logic.match_of(third.pages.get(title="More").show_if) == "any"
    assert second.pages.get(title="More").show_if == []
    services.record_staff_response(officer, survey, channel="paper", submission_token=new_token(),
                                   answers={"safe": "agree"})
    client.post(reverse("surveys:staff_page_delete", args=[survey.pk, third.pages.get(title="More").pk]))
    survey.refresh_from_db()
    assert survey.current_version.number == 4 and "More" not in titles(survey.current_version)
    assert "More" in titles(third)
    response.refresh_from_db()
    assert response.version == first_version


def test_question_form_shows_every_field_under_a_heading() -> None:
    from byconsent.surveys.forms import QuestionEditForm

    form = QuestionEditForm()
    shown = [field.name for _heading, fields in form.sections() for field in fields]
    assert sorted(shown) == sorted(form.fields) and len(shown) == len(set(shown))


def test_moving_a_question_twice_with_the_same_press_moves_it_once(officer: Any, client_for: Any,
                                                                   survey: Any) -> None:
    client = client_for(officer)
    first = survey.current_version.pages.get(title="Your views")
    comments = first.questions.get(key="comments")
    url = reverse("surveys:staff_move_question", args=[survey.pk, comments.pk])
    client.post(url, {"direction": "up", "position": "3"})
    client.post(url, {"direction": "up", "position": "3"})
    assert list(first.questions.order_by("position").values_list("key", flat=True)) == [
        "safe", "comments", "priorities"]


def test_a_refused_change_never_makes_a_new_version(officer: Any, survey: Any) -> None:
    services.record_staff_response(officer, survey, channel="paper", submission_token=new_token(),
                                   answers={"safe": "agree"})
    version = survey.current_version
    first = version.pages.get(title="Your views")
    speeding = version.pages.get(title="Speeding")
    with pytest.raises(ValueError):
        services.delete_page(officer, first)
    with pytest.raises(ValueError):
        services.move_page(officer, speeding, -1)
    with pytest.raises(services.ConditionError):
        services.add_question(officer, first, key="x", type="short_text", text="X",
                              show_if=[{"question": "score", "op": "answered"}])
    services.move_page(officer, first, -1)  # already first: nothing to do
    survey.refresh_from_db()
    assert survey.current_version == version and survey.versions.count() == 1


def test_an_answer_a_condition_tests_for_cannot_disappear(officer: Any, client_for: Any, survey: Any) -> None:
    client = client_for(officer)
    priorities = survey.current_version.pages.get(title="Your views").questions.get(key="priorities")
    url = reverse("surveys:staff_question_edit", args=[survey.pk, priorities.pk])
    fields = {"text": priorities.text, "key": "priorities", "type": "multiple_choice", "allow_other": "on"}
    reply = client.post(url, {**fields, "options": "Anti-social behaviour\nSpeed\nNone of these*"})
    text = reply.content.decode()
    assert "The answer “Speeding” cannot be removed or renamed while the page “Speeding” depends on it" in text
    priorities.refresh_from_db()
    assert [o["value"] for o in priorities.options] == ["asb", "speeding", "none"]
    kept = client.post(url, {**fields, "options": "Anti-social behaviour\nSpeeding\nBurglary\nNone of these*"})
    assert kept.status_code == 302
    priorities.refresh_from_db()  # labels kept keep their stored values: answers and exports still match
    assert [o["value"] for o in priorities.options] == ["asb", "speeding", "burglary", "none"]


def test_pressing_save_twice_adds_one_page_and_one_question(officer: Any, client_for: Any, survey: Any) -> None:
    client = client_for(officer)
    form = client.get(reverse("surveys:staff_page_add", args=[survey.pk])).content.decode()
    token = form.split('name="form_token" value="')[1].split('"')[0]
    for _ in range(2):
        assert client.post(reverse("surveys:staff_page_add", args=[survey.pk]),
                           {"title": "Extra", "form_token": token}).status_code == 302
    assert titles(survey.current_version).count("Extra") == 1
    extra = survey.current_version.pages.get(title="Extra")
    url = reverse("surveys:staff_question_add", args=[survey.pk, extra.pk])
    for _ in range(2):
        reply = client.post(url, {"text": "Q", "key": "q", "type": "short_text", "form_token": "t" * 32})
        assert reply.status_code == 302
    assert extra.questions.count() == 1
    # A different form (another token) is a new page, even with the same title.
    client.post(reverse("surveys:staff_page_add", args=[survey.pk]), {"title": "Extra", "form_token": "u" * 32})
    assert titles(survey.current_version).count("Extra") == 2


def test_a_draft_under_way_freezes_its_version(officer: Any, survey: Any) -> None:
    """Found in review: someone part-way through must submit against the questions they were shown."""
    version = survey.current_version
    draft = services.start_draft(survey)
    question = version.pages.get(title="Your views").questions.get(key="safe")
    services.update_question(officer, question, text="I feel safe in my street")
    survey.refresh_from_db()
    assert survey.current_version != version and survey.versions.count() == 2
    draft.refresh_from_db()
    assert draft.version == version
    assert version.pages.get(title="Your views").questions.get(key="safe").text == "I feel safe where I live"


def test_two_editors_with_stale_copies_share_one_new_version(officer: Any, survey: Any) -> None:
    """Each editor's page was loaded before the other's change: the second must not make version 2 again."""
    from byconsent.surveys.models import Questionnaire

    services.record_staff_response(officer, survey, channel="paper", submission_token=new_token(),
                                   answers={"safe": "agree"})
    first_editor, second_editor = (Questionnaire.objects.get(pk=survey.pk) for _ in range(2))
    made = services.editable_version(officer, first_editor).version
    again = services.editable_version(officer, second_editor).version
    assert made == again and made.number == 2 and survey.versions.count() == 2


def test_a_refused_about_you_block_makes_no_version(officer: Any, survey: Any) -> None:
    services.record_staff_response(officer, survey, channel="paper", submission_token=new_token(),
                                   answers={"safe": "agree"})
    with pytest.raises(ValueError, match="already has"):
        services.add_demographic_block(officer, survey)  # the fixture added it already
    assert survey.versions.count() == 1


def test_a_question_a_condition_reads_cannot_become_an_information_block(officer: Any, survey: Any) -> None:
    priorities = survey.current_version.pages.get(title="Your views").questions.get(key="priorities")
    with pytest.raises(ValueError, match="information block"):
        services.update_question(officer, priorities, type="info")
    assert survey.versions.count() == 1
