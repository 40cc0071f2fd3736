"""A small questionnaire with every kind of question, pages, logic and the "About you" block."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def officer(area_tree: dict[str, Any], make_user: Any) -> Any:
    return make_user(role="engagement_officer", area=area_tree["north"])


@pytest.fixture
def survey(area_tree: dict[str, Any], officer: Any) -> Any:
    from byconsent.core.models import PostcodeArea
    from byconsent.surveys import services

    PostcodeArea.objects.create(postcode="NT1", area=area_tree["north_ward"])
    q = services.create_questionnaire(officer, title="Local priorities", slug="local-priorities",
                                      area=area_tree["north_town"], ask_publication=True)
    p1 = services.add_page(officer, q, title="Your views")
    services.add_question(officer, p1, key="safe", type="likert", text="I feel safe where I live", required=True)
    services.add_question(officer, p1, key="priorities", type="multiple_choice", text="What should we focus on?",
                          required=True, settings={"allow_other": True},
                          options=[{"value": "asb", "label": "Anti-social behaviour"},
                                   {"value": "speeding", "label": "Speeding"},
                                   {"value": "none", "label": "None of these", "exclusive": True}])
    services.add_question(officer, p1, key="comments", type="long_text", text="Anything else?",
                          settings={"max_length": 200})
    p2 = services.add_page(officer, q, title="Speeding", show_if=[{"question": "priorities", "op": "includes",
                                                                    "value": "speeding"}])
    services.add_question(officer, p2, key="speed_where", type="short_text", text="Where is speeding worst?",
                          required=True)
    p3 = services.add_page(officer, q, title="More")
    services.add_question(officer, p3, key="score", type="rating", text="How likely are you to recommend us?")
    services.add_question(officer, p3, key="rank", type="ranking", text="Rank these",
                          options=[{"value": "a", "label": "Foot patrols"}, {"value": "b", "label": "Online"}])
    services.add_question(officer, p3, key="grid", type="grid", text="How good are we at...",
                          options=[{"value": "good", "label": "Good"}, {"value": "poor", "label": "Poor"}],
                          settings={"rows": [{"value": "listening", "label": "Listening"},
                                             {"value": "acting", "label": "Acting"}]})
    services.add_question(officer, p3, key="postcode", type="postcode", text="Your postcode")
    services.add_question(officer, p3, key="age", type="number", text="How many years have you lived here?",
                          settings={"min": 0, "max": 120})
    services.add_question(officer, p3, key="when", type="date", text="When did you last see an officer?")
    services.add_demographic_block(officer, q)
    services.set_open(officer, q, True)
    q.refresh_from_db()
    return q


def page_ids(questionnaire: Any) -> list[int]:
    return list(questionnaire.current_version.pages.values_list("pk", flat=True))
