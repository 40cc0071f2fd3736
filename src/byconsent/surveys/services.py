"""Every write of the surveys app: permission, transaction, audit entry.

Staff operations (building, opening, entering paper responses, importing, moderating) check the policy. The public
answering flow checks that the questionnaire is open and that the caller holds the draft's secret token (the view
found the draft by it); it writes no IP address, and an anonymous response carries no account and only a date.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.files.base import File
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from byconsent.core import audit
from byconsent.core.models import Area, AuditEntry, Channel, ModerationState
from byconsent.core.notifications import queue_email
from byconsent.core.policy import Action, require
from byconsent.core.safeguarding import check_text
from byconsent.core.services import moderate_contribution, record_contribution
from byconsent.surveys import logic
from byconsent.surveys.demographics import STANDARD_QUESTIONS, WHY_WE_ASK
from byconsent.surveys.models import (
    FREE_TEXT_TYPES,
    DemographicAnswers,
    Draft,
    Page,
    Publication,
    Question,
    Questionnaire,
    QuestionnaireVersion,
    QuestionType,
    Response,
    TextAnswer,
    UploadedFile,
    redact,
)

logger = logging.getLogger(__name__)


class SurveyClosed(Exception):
    """The questionnaire is not accepting responses."""


class ConditionError(ValueError):
    """A show-if condition that reads something it may not (itself, a later question, a question that is gone)."""


# ---- building ---------------------------------------------------------------------------------------------------

def create_questionnaire(actor: Any, *, title: str, slug: str, area: Area, introduction: str = "",
                         ask_publication: bool = False) -> Questionnaire:
    require(actor, Action.MANAGE_ENGAGEMENT, area)
    if Questionnaire.objects.filter(slug=slug).exists():
        raise ValueError(_("A questionnaire with that web address name already exists"))
    with transaction.atomic():
        questionnaire = Questionnaire.objects.create(
            title=title, slug=slug, area=area, introduction=introduction, ask_publication=ask_publication,
            created_by=actor if getattr(actor, "is_authenticated", False) else None)
        version = QuestionnaireVersion.objects.create(questionnaire=questionnaire, number=1)
        questionnaire.current_version = version
        questionnaire.save(update_fields=["current_version"])
        audit.record(actor, "questionnaire.created", questionnaire, after={"title": title, "slug": slug})
    return questionnaire


def update_questionnaire(actor: Any, questionnaire: Questionnaire, **fields: Any) -> Questionnaire:
    require(actor, Action.MANAGE_ENGAGEMENT, questionnaire)
    allowed = {"title", "introduction", "ask_publication"}
    with transaction.atomic():
        before = audit.snapshot(questionnaire, sorted(allowed))
        for name, value in fields.items():
            if name in allowed:
                setattr(questionnaire, name, value)
        questionnaire.save()
        audit.record(actor, "questionnaire.updated", questionnaire, before=before,
                     after=audit.snapshot(questionnaire, sorted(allowed)))
    return questionnaire


def set_open(actor: Any, questionnaire: Questionnaire, is_open: bool) -> Questionnaire:
    """Open or close for responses (consultations call this when they open and close)."""
    if actor != "system":
        require(actor, Action.MANAGE_ENGAGEMENT, questionnaire)
    if questionnaire.is_open == is_open:
        return questionnaire
    with transaction.atomic():
        questionnaire.is_open = is_open
        questionnaire.save(update_fields=["is_open"])
        audit.record(actor, "questionnaire.opened" if is_open else "questionnaire.closed", questionnaire)
    return questionnaire


@dataclass
class VersionCopy:
    version: QuestionnaireVersion
    pages: dict[int, Page]
    questions: dict[int, Question]


def editable_version(actor: Any, questionnaire: Questionnaire) -> VersionCopy:
    """The version staff may change: the current one, or, once it has responses, a new copy of it."""
    require(actor, Action.MANAGE_ENGAGEMENT, questionnaire)
    with transaction.atomic():
        # Two editors at once take turns: the second sees the copy the first made (not frozen) and uses it,
        # instead of both making the next version number.
        locked = (Questionnaire.objects.select_for_update(of=("self",)).select_related("current_version")
                  .get(pk=questionnaire.pk))
        current = locked.current_version
        assert current is not None
        questionnaire.current_version = current
        if not current.is_frozen:
            return VersionCopy(current, {p.pk: p for p in current.pages.all()},
                               {q.pk: q for q in Question.objects.filter(page__version=current)})
        new = QuestionnaireVersion.objects.create(questionnaire=questionnaire, number=current.number + 1)
        page_map: dict[int, Page] = {}
        question_map: dict[int, Question] = {}
        for page in current.pages.prefetch_related("questions"):
            old_pk = page.pk
            page_questions = list(page.questions.all())
            page.pk = None
            page.version = new
            page.save()
            page_map[old_pk] = page
            for question in page_questions:
                old_question = question.pk
                question.pk = None
                question.page = page
                question.save()
                question_map[old_question] = question
        questionnaire.current_version = new
        questionnaire.save(update_fields=["current_version"])
        audit.record(actor, "questionnaire.versioned", questionnaire,
                     before={"version": current.number}, after={"version": new.number})
    return VersionCopy(new, page_map, question_map)


def _ordered_pages(version: QuestionnaireVersion) -> list[Page]:
    return list(version.pages.order_by("position", "id").prefetch_related("questions"))


def _question_label(question: Question) -> str:
    return f"“{question.text}” ({question.key})"


def _condition_problems(pages: list[Page]) -> list[str]:
    """Every condition, in this page order, that reads a question which is not on an earlier page."""
    problems = []
    seen: set[str] = set()
    all_keys = {q.key for p in pages for q in p.questions.all()}
    for page in pages:
        for key in logic.referenced_keys(page.show_if):
            if key not in seen:
                problems.append(_("the page “%(page)s” depends on “%(key)s”, which %(where)s") % {
                    "page": page.title, "key": key,
                    "where": _("is not an earlier question") if key in all_keys else _("does not exist")})
        for question in page.questions.all():
            for key in logic.referenced_keys(question.show_if):
                if key not in seen:
                    problems.append(_("the question %(q)s depends on “%(key)s”, which %(where)s") % {
                        "q": _question_label(question), "key": key,
                        "where": _("is not on an earlier page") if key in all_keys else _("does not exist")})
        seen.update(q.key for q in page.questions.all())
    return problems


def earlier_questions(version: QuestionnaireVersion, page: Page | None) -> list[Question]:
    """The questions a condition on `page` (or on one of its questions) may read: those on earlier pages. Answers
    given on the same page are not known until the page is sent, so they cannot show or hide its questions. With no
    page (a page about to be added at the end), every question."""
    out: list[Question] = []
    for other in _ordered_pages(version):
        if page is not None and (other.position, other.pk) >= (page.position, page.pk):
            break
        out.extend(q for q in other.questions.all() if q.type != QuestionType.INFO)
    return out


def check_conditions(version: QuestionnaireVersion, page: Page | None, show_if: Any,
                     own_key: str | None = None) -> None:
    """Refuse conditions that read the question itself, a question on the same or a later page, or no question."""
    earlier = {q.key for q in earlier_questions(version, page)}
    for key in logic.referenced_keys(show_if):
        if own_key is not None and key == own_key:
            raise ConditionError(_("A question cannot depend on its own answer: choose an earlier question"))
        if key not in earlier:
            raise ConditionError(_("A condition can only use a question on an earlier page, and “%(key)s” is not one")
                             % {"key": key})
    for condition in logic.conditions_of(show_if):
        if condition.get("op", "equals") not in logic.OPERATORS:
            raise ConditionError(_("Unknown condition test “%(op)s”") % {"op": condition.get("op")})


def dependents(version: QuestionnaireVersion, keys: set[str], *, except_page: Page | None = None) -> list[str]:
    """Pages and questions whose conditions read any of `keys` (named, for an error message)."""
    found = []
    for page in _ordered_pages(version):
        if except_page is not None and page.pk == except_page.pk:
            continue
        if keys & set(logic.referenced_keys(page.show_if)):
            found.append(_("the page “%(page)s”") % {"page": page.title})
        for question in page.questions.all():
            if keys & set(logic.referenced_keys(question.show_if)):
                found.append(_("the question %(q)s") % {"q": _question_label(question)})
    return found


class OptionInUse(ValueError):
    """An option (answer value) that a condition tests for would disappear."""


STALE_PAGE = _lazy("This page belongs to an earlier version of the questionnaire: open it again and make the change "
                   "there")
STALE_QUESTION = _lazy("This question belongs to an earlier version of the questionnaire: open it again and make the "
                       "change there")


def _shape_to_check(actor: Any, questionnaire: Questionnaire) -> QuestionnaireVersion:
    """Permission first, then the version a change is checked against. Every check runs before editable_version,
    so a refused change never makes a new version (a copy has exactly the same shape)."""
    require(actor, Action.MANAGE_ENGAGEMENT, questionnaire)
    assert questionnaire.current_version is not None
    return questionnaire.current_version


def _already_added(questionnaire: Questionnaire, action: str, token: str, model: Any) -> Any:
    """The page or question a form with this token already added (a double click, a retry), else None. Call inside
    the transaction that holds the questionnaire's row lock, so two presses cannot both add."""
    if not token:
        return None
    Questionnaire.objects.select_for_update().filter(pk=questionnaire.pk).first()
    entry = AuditEntry.objects.filter(action=action, object_id=str(questionnaire.pk), after__token=token).first()
    if entry is None or not isinstance(entry.after, dict):
        return None
    return model.objects.filter(pk=entry.after.get("id")).first()


