from django.urls import path

from byconsent.actions import views

app_name = "actions"

urlpatterns = [
    # public
    path("you-said-we-did/", views.public_index, name="public_index"),
    path("you-said-we-did/feed.json", views.feed_json, name="feed_json"),
    path("you-said-we-did/feed.csv", views.feed_csv, name="feed_csv"),
    path("you-said-we-did/area/<str:code>/", views.public_area, name="public_area"),
    path("you-said-we-did/from/<int:type_id>/<str:object_id>/", views.public_source, name="public_source"),
    path("you-said-we-did/concerns/<int:pk>/", views.public_concern, name="public_concern"),
    path("you-said-we-did/decisions/<int:pk>/", views.public_decision, name="public_decision"),
    path("you-said-we-did/actions/<int:pk>/", views.public_action, name="public_action"),
    # staff
    path("staff/actions/", views.staff_home, name="staff_home"),
    path("staff/actions/send-feedback/", views.send_feedback, name="send_feedback"),
    path("staff/actions/concerns/", views.concern_list, name="concern_list"),
    path("staff/actions/concerns/new/", views.concern_create, name="concern_create"),
    path("staff/actions/concerns/<int:pk>/", views.concern_detail, name="concern_detail"),
    path("staff/actions/decisions/", views.decision_list, name="decision_list"),
    path("staff/actions/decisions/new/", views.decision_create, name="decision_create"),
    path("staff/actions/decisions/<int:pk>/", views.decision_detail, name="decision_detail"),
    path("staff/actions/actions/", views.action_list, name="action_list"),
    path("staff/actions/actions/new/", views.action_create, name="action_create"),
    path("staff/actions/actions/<int:pk>/", views.action_detail, name="action_detail"),
    path("staff/actions/actions/<int:pk>/edit/", views.action_edit, name="action_edit"),
    path("staff/actions/letters/", views.letters, name="letters"),
    path("staff/actions/measures/", views.measures, name="measures"),
]
