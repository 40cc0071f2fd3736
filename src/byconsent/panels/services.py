"""Every write of the panels app: permission check, transaction, audit entry, tasks and messages.

Views, tasks and tests call these; nothing else writes panel records. Each function is safe to repeat: a repeated
call with the same input finds what the first call made instead of making it twice.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from byconsent.core import audit, tasks
from byconsent.core.models import Area, Channel, ModerationState, User
from byconsent.core.notifications import queue_email
from byconsent.core.policy import Action, can, require
from byconsent.core.services import record_contribution
from byconsent.engines.sortition import (
    ALGORITHMS,
    DEFAULT_LOTTERY_SIZE,
    InfeasibleQuotasError,
    Respondent,
    SelectionInputError,
    SelectionProblem,
    panel_problems,
    select_panel,
)
from byconsent.engines.sortition import Quota as EngineQuota
from byconsent.engines.sortition import check_feasibility as engine_check_feasibility
from byconsent.panels.models import (
    Address,
    Attendance,
    CensusShare,
    Panel,
    PanelSession,
    Payment,
    Quota,
    Recommendation,
    RecruitmentRound,
    Selection,
    Volunteer,
    VolunteerAnswers,
    new_invitation_code,
    normalise_code,
)
from byconsent.panels.recruitment import (
    draw_addresses,
    parse_address_csv,
    parse_census_shares,
    parse_oversample,
    quotas_from_shares,
)

EMAIL_TOPIC = "panels"
# People who are still candidates for a selection (a rerun starts again from everyone who has not dropped out).
CANDIDATE_STATUSES = (Volunteer.Status.POOL, Volunteer.Status.SELECTED, Volunteer.Status.RESERVE,
                      Volunteer.Status.NOT_SELECTED)


class PanelError(ValueError):
    """A request that cannot be done as asked; the message says why, in words staff or the public can act on."""

    def __init__(self, message: str, field: str | None = None, errors: list[str] | None = None):
        super().__init__(message)
        self.field = field
        self.errors = errors or [message]


# ---- panels -----------------------------------------------------------------------------------------------------

def _unique_slug(name: str) -> str:
    base = slugify(name)[:60] or "panel"
    slug, n = base, 1
    while Panel.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _check_safeguarding(kind: str, lead: User | None, area: Area) -> None:
    if kind == Panel.Kind.YOUTH:
        if lead is None:
            raise PanelError(_("A youth co-design group needs a designated safeguarding lead."),
                             field="safeguarding_lead")
        if not (lead.is_superuser or lead.role_assignments.filter(
                area__in=Area.objects.filter(pk__in=[a.pk for a in area.ancestors()])).exists()):
            raise PanelError(_("The safeguarding lead must hold a staff role over the panel's area."),
                             field="safeguarding_lead")


PANEL_FIELDS = ["name", "kind", "purpose", "panel_size", "reserve_size", "quota_tolerance", "algorithm",
                "safeguarding_lead", "status", "force_response", "area"]


def create_panel(actor: Any, *, area: Area, name: str, kind: str, purpose: str, panel_size: int,
                 reserve_size: int = 6, quota_tolerance: int = 1, algorithm: str = "leximin",
                 safeguarding_lead: User | None = None) -> Panel:
    require(actor, Action.MANAGE_ENGAGEMENT, area)
    _check_safeguarding(kind, safeguarding_lead, area)
    if algorithm not in ALGORITHMS:
        raise PanelError(_("Choose a selection method from the list."), field="algorithm")
    with transaction.atomic():
        panel = Panel.objects.create(area=area, name=name, slug=_unique_slug(name), kind=kind, purpose=purpose,
                                     panel_size=panel_size, reserve_size=reserve_size,
                                     quota_tolerance=quota_tolerance, algorithm=algorithm,
                                     safeguarding_lead=safeguarding_lead)
        audit.record(actor, "panel.created", panel, after=audit.snapshot(panel, PANEL_FIELDS))
    return panel


def update_panel(actor: Any, panel: Panel, **changes: Any) -> Panel:
    require(actor, Action.MANAGE_ENGAGEMENT, panel)
    if "area" in changes:
        require(actor, Action.MANAGE_ENGAGEMENT, changes["area"])
    kind = changes.get("kind", panel.kind)
    lead = changes.get("safeguarding_lead", panel.safeguarding_lead)
    _check_safeguarding(kind, lead, changes.get("area", panel.area))
    if "status" in changes and changes["status"] not in Panel.Status.values:
        raise PanelError(_("Unknown status."), field="status")
    with transaction.atomic():
        before = audit.snapshot(panel, PANEL_FIELDS)
        for name, value in changes.items():
            if name not in PANEL_FIELDS:
                raise PanelError(f"{name} cannot be changed here")
            setattr(panel, name, value)
        panel.save()
        after = audit.snapshot(panel, PANEL_FIELDS)
        if after != before:
            audit.record(actor, "panel.updated", panel, before=before, after=after)
    return panel


# ---- census shares and quotas -----------------------------------------------------------------------------------

def set_census_shares(actor: Any, panel: Panel, csv_text: str) -> list[CensusShare]:
    """Replace the panel's census shares (all or nothing); every bad line is reported."""
    require(actor, Action.MANAGE_ENGAGEMENT, panel)
    parsed = parse_census_shares(csv_text)
    if parsed.errors:
        raise PanelError(parsed.errors[0], field="shares", errors=parsed.errors)
    with transaction.atomic():
        before = [[s.category, s.value, s.share] for s in panel.census_shares.all()]
        panel.census_shares.all().delete()
        shares = CensusShare.objects.bulk_create(
            [CensusShare(panel=panel, category=r.category, value=r.value, share=r.share) for r in parsed.rows])
        after = [[s.category, s.value, s.share] for s in shares]
        audit.record(actor, "panel.census_shares_set", panel, before={"shares": before}, after={"shares": after})
    return shares


