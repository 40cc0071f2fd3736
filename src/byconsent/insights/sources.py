"""Where contributions came from, for choosing a set: "everything said in reply to this consultation".

A *source kind* lists choices ("survey:12" -> "Questionnaire: Confidence in policing") and turns a choice into a
filter on Contribution. Kinds are registered here (generic source objects, surveys); another app can register its
own from its AppConfig.ready() with ``register_source_kind``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q


@dataclass(frozen=True)
class SourceKind:
    prefix: str
    choices: Callable[[Any], list[tuple[str, str]]]  # receives the user; keys are "<prefix>:<identifier>"
    filter: Callable[[str], Q]  # receives the identifier


_kinds: dict[str, SourceKind] = {}


def register_source_kind(kind: SourceKind) -> None:
    _kinds[kind.prefix] = kind


def source_choices(user: Any) -> list[tuple[str, str]]:
    return [choice for kind in _kinds.values() for choice in kind.choices(user)]


def source_filter(key: str) -> Q:
    prefix, _, identifier = key.partition(":")
    kind = _kinds.get(prefix)
    if kind is None:
        return Q(pk__in=[])  # an unknown kind matches nothing rather than everything
    return kind.filter(identifier)


# ---- a source object of any model (contribution.source) --------------------------------------------------------------

def _object_choices(user: Any, limit: int = 200) -> list[tuple[str, str]]:
    from django.contrib.contenttypes.models import ContentType

    from byconsent.core.models import Contribution
    from byconsent.core.policy import Action, scope

    pairs = (scope(user, Action.VIEW_CONTRIBUTIONS, Contribution.objects.exclude(source_type=None))
             .exclude(source_type__model="textanswer")  # survey answers are grouped by questionnaire below
             .values_list("source_type_id", "source_id").distinct().order_by("source_type_id", "source_id")[:limit])
    choices: list[tuple[str, str]] = []
    for type_id, source_id in pairs:
        content_type = ContentType.objects.get_for_id(type_id)
        model = content_type.model_class()
        found = model._default_manager.filter(pk=source_id).first() if model is not None else None
        choices.append((f"object:{type_id}.{source_id}",
                        f"{content_type.name}: {found if found is not None else source_id}"))
    return choices


def _object_filter(identifier: str) -> Q:
    type_id, _, source_id = identifier.partition(".")
    if not type_id.isdigit():
        return Q(pk__in=[])
    return Q(source_type_id=int(type_id), source_id=source_id)


# ---- every free-text answer to a questionnaire (surveys app) ---------------------------------------------------------

def _survey_choices(user: Any) -> list[tuple[str, str]]:
    from byconsent.core.policy import Action, scope
    from byconsent.surveys.models import Questionnaire

    return [(f"survey:{q.pk}", f"Questionnaire: {q.title}")
            for q in scope(user, Action.VIEW_CONTRIBUTIONS, Questionnaire.objects.all())]


def _survey_filter(identifier: str) -> Q:
    from django.contrib.contenttypes.models import ContentType

    from byconsent.surveys.models import TextAnswer

    if not identifier.isdigit():
        return Q(pk__in=[])
    ids = TextAnswer.objects.filter(response__questionnaire_id=int(identifier)).values_list("pk", flat=True)
    return Q(source_type=ContentType.objects.get_for_model(TextAnswer), source_id__in=[str(i) for i in ids])


def register_builtin_kinds(with_surveys: bool) -> None:
    register_source_kind(SourceKind("object", _object_choices, _object_filter))
    if with_surveys:
        register_source_kind(SourceKind("survey", _survey_choices, _survey_filter))
