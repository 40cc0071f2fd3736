from django.urls import path

from byconsent.core import live, views

app_name = "core"

urlpatterns = [
    path("", views.public_home, name="public_home"),
    path("healthz", views.healthz, name="healthz"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("account/messages/", views.message_preferences, name="message_preferences"),
    path(live.LIVE_PATH_PREFIX.lstrip("/") + "<slug:channel>/", live.live_stream, name="live_stream"),
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/areas/", views.area_list, name="area_list"),
    path("staff/areas/import/", views.area_import, name="area_import"),
    path("staff/areas/<str:code>/", views.area_detail, name="area_detail"),
    path("staff/roles/", views.role_list, name="role_list"),
    path("staff/roles/<int:pk>/revoke/", views.role_revoke, name="role_revoke"),
    path("staff/contributions/", views.contribution_list, name="contribution_list"),
    path("staff/contributions/<int:pk>/", views.contribution_detail, name="contribution_detail"),
    path("staff/audit/", views.audit_list, name="audit_list"),
    path("staff/privacy/", views.privacy_home, name="privacy_home"),
    path("staff/privacy/<int:pk>/export/", views.privacy_export, name="privacy_export"),
    path("staff/privacy/<int:pk>/erase/", views.privacy_erase, name="privacy_erase"),
    path("staff/tasks/", views.task_list, name="task_list"),
    path("staff/tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("staff/live/", views.live_announcements, name="live_announcements"),
]
