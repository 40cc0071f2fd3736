""""Who answered" in the staff summary report: the encrypted "About you" answers counted per category, through the
disclosure engine, for people who may analyse in the questionnaire's area only, never on public pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from byconsent.surveys import reports, services
from byconsent.surveys.models import DemographicAnswers, new_token

pytestmark = pytest.mark.django_db


def answer(officer: Any, survey: Any, **about_you: Any) -> None:
    services.record_staff_response(officer, survey, channel="paper", submission_token=new_token(),
                                   answers={"safe": "agree", **about_you})


@pytest.fixture
def answered(officer: Any, survey: Any) -> Any:
    for _ in range(12):
        answer(officer, survey, age_band="25_34", sex="female")
    for _ in range(3):
        answer(officer, survey, age_band="35_44", sex="male")
    for _ in range(11):
        answer(officer, survey, age_band="prefer_not_to_say", sex="female")
    answer(officer, survey)  # skipped the "About you" page
    return survey


def rows(result: Any, key: str) -> dict[str, Any]:
    table = next(t for t in result.tables if t.question.key == key)
    return {**dict(table.rows), "total": table.total}


def test_counts_are_protected_and_cannot_be_recovered_from_the_total(answered: Any) -> None:
    assert DemographicAnswers.objects.count() == 26  # stored encrypted, apart from the answers
    result = reports.who_answered(answered, threshold=10)
    age = rows(result, "age_band")
    assert age["total"] == 27 and age["25 to 34"] == 12
    assert age["35 to 44"] is None and age["Not answered"] is None and age["Under 16"] is None  # 3, 1 and 0
    published = [v for k, v in age.items() if k != "total" and v is not None]
    assert all(v >= 10 for v in published)
    # What an attacker learns from the total: the withheld cells add up to at least 3 + the threshold.
    assert 27 - sum(published) >= 3 + 10
    sex = rows(result, "sex")
    # 23 women, 3 men, 1 not answered: showing 23 would give away that 4 are men or did not answer.
    assert sex["Male"] is None and sex["Female"] is None and sex["total"] == 27


def test_too_few_respondents_shows_no_count(officer: Any, survey: Any) -> None:
    for _ in range(6):
        answer(officer, survey, age_band="25_34")
    age = rows(reports.who_answered(survey, threshold=10), "age_band")
    assert all(v is None for v in age.values())


def test_only_analysts_of_the_area_see_it_and_never_the_public(answered: Any, area_tree: dict[str, Any],
                                                               make_user: Any, officer: Any, client_for: Any,
                                                               client: Any) -> None:
    url = reverse("surveys:staff_report", args=[answered.pk])
    analyst = client_for(make_user(role="analyst", area=area_tree["north"]))
    page = analyst.get(url).content.decode()
    assert "Who answered" in page, page
    assert "Insights &gt; Who we heard from" in page or "Insights > Who we heard from" in page
    assert ">12<" in page and "[c]" in page and "What is your age?" in page
    assert "Who answered" not in client_for(officer).get(url).content.decode()  # manages, may not analyse
    other = client_for(make_user(role="analyst", area=area_tree["south"]))
    assert other.get(url).status_code == 404
    for public in (reverse("surveys:start", args=[answered.slug]), reverse("surveys:print", args=[answered.slug])):
        assert "Who answered" not in client.get(public).content.decode()
    disclosed = reports.disclosure_safe(reports.summary(answered))  # what public pages publish
    assert all(not q.question.is_demographic for q in disclosed.questions)


def test_the_summary_report_as_a_pdf_has_the_same_figures_and_protections(
        answered: Any, area_tree: dict[str, Any], make_user: Any, officer: Any, client_for: Any) -> None:
    pytest.importorskip("weasyprint", reason="PDFs need the pdf extra (WeasyPrint)")
    from io import BytesIO

    from pypdf import PdfReader

    def pdf_text(user: Any) -> str:
        response = client_for(user).get(reverse("surveys:staff_report_pdf", args=[answered.pk]))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        return " ".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)

    analyst_pdf = pdf_text(make_user(role="analyst", area=area_tree["north"]))
    assert "summary report" in analyst_pdf and "27 responses in all" in analyst_pdf
    assert "Who answered" in analyst_pdf and "[c]" in analyst_pdf  # protected exactly as on the page
    assert "Who answered" not in pdf_text(officer)  # manages the survey, may not analyse
    other = client_for(make_user(role="analyst", area=area_tree["south"]))
    assert other.get(reverse("surveys:staff_report_pdf", args=[answered.pk])).status_code == 404
