from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "byconsent.surveys"
    label = "surveys"