def add_page(actor: Any, questionnaire: Questionnaire, *, title: str, introduction: str = "",
             show_if: Any = None, is_demographic: bool = False, token: str = "") -> Page:
    """Add a page at the end. `token` (sent with the form) makes a second press return the first press's page."""
    check_conditions(_shape_to_check(actor, questionnaire), None, show_if)
    with transaction.atomic():
        existing = _already_added(questionnaire, "questionnaire.page_added", token, Page)
        if existing is not None:
            return existing  # type: ignore[no-any-return]
        copy = editable_version(actor, questionnaire)
        position = (copy.version.pages.order_by("-position").values_list("position", flat=True).first() or 0) + 1
        page = Page.objects.create(version=copy.version, position=position, title=title, introduction=introduction,
                                   show_if=show_if or [], is_demographic=is_demographic)
        audit.record(actor, "questionnaire.page_added", questionnaire, after={
            "page": title, "version": copy.version.number, "show_if": page.show_if, "id": page.pk,
            **({"token": token} if token else {})})
    return page


def update_page(actor: Any, page: Page, *, title: str, introduction: str = "", show_if: Any = None) -> Page:
    questionnaire = page.version.questionnaire
    current = _shape_to_check(actor, questionnaire)
    if page.version_id != current.pk:
        raise ValueError(str(STALE_PAGE))
    if show_if is not None:
        check_conditions(current, page, show_if)
    copy = editable_version(actor, questionnaire)
    page = copy.pages[page.pk]
    with transaction.atomic():
        before = {"title": page.title, "introduction": page.introduction, "show_if": page.show_if}
        page.title, page.introduction = title, introduction
        if show_if is not None:
            page.show_if = show_if
        page.save(update_fields=["title", "introduction", "show_if"])
        audit.record(actor, "questionnaire.page_updated", questionnaire, before=before,
                     after={"title": title, "introduction": introduction, "show_if": page.show_if})
    return page


