"""HTTP views of the surveys app (thin: parse, call a service or selector, render)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from byconsent.core import audit, tasks
from byconsent.core.models import Area, ModerationState
from byconsent.core.policy import Action, areas_where, can, get_visible_or_404, scope
from byconsent.core.ratelimit import rate_limited
from byconsent.core.views import staff_required
from byconsent.surveys import logic, reports, selectors, services
from byconsent.surveys.forms import (
    ConditionsForm,
    ImportForm,
    ModerateAnswerForm,
    PageEditForm,
    PageForm,
    QuestionEditForm,
    QuestionnaireForm,
    ReceiptEmailForm,
    RedactForm,
    ResumeEmailForm,
    StaffEntryForm,
    StartForm,
    SubmitForm,
    conditions_action,
    initial_from_post,
)
from byconsent.surveys.models import Draft, Page, Question, Questionnaire, QuestionType, TextAnswer, new_token
from byconsent.surveys.services import SurveyClosed

# ---- public answering --------------------------------------------------------------------------------------------


def _post(request: HttpRequest) -> Any:
    """The POST data when the request is a POST (even an empty one, which `request.POST or None` would drop)."""
    return request.POST if request.method == "POST" else None


def _files(request: HttpRequest) -> Any:
    return request.FILES if request.method == "POST" else None


def _open_questionnaire(slug: str) -> Questionnaire:
    return get_object_or_404(Questionnaire.objects.select_related("current_version"), slug=slug)


def _draft(token: str) -> Draft:
    draft = Draft.objects.select_related("version__questionnaire", "response").filter(token=token).first()
    if draft is None:
        raise Http404
    return draft


def _layout(draft: Draft | None, request: HttpRequest) -> dict[str, Any]:
    return {"easy_read": bool(draft and draft.easy_read) or request.GET.get("layout") == "easy-read"}


@rate_limited("survey-start", per_minute=30, burst=60)
def start(request: HttpRequest, slug: str) -> HttpResponse:
    questionnaire = _open_questionnaire(slug)
    form = StartForm(_post(request))
    if request.method == "POST" and form.is_valid():
        try:
            draft = services.start_draft(questionnaire, user=request.user, easy_read=form.cleaned_data["easy_read"],
                                         language=get_language() or "en-gb")
        except SurveyClosed:
            return render(request, "surveys/closed.html", {"questionnaire": questionnaire}, status=410)
        return _go_to(draft, services.next_page(draft, None))
    return render(request, "surveys/start.html", {"questionnaire": questionnaire, "form": form,
                                                  "pages": services.pages_of(questionnaire.current_version)
                                                  if questionnaire.current_version else []})


def _go_to(draft: Draft, page: Page | None) -> HttpResponse:
    if page is None:
        return redirect("surveys:check", token=draft.token)
    return redirect("surveys:page", token=draft.token, page_id=page.pk)


def resume(request: HttpRequest, token: str) -> HttpResponse:
    draft = _draft(token)
    if draft.response_id:
        return redirect("surveys:done", token=token)
    return _go_to(draft, services.first_unfinished_page(draft))


@rate_limited("survey-answer", per_minute=120, burst=240)
def page(request: HttpRequest, token: str, page_id: int) -> HttpResponse:
    draft = _draft(token)
    if draft.response_id:
        return redirect("surveys:done", token=token)
    current = get_object_or_404(Page.objects.prefetch_related("questions"), pk=page_id, version=draft.version)
    answers = services.all_answers(draft)
    if not logic.shows(current.show_if, answers):
        return _go_to(draft, services.next_page(draft, current))
    questions = logic.visible_questions(current, answers)
    form = PageForm(questions, _post(request), _files(request), answers=answers)
    if request.method == "POST":
        save_later = "save_later" in request.POST
        if form.is_valid():
            draft = services.save_page(draft, current, form.answers(), area=form.area_found, uploads=form.uploads())
            if save_later:
                return redirect("surveys:saved", token=token)
            if request.GET.get("return") == "check":
                return redirect("surveys:check", token=token)
            return _go_to(draft, services.next_page(draft, current))
        if save_later:
            # Keep whatever was valid; the page shows what still needs fixing when they come back.
            partial = {k: v for k, v in _valid_part(form).items() if v is not None}
            services.save_page(draft, current, partial, complete=False)
            return redirect("surveys:saved", token=token)
    previous = services.previous_page(draft, current)
    pages = logic.visible_pages(services.pages_of(draft.version), answers)
    number = next((i for i, p in enumerate(pages, start=1) if p.pk == current.pk), 1)
    context = {"draft": draft, "questionnaire": draft.version.questionnaire, "page": current, "form": form,
               "previous": previous, "number": number, "total": len(pages),
               "concern": services.safeguarding_concern(draft.answers), **_layout(draft, request)}
    return render(request, "surveys/page.html", context)


@require_POST
@rate_limited("survey-autosave", per_minute=60, burst=120)
def autosave(request: HttpRequest, token: str, page_id: int) -> HttpResponse:
    """The JavaScript enhancement: save the valid answers on the page without moving on (204, or 409 once sent)."""
    draft = _draft(token)
    if draft.response_id:
        return HttpResponse(status=409)
    current = get_object_or_404(Page.objects.prefetch_related("questions"), pk=page_id, version=draft.version)
    answers = services.all_answers(draft)
    form = PageForm(logic.visible_questions(current, answers), request.POST, answers=answers)
    form.is_valid()
    partial = {k: v for k, v in _valid_part(form).items() if v is not None}
    services.save_page(draft, current, partial, complete=False)
    return HttpResponse(status=204)


def _valid_part(form: PageForm) -> dict[str, Any]:
    """The answers of the fields that passed validation, when the page as a whole did not."""
    valid = {name for name in form.fields if name not in form.errors}
    questions = [q for q in form.questions if q.key in valid and q.type != QuestionType.FILE]
    partial = PageForm(questions)
    partial.cleaned_data = {k: v for k, v in form.cleaned_data.items() if k in valid}
    return partial.answers()


def saved(request: HttpRequest, token: str) -> HttpResponse:
    draft = _draft(token)
    link = request.build_absolute_uri(reverse("surveys:resume", args=[token]))
    form = ResumeEmailForm(_post(request))
    if request.method == "POST" and form.is_valid():
        services.email_resume_link(draft, form.cleaned_data["email"], link)
        messages.success(request, _("We have sent the link to %(email)s.") % {"email": form.cleaned_data["email"]})
        return redirect("surveys:saved", token=token)
    return render(request, "surveys/saved.html", {"draft": draft, "link": link, "form": form,
                                                  "questionnaire": draft.version.questionnaire})


def check(request: HttpRequest, token: str) -> HttpResponse:
    draft = _draft(token)
    if draft.response_id:
        return redirect("surveys:done", token=token)
    questionnaire = draft.version.questionnaire
    form = SubmitForm(_post(request), ask_publication=questionnaire.ask_publication)
    missing = services.missing_required(draft)
    if request.method == "POST" and form.is_valid() and not missing:
        try:
            services.submit(draft, publication=form.cleaned_data.get("publication") or "no",
                            published_name=form.cleaned_data.get("published_name") or "",
                            link_account="link_account" in request.POST)
        except SurveyClosed:
            return render(request, "surveys/closed.html", {"questionnaire": questionnaire}, status=410)
        return redirect("surveys:done", token=token)
    sections = selectors.answer_summary(draft.version, services.all_answers(draft))
    return render(request, "surveys/check.html", {
        "draft": draft, "questionnaire": questionnaire, "sections": sections, "form": form, "missing": missing,
        "concern": services.safeguarding_concern(draft.answers), "signed_in": request.user.is_authenticated,
        **_layout(draft, request)})


def done(request: HttpRequest, token: str) -> HttpResponse:
    draft = _draft(token)
    if draft.response is None:
        return redirect("surveys:check", token=token)
    form = ReceiptEmailForm(_post(request))
    if request.method == "POST" and form.is_valid():
        services.email_receipt(draft.response, form.cleaned_data["email"])
        messages.success(request, _("We have sent a copy of your receipt to %(email)s.") % {
            "email": form.cleaned_data["email"]})
        return redirect("surveys:done", token=token)
    return render(request, "surveys/done.html", {
        "draft": draft, "response": draft.response, "questionnaire": draft.version.questionnaire, "form": form,
        "concern": services.safeguarding_concern(draft.response.answers)})


def printable(request: HttpRequest, slug: str) -> HttpResponse:
    questionnaire = _open_questionnaire(slug)
    if questionnaire.current_version is None:
        raise Http404
    return render(request, "surveys/print.html", {
        "questionnaire": questionnaire, "pages": selectors.printable_pages(questionnaire.current_version),
        **_layout(None, request)})


def printable_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """The paper questionnaire as a tagged PDF (PDF/UA-1), made with WeasyPrint from the same questions."""
    import hashlib

    from django.core.cache import cache

    questionnaire = _open_questionnaire(slug)
    if questionnaire.current_version is None:
        raise Http404
    if not _weasyprint_installed():  # an installation without WeasyPrint still has the printable page
        return redirect("surveys:print", slug=slug)
    html = render_to_string("surveys/print_pdf.html", {
        "questionnaire": questionnaire, "pages": selectors.printable_pages(questionnaire.current_version),
        "stylesheet": _stylesheet("surveys/paper.css"), **_layout(None, request)}, request=request)
    # Making a PDF takes a good fraction of a second: the same questions make the same PDF, so keep it a day.
    key = "surveys:pdf:" + hashlib.sha256(html.encode("utf-8")).hexdigest()
    pdf = cache.get(key)
    if pdf is None:
        pdf = _pdf(html, request)
        cache.set(key, pdf, 24 * 3600)
    return _pdf_response(pdf, f"{questionnaire.slug}.pdf")


def _weasyprint_installed() -> bool:
    from importlib.util import find_spec

    return find_spec("weasyprint") is not None


def _stylesheet(name: str) -> str:
    from pathlib import Path

    from django.contrib.staticfiles import finders

    found = finders.find(name)
    return Path(str(found)).read_text(encoding="utf-8") if found else ""


def _pdf(html: str, request: HttpRequest) -> bytes:
    """A tagged PDF (PDF/UA-1) from a page's HTML. Nothing is fetched from elsewhere: the styles are inline."""
    import weasyprint

    return bytes(weasyprint.HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf(
        pdf_variant="pdf/ua-1"))


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# ---- staff: questionnaires and the builder ---------------------------------------------------------------------

