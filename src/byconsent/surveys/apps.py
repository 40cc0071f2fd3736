from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "byconsent.surveys"
    label = "surveys"
    verbose_name = "Surveys"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from byconsent.core.periodic import register_periodic
        from byconsent.core.policy import Action
        from byconsent.core.privacy import register
        from byconsent.core.templatetags.core_tags import register_staff_page
        from byconsent.surveys import privacy, services

        register(privacy.drafts_handler())
        register(privacy.responses_handler())
        register_staff_page("surveys:staff_list", _("Surveys"), Action.MANAGE_ENGAGEMENT)
        # A safety net: free text a submission left pending (say the process stopped before it asked the worker).
        register_periodic("surveys.pending_text_answers", services.record_pending_text_answers)
