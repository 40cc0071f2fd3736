from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "byconsent.people"
    label = "people"
    verbose_name = _("People and organisations")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from byconsent.core.demo import register_demo_loader
        from byconsent.core.policy import Action
        from byconsent.core.registries import register_attention
        from byconsent.core.templatetags.core_tags import register_staff_page
        from byconsent.people import privacy, selectors
        from byconsent.people.demo import load_people_demo
        from byconsent.people.purposes import ensure_default_purposes
        from byconsent.ui.navigation import register_public_link

        post_migrate.connect(ensure_default_purposes, sender=self, dispatch_uid="people-default-purposes")
        privacy.register_handlers()
        privacy.register_retention()
        register_staff_page("people:person_list", _("People"), Action.VIEW_CONTRIBUTIONS)
        register_staff_page("people:organisation_list", _("Organisations"), Action.VIEW_CONTRIBUTIONS)
        register_staff_page("people:segment_list", _("Segments and panels"), Action.MANAGE_ENGAGEMENT)
        register_staff_page("people:erasure_list", _("Erasure requests"), Action.MANAGE_PRIVACY)
        register_public_link("people:portal_start", _("Your details"), order=90)
        register_attention(selectors.people_attention)
        register_demo_loader("people", load_people_demo)
