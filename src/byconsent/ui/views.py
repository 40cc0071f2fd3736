"""The site information pages every public service needs: accessibility statement, privacy notice and cookies."""

from __future__ import annotations

from django.views.generic import TemplateView


class InformationPage(TemplateView):
    """A static page. The force's name and contact details come from the ui context processor."""

    http_method_names = ["get", "head", "options"]
