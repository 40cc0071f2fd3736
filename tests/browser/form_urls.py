"""Test-only pages that exercise the GOV.UK form renderer and components in a real browser.

Used with @pytest.mark.urls("tests.browser.form_urls"): the project's URLs plus /test/form/ and /test/components/.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path
from django.utils.safestring import mark_safe

from byconsent.urls import urlpatterns as project_urlpatterns
from tests.ui.forms_for_tests import EveryWidgetForm

FORM_PAGE = """{% extends "ui/base.html" %}
{% block title %}{% if form.errors %}Error: {% endif %}Every widget{% endblock %}
{% block content %}
{% include "ui/components/error_summary.html" with form=form %}
<h1 class="govuk-heading-l">Every widget</h1>
<form method="post" enctype="multipart/form-data" novalidate>
  {% csrf_token %}
  {{ form }}
  <button type="submit" class="govuk-button" data-module="govuk-button">Continue</button>
</form>
{% endblock %}"""

COMPONENTS_PAGE = """{% extends "ui/base.html" %}
{% block title %}Components{% endblock %}
{% block before_content %}
{% include "ui/components/breadcrumbs.html" with items=breadcrumbs %}
{% endblock %}
{% block content %}
{% include "ui/components/notification_banner.html" with text="Your response has been sent" success=True %}
<h1 class="govuk-heading-l">Components</h1>
<p class="govuk-body">Status: {% include "ui/components/tag.html" with text="Open" colour="green" %}</p>
{% include "ui/components/summary_list.html" with rows=rows %}
{% include "ui/components/chart_with_table.html" with caption="Responses by division" chart=chart \
chart_alt="Bar chart: North 120 responses, South 80" headers=headers rows=table_rows \
note="Counts under 10 are not shown." %}
{% include "ui/components/pagination.html" with page_obj=page_obj %}
{% endblock %}"""

# A constant written here, not user input.
CHART_SVG = mark_safe(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 60" width="400" height="120">'
    '<rect x="0" y="5" width="150" height="20" fill="#1d70b8"/><rect x="0" y="35" width="100" height="20" '
    'fill="#1d70b8"/></svg>'
)


def form_page(request: HttpRequest) -> HttpResponse:
    form = EveryWidgetForm(request.POST, request.FILES) if request.method == "POST" else EveryWidgetForm()
    if request.method == "POST":
        form.is_valid()
    html = engines["django"].from_string(FORM_PAGE).render({"form": form}, request)
    return HttpResponse(html)


def components_page(request: HttpRequest) -> HttpResponse:
    context = {
        "breadcrumbs": [{"text": "Home", "href": "/"}, {"text": "Components"}],
        "rows": [
            {"key": "Name", "value": "Ann Example", "action_href": "/test/form/"},
            {"key": "Area", "value": "North Ward"},
        ],
        "chart": CHART_SVG,
        "headers": ["Division", "Responses"],
        "table_rows": [["North", 120], ["South", 80]],
        "page_obj": Paginator(range(200), 10).page(int(request.GET.get("page", 5))),
    }
    return HttpResponse(engines["django"].from_string(COMPONENTS_PAGE).render(context, request))


urlpatterns = [
    path("test/form/", form_page, name="test_form"),
    path("test/components/", components_page, name="test_components"),
    *project_urlpatterns,
]
