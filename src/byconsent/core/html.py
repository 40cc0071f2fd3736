"""User-supplied HTML (rich text from staff editors, imported descriptions) is cleaned with nh3 before display."""

from __future__ import annotations

import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h2", "h3", "h4", "blockquote", "abbr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}


def clean_html(text: str) -> SafeString:
    """Keep simple structure and links; drop scripts, styles, event handlers and javascript: URLs."""
    cleaned = nh3.clean(text or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                        url_schemes={"http", "https", "mailto", "tel"}, link_rel="noopener noreferrer nofollow")
    return mark_safe(cleaned)  # noqa: S308  (nh3 has just removed everything unsafe)