def census_shares_from_counts(characteristic: str, counts: dict[str, float]) -> str:
    """`category,value,share` text from population counts per category (e.g. from a census bulk file)."""
    total = sum(counts.values())
    if total <= 0:
        raise PanelError(_("The census table has no people in the chosen areas."))
    lines = ["category,value,share"]
    lines += [f"{_csv_cell(characteristic)},{_csv_cell(value)},{count / total:.6f}" for value, count in counts.items()]
    return "\n".join(lines) + "\n"


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(ch in text for ch in ',"\n') else text


def build_quotas_from_census(actor: Any, panel: Panel) -> list[Quota]:
    """Replace the quotas with census share x panel size, widened by the panel's tolerance."""
    require(actor, Action.MANAGE_ENGAGEMENT, panel)
    shares = [(s.category, s.value, s.share) for s in panel.census_shares.all()]
    if not shares:
        raise PanelError(_("Enter the census shares first."))
    bounds = quotas_from_shares(shares, panel.panel_size, panel.quota_tolerance)
    with transaction.atomic():
        before = _quota_snapshot(panel)
        panel.quotas.all().delete()
        quotas = Quota.objects.bulk_create([
            Quota(panel=panel, category=b.category, value=b.value, minimum=b.minimum, maximum=b.maximum,
                  target=b.target) for b in bounds])
        audit.record(actor, "panel.quotas_built", panel, before=before, after=_quota_snapshot(panel))
    return quotas


def _quota_snapshot(panel: Panel) -> dict[str, Any]:
    return {"quotas": [[q.category, q.value, q.minimum, q.maximum] for q in panel.quotas.all()]}


def save_quotas(actor: Any, panel: Panel, bounds: dict[int, tuple[int, int]]) -> list[Quota]:
    """Set (minimum, maximum) for existing quotas, by quota id."""
    require(actor, Action.MANAGE_ENGAGEMENT, panel)
    quotas = {q.pk: q for q in panel.quotas.all()}
    errors = []
    for pk, (low, high) in bounds.items():
        quota = quotas.get(pk)
        if quota is None:
            raise PanelError(_("A quota was removed while you were editing; reload the page."))
        if low > high:
            errors.append(_("%(label)s: the minimum is more than the maximum.") % {"label": _label(quota)})
        if high > panel.panel_size:
            errors.append(_("%(label)s: the maximum is more than the panel size.") % {"label": _label(quota)})
    if errors:
        raise PanelError(errors[0], errors=errors)
    with transaction.atomic():
        before = _quota_snapshot(panel)
        for pk, (low, high) in bounds.items():
            quotas[pk].minimum, quotas[pk].maximum = low, high
        Quota.objects.bulk_update(list(quotas.values()), ["minimum", "maximum"])
        after = _quota_snapshot(panel)
        if after != before:
            audit.record(actor, "panel.quotas_edited", panel, before=before, after=after)
    return list(quotas.values())


def _label(quota: Quota) -> str:
    return f"{quota.category}: {quota.value}"


def quota_categories(panel: Panel) -> dict[str, list[str]]:
    """The quota questions: category -> its values, in the order they were entered."""
    categories: dict[str, list[str]] = {}
    for quota in panel.quotas.all():
        categories.setdefault(quota.category, []).append(quota.value)
    return categories


def engine_quotas(panel: Panel) -> list[EngineQuota]:
    return [EngineQuota(q.category, q.value, q.minimum, q.maximum) for q in panel.quotas.all()]


def pool_respondents(panel: Panel) -> tuple[list[Respondent], dict[str, Volunteer]]:
    """The pool as the engine sees it: the volunteer's public reference, their quota answers and their address."""
    categories = quota_categories(panel)
    respondents, by_reference = [], {}
    volunteers = panel.volunteers.filter(status__in=CANDIDATE_STATUSES).select_related("answers")
    for volunteer in volunteers:
        answers = getattr(volunteer, "answers", None)
        values = answers.answers if answers is not None else {}
        features = {category: str(values.get(category, "")) for category in categories}
        household = f"address-{volunteer.address_id}" if volunteer.address_id else None
        respondents.append(Respondent(volunteer.reference, features, household))
        by_reference[volunteer.reference] = volunteer
    return respondents, by_reference


def unmatched_volunteers(panel: Panel) -> list[str]:
    """References of volunteers whose answers fit no current quota (e.g. quotas rebuilt with new groups)."""
    categories = quota_categories(panel)
    respondents = pool_respondents(panel)[0]
    return [r.id for r in respondents
            if any(r.features.get(category) not in values for category, values in categories.items())]


