"""Duplicate detection: the same email address, or a similar name at the same postcode.

Pure functions (no database) so the normalisation rules can be property-tested; `selectors.duplicate_pairs` applies
them to the people a staff member can see.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

from byconsent.core.postcodes import normalise_postcode

TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "rev", "revd", "reverend", "sir",
                    "dame", "cllr", "councillor", "pc", "ps", "sgt", "insp", "imam", "rabbi", "father", "sister"})
_NON_WORD = re.compile(r"[^\w\s]|_")
# Advisory: pairs above it are listed for a person to check, never merged automatically. Catches spelling variants
# (Mohammed / Muhammad 0.85, Jon / John 0.95) but not different names (John Smith / Jane Smyth 0.7).
SIMILARITY_THRESHOLD = 0.8


def normalise_email(value: str) -> str:
    """Trimmed and lower-cased (the local part is case-insensitive at every mail provider the force uses)."""
    return (value or "").strip().lower()


def normalise_name(value: str) -> str:
    """Casefolded, accents removed, punctuation dropped, titles removed, whitespace collapsed.

    "Dr. Siobhán  O'Neill" -> "siobhan oneill".
    """
    decomposed = unicodedata.normalize("NFKD", value or "")
    without_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # casefold, then the dotless i (ı, whose capital is I) joins i, so upper- and lower-case spellings agree.
    folded = without_accents.casefold().replace("ı", "i").replace("'", "").replace("’", "")
    words = _NON_WORD.sub(" ", folded).split()
    while words and words[0] in TITLES and len(words) > 1:
        words = words[1:]
    return " ".join(words)


def postcode_key(value: str) -> str:
    return normalise_postcode(value or "") or ""


def name_similarity(a: str, b: str) -> float:
    """0..1, symmetric: word order does not matter ("Smith John" is "John Smith"); an initial matches its name."""
    left, right = normalise_name(a).split(), normalise_name(b).split()
    if not left or not right:
        return 0.0
    if sorted(left) == sorted(right):
        return 1.0
    # Same surname and compatible first names ("J Smith" / "John Smith", "Jon Smith" / "John Smith").
    if left[-1] == right[-1] and left[0][0] == right[0][0] and (len(left[0]) == 1 or len(right[0]) == 1):
        return 0.9
    first = SequenceMatcher(None, " ".join(sorted(left)), " ".join(sorted(right))).ratio()
    second = SequenceMatcher(None, " ".join(sorted(right)), " ".join(sorted(left))).ratio()
    return max(first, second)


def likely_same(name_a: str, postcode_a: str, name_b: str, postcode_b: str,
                email_a: str = "", email_b: str = "") -> str | None:
    """Why two records look like one person ("same email", "similar name and same postcode"), or None."""
    ea, eb = normalise_email(email_a), normalise_email(email_b)
    if ea and ea == eb:
        return "same email address"
    pa, pb = postcode_key(postcode_a), postcode_key(postcode_b)
    if pa and pa == pb and name_similarity(name_a, name_b) >= SIMILARITY_THRESHOLD:
        return "similar name at the same postcode"
    return None
