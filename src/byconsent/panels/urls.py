from django.urls import URLPattern, URLResolver, path

from byconsent.panels import views

app_name = "panels"

urlpatterns: list[URLPattern | URLResolver] = [
    path("panels/", views.public_list, name="public_list"),
    path("panels/<slug:slug>/", views.public_detail, name="public_detail"),
    path("panels/<slug:slug>/register/", views.register, name="register"),
    path("panels/<slug:slug>/draw.json", views.public_draw_file, name="public_draw_file"),
    path("staff/panels/", views.staff_list, name="staff_list"),
    path("staff/panels/new/", views.staff_create, name="staff_create"),
    path("staff/panels/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/panels/<int:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("staff/panels/<int:pk>/status/", views.staff_status, name="staff_status"),
    path("staff/panels/<int:pk>/safeguarding/", views.staff_safeguarding, name="staff_safeguarding"),
    path("staff/panels/<int:pk>/census/", views.staff_census, name="staff_census"),
    path("staff/panels/<int:pk>/census/bulk/", views.staff_census_bulk, name="staff_census_bulk"),
    path("staff/panels/<int:pk>/quotas/", views.staff_quotas, name="staff_quotas"),
    path("staff/panels/<int:pk>/rounds/new/", views.staff_round_new, name="staff_round_new"),
    path("staff/panels/<int:pk>/rounds/<int:round_pk>/", views.staff_round, name="staff_round"),
    path("staff/panels/<int:pk>/rounds/<int:round_pk>/letters/", views.staff_letters, name="staff_letters"),
    path("staff/panels/<int:pk>/register/", views.staff_register, name="staff_register"),
    path("staff/panels/<int:pk>/volunteers/", views.staff_volunteers, name="staff_volunteers"),
    path("staff/panels/<int:pk>/volunteers/<int:volunteer_pk>/", views.staff_volunteer, name="staff_volunteer"),
    path("staff/panels/<int:pk>/volunteers/<int:volunteer_pk>/replace/", views.staff_replace,
         name="staff_replace"),
    path("staff/panels/<int:pk>/select/", views.staff_select, name="staff_select"),
    path("staff/panels/<int:pk>/selections/<int:selection_pk>/", views.staff_selection, name="staff_selection"),
    path("staff/panels/<int:pk>/selections/<int:selection_pk>/progress.json", views.staff_selection_progress,
         name="staff_selection_progress"),
    path("staff/panels/<int:pk>/selections/<int:selection_pk>/draw.json", views.staff_draw_file,
         name="staff_draw_file"),
    path("staff/panels/<int:pk>/confirm/", views.staff_confirm, name="staff_confirm"),
    path("staff/panels/<int:pk>/confirmation-letters/", views.staff_confirmation_letters,
         name="staff_confirmation_letters"),
    path("staff/panels/<int:pk>/sessions/", views.staff_sessions, name="staff_sessions"),
    path("staff/panels/<int:pk>/sessions/<int:session_pk>/", views.staff_session, name="staff_session"),
    path("staff/panels/<int:pk>/payments/", views.staff_payments, name="staff_payments"),
    path("staff/panels/<int:pk>/recommendations/", views.staff_recommendations, name="staff_recommendations"),
    path("staff/panels/<int:pk>/recommendations/<int:recommendation_pk>/", views.staff_recommendation,
         name="staff_recommendation"),
]
