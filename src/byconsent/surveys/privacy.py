"""What the surveys app holds about a person, and how it is exported, erased and expired.

- Drafts: unfinished answers; kept 90 days after the last change, then deleted with the files uploaded to them
  (rows and stored files). The same retention run deletes uploaded files no draft or response refers to any more.
- Responses linked to an account (only when the person chose it) or published with a name: erasure unlinks them
  and removes the name; the anonymous answers stay so published totals remain true.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from byconsent.core.privacy import PrivacyHandler
from byconsent.surveys.models import Draft, Publication, Response

DRAFT_RETENTION_DAYS = 90


def _export_drafts(person: Any) -> list[dict[str, Any]]:
    drafts = Draft.objects.filter(Q(user=person) | Q(email__iexact=person.email)).select_related(
        "version__questionnaire")
    return [{"questionnaire": d.version.questionnaire.title, "answers": d.answers, "about_you": d.demographics,
             "last_saved": d.updated_on.isoformat()} for d in drafts]


def _erase_drafts(person: Any) -> int:
    from byconsent.surveys.services import delete_drafts

    return delete_drafts(Draft.objects.filter(Q(user=person) | Q(email__iexact=person.email)), reason="erasure")


def _expire_drafts(cutoff: Any) -> int:
    """Unfinished drafts (with their files), and the receipt links of finished ones, go 90 days after the last save;
    then files nothing refers to any more. Returns drafts plus files deleted."""
    from byconsent.surveys.services import delete_drafts, sweep_unreferenced_files

    drafts = delete_drafts(Draft.objects.filter(updated_on__lt=cutoff.date()), reason="retention")
    return drafts + sweep_unreferenced_files()


def _export_responses(person: Any) -> list[dict[str, Any]]:
    return [{"questionnaire": r.questionnaire.title, "reference": r.reference, "submitted_on":
             r.submitted_on.isoformat(), "answers": r.answers, "publication": r.publication,
             "published_name": r.published_name}
            for r in Response.objects.filter(respondent=person).select_related("questionnaire")]


def _erase_responses(person: Any) -> int:
    linked = Response.objects.filter(respondent=person)
    named = linked.filter(publication=Publication.WITH_NAME)
    named.update(publication=Publication.ANONYMOUS, published_name="")
    return int(linked.update(respondent=None))


def drafts_handler() -> PrivacyHandler:
    return PrivacyHandler("survey_drafts", "Unfinished survey answers (and the email address a resume link went to)",
                          _export_drafts, _erase_drafts, retention_days=DRAFT_RETENTION_DAYS,
                          apply_retention=_expire_drafts)


def responses_handler() -> PrivacyHandler:
    return PrivacyHandler("survey_responses", "Survey responses the person chose to link to their account",
                          _export_responses, _erase_responses)
