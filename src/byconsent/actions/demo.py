"""Demo content for "You said, we did" and neighbourhood pages, on top of the core demo (`byconsent demo`):
a concern with contributions from several channels, a decision with reasons, actions (one in progress, one
overdue), and a neighbourhood page with its team, a priority, a meeting and crime figures."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from byconsent.actions import services
from byconsent.actions.models import Concern
from byconsent.core.models import Area, Channel, ModerationState, User
from byconsent.core.services import record_contribution

WARD = "S13002928"  # an Edinburgh ward the core demo already uses
SAID = [
    (Channel.ONLINE_SURVEY, "Cars go far too fast past the school gates in the morning."),
    (Channel.ONLINE_SURVEY, "Speeding at school pick-up time: someone will be hurt."),
    (Channel.PAPER, "Please do speed checks near the primary school."),
    (Channel.PHONE, "The 20 mph limit by the school is ignored."),
    (Channel.FOCUS_GROUP, "Parents at the focus group asked for officers at the school crossing."),
]


def load_demo() -> dict[str, Any]:
    """Idempotent: does nothing when the demo concern exists or the core demo has not been loaded."""
    ward = Area.objects.filter(code=WARD).first()
    admin = User.objects.filter(email="admin@demo.byconsent.test").first()
    officer = User.objects.filter(email="officer@demo.byconsent.test").first()
    resident = User.objects.filter(email="resident@demo.byconsent.test").first()
    if ward is None or admin is None or officer is None:
        return {"skipped": "load the core demo first (byconsent demo)"}
    if Concern.objects.filter(source_reference="demo:speeding").exists():
        return {"skipped": "already loaded"}
    from byconsent.neighbourhoods import services as pages

    today = timezone.localdate()
    with transaction.atomic():
        contributions = []
        for index, (channel, text) in enumerate(SAID * 3):
            contribution = record_contribution(channel=channel, text=text, area=ward, recorded_by="demo",
                                               contributor=resident if index == 0 else None,
                                               wants_feedback=index == 0)
            if index < len(SAID):
                contribution.moderation_state = ModerationState.APPROVED
                contribution.save(update_fields=["moderation_state"])
            contributions.append(contribution)
        concern = services.create_concern_from_contributions(
            admin, ward, "Speeding outside the primary school at drop-off and pick-up",
            [c.pk for c in contributions], source=Concern.Source.THEME, source_reference="demo:speeding")
        decision = services.record_decision(
            admin, area=ward.parent or ward, forum="City of Edinburgh local policing meeting",
            decided_on=today - datetime.timedelta(days=14), outcome="partly",
            summary="Officers will run speed checks at the school twice a week this term and ask the council for "
                    "a raised crossing.",
            reasons="A permanent speed camera is a council decision; we have asked them and will report back.",
            concerns=[concern],
            evidence=[services.EvidenceInput("Road casualty figures near the school",
                                             url="https://www.gov.uk/government/statistical-data-sets/"
                                                 "reported-road-accidents-vehicles-and-casualties-tables-for-"
                                                 "great-britain")])
        checks = services.create_action(admin, area=ward, title="Speed checks at the school twice a week",
                                        owner=officer, due_on=today + datetime.timedelta(days=60),
                                        decision=decision)
        services.add_milestone(admin, checks, "First month of checks", today + datetime.timedelta(days=20))
        services.change_status(admin, checks, "in_progress", progress=30,
                               public_text="Checks began on Monday; 14 drivers were stopped in the first week.")
        crossing = services.create_action(admin, area=ward, title="Ask the council for a raised crossing",
                                          owner=officer, due_on=today - datetime.timedelta(days=3),
                                          decision=decision)
        pages.save_team_member(admin, area=ward, name="PC Lewis Local", role_title="Police Constable",
                               contact_email="edinburgh.north@demo.byconsent.test", user=officer)
        pages.save_team_member(admin, area=ward, name="PCSO Ailsa Brown", role_title="Police Community Support "
                               "Officer", contact_email="edinburgh.north@demo.byconsent.test")
        pages.save_priority(admin, area=ward, issue="<p>Speeding outside the primary school.</p>",
                            issue_date=today - datetime.timedelta(days=30),
                            action="<p>Speed checks twice a week; a raised crossing requested from the council.</p>",
                            action_date=today - datetime.timedelta(days=14),
                            set_with="Ward community meeting", ledger_action=checks)
        pages.save_meeting(admin, area=ward, title="Ward community meeting",
                           starts_at=timezone.now().replace(hour=18, minute=30, second=0, microsecond=0)
                           + datetime.timedelta(days=10),
                           location="Community centre, main hall", access_notes="Step-free access; hearing loop")
    return {"concern": concern.pk, "decision": decision.pk, "actions": [checks.pk, crossing.pk]}
