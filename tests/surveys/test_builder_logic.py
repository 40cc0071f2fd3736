"""Several conditions per page or question, matched ALL or ANY: the engine, every path that answers through it,
and the builder screens that make them (without JavaScript: add, remove, update the answers to choose from)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.urls import reverse

from byconsent.surveys import importing, logic, selectors, services
from byconsent.surveys.models import Draft, Question, Response, new_token

pytestmark = pytest.mark.django_db

ANY_WORRIED = {"match": "any", "conditions": [{"question": "safe", "op": "equals", "value": "disagree"},
                                              {"question": "priorities", "op": "includes", "value": "asb"}]}


@pytest.fixture
def worried(officer: Any, survey: Any) -> Question:
    """On the third page: asked when the person does not feel safe OR chose anti-social behaviour."""
    more = survey.current_version.pages.get(title="More")
    return services.add_question(officer, more, key="why_worried", type="short_text", text="What worries you?",
                                 show_if=ANY_WORRIED)


# ---- the engine ---------------------------------------------------------------------------------------------

def test_any_all_and_the_old_stored_lists() -> None:
    both = [{"question": "a", "op": "equals", "value": "x"}, {"question": "b", "op": "answered", "value": ""}]
    only_a = {"a": "x"}
    assert logic.shows(both, {"a": "x", "b": "y"}) and not logic.shows(both, only_a)  # a plain list: all
    assert logic.shows({"match": "all", "conditions": both}, {"a": "x", "b": 1})
    assert not logic.shows({"match": "all", "conditions": both}, only_a)
    assert logic.shows({"match": "any", "conditions": both}, only_a)
    assert logic.shows({"match": "any", "conditions": both}, {"b": "z"})
    assert not logic.shows({"match": "any", "conditions": both}, {"a": "other"})
    assert logic.shows({"match": "any", "conditions": []}, {}) and logic.shows([], {}) and logic.shows(None, {})


def test_make_show_if_keeps_the_old_form_unless_any_matters() -> None:
    one = [{"question": "a", "op": "answered", "value": "ignored"}]
    assert logic.make_show_if(one, "any") == [{"question": "a", "op": "answered", "value": ""}]
    two = [{"question": "a", "op": "equals", "value": "x"}, {"question": "b", "op": "not_equals", "value": "y"}]
    assert logic.make_show_if(two, "all") == two
    assert logic.make_show_if(two, "any") == {"match": "any", "conditions": two}
    assert logic.referenced_keys({"match": "any", "conditions": two}) == ["a", "b"]


def test_prune_hidden_honours_any() -> None:
    from types import SimpleNamespace

    questions = [SimpleNamespace(key="a", show_if=[]), SimpleNamespace(key="b", show_if=[]),
                 SimpleNamespace(key="c", show_if={"match": "any", "conditions": [
                     {"question": "a", "op": "equals", "value": "yes"},
                     {"question": "b", "op": "equals", "value": "yes"}]})]
    page = SimpleNamespace(show_if=[], questions=SimpleNamespace(all=lambda: questions))
    assert logic.prune_hidden([page], {"a": "no", "b": "yes", "c": "kept"})["c"] == "kept"
    assert "c" not in logic.prune_hidden([page], {"a": "no", "b": "no", "c": "dropped"})


# ---- every path that answers ----------------------------------------------------------------------------------

def test_public_pages_show_the_question_when_any_condition_holds(client: Any, survey: Any, worried: Any) -> None:
    first, more = survey.current_version.pages.get(title="Your views"), worried.page
    url = reverse("surveys:page", args=[services.start_draft(survey).token, more.pk])
    draft = Draft.objects.get()
    services.save_page(draft, first, {"safe": "agree", "priorities": ["speeding"]})
    assert "What worries you?" not in client.get(url).content.decode()
    services.save_page(draft, first, {"safe": "agree", "priorities": ["asb"]})  # only the second holds
    assert "What worries you?" in client.get(url).content.decode()
    services.save_page(draft, first, {"safe": "disagree", "priorities": ["speeding"]})  # only the first holds
    assert "What worries you?" in client.get(url).content.decode()
    services.save_page(draft, more, {"why_worried": "Cars"})
    services.save_page(draft, first, {"safe": "agree", "priorities": ["speeding"]})  # now neither: dropped
    assert "why_worried" not in Draft.objects.get().answers


def test_staff_entry_keeps_or_drops_by_any(officer: Any, survey: Any, worried: Any) -> None:
    kept = services.record_staff_response(officer, survey, channel="paper", submission_token=new_token(),
                                          answers={"safe": "agree", "priorities": ["asb"], "why_worried": "Bikes"})
    dropped = services.record_staff_response(officer, survey, channel="paper", submission_token=new_token(),
                                             answers={"safe": "agree", "priorities": ["speeding"],
                                                      "why_worried": "Bikes"})
    assert kept.answers["why_worried"] == "Bikes" and "why_worried" not in dropped.answers


def test_bulk_import_keeps_or_drops_by_any(officer: Any, survey: Any, worried: Any) -> None:
    csv = ("channel,safe,priorities__asb,priorities__speeding,speed_where,why_worried\n"
           "paper,agree,0,1,Main Road,Dropped\n"
           "paper,disagree,0,1,Main Road,Kept\n")
    preview = importing.preview(survey, "r.csv", csv.encode())
    assert preview.errors == []
    assert importing.commit(officer, survey, preview.stored).created == 2
    answers = [r.answers for r in Response.objects.order_by("id")]
    assert "why_worried" not in answers[0] and answers[1]["why_worried"] == "Kept"


def test_json_submission_keeps_or_drops_by_any(client: Any, survey: Any, worried: Any) -> None:
    def send(answers: dict[str, Any]) -> Response:
        reply = client.post(reverse("surveys:submit_json", args=[survey.slug]),
                            json.dumps({"submission_token": new_token(), "answers": answers}),
                            content_type="application/json")
        assert reply.status_code == 201, reply.content
        return Response.objects.get(reference=reply.json()["reference"])

    base = {"priorities": ["speeding"], "speed_where": "Main Road", "why_worried": "Vans"}
    assert send({**base, "safe": "disagree"}).answers["why_worried"] == "Vans"
    assert "why_worried" not in send({**base, "safe": "agree"}).answers


def test_printable_version_and_builder_describe_any(client: Any, officer: Any, client_for: Any, survey: Any,
                                                    worried: Any) -> None:
    text = client.get(reverse("surveys:print", args=[survey.slug])).content.decode()
    expected = ("Only answer this if the answer to “I feel safe where I live” is “Disagree” or the answer to "
                "“What should we focus on?” includes “Anti-social behaviour”.")
    assert expected in text
    assert "Only answer this section if the answer to “What should we focus on?” includes “Speeding”." in text
    detail = client_for(officer).get(reverse("surveys:staff_detail", args=[survey.pk])).content.decode()
    assert "Shown only if the answer to “I feel safe where I live” is “Disagree” or the answer" in detail
    pages = selectors.printable_pages(survey.current_version)
    assert [e["match_any"] for p in pages for e in p["questions"] if e["question"].key == "why_worried"] == [True]


# ---- the builder ----------------------------------------------------------------------------------------------

def question_post(**extra: Any) -> dict[str, Any]:
    return {"text": "Tell us more", "key": "more", "type": "long_text", **extra}


def test_builder_saves_several_conditions_matched_any(officer: Any, client_for: Any, survey: Any) -> None:
    client = client_for(officer)
    more = survey.current_version.pages.get(title="More")
    url = reverse("surveys:staff_question_add", args=[survey.pk, more.pk])
    form = client.get(url).content.decode()
    # Only questions on earlier pages are offered, and the question's own page is not one of them.
    assert 'value="safe"' in form and 'value="speed_where"' in form and 'value="score"' not in form
    reply = client.post(url, question_post(**{
        "c-count": "2", "c-match": "any", "c-question_0": "safe", "c-op_0": "equals", "c-value_0": "disagree",
        "c-question_1": "speed_where", "c-op_1": "answered", "c-value_1": ""}))
    assert reply.status_code == 302
    assert more.questions.get(key="more").show_if == {"match": "any", "conditions": [
        {"question": "safe", "op": "equals", "value": "disagree"},
        {"question": "speed_where", "op": "answered", "value": ""}]}
    edit = client.get(reverse("surveys:staff_question_edit", args=[survey.pk, more.questions.get(key="more").pk]))
    page = edit.content.decode()
    assert "Condition 2" in page and 'value="any" checked' in page


def test_add_remove_and_update_rows_lose_nothing_and_save_nothing(officer: Any, client_for: Any,
                                                                  survey: Any) -> None:
    client = client_for(officer)
    more = survey.current_version.pages.get(title="More")
    url = reverse("surveys:staff_question_add", args=[survey.pk, more.pk])
    added = client.post(url, question_post(**{"c-count": "1", "c-question_0": "safe", "c-op_0": "equals",
                                               "c-add": "1"})).content.decode()
    assert "Condition 2" in added and "Tell us more" in added and "There is a problem" not in added
    # "safe" is an agreement scale, so its answer is now chosen from its options.
    assert '<option value="disagree">Disagree</option>' in added
    removed = client.post(url, question_post(**{
        "c-count": "2", "c-question_0": "safe", "c-op_0": "equals", "c-value_0": "agree",
        "c-question_1": "priorities", "c-op_1": "includes", "c-value_1": "asb", "c-remove": "0"})).content.decode()
    assert "Condition 2" not in removed and '<option value="asb" selected>' in removed
    assert not more.questions.filter(key="more").exists()


def test_builder_refuses_later_questions_itself_and_values_not_offered(officer: Any, client_for: Any,
                                                                        survey: Any) -> None:
    client = client_for(officer)
    first = survey.current_version.pages.get(title="Your views")
    safe = first.questions.get(key="safe")
    url = reverse("surveys:staff_question_edit", args=[survey.pk, safe.pk])
    fields = {"text": safe.text, "key": "safe", "type": "likert", "c-count": "1", "c-op_0": "answered"}
    for key in ("safe", "score", "comments"):  # itself, a later page, the same page
        reply = client.post(url, {**fields, "c-question_0": key}).content.decode()
        assert "Condition 1: choose a question from an earlier page" in reply
    safe.refresh_from_db()
    assert safe.show_if == []
    more = survey.current_version.pages.get(title="More")
    wrong = client.post(reverse("surveys:staff_question_add", args=[survey.pk, more.pk]), question_post(**{
        "c-count": "1", "c-question_0": "safe", "c-op_0": "equals", "c-value_0": "maybe"})).content.decode()
    assert "Condition 1: choose one of the answers to “I feel safe where I live”" in wrong
    blank = client.post(reverse("surveys:staff_question_add", args=[survey.pk, more.pk]), question_post(**{
        "c-count": "1", "c-question_0": "safe", "c-op_0": "equals", "c-value_0": ""})).content.decode()
    assert "Condition 1: choose the answer to look for" in blank
    includes = client.post(reverse("surveys:staff_question_add", args=[survey.pk, more.pk]), question_post(**{
        "c-count": "1", "c-question_0": "safe", "c-op_0": "includes", "c-value_0": "agree"})).content.decode()
    assert "“includes” is for multiple-choice questions" in includes
    assert not more.questions.filter(key="more").exists()


def test_services_refuse_conditions_on_later_questions_and_itself(officer: Any, survey: Any) -> None:
    first = survey.current_version.pages.get(title="Your views")
    with pytest.raises(services.ConditionError, match="earlier page"):
        services.add_question(officer, first, key="x", type="short_text", text="X",
                              show_if=[{"question": "score", "op": "answered"}])
    with pytest.raises(services.ConditionError, match="own answer"):
        services.update_question(officer, first.questions.get(key="safe"),
                                 show_if={"match": "any", "conditions": [{"question": "safe", "op": "answered"}]})
    with pytest.raises(services.ConditionError, match="earlier page"):
        services.update_page(officer, first, title="Your views", show_if=[{"question": "safe", "op": "answered"}])


def test_page_logic_from_the_builder_with_any(officer: Any, client_for: Any, survey: Any) -> None:
    client = client_for(officer)
    more = survey.current_version.pages.get(title="More")
    reply = client.post(reverse("surveys:staff_page_edit", args=[survey.pk, more.pk]), {
        "title": "More", "c-count": "2", "c-match": "any", "c-question_0": "safe", "c-op_0": "not_equals",
        "c-value_0": "agree", "c-question_1": "priorities", "c-op_1": "not_answered", "c-value_1": ""})
    assert reply.status_code == 302
    more.refresh_from_db()
    assert logic.match_of(more.show_if) == "any" and logic.referenced_keys(more.show_if) == ["safe", "priorities"]
    cleared = client.post(reverse("surveys:staff_page_edit", args=[survey.pk, more.pk]),
                          {"title": "More", "c-count": "1", "c-question_0": "", "c-op_0": "equals"})
    assert cleared.status_code == 302
    more.refresh_from_db()
    assert more.show_if == []


def test_first_page_offers_no_conditions_and_stale_ones_are_shown_then_refused(officer: Any, client_for: Any,
                                                                               survey: Any) -> None:
    client = client_for(officer)
    first = survey.current_version.pages.get(title="Your views")
    page = client.get(reverse("surveys:staff_page_edit", args=[survey.pk, first.pk])).content.decode()
    assert "No question comes before this page, so it is always shown" in page and "Condition 1" not in page
    # A condition stored before the builder checked (it reads a question on the same page): shown, not dropped.
    comments = first.questions.get(key="comments")
    type(comments).objects.filter(pk=comments.pk).update(show_if=[{"question": "safe", "op": "answered"}])
    url = reverse("surveys:staff_question_edit", args=[survey.pk, comments.pk])
    shown = client.get(url).content.decode()
    assert "safe (not on an earlier page)" in shown
    refused = client.post(url, {"text": comments.text, "key": "comments", "type": "long_text", "c-count": "1",
                                "c-question_0": "safe", "c-op_0": "answered"}).content.decode()
    assert "Condition 1: choose a question from an earlier page" in refused
    comments.refresh_from_db()
    assert comments.show_if == [{"question": "safe", "op": "answered"}]
    # Moving pages is not blocked by a problem that was already there, only by one the move would make.
    more = survey.current_version.pages.get(title="More")
    assert services.move_page(officer, more, -1) is not None
    assert list(survey.current_version.pages.order_by("position").values_list("title", flat=True))[:3] == [
        "Your views", "More", "Speeding"]


def test_staff_entry_says_when_each_question_applies(officer: Any, client_for: Any, survey: Any,
                                                     worried: Any) -> None:
    page = client_for(officer).get(reverse("surveys:staff_entry", args=[survey.pk])).content.decode()
    assert ("Only answered if the answer to “I feel safe where I live” is “Disagree” or the answer to "
            "“What should we focus on?” includes “Anti-social behaviour”.") in page
    assert "Only answered if the answer to “What should we focus on?” includes “Speeding”." in page
