from django.apps import AppConfig


class PanelsConfig(AppConfig):
    name = "byconsent.panels"
    label = "panels"