def _unmatched_message(references: list[str]) -> str:
    return _("%(n)s volunteer(s) gave answers that match no quota (%(refs)s): the quotas were changed after they "
             "registered. Add quotas for their answers, or correct their answers.") % {
        "n": len(references), "refs": ", ".join(references[:10])}


@dataclass
class Feasibility:
    feasible: bool
    pool_size: int
    reasons: list[str] = field(default_factory=list)
    relaxation: list[dict[str, Any]] | None = None
    no_relaxation_helps: bool = False


def check_feasibility(panel: Panel) -> Feasibility:
    """Can any panel meet the quotas with this pool? Uses the engine's feasibility check and its infeasibility
    report (which quotas conflict and the smallest relaxation)."""
    respondents = pool_respondents(panel)[0]
    quotas = engine_quotas(panel)
    if not quotas:
        return Feasibility(False, len(respondents), [_("There are no quotas yet.")])
    if len(respondents) < panel.panel_size:
        return Feasibility(False, len(respondents), [
            _("The pool has %(pool)s volunteers, fewer than the %(size)s members needed.")
            % {"pool": len(respondents), "size": panel.panel_size}])
    unmatched = unmatched_volunteers(panel)
    if unmatched:
        return Feasibility(False, len(respondents), [_unmatched_message(unmatched)])
    try:
        engine_check_feasibility(respondents, quotas, panel.panel_size)
    except InfeasibleQuotasError as error:
        return Feasibility(False, len(respondents), list(error.reasons), _relaxation(error),
                           no_relaxation_helps=error.relaxation is None)
    except SelectionInputError as error:
        return Feasibility(False, len(respondents), [str(error)])
    return Feasibility(True, len(respondents))


def _relaxation(error: InfeasibleQuotasError) -> list[dict[str, Any]] | None:
    if error.relaxation is None:
        return None
    return [{"category": r.category, "value": r.value, "old_min": r.old_min, "old_max": r.old_max,
             "new_min": r.new_min, "new_max": r.new_max} for r in error.relaxation]


def apply_relaxation(actor: Any, panel: Panel, relaxation: list[dict[str, Any]]) -> list[Quota]:
    """Accept the engine's suggested relaxation: set the named quotas' bounds to the suggested ones."""
    by_key = {(q.category, q.value): q.pk for q in panel.quotas.all()}
    bounds = {q.pk: (q.minimum, q.maximum) for q in panel.quotas.all()}
    for change in relaxation:
        pk = by_key.get((change["category"], change["value"]))
        if pk is not None:
            bounds[pk] = (int(change["new_min"]), int(change["new_max"]))
    return save_quotas(actor, panel, bounds)


# ---- recruitment rounds -----------------------------------------------------------------------------------------

def create_round(actor: Any, panel: Panel, csv_text: str, sample_size: int, oversample_text: str = "",
                 seed: str = "") -> RecruitmentRound:
    """Upload an address list and draw the addresses to invite (per area, with oversampling), all or nothing.

    Repeating the same upload with the same seed returns the round already made. Each drawn address gets a random
    invitation code; the seed decides only which addresses are drawn, so publishing it reveals no code.
    """
    require(actor, Action.MANAGE_ENGAGEMENT, panel)
    parsed = parse_address_csv(csv_text)
    if parsed.errors:
        raise PanelError(parsed.errors[0], field="file", errors=parsed.errors)
    areas = {row.area for row in parsed.rows}
    oversample, oversample_errors = parse_oversample(oversample_text, areas)
    if oversample_errors:
        raise PanelError(oversample_errors[0], field="oversample", errors=oversample_errors)
    if sample_size < 1:
        raise PanelError(_("Draw at least one address."), field="sample_size")
    seed = seed.strip() or secrets.token_hex(8)
    digest = hashlib.sha256(csv_text.encode("utf-8")).hexdigest()
    existing = panel.rounds.filter(list_sha256=digest, seed=seed, sample_size=sample_size,
                                   oversample=oversample).first()
    if existing is not None:
        return existing
    drawn, allocation = draw_addresses(parsed.rows, sample_size, oversample, seed)
    with transaction.atomic():
        round_ = RecruitmentRound.objects.create(panel=panel, seed=seed, list_sha256=digest, sample_size=sample_size,
                                                 oversample=oversample, allocation=allocation,
                                                 address_count=len(parsed.rows),
                                                 created_by=actor if getattr(actor, "pk", None) else None)
        addresses = [Address(round=round_, line_number=row.line_number, address=row.address, postcode=row.postcode,
                             area_label=row.area, drawn=row.line_number in drawn) for row in parsed.rows]
        _assign_codes([a for a in addresses if a.drawn])
        Address.objects.bulk_create(addresses, batch_size=2000)
        if panel.status == Panel.Status.DRAFT:
            panel.status = Panel.Status.RECRUITING
            panel.save(update_fields=["status"])
        audit.record(actor, "panel.round_drawn", panel, after={
            "round": round_.pk, "seed": seed, "list_sha256": digest, "addresses": len(parsed.rows),
            "drawn": len(drawn), "allocation": allocation})
    return round_


