from django.apps import AppConfig, apps


class InsightsConfig(AppConfig):
    name = "byconsent.insights"
    label = "insights"
    verbose_name = "ByConsent analysis workspace"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from byconsent.core import privacy
        from byconsent.core.policy import Action
        from byconsent.core.registries import register_attention
        from byconsent.core.templatetags.core_tags import register_staff_page
        from byconsent.insights import responses, selectors, sources
        from byconsent.insights.privacy import handler

        privacy.register(handler())
        register_attention(selectors.insights_attention)
        register_staff_page("insights:home", _("Analysis workspace"), Action.ANALYSE)
        register_staff_page("insights:heard", _("Who we heard from"), Action.ANALYSE)
        responses.register_builtin_providers()
        sources.register_builtin_kinds(with_surveys=apps.is_installed("byconsent.surveys"))
        if apps.is_installed("byconsent.surveys"):
            from byconsent.insights.survey_responses import provider

            responses.register_provider(provider())
