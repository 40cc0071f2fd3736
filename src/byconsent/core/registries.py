"""Extension points through which feature apps add to shared pages without core importing them.

- public listings: what is open near an area (consultations, events, panels...) for the public home page
- attention items: what needs a staff member's attention in their areas, for the staff home page
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ListingItem:
    title: str
    url: str
    kind: str
    summary: str = ""
    when: str = ""


@dataclass(frozen=True)
class AttentionItem:
    title: str
    count: int
    url: str


PublicListingProvider = Callable[[Any], list[ListingItem]]  # receives an Area or None
AttentionProvider = Callable[[Any], list[AttentionItem]]  # receives the user

_listing_providers: list[PublicListingProvider] = []
_attention_providers: list[AttentionProvider] = []


def register_public_listing(provider: PublicListingProvider) -> None:
    _listing_providers.append(provider)


def register_attention(provider: AttentionProvider) -> None:
    _attention_providers.append(provider)


def public_listings(area: Any) -> list[ListingItem]:
    return [item for provider in _listing_providers for item in provider(area)]


def attention_items(user: Any) -> list[AttentionItem]:
    return [item for provider in _attention_providers for item in provider(user) if item.count]