def _assign_codes(addresses: list[Address]) -> None:
    taken = set(Address.objects.exclude(code=None).values_list("code", flat=True))
    for address in addresses:
        code = new_invitation_code()
        while code in taken:
            code = new_invitation_code()
        taken.add(code)
        address.code = code


def record_letters_printed(actor: Any, round_: RecruitmentRound, what: str = "invitations") -> None:
    require(actor, Action.MANAGE_ENGAGEMENT, round_)
    with transaction.atomic():
        audit.record(actor, f"panel.letters_opened.{what}", round_.panel, after={"round": round_.pk})


# ---- registration -----------------------------------------------------------------------------------------------

@dataclass
class Registration:
    code: str
    full_name: str
    answers: dict[str, str]
    consent: bool
    email: str = ""
    phone: str = ""
    accessibility_needs: str = ""
    is_under_16: bool = False
    guardian_name: str = ""
    guardian_email: str = ""
    guardian_consent: bool = False


def _validate_registration(panel: Panel, data: Registration) -> None:
    if not data.consent:
        raise PanelError(_("Tick the box to agree to how we use your answers."), field="consent")
    if not (data.email or data.phone):
        raise PanelError(_("Give an email address or a phone number so we can contact you."), field="email")
    categories = quota_categories(panel)
    for category, values in categories.items():
        if data.answers.get(category) not in values:
            raise PanelError(_("Answer the question about %(category)s.") % {"category": category},
                             field=f"answer_{category}")
    if data.is_under_16:
        if not panel.is_youth:
            raise PanelError(_("This panel is for people aged 16 or over."), field="is_under_16")
        if not (data.guardian_name and data.guardian_email):
            raise PanelError(_("Enter the name and email address of your parent or guardian."),
                             field="guardian_name")
        if not data.guardian_consent:
            raise PanelError(_("Your parent or guardian must agree before you can join."), field="guardian_consent")


def register_volunteer(panel: Panel, data: Registration, recorded_by: Any = None) -> tuple[Volunteer, bool]:
    """Register one volunteer with an invitation code: (volunteer, created).

    A code works once. The same person submitting again (a double click, a retry) gets their first registration
    back; anyone else using a spent code is refused. Staff entering a phone registration pass `recorded_by`.
    """
    if recorded_by is not None:
        require(recorded_by, Action.MANAGE_ENGAGEMENT, panel)
    elif not panel.registration_open:
        raise PanelError(_("This panel is not taking registrations."), field="code")
    code = normalise_code(data.code)
    address = Address.objects.filter(code=code, round__panel=panel).first() if code else None
    if address is None:
        raise PanelError(_("That code is not right. Check it against your letter (it looks like ABCD-EFGH)."),
                         field="code")
    _validate_registration(panel, data)
    try:
        with transaction.atomic():
            address = Address.objects.select_for_update().get(pk=address.pk)
            existing = Volunteer.objects.filter(address=address).first()
            if existing is not None:
                return _repeat_or_refuse(existing, data), False
            volunteer = Volunteer.objects.create(
                panel=panel, address=address, full_name=data.full_name.strip(), email=data.email.strip().lower(),
                phone=data.phone.strip(),
                channel=Volunteer.Channel.PHONE if recorded_by is not None else Volunteer.Channel.ONLINE,
                is_under_16=data.is_under_16, guardian_name=data.guardian_name.strip(),
                guardian_email=data.guardian_email.strip().lower(), guardian_consent=data.guardian_consent)
            VolunteerAnswers.objects.create(volunteer=volunteer, answers=dict(data.answers),  # type: ignore[misc]
                                            accessibility_needs=data.accessibility_needs.strip())
            audit.record(recorded_by or "public", "panel.volunteer_registered", volunteer,
                         after={"panel": panel.pk, "channel": volunteer.channel, "reference": volunteer.reference})
            _queue_registration_email(volunteer)
    except IntegrityError:
        existing = Volunteer.objects.get(address__code=code)
        return _repeat_or_refuse(existing, data), False
    return volunteer, True


def _repeat_or_refuse(existing: Volunteer, data: Registration) -> Volunteer:
    same_person = existing.full_name.strip().lower() == data.full_name.strip().lower() and (
        existing.email == data.email.strip().lower() and existing.phone == data.phone.strip())
    if same_person:
        return existing
    raise PanelError(_("That code has already been used. Each letter's code registers one person; if this is wrong, "
                       "call 101 and ask for the panel team."), field="code")


def _queue_registration_email(volunteer: Volunteer) -> None:
    panel = volunteer.panel
    body = _("Thank you for volunteering for %(panel)s. Your reference is %(ref)s. We will draw the panel by lottery "
             "from everyone who volunteers and write to you either way.") % {"panel": panel.name,
                                                                           "ref": volunteer.reference}
    for recipient in filter(None, [volunteer.email, volunteer.guardian_email if volunteer.is_under_16 else ""]):
        queue_email(recipient, EMAIL_TOPIC, _("You have volunteered for %(panel)s") % {"panel": panel.name}, body,
                    f"panel-registered-{volunteer.pk}-{recipient}")


