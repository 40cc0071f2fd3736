from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "byconsent.people"
    label = "people"