def move_page(actor: Any, page: Page, direction: int, *, expected_position: int | None = None) -> Page | None:
    """Swap a page with its neighbour (direction -1 = up, +1 = down). `expected_position` (1 = first, as the
    builder showed it) makes a repeated press harmless: when the page is no longer there, nothing moves (and a
    page of an earlier version is not moved at all). A move that would leave a condition reading a later question
    is refused, naming it."""
    questionnaire = page.version.questionnaire
    current = _shape_to_check(actor, questionnaire)
    if page.version_id != current.pk:
        return None
    pages = _ordered_pages(current)
    index = next(i for i, p in enumerate(pages) if p.pk == page.pk)
    other = index + (1 if direction > 0 else -1)
    if (expected_position is not None and index + 1 != expected_position) or not 0 <= other < len(pages):
        return page
    before = set(_condition_problems(pages))
    pages[index], pages[other] = pages[other], pages[index]
    problems = [p for p in _condition_problems(pages) if p not in before]  # only what this move would break
    if problems:
        raise ValueError(_("This page cannot move there, because %(why)s") % {"why": "; ".join(problems)})
    copy = editable_version(actor, questionnaire)
    ordered = [copy.pages[p.pk] for p in pages]
    with transaction.atomic():
        _renumber(ordered)
        audit.record(actor, "questionnaire.page_moved", questionnaire,
                     after={"page": page.title, "order": [p.title for p in ordered],
                            "version": copy.version.number})
    return copy.pages[page.pk]


def _renumber(rows: list[Any]) -> None:
    """Store positions 1, 2, 3… in the given order, writing only the rows whose position changes."""
    for position, row in enumerate(rows, start=1):
        if row.position != position:
            row.position = position
            row.save(update_fields=["position"])


def delete_page(actor: Any, page: Page) -> QuestionnaireVersion:
    """Remove a page and its questions; refused (naming them) while other pages or questions depend on them.
    Removing a page that is already gone, or that belongs to an earlier version, does nothing."""
    questionnaire = page.version.questionnaire
    current = _shape_to_check(actor, questionnaire)
    if page.version_id != current.pk or not Page.objects.filter(pk=page.pk).exists():
        return current
    keys = set(page.questions.values_list("key", flat=True))
    needed_by = dependents(current, keys, except_page=page)
    if needed_by:
        raise ValueError(_("This page cannot be removed, because %(who)s depend on its answers. Change their "
                           "conditions first.") % {"who": ", ".join(needed_by)})
    copy = editable_version(actor, questionnaire)
    target = copy.pages[page.pk]
    with transaction.atomic():
        audit.record(actor, "questionnaire.page_removed", questionnaire,
                     before={"page": target.title, "questions": sorted(keys), "show_if": target.show_if,
                             "version": copy.version.number})
        target.delete()
    return copy.version


def move_question(actor: Any, question: Question, direction: int, *,
                  expected_position: int | None = None) -> Question:
    """Swap a question with its neighbour on the page (direction -1 = up, +1 = down); like move_page, a repeated
    press (the question is no longer at `expected_position`) or a stale form moves nothing."""
    questionnaire = question.page.version.questionnaire
    current = _shape_to_check(actor, questionnaire)
    if question.page.version_id != current.pk:
        return question
    siblings = list(question.page.questions.order_by("position", "id"))
    index = next(i for i, q in enumerate(siblings) if q.pk == question.pk)
    other = index + (1 if direction > 0 else -1)
    if (expected_position is not None and index + 1 != expected_position) or not 0 <= other < len(siblings):
        return question
    siblings[index], siblings[other] = siblings[other], siblings[index]
    copy = editable_version(actor, questionnaire)
    ordered = [copy.questions[q.pk] for q in siblings]
    with transaction.atomic():
        _renumber(ordered)
        audit.record(actor, "questionnaire.question_moved", questionnaire,
                     after={"key": question.key, "order": [q.key for q in ordered]})
    return copy.questions[question.pk]


def _check_question(version: QuestionnaireVersion, key: str, exclude: int | None = None) -> None:
    clash = Question.objects.filter(page__version=version, key=key)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValueError(_("Another question already uses the short name “%(key)s”") % {"key": key})


