from django.urls import URLPattern, URLResolver, path

from byconsent.insights import views

app_name = "insights"

P = "staff/insights/"

urlpatterns: list[URLPattern | URLResolver] = [
    path(P, views.home, name="home"),
    path(P + "sets/new/", views.set_create, name="set_create"),
    path(P + "sets/<int:pk>/", views.set_detail, name="set_detail"),
    path(P + "sets/<int:pk>/code/", views.coding_screen, name="coding_screen"),
    path(P + "sets/<int:pk>/agreement/", views.agreement, name="agreement"),
    path(P + "sets/<int:pk>/themes/new/", views.theme_run_create, name="theme_run_create"),
    path(P + "sets/<int:pk>/autocode/", views.autocode, name="autocode"),
    path(P + "codebooks/new/", views.codebook_create, name="codebook_create"),
    path(P + "codebooks/<int:pk>/", views.codebook_detail, name="codebook_detail"),
    path(P + "codebooks/<int:pk>/codes/<int:code_pk>/", views.code_edit, name="code_edit"),
    path(P + "codebooks/<int:pk>/suggestions/", views.suggestions, name="suggestions"),
    path(P + "themes/", views.theme_run_list, name="theme_run_list"),
    path(P + "themes/<int:pk>/", views.theme_run_detail, name="theme_run_detail"),
    path(P + "themes/<int:pk>/act/", views.theme_action, name="theme_action"),
    path(P + "themes/<int:pk>/sign-off/", views.theme_sign_off, name="theme_sign_off"),
    path(P + "themes/<int:pk>/themes/<int:theme_pk>/rename/", views.theme_rename, name="theme_rename"),
    path(P + "responses/", views.responses_upload, name="responses_upload"),
    path(P + "crosstab/", views.crosstab, name="crosstab"),
    path(P + "weighting/", views.weighting_list, name="weighting_list"),
    path(P + "weighting/<int:pk>/", views.weighting_detail, name="weighting_detail"),
    path(P + "heard/", views.heard, name="heard"),
    path(P + "heard/<int:pk>/", views.heard_detail, name="heard_detail"),
    path(P + "heard/<int:pk>/csv/", views.heard_csv, name="heard_csv"),
    path(P + "crime/", views.crime, name="crime"),
    path(P + "crime/imports/<int:pk>/", views.crime_import_detail, name="crime_import_detail"),
]
