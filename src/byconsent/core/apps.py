from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "byconsent.core"
    label = "core"
    verbose_name = "ByConsent core"

    def ready(self) -> None:
        from byconsent.core import checks, privacy, registries, selectors, signals  # noqa: F401  (registers handlers)

        privacy.register_core_handlers()
        registries.register_attention(selectors.core_attention)