def correct_answers(actor: Any, volunteer: Volunteer, answers: dict[str, str]) -> None:
    """Staff correct a volunteer's quota answers (at the volunteer's request). The audit entry records that they
    changed, never the answers themselves (special-category data stays encrypted)."""
    require(actor, Action.MANAGE_ENGAGEMENT, volunteer)
    for category, values in quota_categories(volunteer.panel).items():
        if answers.get(category) not in values:
            raise PanelError(_("Answer the question about %(category)s.") % {"category": category},
                             field=f"answer_{category}")
    with transaction.atomic():
        record, _created = VolunteerAnswers.objects.get_or_create(volunteer=volunteer)
        current = dict(cast(dict[str, str], record.answers or {}))
        changed = sorted(c for c in answers if current.get(c) != answers[c])
        record.answers = {**current, **answers}  # type: ignore[assignment]
        record.save(update_fields=["answers"])
        if changed:
            audit.record(actor, "panel.answers_corrected", volunteer, after={"categories_changed": changed})


def update_accessibility_needs(actor: Any, volunteer: Volunteer, text: str) -> None:
    require(actor, Action.MANAGE_ENGAGEMENT, volunteer)
    with transaction.atomic():
        answers, _created = VolunteerAnswers.objects.get_or_create(volunteer=volunteer)
        answers.accessibility_needs = text.strip()
        answers.save()
        audit.record(actor, "panel.accessibility_needs_updated", volunteer, after={"recorded": bool(text.strip())})


# ---- selection --------------------------------------------------------------------------------------------------

def start_selection(actor: Any, panel: Panel, algorithm: str | None = None, seed: str = "",
                    lottery_size: int = DEFAULT_LOTTERY_SIZE) -> Selection:
    """Queue a selection task. A selection already waiting for this panel is returned instead of a second one."""
    require(actor, Action.MANAGE_ENGAGEMENT, panel)
    algorithm = algorithm or panel.algorithm
    if algorithm not in ALGORITHMS:
        raise PanelError(_("Choose a selection method from the list."), field="algorithm")
    if panel.status in (Panel.Status.RUNNING, Panel.Status.CLOSED):
        raise PanelError(_("The panel is already running; replace members who drop out instead of selecting again."))
    if not panel.quotas.exists():
        raise PanelError(_("Set the quotas before selecting."))
    with transaction.atomic():
        Panel.objects.select_for_update().filter(pk=panel.pk).first()
        waiting = panel.selections.filter(status=Selection.Status.QUEUED).first()
        if waiting is not None:
            return waiting
        selection = Selection.objects.create(panel=panel, algorithm=algorithm, seed=seed.strip() or
                                             secrets.token_hex(8), lottery_size=lottery_size,
                                             created_by=actor if getattr(actor, "pk", None) else None)
        selection.task = tasks.start(_("Select members of %(panel)s") % {"panel": panel.name},
                                     "byconsent.panels.tasks.select_task", {"selection_id": selection.pk},
                                     requested_by=actor, area=panel.area)
        selection.save(update_fields=["task"])
        audit.record(actor, "panel.selection_started", panel, after={
            "selection": selection.pk, "algorithm": algorithm, "seed": selection.seed})
    return selection


def reserve_order_key(seed: str, reference: str) -> str:
    """Reserves are ranked by SHA-256("<seed>:reserve:<reference>"), so anyone can re-derive the order."""
    return hashlib.sha256(f"{seed}:reserve:{reference}".encode()).hexdigest()


