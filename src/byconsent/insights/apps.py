from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "byconsent.insights"
    label = "insights"