QUESTION_FIELDS = ("key", "type", "text", "hint", "required", "options", "settings", "show_if", "is_demographic")


def add_question(actor: Any, page: Page, *, token: str = "", **fields: Any) -> Question:
    """Add a question at the end of a page. `token` (sent with the form) makes a second press return the first
    press's question instead of complaining that its short name is taken."""
    questionnaire = page.version.questionnaire
    current = _shape_to_check(actor, questionnaire)
    with transaction.atomic():
        existing = _already_added(questionnaire, "questionnaire.question_added", token, Question)
        if existing is not None:
            return existing  # type: ignore[no-any-return]
        if page.version_id != current.pk:
            raise ValueError(str(STALE_PAGE))
        if fields.get("type") not in QuestionType.values:
            raise ValueError(_("Unknown question type"))
        _check_question(current, fields["key"])
        check_conditions(current, page, fields.get("show_if"), own_key=fields["key"])
        copy = editable_version(actor, questionnaire)
        page = copy.pages[page.pk]
        position = (page.questions.order_by("-position").values_list("position", flat=True).first() or 0) + 1
        question = Question.objects.create(page=page, position=position,
                                           **{k: v for k, v in fields.items() if k in QUESTION_FIELDS})
        audit.record(actor, "questionnaire.question_added", questionnaire, after={
            "key": question.key, "type": question.type, "version": copy.version.number, "id": question.pk,
            **({"token": token} if token else {})})
    return question


def _answer_values(question: Question) -> set[str]:
    from byconsent.surveys.forms import choices_for

    return {value for value, _label in choices_for(question)} | (
        {str(i) for i in range(11)} if question.type == QuestionType.RATING else set())


def _check_options_in_use(version: QuestionnaireVersion, question: Question, fields: dict[str, Any]) -> None:
    """Refuse to remove or rename an answer that a condition tests for."""
    changed = Question(type=fields.get("type", question.type), options=fields.get("options", question.options),
                       settings=fields.get("settings", question.settings))
    gone = _answer_values(question) - _answer_values(changed)
    if not gone:
        return
    labels = dict(question.option_labels())
    for page in _ordered_pages(version):
        subjects = [(str(_("the page “%(page)s”") % {"page": page.title}), page.show_if)]
        subjects += [(str(_("the question %(q)s") % {"q": _question_label(q)}), q.show_if)
                     for q in page.questions.all()]
        for name, show_if in subjects:
            for condition in logic.conditions_of(show_if):
                value = str(condition.get("value", ""))
                if condition.get("question") == question.key and condition.get("op") in logic.NEEDS_VALUE \
                        and value in gone:
                    raise OptionInUse(_("The answer “%(answer)s” cannot be removed or renamed while %(who)s "
                                        "depends on it. Change that condition first.") % {
                        "answer": labels.get(value, value), "who": name})


def update_question(actor: Any, question: Question, **fields: Any) -> Question:
    questionnaire = question.page.version.questionnaire
    current = _shape_to_check(actor, questionnaire)
    if question.page.version_id != current.pk:
        raise ValueError(str(STALE_QUESTION))
    if "key" in fields:
        _check_question(current, fields["key"], exclude=question.pk)
        if fields["key"] != question.key:
            needed_by = dependents(current, {question.key})
            if needed_by:
                raise ValueError(_("The short name cannot change while %(who)s depend on it") % {
                    "who": ", ".join(needed_by)})
    if "show_if" in fields:
        check_conditions(current, question.page, fields["show_if"], own_key=fields.get("key", question.key))
    if fields.get("type") == QuestionType.INFO and question.type != QuestionType.INFO:
        needed_by = dependents(current, {question.key})
        if needed_by:  # an information block has no answer: every condition on it would read "not answered"
            raise ValueError(_("This question cannot become an information block while %(who)s depend on its "
                               "answer") % {"who": ", ".join(needed_by)})
    _check_options_in_use(current, question, fields)
    copy = editable_version(actor, questionnaire)
    question = copy.questions[question.pk]
    with transaction.atomic():
        before = audit.snapshot(question, list(QUESTION_FIELDS))
        for name, value in fields.items():
            if name in QUESTION_FIELDS:
                setattr(question, name, value)
        question.save()
        audit.record(actor, "questionnaire.question_updated", questionnaire, before=before,
                     after=audit.snapshot(question, list(QUESTION_FIELDS)))
    return question


def delete_question(actor: Any, question: Question) -> QuestionnaireVersion:
    questionnaire = question.page.version.questionnaire
    current = _shape_to_check(actor, questionnaire)
    if question.page.version_id != current.pk or not Question.objects.filter(pk=question.pk).exists():
        return current  # already removed from the version being edited (a second press)
    needed_by = dependents(current, {question.key})
    if needed_by:
        raise ValueError(_("This question cannot be removed, because %(who)s depend on its answer. Change their "
                           "conditions first.") % {"who": ", ".join(needed_by)})
    copy = editable_version(actor, questionnaire)
    target = copy.questions[question.pk]
    with transaction.atomic():
        audit.record(actor, "questionnaire.question_removed", questionnaire,
                     before=audit.snapshot(target, list(QUESTION_FIELDS)))
        target.delete()
    return copy.version


