"""The standard "About you" block: always optional, says why it is asked, stored encrypted and apart.

Categories follow the 2021 Census (England and Wales) questions, shortened, each with "Prefer not to say".
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

PREFER_NOT = {"value": "prefer_not_to_say", "label": _("Prefer not to say"), "exclusive": True}

WHY_WE_ASK = _(
    "These questions are optional. We ask them to check whether we are hearing from every part of the community, "
    "and to find the groups we hear from least. Your answers are stored encrypted, apart from your other answers, "
    "are only ever reported as totals of at least 10 people, and are never used to identify you.")


def _opts(*pairs: tuple[str, Any]) -> list[dict[str, Any]]:
    return [{"value": value, "label": label, "exclusive": False} for value, label in pairs] + [PREFER_NOT]


STANDARD_QUESTIONS: list[dict[str, Any]] = [
    {"key": "age_band", "type": "single_choice", "text": _("What is your age?"), "options": _opts(
        ("under_16", _("Under 16")), ("16_24", _("16 to 24")), ("25_34", _("25 to 34")), ("35_44", _("35 to 44")),
        ("45_54", _("45 to 54")), ("55_64", _("55 to 64")), ("65_74", _("65 to 74")), ("75_plus", _("75 or over")))},
    {"key": "sex", "type": "single_choice", "text": _("What is your sex?"), "options": _opts(
        ("female", _("Female")), ("male", _("Male")))},
    {"key": "gender_identity", "type": "single_choice",
     "text": _("Is the gender you identify with the same as your sex registered at birth?"),
     "options": _opts(("yes", _("Yes")), ("no", _("No")))},
    {"key": "ethnicity", "type": "single_choice", "text": _("What is your ethnic group?"), "settings": {
        "allow_other": True}, "options": _opts(
        ("asian", _("Asian, Asian British, Asian Welsh or Asian Scottish")),
        ("black", _("Black, Black British, Black Welsh, Black Scottish, Caribbean or African")),
        ("mixed", _("Mixed or multiple ethnic groups")),
        ("white_british", _("White: English, Welsh, Scottish, Northern Irish or British")),
        ("white_irish", _("White: Irish")),
        ("white_gypsy", _("White: Gypsy, Irish Traveller or Roma")),
        ("white_other", _("Any other White background")),
        ("arab", _("Arab")))},
    {"key": "religion", "type": "single_choice", "text": _("What is your religion?"), "options": _opts(
        ("none", _("No religion")), ("christian", _("Christian")), ("buddhist", _("Buddhist")),
        ("hindu", _("Hindu")), ("jewish", _("Jewish")), ("muslim", _("Muslim")), ("sikh", _("Sikh")),
        ("other", _("Any other religion")))},
    {"key": "disability", "type": "single_choice",
     "text": _("Are your day-to-day activities limited because of a health problem or disability which has lasted, "
               "or is expected to last, at least 12 months?"),
     "options": _opts(("yes_a_lot", _("Yes, limited a lot")), ("yes_a_little", _("Yes, limited a little")),
                      ("no", _("No")))},
    {"key": "sexual_orientation", "type": "single_choice",
     "text": _("Which of the following best describes your sexual orientation?"), "settings": {"allow_other": True},
     "options": _opts(("straight", _("Straight or heterosexual")), ("gay_lesbian", _("Gay or lesbian")),
                      ("bisexual", _("Bisexual")))},
    {"key": "home_postcode", "type": "postcode", "text": _("What is your postcode?"),
     "hint": _("We use it only to work out which neighbourhood you live in, and keep only the first half.")},
]

DEMOGRAPHIC_KEYS = [q["key"] for q in STANDARD_QUESTIONS]
