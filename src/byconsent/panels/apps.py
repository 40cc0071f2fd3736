from django.apps import AppConfig


class PanelsConfig(AppConfig):
    name = "byconsent.panels"
    label = "panels"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from byconsent.core.policy import Action
        from byconsent.core.registries import register_attention, register_public_listing
        from byconsent.core.templatetags.core_tags import register_staff_page
        from byconsent.panels import registries
        from byconsent.panels.privacy import register_handlers
        from byconsent.ui.navigation import register_public_link

        register_handlers()
        register_public_listing(registries.recruiting_near)
        register_attention(registries.needs_attention)
        register_staff_page("panels:staff_list", _("Citizens' panels"), Action.MANAGE_ENGAGEMENT)
        register_public_link("panels:public_list", _("Citizens' panels"), order=40)