def add_demographic_block(actor: Any, questionnaire: Questionnaire) -> Page:
    """The standard "About you" page: every question optional, the reason given, answers encrypted."""
    current = _shape_to_check(actor, questionnaire)
    if current.pages.filter(is_demographic=True).exists():  # checked first: a refused add makes no version
        raise ValueError(_("This questionnaire already has the “About you” questions"))
    with transaction.atomic():
        page = add_page(actor, questionnaire, title=str(_("About you")), introduction=str(WHY_WE_ASK),
                        is_demographic=True)
        for position, spec in enumerate(STANDARD_QUESTIONS, start=1):
            Question.objects.create(
                page=page, position=position, key=spec["key"], type=spec["type"], text=str(spec["text"]),
                hint=str(spec.get("hint", "")), required=False,
                options=[{**o, "label": str(o["label"])} for o in spec.get("options", [])],
                settings=spec.get("settings", {}), is_demographic=spec["type"] != QuestionType.POSTCODE)
    return page


# ---- retention of drafts and their files --------------------------------------------------------------------------

UNREFERENCED_FILE_GRACE = timedelta(days=1)


def _storage() -> Any:
    return UploadedFile._meta.get_field("file").storage  # type: ignore[attr-defined]


def _delete_stored_files(names: list[str]) -> None:
    """Remove files from storage once the rows that pointed at them are gone for good (after the commit: a rolled
    back deletion keeps its files)."""
    storage = _storage()

    def remove() -> None:
        for name in names:
            if name:
                storage.delete(name)

    transaction.on_commit(remove)


def delete_drafts(drafts: Any, *, reason: str) -> int:
    """Delete unfinished drafts (a queryset) and the files uploaded to them, rows and stored files alike. Safe to
    repeat. Returns the number of drafts deleted."""
    with transaction.atomic():
        ids = list(drafts.values_list("pk", flat=True))
        if not ids:
            return 0
        files = UploadedFile.objects.filter(draft_id__in=ids, response__isnull=True)
        names = list(files.values_list("file", flat=True))
        files.delete()
        deleted = Draft.objects.filter(pk__in=ids).delete()[1].get(Draft._meta.label, 0)
        audit.record("system", "survey.drafts_deleted", None,
                     after={"drafts": deleted, "files": len(names), "reason": reason})
        _delete_stored_files(names)
    return int(deleted)


def _refers_to(answers: Any, upload: UploadedFile) -> bool:
    value = (answers or {}).get(upload.question_key)
    return isinstance(value, dict) and value.get("file") == upload.pk


def _orphaned(upload: UploadedFile) -> bool:
    owner: Draft | Response | None = upload.response or upload.draft
    if owner is None:
        return True
    if _refers_to(owner.answers, upload):
        return False
    return not (isinstance(owner, Draft) and _refers_to(owner.demographics, upload))


def sweep_unreferenced_files(now: Any = None) -> int:
    """Delete uploaded files that no draft or response refers to any more: a file replaced by another upload, an
    answer the logic later hid, a row left without an owner, and stored files without a row. Files younger than a
    day are left alone (an upload is stored a moment before its row commits). Returns how many were deleted."""
    now = now or timezone.now()
    names: list[str] = []
    with transaction.atomic():
        stale = [upload.pk for upload in UploadedFile.objects.select_related("draft", "response").order_by("pk")
                 .iterator() if _orphaned(upload)]
        if stale:
            names = list(UploadedFile.objects.filter(pk__in=stale).values_list("file", flat=True))
            UploadedFile.objects.filter(pk__in=stale).delete()
        known = set(UploadedFile.objects.values_list("file", flat=True))
        for name in _stored_upload_names():
            if name not in known and name not in names and _older_than(name, now - UNREFERENCED_FILE_GRACE):
                names.append(name)
        if names:
            audit.record("system", "survey.files_swept", None, after={"files": len(names)})
            _delete_stored_files(names)
    return len(names)


def _stored_upload_names(folder: str = "surveys/uploads") -> list[str]:
    storage = _storage()
    try:
        directories, files = storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return []
    found = [f"{folder}/{name}" for name in files]
    for directory in directories:
        found.extend(_stored_upload_names(f"{folder}/{directory}"))
    return found


def _older_than(name: str, cutoff: Any) -> bool:
    try:
        return bool(_storage().get_modified_time(name) < cutoff)
    except (FileNotFoundError, NotImplementedError):
        return False


# ---- answering --------------------------------------------------------------------------------------------------

def start_draft(questionnaire: Questionnaire, *, user: Any = None, easy_read: bool = False,
                language: str = "en-gb") -> Draft:
    if not questionnaire.is_open or questionnaire.current_version is None:
        raise SurveyClosed
    return Draft.objects.create(version=questionnaire.current_version, easy_read=easy_read, language=language,
                                user=user if getattr(user, "is_authenticated", False) else None)


_FROZEN_SHAPES: dict[tuple[int, Any], list[Page]] = {}