def run_selection(selection_id: int, report: Any) -> dict[str, Any]:
    """The task's work: call the engine, store the result and mark members and reserves. Returns a summary."""
    selection = Selection.objects.select_related("panel").get(pk=selection_id)
    if selection.status != Selection.Status.QUEUED:
        return {"status": selection.status}
    panel = selection.panel
    respondents, by_reference = pool_respondents(panel)
    quotas = engine_quotas(panel)
    try:
        result = select_panel(respondents, quotas, panel.panel_size, algorithm=selection.algorithm,
                              seed=selection.seed, lottery_size=selection.lottery_size, progress=report)
    except InfeasibleQuotasError as error:
        Selection.objects.filter(pk=selection.pk).update(
            status=Selection.Status.INFEASIBLE, pool_size=len(respondents), finished_at=timezone.now(),
            problems={"reasons": list(error.reasons), "relaxation": _relaxation(error)})
        return {"status": Selection.Status.INFEASIBLE, "reasons": list(error.reasons)}
    except SelectionInputError as error:
        unmatched = unmatched_volunteers(panel)
        reason = _unmatched_message(unmatched) if unmatched else str(error)
        Selection.objects.filter(pk=selection.pk).update(
            status=Selection.Status.FAILED, pool_size=len(respondents), finished_at=timezone.now(),
            problems={"reasons": [reason], "relaxation": None})
        return {"status": Selection.Status.FAILED, "reasons": [reason]}
    marginals = dict(result.lottery.marginals) if result.lottery is not None else dict(result.marginals)
    selected = set(result.selected)
    others = sorted((ref for ref in by_reference if ref not in selected),
                    key=lambda ref: reserve_order_key(selection.seed, ref))
    outcome = {
        "algorithm": result.algorithm,
        "seed": selection.seed,
        "pool_size": len(respondents),
        "panel_size": panel.panel_size,
        "selected": sorted(selected),
        "reserves": others[: panel.reserve_size],
        "panels": [list(members) for members in result.panels],
        "panel_probabilities": result.panel_probabilities,
        "marginals": marginals,
        "exact_marginals": dict(result.marginals),
        "min_probability": result.min_probability,
        "gap": None if result.gap != result.gap else result.gap,  # NaN (legacy) is not JSON
        "lottery": None if result.lottery is None else {
            "size": result.lottery.size, "panel_counts": list(result.lottery.panel_counts),
            "drawn_ticket": result.lottery.drawn_ticket, "drawn_panel": result.lottery.drawn_panel,
            "max_marginal_deviation": result.lottery.max_marginal_deviation},
        "quotas": [{"category": q.category, "value": q.value, "min": q.min, "max": q.max} for q in quotas],
        "solvers": result.solvers,
        "seconds": round(result.seconds, 3),
        "notes": result.notes,
    }
    with transaction.atomic():
        for rank, reference in enumerate(others, start=1):
            volunteer = by_reference[reference]
            volunteer.status = Volunteer.Status.RESERVE if rank <= panel.reserve_size else Volunteer.Status.NOT_SELECTED
            volunteer.reserve_rank = rank
        for reference in selected:
            by_reference[reference].status = Volunteer.Status.SELECTED
            by_reference[reference].reserve_rank = None
        for reference, volunteer in by_reference.items():
            volunteer.selection_probability = marginals.get(reference)
        Volunteer.objects.bulk_update(list(by_reference.values()),
                                      ["status", "reserve_rank", "selection_probability"])
        Selection.objects.filter(pk=selection.pk).update(status=Selection.Status.DONE, pool_size=len(respondents),
                                                         outcome=outcome, finished_at=timezone.now())
        if panel.status in (Panel.Status.DRAFT, Panel.Status.RECRUITING):
            panel.status = Panel.Status.SELECTED
            panel.save(update_fields=["status"])
        audit.record(selection.created_by or "selection task", "panel.selection_done", panel, after={
            "selection": selection.pk, "seed": selection.seed, "selected": sorted(selected),
            "reserves": others[: panel.reserve_size]})
    return {"status": Selection.Status.DONE, "selected": len(selected), "pool_size": len(respondents)}


# ---- replacements -----------------------------------------------------------------------------------------------

@dataclass
class ReplacementOutcome:
    dropped: Volunteer
    replacement: Volunteer | None
    explanation: str = ""


def _members(panel: Panel) -> list[Volunteer]:
    return list(panel.volunteers.filter(status=Volunteer.Status.SELECTED).select_related("answers"))


def features_of(volunteer: Volunteer, categories: dict[str, list[str]]) -> dict[str, str]:
    answers = getattr(volunteer, "answers", None)
    values = answers.answers if answers is not None else {}
    return {category: str(values.get(category, "")) for category in categories}


def find_replacement(panel: Panel, member: Volunteer | None) -> tuple[Volunteer | None, str]:
    """The first reserve (in published reserve order) whose swap for `member` keeps every quota, or why none can.
    With `member` None: the first reserve who can fill a seat left empty."""
    categories = quota_categories(panel)
    quotas = engine_quotas(panel)
    current = [v for v in _members(panel) if member is None or v.pk != member.pk]
    reserves = list(panel.volunteers.filter(status=Volunteer.Status.RESERVE).order_by("reserve_rank")
                    .select_related("answers"))
    if not reserves:
        return None, _("There are no reserves left.")
    people = {v.reference: v for v in [*current, *reserves]}
    respondents = tuple(Respondent(v.reference, features_of(v, categories),
                                   f"address-{v.address_id}" if v.address_id else None) for v in people.values())
    # The seat being filled plus the members still sitting (a seat left empty earlier stays empty).
    problem = SelectionProblem(respondents, tuple(quotas), len(current) + 1)
    members = [v.reference for v in current]
    for reserve in reserves:
        if not panel_problems(problem, [*members, reserve.reference]):
            return reserve, ""
    tally = Counter((c, v) for person in current for c, v in features_of(person, categories).items())
    needs = [q for q in quotas if tally[(q.category, q.value)] < q.min]
    full = [q for q in quotas if tally[(q.category, q.value)] >= q.max]
    parts = []
    if needs:
        parts.append(_("the seat needs someone with %(needs)s to keep the minimum") % {
            "needs": _(" and ").join(f"{q.category}: {q.value}" for q in needs)})
    if full:
        parts.append(_("these groups are already at their maximum: %(full)s") % {
            "full": ", ".join(f"{q.category}: {q.value}" for q in full)})
    detail = "; ".join(parts) or _("no swap meets every quota")
    return None, _("None of the %(n)s reserves can take the seat without breaking a quota: %(detail)s. You can "
                   "leave the seat empty, or lower the quota after recording why.") % {"n": len(reserves),
                                                                                        "detail": detail}


