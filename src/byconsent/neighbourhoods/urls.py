from django.urls import path

from byconsent.neighbourhoods import views

app_name = "neighbourhoods"

urlpatterns = [
    path("neighbourhoods/", views.index, name="index"),
    path("neighbourhoods/team/<int:pk>/photo/", views.team_photo, name="team_photo"),
    path("neighbourhoods/<str:code>/", views.detail, name="detail"),
    path("neighbourhoods/<str:code>/priorities.json", views.priorities_export, name="priorities_export"),
    path("staff/neighbourhoods/", views.staff_index, name="staff_index"),
    path("staff/neighbourhoods/<str:code>/", views.staff_area, name="staff_area"),
    path("staff/neighbourhoods/<str:code>/team/new/", views.team_member_form, name="team_member_add"),
    path("staff/neighbourhoods/<str:code>/team/<int:pk>/", views.team_member_form, name="team_member_edit"),
    path("staff/neighbourhoods/<str:code>/team/<int:pk>/remove/", views.team_member_remove,
         name="team_member_remove"),
    path("staff/neighbourhoods/<str:code>/priorities/new/", views.priority_form, name="priority_add"),
    path("staff/neighbourhoods/<str:code>/priorities/<int:pk>/", views.priority_form, name="priority_edit"),
    path("staff/neighbourhoods/<str:code>/meetings/new/", views.meeting_form, name="meeting_add"),
    path("staff/neighbourhoods/<str:code>/meetings/<int:pk>/", views.meeting_form, name="meeting_edit"),
]
