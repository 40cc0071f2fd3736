from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    name = "byconsent.consultations"
    label = "consultations"
    verbose_name = "Consultations"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from byconsent.consultations import privacy, selectors, services
        from byconsent.core.periodic import register_periodic
        from byconsent.core.policy import Action
        from byconsent.core.privacy import register
        from byconsent.core.registries import register_attention, register_public_listing
        from byconsent.core.templatetags.core_tags import register_staff_page
        from byconsent.ui.navigation import register_public_link

        register_public_listing(selectors.public_listing)
        register_attention(selectors.attention)
        register_public_link("consultations:hub", _("Consultations"), order=10)
        register_staff_page("consultations:staff_list", _("Consultations"), Action.MANAGE_ENGAGEMENT)
        register(privacy.alerts_handler())
        # Scheduled opening and closing: the worker runs this hourly; `manage consultation_schedule` runs it now.
        register_periodic("consultation_schedule", services.run_schedule)
