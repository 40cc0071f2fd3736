from django.urls import path

from byconsent.consultations import views

app_name = "consultations"

urlpatterns = [
    path("consultations/", views.hub, name="hub"),
    path("consultations/alerts/", views.alerts, name="alerts"),
    path("consultations/alerts/confirm/<str:token>/", views.alerts_confirm, name="alerts_confirm"),
    path("consultations/alerts/stop/<str:token>/", views.alerts_stop, name="alerts_stop"),
    path("consultations/preview/<str:token>/", views.preview, name="preview"),
    path("consultations/<slug:slug>/", views.detail, name="detail"),
    path("consultations/<slug:slug>/we-asked-you-said-we-did/", views.results, name="results"),
    path("staff/consultations/", views.staff_list, name="staff_list"),
    path("staff/consultations/new/", views.staff_create, name="staff_create"),
    path("staff/consultations/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/consultations/<int:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("staff/consultations/<int:pk>/transition/", views.staff_transition, name="staff_transition"),
    path("staff/consultations/<int:pk>/documents/", views.staff_documents, name="staff_documents"),
]
