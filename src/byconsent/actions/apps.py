from django.apps import AppConfig


class ActionsConfig(AppConfig):
    name = "byconsent.actions"
    label = "actions"
    verbose_name = "You said, we did"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from byconsent.actions import periodic, privacy, selectors
        from byconsent.actions.demo import load_demo
        from byconsent.core.demo import register_demo_loader
        from byconsent.core.periodic import register_periodic
        from byconsent.core.policy import Action
        from byconsent.core.registries import register_attention
        from byconsent.core.templatetags.core_tags import register_staff_page
        from byconsent.ui.navigation import register_public_link

        privacy.register_handlers()
        register_attention(selectors.attention)
        register_staff_page("actions:staff_home", _("You said, we did"), Action.MANAGE_ACTIONS)
        register_public_link("actions:public_index", _("You said, we did"), order=40)
        register_periodic("you_said_we_did", periodic.run_periodic)
        register_demo_loader("you_said_we_did", load_demo)
