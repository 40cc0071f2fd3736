"""The characteristics held in Demographics, with the answer options used for forms, segments and quotas.

Top-level categories follow Scotland's Census 2022 and the ONS harmonised standards, so figures can be compared with
census populations. "prefer_not" is always an allowed answer. Health is a free-text note (e.g. needs at an event)
and is never used for targeting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

PREFER_NOT = ("prefer_not", _("Prefer not to say"))


@dataclass(frozen=True)
class Characteristic:
    key: str
    label: str | Promise
    options: tuple[tuple[str, str | Promise], ...]  # empty means free text
    special_category: bool = True

    @property
    def targetable(self) -> bool:
        return bool(self.options)

    def label_for(self, value: str) -> str:
        for code, label in self.options:
            if code == value:
                return str(label)
        return value


CHARACTERISTICS: tuple[Characteristic, ...] = (
    Characteristic("age_band", _("Age"), (
        ("16-24", "16 to 24"), ("25-34", "25 to 34"), ("35-44", "35 to 44"), ("45-54", "45 to 54"),
        ("55-64", "55 to 64"), ("65-74", "65 to 74"), ("75+", _("75 or over")), PREFER_NOT), special_category=False),
    Characteristic("sex", _("Sex"), (("female", _("Female")), ("male", _("Male")), PREFER_NOT),
                   special_category=False),
    Characteristic("ethnicity", _("Ethnic group"), (
        ("white", _("White")), ("mixed", _("Mixed or multiple ethnic groups")),
        ("asian", _("Asian, Asian Scottish or Asian British")),
        ("african", _("African, Scottish African or British African")),
        ("caribbean_black", _("Caribbean or Black")), ("arab", _("Arab")),
        ("gypsy_traveller", _("Gypsy or Traveller")), ("other", _("Other ethnic group")), PREFER_NOT)),
    Characteristic("religion", _("Religion or belief"), (
        ("none", _("None")), ("christian", _("Christian")), ("buddhist", _("Buddhist")), ("hindu", _("Hindu")),
        ("jewish", _("Jewish")), ("muslim", _("Muslim")), ("sikh", _("Sikh")), ("other", _("Other religion")),
        PREFER_NOT)),
    Characteristic("disability", _("Disability or long-term condition"), (
        ("limited_a_lot", _("Yes, limited a lot")), ("limited_a_little", _("Yes, limited a little")),
        ("no", _("No")), PREFER_NOT)),
    Characteristic("sexual_orientation", _("Sexual orientation"), (
        ("straight", _("Straight or heterosexual")), ("gay_lesbian", _("Gay or lesbian")),
        ("bisexual", _("Bisexual")), ("other", _("Other sexual orientation")), PREFER_NOT)),
    Characteristic("health", _("Health needs we should know about"), ()),
)

BY_KEY = {c.key: c for c in CHARACTERISTICS}
TARGETABLE = tuple(c for c in CHARACTERISTICS if c.targetable)


def clean_answers(answers: dict[str, object]) -> dict[str, str]:
    """Keep known keys with allowed values; drop blanks. Raises ValueError for a value outside the options."""
    cleaned: dict[str, str] = {}
    for key, value in answers.items():
        if key not in BY_KEY:
            raise ValueError(f"Unknown characteristic {key}")
        text = str(value or "").strip()
        if not text:
            continue
        characteristic = BY_KEY[key]
        if characteristic.options and text not in {code for code, _label in characteristic.options}:
            raise ValueError(f"{text!r} is not an answer for {key}")
        cleaned[key] = text[:1000]
    return cleaned


def matches(answers: Any, wanted: dict[str, list[str]]) -> bool:
    """True when, for every characteristic in `wanted`, the person's answer is one of the wanted values.

    Within one characteristic the values are alternatives (OR); across characteristics they all apply (AND).
    Someone with no answer for a wanted characteristic does not match.
    """
    if not wanted:
        return True
    if not answers:
        return False
    return all(answers.get(key) in set(values) for key, values in wanted.items() if values)
