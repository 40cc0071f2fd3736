from django.urls import path

from byconsent.ui.views import InformationPage

app_name = "ui"

urlpatterns = [
    path(
        "accessibility/",
        InformationPage.as_view(template_name="ui/pages/accessibility.html"),
        name="accessibility",
    ),
    path("privacy/", InformationPage.as_view(template_name="ui/pages/privacy.html"), name="privacy"),
    path("cookies/", InformationPage.as_view(template_name="ui/pages/cookies.html"), name="cookies"),
]