def replace_member(actor: Any, member: Volunteer, reason: str, leave_empty_if_none: bool = False) \
        -> ReplacementOutcome:
    """A member drops out: the first reserve whose swap keeps every quota takes the seat.

    When no reserve can, nothing changes and PanelError explains why, unless `leave_empty_if_none` is set, in which
    case the drop-out is recorded and the seat stays empty. Repeating for someone already dropped out returns the
    earlier outcome.
    """
    require(actor, Action.MANAGE_ENGAGEMENT, member)
    panel = member.panel
    with transaction.atomic():
        member = Volunteer.objects.select_for_update().get(pk=member.pk)
        if member.status == Volunteer.Status.DROPPED_OUT:
            return ReplacementOutcome(member, getattr(member, "replaced_by", None))
        if member.status != Volunteer.Status.SELECTED:
            raise PanelError(_("Only a selected member can be replaced."))
        replacement, explanation = find_replacement(panel, member)
        if replacement is None and not leave_empty_if_none:
            raise PanelError(explanation)
        member.status = Volunteer.Status.DROPPED_OUT
        member.dropped_reason = reason[:300]
        member.save(update_fields=["status", "dropped_reason"])
        if replacement is not None:
            replacement.status = Volunteer.Status.SELECTED
            replacement.replaces = member
            replacement.reserve_rank = None
            replacement.save(update_fields=["status", "replaces", "reserve_rank"])
            _queue_selected_email(replacement, f"replacement-{member.pk}")
        audit.record(actor, "panel.member_replaced", panel, after={
            "dropped": member.reference, "replacement": replacement.reference if replacement else None,
            "reason": reason[:300], "explanation": explanation})
    return ReplacementOutcome(member, replacement, explanation)


def fill_empty_seat(actor: Any, panel: Panel) -> Volunteer:
    """A seat left empty after a drop-out: seat the first reserve whose place keeps every quota."""
    require(actor, Action.MANAGE_ENGAGEMENT, panel)
    with transaction.atomic():
        Panel.objects.select_for_update().filter(pk=panel.pk).first()
        if panel.volunteers.filter(status=Volunteer.Status.SELECTED).count() >= panel.panel_size:
            raise PanelError(_("Every seat is filled."))
        reserve, explanation = find_replacement(panel, None)
        if reserve is None:
            raise PanelError(explanation)
        reserve.status = Volunteer.Status.SELECTED
        reserve.reserve_rank = None
        reserve.save(update_fields=["status", "reserve_rank"])
        _queue_selected_email(reserve, "filled-seat")
        audit.record(actor, "panel.empty_seat_filled", panel, after={"reserve": reserve.reference})
    return reserve


def withdraw_volunteer(actor: Any, volunteer: Volunteer, reason: str) -> Volunteer:
    """Someone in the pool (or a reserve) withdraws; a selected member is replaced with replace_member instead."""
    require(actor, Action.MANAGE_ENGAGEMENT, volunteer)
    with transaction.atomic():
        volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
        if volunteer.status == Volunteer.Status.DROPPED_OUT:
            return volunteer
        if volunteer.status == Volunteer.Status.SELECTED:
            raise PanelError(_("This person is a member: record the drop-out so a reserve can take the seat."))
        before = {"status": volunteer.status}
        volunteer.status = Volunteer.Status.DROPPED_OUT
        volunteer.dropped_reason = reason[:300]
        volunteer.reserve_rank = None
        volunteer.save(update_fields=["status", "dropped_reason", "reserve_rank"])
        audit.record(actor, "panel.volunteer_withdrawn", volunteer, before=before,
                     after={"status": volunteer.status, "reason": reason[:300]})
    return volunteer


# ---- confirmations ----------------------------------------------------------------------------------------------

def _queue_selected_email(volunteer: Volunteer, key: str) -> int:
    panel = volunteer.panel
    if volunteer.status == Volunteer.Status.SELECTED:
        subject = _("You have been chosen for %(panel)s") % {"panel": panel.name}
        body = _("You were chosen by lottery to be a member of %(panel)s. Your reference is %(ref)s. We will send "
                 "the dates of the sessions and how to claim expenses. Tell us about anything that would help you "
                 "take part.") % {"panel": panel.name, "ref": volunteer.reference}
    else:
        subject = _("You are a reserve for %(panel)s") % {"panel": panel.name}
        body = _("You were not chosen this time but you are reserve number %(rank)s for %(panel)s. If a member "
                 "cannot take part we may ask you to join. Your reference is %(ref)s.") % {
            "rank": volunteer.reserve_rank, "panel": panel.name, "ref": volunteer.reference}
    sent = 0
    for recipient in filter(None, [volunteer.email, volunteer.guardian_email if volunteer.is_under_16 else ""]):
        queue_email(recipient, EMAIL_TOPIC, subject, body, f"panel-{key}-{volunteer.pk}-{volunteer.status}-{recipient}")
        sent += 1
    return sent


def send_confirmations(actor: Any, panel: Panel) -> dict[str, int]:
    """Email every selected member and reserve (once per selection, however often this is pressed); those without
    an email address get a letter from the confirmation letters page."""
    require(actor, Action.MANAGE_ENGAGEMENT, panel)
    selection = panel.selections.filter(status=Selection.Status.DONE).first()
    if selection is None:
        raise PanelError(_("Select the panel first."))
    counts = {"emails": 0, "letters": 0}
    with transaction.atomic():
        for volunteer in panel.volunteers.filter(status__in=[Volunteer.Status.SELECTED, Volunteer.Status.RESERVE]):
            sent = _queue_selected_email(volunteer, f"selection-{selection.pk}")
            counts["emails"] += sent
            counts["letters"] += 0 if volunteer.email else 1
        audit.record(actor, "panel.confirmations_sent", panel, after=counts)
    return counts