def _staff_questionnaire(request: HttpRequest, pk: int, action: Action = Action.MANAGE_ENGAGEMENT) -> Questionnaire:
    return get_visible_or_404(request.user, action,  # type: ignore[no-any-return]
                              Questionnaire.objects.select_related("area", "current_version"), pk=pk)


@staff_required(Action.MANAGE_ENGAGEMENT)
def staff_list(request: HttpRequest) -> HttpResponse:
    questionnaires = scope(request.user, Action.MANAGE_ENGAGEMENT, Questionnaire.objects.select_related("area"))
    return render(request, "surveys/staff/list.html", {"questionnaires": questionnaires})


def _staff_areas(request: HttpRequest) -> Any:
    return areas_where(request.user, Action.MANAGE_ENGAGEMENT).filter(level__lte=Area.Level.NEIGHBOURHOOD)


@staff_required(Action.MANAGE_ENGAGEMENT)
def staff_create(request: HttpRequest) -> HttpResponse:
    form = QuestionnaireForm(_post(request), areas=_staff_areas(request))
    if request.method == "POST" and form.is_valid():
        try:
            questionnaire = services.create_questionnaire(request.user, **form.cleaned_data)
        except ValueError as error:
            form.add_error("slug", str(error))
        else:
            messages.success(request, _("Questionnaire created. Add its first page."))
            return redirect("surveys:staff_detail", pk=questionnaire.pk)
    return render(request, "surveys/staff/form.html", {"form": form, "heading": _("New questionnaire")})


