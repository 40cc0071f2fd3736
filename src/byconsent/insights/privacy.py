"""The workspace's personal data, for the privacy registry.

Coders are staff: their coding records are the force's analytic work and stay (linked to the account, which core
anonymises on erasure) so agreement figures remain true. Uploaded responses carry respondent ids chosen by the
uploader, never names or contact details; demographic answers in them are stored encrypted.
"""

from __future__ import annotations

from typing import Any

from byconsent.core.privacy import PrivacyHandler


def _export(person: Any) -> dict[str, Any]:
    from byconsent.insights.models import CodeSuggestion, CodingRecord

    records = CodingRecord.objects.filter(coder=person).select_related("codebook").prefetch_related("codes")
    return {
        "codings": [{"contribution": r.contribution_id, "codebook": r.codebook.name,
                     "codes": [c.label for c in r.codes.all()], "coded_at": r.coded_at.isoformat()}
                    for r in records],
        "suggestion_decisions": [{"contribution": s.contribution_id, "code": s.code.label, "status": s.status}
                                 for s in CodeSuggestion.objects.filter(decided_by=person).select_related("code")],
    }


def _erase(person: Any) -> int:
    from byconsent.insights.models import CodingRecord

    # Kept (see module docstring) but the free-text notes a coder wrote are removed.
    return int(CodingRecord.objects.filter(coder=person).exclude(note="").update(note=""))


def handler() -> PrivacyHandler:
    return PrivacyHandler("insights", "Analysis workspace: codes applied by a coder and their decisions",
                          _export, _erase)