def pages_of(version: QuestionnaireVersion) -> list[Page]:
    """The version's pages with their questions. A version with responses never changes shape again (edits make
    a new version), so its shape is kept in memory: answering and submitting then cost no query for it."""
    # Keyed by creation time too: a rolled-back test (or a restored backup) may reuse a primary key.
    key = (version.pk, version.created_at)
    cached = _FROZEN_SHAPES.get(key)
    if cached is not None:
        return cached
    pages = list(version.pages.prefetch_related("questions"))
    # Responses, not drafts: a draft can be deleted (retention, erasure), after which the version may change in
    # place again; a response is kept, so a version with one never changes shape.
    if version.responses.exists():
        if len(_FROZEN_SHAPES) > 256:
            _FROZEN_SHAPES.clear()
        _FROZEN_SHAPES[key] = pages
    return pages


def all_answers(draft: Draft) -> dict[str, Any]:
    demographics: Any = draft.demographics
    return {**draft.answers, **(demographics or {})}


def save_page(draft: Draft, page: Page, answers: dict[str, Any], *, area: Area | None = None,
              uploads: dict[str, Any] | None = None, complete: bool = True) -> Draft:
    """Merge one page's answers into the draft (every page submit saves), split off the special-category ones,
    and drop answers that the new answers hide."""
    if draft.response_id is not None:
        return draft
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=draft.pk)
        merged = all_answers(draft)
        for key, value in answers.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        for key, upload in (uploads or {}).items():
            stored = UploadedFile.objects.create(
                draft=draft, question_key=key, file=upload, original_name=upload.name[:200],
                content_type=getattr(upload, "checked_type", ""), size=upload.size)
            merged[key] = {"file": stored.pk, "name": stored.original_name}
        pages = pages_of(draft.version)
        merged = logic.prune_hidden(pages, merged)
        all_demographic = {q.key for p in pages for q in p.questions.all() if q.is_demographic}
        all_demographic |= {f"{k}__other" for k in all_demographic}
        draft.answers = {k: v for k, v in merged.items() if k not in all_demographic}
        draft.demographics = {k: v for k, v in merged.items() if k in all_demographic} or None  # type: ignore
        if area is not None:
            draft.respondent_area = area
        if complete and page.pk not in draft.pages_done:
            draft.pages_done = [*draft.pages_done, page.pk]
        draft.updated_on = timezone.localdate()
        draft.save()
    return draft


def next_page(draft: Draft, after: Page | None) -> Page | None:
    pages = logic.visible_pages(pages_of(draft.version), all_answers(draft))
    if after is None:
        return pages[0] if pages else None
    later = [p for p in pages if (p.position, p.pk) > (after.position, after.pk)]
    return later[0] if later else None


def previous_page(draft: Draft, before: Page) -> Page | None:
    pages = logic.visible_pages(pages_of(draft.version), all_answers(draft))
    earlier = [p for p in pages if (p.position, p.pk) < (before.position, before.pk)]
    return earlier[-1] if earlier else None


def first_unfinished_page(draft: Draft) -> Page | None:
    for page in logic.visible_pages(pages_of(draft.version), all_answers(draft)):
        if page.pk not in draft.pages_done:
            return page
    return None


def missing_required(draft: Draft) -> list[Question]:
    """Required questions, visible with the current answers, that have no answer (answers could have been
    changed on an earlier page so that a new question appears)."""
    answers = all_answers(draft)
    missing = []
    for page in logic.visible_pages(pages_of(draft.version), answers):
        for question in logic.visible_questions(page, answers):
            if question.required and not question.is_demographic and question.type != QuestionType.INFO \
                    and answers.get(question.key) in (None, "", [], {}):
                missing.append(question)
    return missing


def safeguarding_concern(answers: dict[str, Any]) -> bool:
    return any(isinstance(v, str) and check_text(v).flagged for v in answers.values())


def email_resume_link(draft: Draft, email: str, link: str) -> None:
    with transaction.atomic():
        draft.email = email
        draft.save(update_fields=["email"])
        queue_email(email, "surveys.resume", _("Your unfinished answers: %(title)s") % {
            "title": draft.version.questionnaire.title},
            _("You can carry on answering “%(title)s” from this private link:\n\n%(link)s\n\n"
              "Anyone with the link can see your answers, so do not share it.") % {
                "title": draft.version.questionnaire.title, "link": link},
            idempotency_key=f"survey-resume:{draft.pk}:{email}:{timezone.localdate()}")


def email_receipt(response: Response, email: str) -> None:
    """A copy of the receipt (not the answers: email is not a safe place for them)."""
    queue_email(email, "surveys.receipt", _("We received your response: %(title)s") % {
        "title": response.questionnaire.title},
        _("Thank you for responding to “%(title)s”.\n\nYour reference is %(ref)s. Quote it if you contact us about "
          "your response.") % {"title": response.questionnaire.title, "ref": response.reference},
        idempotency_key=f"survey-receipt:{response.pk}:{email}")


