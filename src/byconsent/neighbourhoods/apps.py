from django.apps import AppConfig


class NeighbourhoodsConfig(AppConfig):
    name = "byconsent.neighbourhoods"
    label = "neighbourhoods"