@staff_required(Action.MANAGE_ENGAGEMENT)
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = _staff_questionnaire(request, pk)
    version = questionnaire.current_version
    return render(request, "surveys/staff/detail.html", {
        "questionnaire": questionnaire, "version": version,
        "pages": selectors.printable_pages(version) if version else [],
        "frozen": version.is_frozen if version else False, "response_count": questionnaire.responses.count(),
        "versions": questionnaire.versions.all(), "history": audit.entries_for(questionnaire)[:20]})


@require_POST
@staff_required(Action.MANAGE_ENGAGEMENT)
def staff_set_open(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = _staff_questionnaire(request, pk)
    services.set_open(request.user, questionnaire, request.POST.get("open") == "yes")
    messages.success(request, _("Now accepting responses.") if questionnaire.is_open else _("Closed to responses."))
    return redirect("surveys:staff_detail", pk=pk)


@require_POST
@staff_required(Action.MANAGE_ENGAGEMENT)
def staff_add_demographics(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = _staff_questionnaire(request, pk)
    try:
        services.add_demographic_block(request.user, questionnaire)
        messages.success(request, _("The “About you” questions were added."))
    except ValueError as error:
        messages.error(request, str(error))
    return redirect("surveys:staff_detail", pk=pk)


def _builder_page(questionnaire: Questionnaire, page_id: int) -> Page | None:
    """A page of the version being built (None when it belongs to an earlier version or is gone: a stale form or
    link, or the second press of a button)."""
    page = Page.objects.filter(pk=page_id, version__questionnaire=questionnaire).first()
    return page if page is not None and page.version_id == questionnaire.current_version_id else None


def _stale(request: HttpRequest, pk: int) -> HttpResponse:
    messages.info(request, _("That was part of an earlier version of the questionnaire, or has already been changed. "
                             "This is the version you can edit now."))
    return redirect("surveys:staff_detail", pk=pk)


def _frozen_warning(questionnaire: Questionnaire) -> str:
    version = questionnaire.current_version
    if version is not None and version.is_frozen:
        return _("This questionnaire has responses: saving makes a new version, and earlier responses keep the "
                 "version they answered.")
    return ""


def _form_token(request: HttpRequest) -> str:
    """The token an "add" form carries, so that pressing Save twice adds one page or question."""
    token = request.POST.get("form_token", "") if request.method == "POST" else ""
    if not token or len(token) > 64:
        token = getattr(request, "_survey_form_token", "") or new_token()
        request._survey_form_token = token  # type: ignore[attr-defined]
    return token


def _conditions(post: Any, earlier: list[Question], show_if: Any) -> tuple[ConditionsForm, bool]:
    """The conditions form for this request, and whether the press only changed its rows (add, remove, update)."""
    action = conditions_action(post) if post is not None else None
    if action is not None:
        return ConditionsForm(earlier=earlier, rows=action[0], match=action[1]), True
    if post is not None:
        return ConditionsForm(post, earlier=earlier), False
    return ConditionsForm.from_show_if(show_if, earlier), False


@staff_required(Action.MANAGE_ENGAGEMENT)
def staff_page_form(request: HttpRequest, pk: int, page_id: int | None = None) -> HttpResponse:
    questionnaire = _staff_questionnaire(request, pk)
    version = questionnaire.current_version
    if version is None:
        raise Http404
    existing = _builder_page(questionnaire, page_id) if page_id else None
    if page_id and existing is None:
        return _stale(request, pk)
    post = _post(request)
    conditions, rows_only = _conditions(post, services.earlier_questions(version, existing),
                                        existing.show_if if existing else [])
    if rows_only:
        form = PageEditForm(initial=initial_from_post(PageEditForm, post))
    elif post is not None:
        form = PageEditForm(post)
        valid = form.is_valid()
        if conditions.is_valid() and valid:
            fields = {"title": form.cleaned_data["title"], "introduction": form.cleaned_data["introduction"],
                      "show_if": conditions.show_if()}
            try:
                if existing is None:
                    services.add_page(request.user, questionnaire, token=_form_token(request), **fields)
                else:
                    services.update_page(request.user, existing, **fields)
            except ValueError as error:  # a condition the service refused, or a stale page
                conditions.add_error(None, str(error))
            else:
                messages.success(request, _("Page saved."))
                return redirect("surveys:staff_detail", pk=pk)
    else:
        form = PageEditForm(initial={"title": existing.title, "introduction": existing.introduction}
                            if existing else None)
    return render(request, "surveys/staff/form.html", {
        "form": form, "conditions": conditions, "all_forms": [form, conditions], "questionnaire": questionnaire,
        "subject": _("page"), "heading": _("Edit page") if existing else _("Add a page"),
        "form_token": _form_token(request) if existing is None else "",
        "warning": _frozen_warning(questionnaire)})


@require_POST
@staff_required(Action.MANAGE_ENGAGEMENT)
def staff_move_page(request: HttpRequest, pk: int, page_id: int) -> HttpResponse:
    questionnaire = _staff_questionnaire(request, pk)
    page = _builder_page(questionnaire, page_id)
    if page is None:
        return _stale(request, pk)
    try:
        expected = int(request.POST.get("position", ""))
    except ValueError:
        expected = None
    try:
        services.move_page(request.user, page, -1 if request.POST.get("direction") == "up" else 1,
                           expected_position=expected)
    except ValueError as error:
        messages.error(request, str(error))
    return redirect("surveys:staff_detail", pk=pk)


@staff_required(Action.MANAGE_ENGAGEMENT)
def staff_delete_page(request: HttpRequest, pk: int, page_id: int) -> HttpResponse:
    """A confirmation page, then the removal (refused, naming them, while later conditions use its answers)."""
    questionnaire = _staff_questionnaire(request, pk)
    page = _builder_page(questionnaire, page_id)
    if page is None:
        return _stale(request, pk)
    questions = list(page.questions.all())
    blockers = services.dependents(page.version, {q.key for q in questions}, except_page=page)
    error = ""
    if request.method == "POST":
        try:
            services.delete_page(request.user, page)
        except ValueError as problem:
            error = str(problem)
        else:
            messages.success(request, _("The page “%(title)s” was removed.") % {"title": page.title})
            return redirect("surveys:staff_detail", pk=pk)
    return render(request, "surveys/staff/delete_page.html", {
        "questionnaire": questionnaire, "page": page, "questions": questions, "blockers": blockers,
        "error": error, "warning": _frozen_warning(questionnaire)})


@require_POST
@staff_required(Action.MANAGE_ENGAGEMENT)
def staff_move_question(request: HttpRequest, pk: int, question_id: int) -> HttpResponse:
    questionnaire = _staff_questionnaire(request, pk)
    question = get_object_or_404(Question, pk=question_id, page__version__questionnaire=questionnaire)
    if question.page.version_id != questionnaire.current_version_id:
        return _stale(request, pk)
    try:
        expected = int(request.POST.get("position", ""))
    except ValueError:
        expected = None
    services.move_question(request.user, question, -1 if request.POST.get("direction") == "up" else 1,
                           expected_position=expected)
    return redirect("surveys:staff_detail", pk=pk)


@staff_required(Action.MANAGE_ENGAGEMENT)
def staff_question_form(request: HttpRequest, pk: int, page_id: int | None = None,
                        question_id: int | None = None) -> HttpResponse:
    questionnaire = _staff_questionnaire(request, pk)
    version = questionnaire.current_version
    if version is None:
        raise Http404
    question = get_object_or_404(Question.objects.select_related("page"), pk=question_id,
                                 page__version__questionnaire=questionnaire) if question_id else None
    target = _builder_page(questionnaire, page_id) if page_id else None
    if (question is not None and question.page.version_id != version.pk) or (page_id and target is None):
        return _stale(request, pk)
    page = question.page if question is not None else target
    post = _post(request)
    conditions, rows_only = _conditions(post, services.earlier_questions(version, page),
                                        question.show_if if question else [])
    if rows_only:
        form = QuestionEditForm(initial=initial_from_post(QuestionEditForm, post))
    elif post is not None:
        form = QuestionEditForm(post)
        if "delete" in post and question is not None:
            try:
                services.delete_question(request.user, question)
            except ValueError as error:
                messages.error(request, str(error))
                return redirect("surveys:staff_question_edit", pk=pk, question_id=question.pk)
            messages.success(request, _("Question removed."))
            return redirect("surveys:staff_detail", pk=pk)
        valid = form.is_valid()
        if conditions.is_valid() and valid:
            fields = {**form.question_fields(existing=question), "show_if": conditions.show_if()}
            try:
                if question is None:
                    assert target is not None
                    services.add_question(request.user, target, token=_form_token(request), **fields)
                else:
                    services.update_question(request.user, question, **fields)
            except services.ConditionError as error:
                conditions.add_error(None, str(error))
            except services.OptionInUse as error:
                form.add_error("options", str(error))
            except ValueError as error:
                form.add_error("key", str(error))
            else:
                messages.success(request, _("Question saved."))
                return redirect("surveys:staff_detail", pk=pk)
    else:
        form = QuestionEditForm(initial=QuestionEditForm.initial_for(question) if question else None)
    return render(request, "surveys/staff/form.html", {
        "form": form, "conditions": conditions, "all_forms": [form, conditions], "questionnaire": questionnaire,
        "can_delete": question is not None, "subject": _("question"),
        "form_token": _form_token(request) if question is None else "",
        "heading": _("Edit question") if question else _("Add a question"),
        "warning": _frozen_warning(questionnaire)})


# ---- staff: entering paper, phone, email and focus-group responses ---------------------------------------------

@staff_required(Action.MANAGE_ENGAGEMENT)
def staff_entry(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = _staff_questionnaire(request, pk)
    version = questionnaire.current_version
    if version is None:
        raise Http404
    questions = [q for p in services.pages_of(version) for q in p.questions.all() if q.type != QuestionType.FILE]
    # The submission token travels with the form: pressing Save twice records the response once.
    token = request.POST.get("submission_token") or new_token()
    meta = StaffEntryForm(_post(request), _files(request))
    form = PageForm(questions, _post(request), staff_entry=True, prefix="a")
    hints = selectors.logic_hints(version)  # the paper form's "Only answer this if …", beside each question
    for name, field in form.fields.items():
        hint = hints.get(name.split("__")[0])
        if hint:
            field.help_text = f"{field.help_text} {hint}".strip()
    if request.method == "POST" and meta.is_valid() and form.is_valid():
        response = services.record_staff_response(
            request.user, questionnaire, channel=meta.cleaned_data["channel"], answers=form.answers(),
            submission_token=token, area=form.area_found, original=meta.cleaned_data.get("original"))
        messages.success(request, _("Response %(ref)s recorded. Enter the next one below.") % {
            "ref": response.reference})
        return redirect("surveys:staff_entry", pk=pk)
    return render(request, "surveys/staff/entry.html", {"questionnaire": questionnaire, "meta": meta, "form": form,
                                                        "token": token, "all_forms": [meta, form]})


@staff_required(Action.VIEW_CONTRIBUTIONS)
def staff_responses(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = _staff_questionnaire(request, pk, Action.VIEW_CONTRIBUTIONS)
    responses = questionnaire.responses.select_related("version").order_by("-id")
    page_obj = Paginator(responses, 50).get_page(request.GET.get("page"))
    return render(request, "surveys/staff/responses.html", {"questionnaire": questionnaire, "page_obj": page_obj})


@staff_required(Action.VIEW_CONTRIBUTIONS)
def staff_original(request: HttpRequest, pk: int, response_id: int) -> HttpResponseBase:
    questionnaire = _staff_questionnaire(request, pk, Action.VIEW_CONTRIBUTIONS)
    response = get_object_or_404(questionnaire.responses, pk=response_id)
    if not response.original:
        raise Http404
    return FileResponse(response.original.open("rb"), as_attachment=True)


# ---- staff: moderation ----------------------------------------------------------------------------------------

@staff_required(Action.MODERATE_CONTRIBUTIONS)
def staff_moderation(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = _staff_questionnaire(request, pk, Action.MODERATE_CONTRIBUTIONS)
    state = request.GET.get("state", ModerationState.PENDING)
    if state not in ModerationState.values:
        state = ModerationState.PENDING
    answers = TextAnswer.objects.filter(response__questionnaire=questionnaire, moderation_state=state) \
        .select_related("question", "response").order_by("id")
    counts = selectors.moderation_counts(questionnaire)
    page_obj = Paginator(answers, 25).get_page(request.GET.get("page"))
    return render(request, "surveys/staff/moderation.html", {
        "questionnaire": questionnaire, "page_obj": page_obj, "state": state,
        "states": [(value, label, counts.get(value, 0)) for value, label in ModerationState.choices]})


@staff_required(Action.MODERATE_CONTRIBUTIONS)
def staff_moderate_answer(request: HttpRequest, pk: int, answer_id: int) -> HttpResponse:
    questionnaire = _staff_questionnaire(request, pk, Action.MODERATE_CONTRIBUTIONS)
    answer = get_object_or_404(TextAnswer.objects.select_related("question", "response"), pk=answer_id,
                               response__questionnaire=questionnaire)
    decide = ModerateAnswerForm(request.POST if "decide" in request.POST else None)
    redact = RedactForm(request.POST if "redact" in request.POST else None, prefix="r")
    if request.method == "POST":
        try:
            if "decide" in request.POST and decide.is_valid():
                services.moderate_answer(request.user, answer, decide.cleaned_data["state"],
                                         decide.cleaned_data["reason"])
                messages.success(request, _("Decision saved."))
                return redirect("surveys:staff_moderation", pk=pk)
            if "redact" in request.POST and redact.is_valid():
                services.redact_phrase(request.user, answer, redact.cleaned_data["phrase"],
                                       redact.cleaned_data["reason"])
                messages.success(request, _("Redaction saved."))
                return redirect("surveys:staff_moderate_answer", pk=pk, answer_id=answer_id)
        except ValueError as error:
            (decide if "decide" in request.POST else redact).add_error(None, str(error))
        except PermissionDenied:
            raise
    return render(request, "surveys/staff/moderate_answer.html", {
        "questionnaire": questionnaire, "answer": answer, "decide": decide, "redact": redact,
        "all_forms": [decide, redact],
        "history": audit.entries_for(answer)})


# ---- staff: results, exports and import -------------------------------------------------------------------------

@staff_required(Action.VIEW_CONTRIBUTIONS)
def staff_report(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = _staff_questionnaire(request, pk, Action.VIEW_CONTRIBUTIONS)
    report = reports.summary(questionnaire)
    may_analyse = can(request.user, Action.ANALYSE, questionnaire)
    return render(request, "surveys/staff/report.html", {
        "questionnaire": questionnaire, "report": report,
        # "About you" counts: special-category data, only for those who may analyse, always disclosure-controlled.
        "who": reports.who_answered(questionnaire) if may_analyse else None,
        "may_export": may_analyse or can(request.user, Action.MANAGE_ENGAGEMENT, questionnaire)})


@staff_required(Action.VIEW_CONTRIBUTIONS)
def staff_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The summary report as a tagged PDF, with the same figures, charts, tables and protections as the page."""
    questionnaire = _staff_questionnaire(request, pk, Action.VIEW_CONTRIBUTIONS)
    if not _weasyprint_installed():
        return redirect("surveys:staff_report", pk=pk)
    may_analyse = can(request.user, Action.ANALYSE, questionnaire)
    html = render_to_string("surveys/staff/report_pdf.html", {
        "questionnaire": questionnaire, "report": reports.summary(questionnaire), "made_on": timezone.localdate(),
        "who": reports.who_answered(questionnaire) if may_analyse else None,
        "stylesheet": _stylesheet("surveys/report-pdf.css")}, request=request)
    # Not cached: it holds answers (and, for analysts, protected "About you" counts) and changes with each response.
    return _pdf_response(_pdf(html, request), f"{questionnaire.slug}-summary.pdf")


@staff_required(Action.VIEW_CONTRIBUTIONS)
def staff_report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    questionnaire = _staff_questionnaire(request, pk, Action.VIEW_CONTRIBUTIONS)
    content = reports.summary_xlsx(reports.summary(questionnaire))
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{questionnaire.slug}-summary.xlsx"'
    return response


@require_POST
@staff_required(Action.VIEW_CONTRIBUTIONS)
def staff_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    questionnaire = _staff_questionnaire(request, pk, Action.VIEW_CONTRIBUTIONS)
    if fmt not in ("csv", "xlsx", "json"):
        raise Http404
    if not (can(request.user, Action.ANALYSE, questionnaire) or can(request.user, Action.MANAGE_ENGAGEMENT,
                                                                    questionnaire)):
        raise PermissionDenied
    progress = tasks.start(_("Export responses to %(q)s (%(fmt)s)") % {"q": questionnaire.title, "fmt": fmt.upper()},
                           "byconsent.surveys.tasks.export_task", {"questionnaire": questionnaire.pk, "format": fmt},
                           requested_by=request.user, area=questionnaire.area)
    return redirect("core:task_detail", pk=progress.pk)


@staff_required(Action.VIEW_CONTRIBUTIONS)
def staff_export_download(request: HttpRequest, pk: int, name: str) -> HttpResponseBase:
    questionnaire = _staff_questionnaire(request, pk, Action.VIEW_CONTRIBUTIONS)
    path = reports.export_path(questionnaire, name)
    if path is None:
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)


@staff_required(Action.MANAGE_ENGAGEMENT)
def staff_import(request: HttpRequest, pk: int) -> HttpResponse:
    from byconsent.surveys import importing

    questionnaire = _staff_questionnaire(request, pk)
    form = ImportForm(_post(request), _files(request))
    preview = None
    if request.method == "POST" and "confirm" in request.POST:
        stored = request.POST.get("stored", "")
        if importing.stored_file(stored) is None:
            raise Http404
        progress = tasks.start(_("Import responses to %(q)s") % {"q": questionnaire.title},
                               "byconsent.surveys.tasks.import_task",
                               {"questionnaire": questionnaire.pk, "stored": stored}, requested_by=request.user,
                               area=questionnaire.area)
        return redirect("core:task_detail", pk=progress.pk)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            preview = importing.preview(questionnaire, upload.name, upload.read())
        except ValueError as error:
            form.add_error("file", str(error))
    return render(request, "surveys/staff/import.html", {"questionnaire": questionnaire, "form": form,
                                                         "preview": preview})
