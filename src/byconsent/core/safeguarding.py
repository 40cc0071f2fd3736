"""Spotting text that must never be published: possible crime reports, allegations, or someone at risk.

This is a cautious first filter, not a classifier: anything it flags goes to a restricted queue for a person to
read, and the writer is shown how to contact the police. False positives cost a moderator a minute; a false negative
could publish a disclosure of harm, so the patterns lean wide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PATTERNS: dict[str, list[str]] = {
    "risk to life or safety": [
        r"\bkill (myself|me|him|her|them)\b", r"\bsuicid", r"\bend (my|it all)\b", r"\bself[- ]harm",
        r"\b(going|want) to hurt\b", r"\bin danger\b", r"\bthreaten(ed|ing)? (me|to)\b", r"\bnot safe at home\b",
    ],
    "possible crime report": [
        r"\b(i|we) (was|were|have been|got) (attacked|assaulted|robbed|raped|stabbed|burgled|mugged)\b",
        r"\b(he|she|they) (hit|beat|raped|stabbed|abused|assaulted) (me|my)\b",
        r"\bdomestic (abuse|violence)\b", r"\bsexual(ly)? (assault|abuse)", r"\bgroom(ed|ing)\b",
        r"\bselling drugs\b", r"\bdeal(s|ing) drugs\b", r"\bcarr(y|ies|ying) a (knife|gun|weapon)\b",
        r"\bi (want to )?report (a|an) (crime|assault|theft)\b",
    ],
    "allegation against a named person": [
        r"\b(?i:pc|ps|sgt|sergeant|constable|inspector|officer|dc|ds)\.? [A-Z][a-z]+",
        r"\b[A-Z][a-z]+ [A-Z][a-z]+ (is|was) (a )?(dealer|paedophile|abuser|thief|criminal|corrupt)\b",
        r"\b(?i:lives at|address is) \d+",
    ],
}
_COMPILED = {reason: [re.compile(p, re.IGNORECASE if "named" not in reason else 0) for p in patterns]
             for reason, patterns in _PATTERNS.items()}


@dataclass(frozen=True)
class SafeguardingResult:
    flagged: bool
    reasons: tuple[str, ...]


def check_text(text: str) -> SafeguardingResult:
    reasons = tuple(reason for reason, patterns in _COMPILED.items() if any(p.search(text) for p in patterns))
    return SafeguardingResult(flagged=bool(reasons), reasons=reasons)
