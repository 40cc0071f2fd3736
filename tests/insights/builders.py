"""Small questionnaires for insights tests, built straight on the models (their content is what the tests vary)."""

from __future__ import annotations

from typing import Any


def questionnaire_with_about_you(area: Any, *, slug: str, title: str) -> tuple[Any, Any, Any]:
    """An open-shaped questionnaire with one version and two empty pages: "Your views" and the "About you" page.
    Returns (questionnaire, views page, about-you page)."""
    from byconsent.surveys.models import Page, Questionnaire, QuestionnaireVersion

    survey = Questionnaire.objects.create(slug=slug, title=title, area=area)
    version = QuestionnaireVersion.objects.create(questionnaire=survey, number=1)
    survey.current_version = version
    survey.save()
    main = Page.objects.create(version=version, position=0, title="Your views")
    about = Page.objects.create(version=version, position=1, title="About you", is_demographic=True)
    return survey, main, about
