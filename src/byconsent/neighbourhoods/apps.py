from django.apps import AppConfig


class NeighbourhoodsConfig(AppConfig):
    name = "byconsent.neighbourhoods"
    label = "neighbourhoods"
    verbose_name = "Neighbourhood pages"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from byconsent.core.demo import register_demo_loader
        from byconsent.core.policy import Action
        from byconsent.core.registries import register_public_listing
        from byconsent.core.templatetags.core_tags import register_staff_page
        from byconsent.neighbourhoods import demo, privacy, selectors
        from byconsent.ui.navigation import register_public_link

        privacy.register_handlers()
        register_public_listing(selectors.meeting_listings)
        register_staff_page("neighbourhoods:staff_index", _("Neighbourhood pages"), Action.MANAGE_ENGAGEMENT)
        register_public_link("neighbourhoods:index", _("Your neighbourhood"), order=20)
        # Crime figures for the public page and the analysis workspace, through the one street crime import.
        register_demo_loader("street_crime", demo.load_crime_demo)