# ---- running the panel ------------------------------------------------------------------------------------------

def create_session(actor: Any, panel: Panel, *, title: str, starts_at: Any, location: str = "",
                   notes: str = "") -> PanelSession:
    require(actor, Action.MANAGE_ENGAGEMENT, panel)
    with transaction.atomic():
        session, created = PanelSession.objects.get_or_create(panel=panel, title=title, starts_at=starts_at,
                                                              defaults={"location": location, "notes": notes})
        if created:
            audit.record(actor, "panel.session_created", session, after=audit.snapshot(session))
        if panel.status == Panel.Status.SELECTED:
            panel.status = Panel.Status.RUNNING
            panel.save(update_fields=["status"])
    return session


def record_attendance(actor: Any, session: PanelSession, attended_ids: set[int]) -> int:
    """Mark every current member present or absent for one session; returns how many attended."""
    require(actor, Action.MANAGE_ENGAGEMENT, session)
    members = session.panel.volunteers.filter(
        status__in=[Volunteer.Status.SELECTED, Volunteer.Status.DROPPED_OUT])
    with transaction.atomic():
        for volunteer in members:
            Attendance.objects.update_or_create(session=session, volunteer=volunteer,
                                                defaults={"attended": volunteer.pk in attended_ids})
        count = session.attendance.filter(attended=True).count()
        audit.record(actor, "panel.attendance_recorded", session, after={"attended": count})
    return count


def record_payment(actor: Any, panel: Panel, *, volunteer: Volunteer, kind: str, amount: Decimal,
                   description: str = "", session: PanelSession | None = None, paid_on: Any = None,
                   idempotency_key: str = "") -> Payment:
    """Record an expense or thank-you payment; the form's one-time key makes a double submit record it once."""
    require(actor, Action.MANAGE_ENGAGEMENT, panel)
    if volunteer.panel_id != panel.pk or (session is not None and session.panel_id != panel.pk):
        raise PermissionDenied("Not part of this panel")
    if kind not in Payment.Kind.values:
        raise PanelError(_("Choose expenses or a thank-you payment."), field="kind")
    if amount <= 0:
        raise PanelError(_("Enter an amount more than £0."), field="amount")
    key = idempotency_key or secrets.token_hex(16)
    with transaction.atomic():
        payment, created = Payment.objects.get_or_create(idempotency_key=key, defaults={
            "panel": panel, "volunteer": volunteer, "kind": kind, "amount": amount, "description": description,
            "session": session, "paid_on": paid_on or timezone.localdate(),
            "recorded_by": actor if getattr(actor, "pk", None) else None})
        if created:
            audit.record(actor, "panel.payment_recorded", payment, after={
                "volunteer": volunteer.reference, "kind": kind, "amount": str(amount)})
    return payment


def add_recommendation(actor: Any, panel: Panel, text: str) -> Recommendation:
    """Record one of the panel's recommendations as a Contribution (channel "panel"); the same text twice is one."""
    require(actor, Action.MANAGE_ENGAGEMENT, panel)
    text = text.strip()
    if not text:
        raise PanelError(_("Enter the recommendation."), field="text")
    with transaction.atomic():
        existing = panel.recommendations.filter(contribution__text=text).first()
        if existing is not None:
            return existing
        contribution = record_contribution(channel=Channel.PANEL, text=text, area=panel.area, source=panel,
                                           recorded_by=actor)
        recommendation = Recommendation.objects.create(panel=panel, contribution=contribution)
        audit.record(actor, "panel.recommendation_added", recommendation, after={"contribution": contribution.pk})
    return recommendation


def respond_to_recommendation(actor: Any, recommendation: Recommendation, response: str,
                              publish: bool) -> Recommendation:
    require(actor, Action.MANAGE_ENGAGEMENT, recommendation)
    if publish and recommendation.contribution.moderation_state in (ModerationState.RESTRICTED,
                                                                    ModerationState.REJECTED):
        raise PanelError(_("This recommendation was held back by moderation and cannot be published."),
                         field="publish")
    with transaction.atomic():
        before = {"response": recommendation.response, "published": recommendation.published}
        recommendation.response = response.strip()
        recommendation.published = publish
        recommendation.responded_on = timezone.localdate() if response.strip() else None
        recommendation.save(update_fields=["response", "published", "responded_on"])
        audit.record(actor, "panel.recommendation_responded", recommendation, before=before,
                     after={"response": recommendation.response, "published": publish})
    return recommendation


# ---- who may see what -------------------------------------------------------------------------------------------

def may_see_contact_details(user: Any, panel: Panel) -> bool:
    """Youth groups: only the designated safeguarding lead and administrators see members' contact details.
    Other panels: anyone who runs the panel."""
    if not can(user, Action.MANAGE_ENGAGEMENT, panel):
        return False
    if not panel.is_youth:
        return True
    return bool(user.is_superuser or user.pk == panel.safeguarding_lead_id or can(user, Action.MANAGE_PRIVACY, panel))


def may_view_safeguarding(user: Any, panel: Panel) -> bool:
    return can(user, Action.MANAGE_ENGAGEMENT, panel) or can(user, Action.REVIEW_ETHICS, panel)

