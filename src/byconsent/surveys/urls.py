from django.urls import path

from byconsent.surveys import json_submit, views

app_name = "surveys"

urlpatterns = [
    path("surveys/<slug:slug>/", views.start, name="start"),
    path("surveys/<slug:slug>/print/", views.printable, name="print"),
    path("surveys/<slug:slug>/print.pdf", views.printable_pdf, name="print_pdf"),
    path("surveys/<slug:slug>/responses.json", json_submit.submit_json, name="submit_json"),
    path("surveys/answer/<str:token>/", views.resume, name="resume"),
    path("surveys/answer/<str:token>/page/<int:page_id>/", views.page, name="page"),
    path("surveys/answer/<str:token>/page/<int:page_id>/autosave/", views.autosave, name="autosave"),
    path("surveys/answer/<str:token>/saved/", views.saved, name="saved"),
    path("surveys/answer/<str:token>/check/", views.check, name="check"),
    path("surveys/answer/<str:token>/done/", views.done, name="done"),
    path("staff/surveys/", views.staff_list, name="staff_list"),
    path("staff/surveys/new/", views.staff_create, name="staff_create"),
    path("staff/surveys/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("staff/surveys/<int:pk>/open/", views.staff_set_open, name="staff_set_open"),
    path("staff/surveys/<int:pk>/about-you/", views.staff_add_demographics, name="staff_add_demographics"),
    path("staff/surveys/<int:pk>/pages/new/", views.staff_page_form, name="staff_page_add"),
    path("staff/surveys/<int:pk>/pages/<int:page_id>/", views.staff_page_form, name="staff_page_edit"),
    path("staff/surveys/<int:pk>/pages/<int:page_id>/questions/new/", views.staff_question_form,
         name="staff_question_add"),
    path("staff/surveys/<int:pk>/questions/<int:question_id>/", views.staff_question_form,
         name="staff_question_edit"),
    path("staff/surveys/<int:pk>/questions/<int:question_id>/move/", views.staff_move_question,
         name="staff_move_question"),
    path("staff/surveys/<int:pk>/enter/", views.staff_entry, name="staff_entry"),
    path("staff/surveys/<int:pk>/responses/", views.staff_responses, name="staff_responses"),
    path("staff/surveys/<int:pk>/responses/<int:response_id>/original/", views.staff_original,
         name="staff_original"),
    path("staff/surveys/<int:pk>/moderation/", views.staff_moderation, name="staff_moderation"),
    path("staff/surveys/<int:pk>/moderation/<int:answer_id>/", views.staff_moderate_answer,
         name="staff_moderate_answer"),
    path("staff/surveys/<int:pk>/report/", views.staff_report, name="staff_report"),
    path("staff/surveys/<int:pk>/report.xlsx", views.staff_report_xlsx, name="staff_report_xlsx"),
    path("staff/surveys/<int:pk>/export/<str:fmt>/", views.staff_export, name="staff_export"),
    path("staff/surveys/<int:pk>/exports/<str:name>", views.staff_export_download, name="staff_export_download"),
    path("staff/surveys/<int:pk>/import/", views.staff_import, name="staff_import"),
]
