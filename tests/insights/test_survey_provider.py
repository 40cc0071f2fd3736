"""The surveys app's questionnaires feed cross-tabs through the provider registry (read only)."""

from __future__ import annotations

import pytest

from byconsent.insights import selectors
from byconsent.insights.responses import sources_for
from tests.insights.builders import questionnaire_with_about_you


@pytest.fixture
def questionnaire(area_tree):
    from byconsent.surveys.models import Question
    from byconsent.surveys.services import create_response

    survey, main, about = questionnaire_with_about_you(area_tree["force"], slug="confidence",
                                                       title="Confidence in policing")
    version = survey.current_version
    Question.objects.create(page=main, key="confidence", type="single_choice", text="How confident are you?",
                            options=[{"value": "yes", "label": "Confident"}, {"value": "no", "label": "Not confident"}])
    Question.objects.create(page=main, key="comments", type="long_text", text="Anything else?")
    Question.objects.create(page=about, key="faith", type="single_choice", text="Religion", is_demographic=True,
                            options=[{"value": "none", "label": "No religion"}, {"value": "christian",
                                                                                   "label": "Christian"}])
    for n in range(30):
        create_response(version, submission_token=f"t{n}", answers={"confidence": "yes" if n % 3 else "no",
                                                                     "comments": "ok"},
                        demographics={"faith": "none" if n % 2 else "christian"}, channel="online_survey",
                        area=area_tree["north_ward"])
    return survey


def test_questionnaires_are_sources_with_labelled_answers(analyst, questionnaire):
    key = f"survey:{questionnaire.pk}"
    assert key in [s.key for s in sources_for(analyst)]
    loaded = selectors.responses_with_weights(analyst, key, None)
    assert list(loaded.table.questions) == ["confidence"]  # free text is not a closed question
    assert loaded.table.breakdowns() == ["faith", "area"]
    table = selectors.crosstab(analyst, loaded, "confidence", "faith", threshold=5)
    assert table.answers == ["Confident", "Not confident"]
    assert {row.group for row in table.rows} == {"No religion", "Christian"}
    assert table.question_label == "How confident are you?"


def test_questionnaires_of_other_areas_are_hidden(make_user, area_tree, questionnaire):
    south = make_user("analyst", area_tree["south"])
    assert all(not s.key.startswith("survey:") for s in sources_for(south))
    with pytest.raises(LookupError):
        selectors.responses_with_weights(south, f"survey:{questionnaire.pk}", None)


def test_a_set_can_hold_everything_said_in_reply_to_one_questionnaire(analyst, area_tree, questionnaire, client_for):
    from django.urls import reverse

    from byconsent.core.models import Contribution
    from byconsent.insights import services
    from byconsent.insights.sources import source_choices

    Contribution.objects.create(channel="comment", area=area_tree["north_ward"], text="Unrelated comment")
    key = f"survey:{questionnaire.pk}"
    assert (key, "Questionnaire: Confidence in policing") in source_choices(analyst)
    chosen = services.create_contribution_set(analyst, name="Replies", area=area_tree["force"], source_key=key)
    assert chosen.contributions().count() == 30
    response = client_for(analyst).post(reverse("insights:set_create"), {
        "name": "Via the form", "area": area_tree["force"].pk, "source": key})
    assert response.status_code == 302
    made = services.ContributionSet.objects.get(name="Via the form")
    assert made.source_label == "Questionnaire: Confidence in policing" and made.contributions().count() == 30
