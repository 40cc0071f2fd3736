from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "byconsent.actions"
    label = "actions"
