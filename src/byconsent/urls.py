from django.urls import include, path

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("byconsent.ui.urls")),
    path("", include("byconsent.core.urls")),
    # Each feature app owns its own prefix; its urls.py is the only file it needs to touch here.
    path("", include("byconsent.people.urls")),
    path("", include("byconsent.surveys.urls")),
    path("", include("byconsent.consultations.urls")),
    path("", include("byconsent.panels.urls")),
    path("", include("byconsent.insights.urls")),
    path("", include("byconsent.actions.urls")),
    path("", include("byconsent.neighbourhoods.urls")),
]