def submit(draft: Draft, *, publication: str = Publication.NO, published_name: str = "",
           link_account: bool = False) -> Response:
    """Turn a draft into a response exactly once: a second submit (double click, back button, retry) returns the
    response the first one made."""
    if draft.response_id is not None:
        return draft.response  # type: ignore[return-value]
    questionnaire = draft.version.questionnaire
    if not questionnaire.is_open and draft.channel == Channel.ONLINE_SURVEY:
        raise SurveyClosed
    with transaction.atomic():
        locked = Draft.objects.select_for_update().get(pk=draft.pk)
        if locked.response_id is not None:
            return locked.response  # type: ignore[return-value]
        response = create_response(
            locked.version, submission_token=locked.submission_token, answers=locked.answers,
            demographics=locked.demographics, channel=locked.channel,  # type: ignore[arg-type]
            area=locked.respondent_area,
            language=locked.language, respondent=locked.user if link_account else None,
            publication=publication, published_name=published_name, actor="public", defer_text=True)
        # The response now holds the answers: the draft keeps only the link to it (for the receipt page).
        locked.response = response
        locked.email = ""
        locked.answers = {}
        locked.demographics = None
        locked.save(update_fields=["response", "email", "answers", "demographics"])
        UploadedFile.objects.filter(draft=locked).update(response=response, draft=None)
    return response


def create_response(version: QuestionnaireVersion, **fields: Any) -> Response:
    """The one place a response is written, whatever the channel. Idempotent on `submission_token`: a second
    call with the same token returns the response the first one recorded."""
    return record_response(version, **fields)[0]


def record_response(version: QuestionnaireVersion, *, submission_token: str, answers: dict[str, Any],
                    demographics: dict[str, Any] | None, channel: str, area: Area | None, language: str = "en-gb",
                    respondent: Any = None, publication: str = Publication.NO, published_name: str = "",
                    recorded_by: Any = None, original: Any = None, actor: Any = "public",
                    submitted_on: Any = None, check_existing: bool = True,
                    defer_text: bool = False) -> tuple[Response, bool]:
    """create_response, also saying whether this call recorded the response (False: the token already had one).
    `check_existing=False` skips the look-up first and lets the unique token decide (one query fewer when
    repeats are rare, as for kiosks and the JSON endpoint)."""
    if check_existing:
        existing = Response.objects.filter(submission_token=submission_token).first()
        if existing is not None:
            return existing, False
    questionnaire = version.questionnaire
    if publication == Publication.WITH_NAME and not published_name.strip():
        publication = Publication.ANONYMOUS
    try:
        with transaction.atomic():
            response = Response(
                version=version, questionnaire=questionnaire, submission_token=submission_token, channel=channel,
                answers=answers, area=area, language=language, respondent=respondent, publication=publication,
                published_name=published_name.strip() if publication == Publication.WITH_NAME else "",
                recorded_by=recorded_by, submitted_on=submitted_on or timezone.localdate(), text_pending=defer_text)
            if original is not None:
                response.original = original
            response.save()
            if demographics:
                DemographicAnswers.objects.create(response=response, data=demographics)  # type: ignore[misc]
            if defer_text:
                # Public submissions: the free-text answers become TextAnswers and Contributions in the worker,
                # after this commits (as much work again as the rest of the submission), in batches: the row is
                # marked pending and the worker is asked, at most once a second per process, to record what is
                # pending. The respondent's own page still shows the safeguarding advice at once
                # (safeguarding_concern reads the answers directly).
                from byconsent.surveys.tasks import schedule_text_recording

                # robust: the response is saved whatever happens next; if asking the worker fails, the
                # periodic job still records the text, and the respondent still gets their receipt.
                transaction.on_commit(schedule_text_recording, robust=True)
            else:
                _record_text_answers(response, version, answers, recorded_by)
            # The audit entry carries an exact time, so for a member of the public's own (anonymous) response it
            # must not name the response: only staff-entered responses are identified in the trail.
            after = {"channel": channel, "version": version.number}
            if recorded_by is not None:
                after["reference"] = response.reference
            audit.record(recorded_by or actor, "survey.response_recorded", questionnaire, after=after)
    except IntegrityError:
        return Response.objects.get(submission_token=submission_token), False
    return response, True


def record_text_answers(response_id: int) -> int:
    """The deferred half of one public submission. Safe to repeat: answers already recorded are skipped."""
    response = Response.objects.select_related("version__questionnaire", "respondent", "area").get(pk=response_id)
    with transaction.atomic():
        recorded = _record_text_answers(response, response.version, response.answers, None)
        Response.objects.filter(pk=response.pk).update(text_pending=False)
    return recorded


def record_pending_text_answers(batch_size: int = 200) -> int:
    """The deferred half of every public submission still pending (the worker runs it), a batch per transaction;
    returns how many free-text answers it recorded. Several workers can run it at once: each takes the rows the
    others have not locked. A response whose text cannot be recorded is logged and stays pending (the next run
    tries it again) without holding up the others."""
    recorded = 0
    failed: set[int] = set()
    skip_locked = connection.features.has_select_for_update_skip_locked
    while True:
        with transaction.atomic():
            pending = list(Response.objects.filter(text_pending=True).exclude(pk__in=failed).order_by("id")
                           .select_for_update(skip_locked=skip_locked).values_list("id", flat=True)[:batch_size])
            if not pending:
                return recorded
            done: list[int] = []
            for response in (Response.objects.filter(pk__in=pending).order_by("id")
                             .select_related("version__questionnaire__area", "respondent", "area")):
                try:
                    with transaction.atomic():
                        recorded += _record_text_answers(response, response.version, response.answers, None)
                    done.append(response.pk)
                except Exception:  # one bad response must not stop every later one being recorded
                    logger.exception("Free text of survey response %s could not be recorded; it stays pending",
                                     response.pk)
                    failed.add(response.pk)
            Response.objects.filter(pk__in=done).update(text_pending=False)


