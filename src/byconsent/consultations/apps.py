from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "byconsent.consultations"
    label = "consultations"
