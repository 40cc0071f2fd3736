"""The purposes every force starts with. Administrators add more (a standing panel per panel, for example).

They are created after every `migrate` (and after the test database is flushed) by a post_migrate handler, so code
may rely on them existing; creating is idempotent and never changes a purpose an administrator has edited.
"""

from __future__ import annotations

from typing import Any

DEFAULT_PURPOSES = [
    ("service", "Service messages", "Messages you asked for yourself, such as a link to sign in to your details.",
     True),
    ("consultation-alerts", "Consultation alerts",
     "We email you when we open a consultation about your area or the topics you chose.", False),
    ("panel-invitations", "Citizens' panel invitations",
     "We may invite you to put your name forward for a citizens' panel chosen by fair lottery.", False),
    ("standing-panel", "Standing panel",
     "As a member of our standing panel we contact you a few times a year with short surveys and invitations.",
     False),
    ("you-said-we-did", "You said, we did",
     "We tell you what we did about what people said, when you took part.", False),
]


def ensure_default_purposes(**_kwargs: Any) -> None:
    from byconsent.people.models import Purpose

    for slug, name, description, is_service in DEFAULT_PURPOSES:
        Purpose.objects.get_or_create(slug=slug, defaults={"name": name, "description": description,
                                                           "is_service": is_service})