def _record_text_answers(response: Response, version: QuestionnaireVersion, answers: dict[str, Any],
                         recorded_by: Any) -> int:
    """Each free-text answer not yet recorded becomes a TextAnswer and a Contribution; returns how many."""
    questions = [q for page in pages_of(version) for q in page.questions.all()
                 if q.type in FREE_TEXT_TYPES and not q.is_demographic]
    done = set(TextAnswer.objects.filter(response=response).values_list("question_id", flat=True))
    questions = [q for q in questions if q.pk not in done]
    channel = response.channel
    recorded = 0
    for question in questions:
        text = answers.get(question.key)
        if not isinstance(text, str) or not text.strip():
            continue
        answer = TextAnswer.objects.create(response=response, question=question, text=text)
        contribution = record_contribution(
            channel=channel, text=text, area=response.area or version.questionnaire.area,
            language=response.language, contributor=response.respondent,
            wants_feedback=response.respondent is not None, source=answer, recorded_by=recorded_by)
        answer.contribution = contribution
        answer.moderation_state = contribution.moderation_state
        answer.safeguarding_reasons = list(check_text(text).reasons)
        answer.save(update_fields=["contribution", "moderation_state", "safeguarding_reasons"])
        recorded += 1
    return recorded


# ---- staff entry ------------------------------------------------------------------------------------------------

def record_staff_response(actor: Any, questionnaire: Questionnaire, *, channel: str, answers: dict[str, Any],
                          submission_token: str, area: Area | None = None, original: File | None = None,
                          ) -> Response:
    """A paper, phone, email or focus-group response typed in by staff, with the original attached."""
    require(actor, Action.MANAGE_ENGAGEMENT, questionnaire)
    if channel not in (Channel.PAPER, Channel.PHONE, Channel.EMAIL, Channel.FOCUS_GROUP):
        raise ValueError(_("Choose paper, phone, email or focus group"))
    version = questionnaire.current_version
    assert version is not None
    pages = pages_of(version)
    answers = logic.prune_hidden(pages, {k: v for k, v in answers.items() if v is not None})
    demographic = {q.key for p in pages for q in p.questions.all() if q.is_demographic}
    demographic |= {f"{k}__other" for k in demographic}
    return create_response(
        version, submission_token=submission_token,
        answers={k: v for k, v in answers.items() if k not in demographic},
        demographics={k: v for k, v in answers.items() if k in demographic} or None,
        channel=channel, area=area, recorded_by=actor, original=original, actor=actor)


# ---- moderation -------------------------------------------------------------------------------------------------

def moderate_answer(actor: Any, answer: TextAnswer, state: str, reason: str = "") -> TextAnswer:
    """Approve or reject one free-text answer for publication; a restricted answer can never be approved."""
    require(actor, Action.MODERATE_CONTRIBUTIONS, answer)
    if state not in (ModerationState.APPROVED, ModerationState.REJECTED, ModerationState.RESTRICTED):
        raise ValueError(_("Unknown moderation decision"))
    if answer.moderation_state == ModerationState.RESTRICTED and state == ModerationState.APPROVED:
        raise ValueError(_("This answer is held back as a possible crime report or risk and can never be published"))
    with transaction.atomic():
        before = {"moderation_state": answer.moderation_state}
        answer.moderation_state = state
        answer.moderated_by = actor
        answer.save(update_fields=["moderation_state", "moderated_by"])
        if answer.contribution is not None and answer.contribution.moderation_state != state:
            moderate_contribution(actor, answer.contribution, state, reason)
        audit.record(actor, "survey.answer_moderated", answer, before=before,
                     after={"moderation_state": state, "reason": reason})
    return answer


def redact_answer(actor: Any, answer: TextAnswer, start: int, end: int, reason: str) -> TextAnswer:
    """Hide a span of the answer when published; the reason is recorded and the original kept for staff."""
    require(actor, Action.MODERATE_CONTRIBUTIONS, answer)
    if not reason.strip():
        raise ValueError(_("Give a reason for the redaction"))
    if not (0 <= start < end <= len(answer.text)):
        raise ValueError(_("Choose some text inside the answer to redact"))
    with transaction.atomic():
        before = {"redactions": list(answer.redactions)}
        answer.redactions = [*answer.redactions, {"start": start, "end": end, "reason": reason.strip(),
                                                  "by": str(actor), "on": timezone.localdate().isoformat()}]
        answer.save(update_fields=["redactions"])
        audit.record(actor, "survey.answer_redacted", answer, before=before,
                     after={"redactions": answer.redactions, "published": redact(answer.text, answer.redactions)})
    return answer


def redact_phrase(actor: Any, answer: TextAnswer, phrase: str, reason: str) -> TextAnswer:
    """Redact every occurrence of `phrase` (what a moderator types in a form without JavaScript)."""
    if not phrase or phrase not in answer.text:
        raise ValueError(_("That text is not in the answer; copy it exactly"))
    start = answer.text.index(phrase)
    answer = redact_answer(actor, answer, start, start + len(phrase), reason)
    while (start := answer.text.find(phrase, start + len(phrase))) != -1:
        answer = redact_answer(actor, answer, start, start + len(phrase), reason)
    return answer
