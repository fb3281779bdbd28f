import functools
import hashlib
from itertools import groupby

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest, PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count, F, Q
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from discussions import (
    access,
    attachments,
    blocks,
    generation,
    invites,
    mailing,
    mentions,
    search,
    threads,
    writes,
)
from discussions.archive import ExportError, discussion_file, filename_for, paper_zip, zip_name_for
from discussions.caching import cached_for_visitors, paper_scope, participant_scope, topic_scope
from discussions.forms import (
    EmailForm,
    PostForm,
    PreferenceForm,
    ProposeForm,
    ReferenceFormSet,
    RequestAnswerForm,
    SessionForm,
    SignForm,
    TopicsForm,
)
from discussions.models import (
    Answer,
    AuthorshipClaim,
    Notification,
    OldPaperSlug,
    Paper,
    PaperVisit,
    Participant,
    ParticipantAlias,
    Preference,
    Question,
    Reference,
    Topic,
    shown,
)
from discussions.reading import paper_pdf, with_figure
from discussions.rendering import render_markdown
from studygroup.middleware import allow_body

PAPERS_PER_PAGE = 30
UPCOMING_ON_HOME = 5
PAPERS_PER_OPEN_PAGE = 10
POSTS_PER_PAGE = 50
# Beyond it, a page number's OFFSET would overflow the database's integers.
MAX_KEYED_PAGE = 10**6


# Reading


def home_scope(request):
    """The home page shows its papers and the sessions to come: it changes with their threads and
    the archive's structure (which a new or removed paper moves), not with the others'."""
    try:
        number = int(request.GET.get("page", 1))
    except (TypeError, ValueError):
        number = 1  # as Paginator.get_page
    if not 1 <= number <= MAX_KEYED_PAGE:
        return None  # the last page, as Paginator.get_page: keyed by the whole archive
    return generation.of_home(number, PAPERS_PER_PAGE, timezone.localdate(), UPCOMING_ON_HOME)


@cached_for_visitors("page", scope=home_scope)
def home(request):
    today = timezone.localdate()
    held = Paper.objects.held(today).newest_first()
    page = Paginator(held, PAPERS_PER_PAGE).get_page(request.GET.get("page"))
    # Counted for the page's papers only: counting every paper's questions and answers to show
    # thirty of them cost a third of a second at a thousand papers.
    on_page = Paper.objects.filter(pk__in=page.object_list.values("pk"))
    papers = list(on_page.with_counts().newest_first().prefetch_related("participants"))
    # One query for every paper's topics: a topic row per paper it appears in.
    topics = Topic.objects.filter(
        shown("tagged_questions__content_object__"),
        tagged_questions__content_object__paper__in=papers,
    ).annotate(paper_id=F("tagged_questions__content_object__paper"))
    topics_by_paper = {}
    for topic in topics.distinct().order_by("name"):
        topics_by_paper.setdefault(topic.paper_id, []).append(topic)
    for paper in papers:
        paper.topics = topics_by_paper.get(paper.pk, [])
    # The sessions to come, first, with what they still wait for (on the first page only).
    upcoming = []
    if page.number == 1:
        upcoming = list(
            Paper.objects.upcoming(today).with_counts().select_related("presenter")[:UPCOMING_ON_HOME]
        )
        for paper in upcoming:
            paper.status = paper.when(today)
    ctx = {
        "papers": papers,
        "page": page,
        "upcoming": upcoming,
        "may_propose": access.member_of(request.user),
    }
    return render(request, "discussions/home.html", ctx)


def follows_renames(view):
    """A paper's address from before its title changed leads to its address now: 301 (308 for a
    form sent there, so it is sent again as it was). Asked only when no paper has the address,
    so a page that is found costs nothing more, and a paper that took an old address keeps it."""

    @functools.wraps(view)
    def wrapper(request, slug, *args, **kwargs):
        try:
            return view(request, *args, slug=slug, **kwargs)
        except Http404:
            moved = OldPaperSlug.objects.filter(slug=slug).select_related("paper").first()
            if moved is None or Paper.objects.filter(slug=slug).exists():
                raise
            match = request.resolver_match
            url = reverse(match.view_name, kwargs={**match.captured_kwargs, "slug": moved.paper.slug})
            if request.META.get("QUERY_STRING"):
                url += "?" + request.META["QUERY_STRING"]
            response = HttpResponsePermanentRedirect(url)
            if request.method not in ("GET", "HEAD"):
                response.status_code = 308
            return response

    return wrapper


@cached_for_visitors("place", scope=paper_scope)
def paper_detail(request, slug):
    paper = get_object_or_404(Paper, slug=slug)
    pdf = paper_pdf(paper)
    session = access.session_rights(request.user, paper)
    place_key = request.GET.get("place", "")
    place, visitor = None, not request.user.is_authenticated and not place_key
    if visitor:
        # Rendered once per question and kept: only what a write changed is rendered again.
        questions = blocks.of_paper(paper, pdf, session, user=request.user)
    else:
        questions = blocks.arranged(paper, pdf, user=request.user)
        if request.user.is_authenticated:
            mark_new_since_last_visit(request.user, paper, questions)
        place = about_place(questions, place_key)
        if place is not None:
            questions = place["questions"]
    references = sorted(paper.references.all(), key=lambda ref: (ref.origin, ref.position))
    listed = [ref for ref in references if ref.origin == Reference.Origin.LISTED]
    ctx = {
        "paper": paper,
        "when": paper.when(timezone.localdate()),
        "session": session,
        "participants": paper.participants.all(),
        "questions": questions,
        "blocks": visitor,
        "references_by_kind": group_by_kind(listed),
        "cited": [ref for ref in references if ref.origin == Reference.Origin.CITED],
        "ask_form": new_post_form(request.user) if access.may_post(request.user) else None,
        "place": place,
    }
    return render(request, "discussions/paper_detail.html", ctx)


def about_place(questions, key):
    """Everything said about one place in the paper (`?place=figure:2.1`): the questions that name
    it or whose answers do, and how many of each; None without a place asked for."""
    if not key:
        return None
    text, asked, answered = key, [], 0
    for question in questions:
        naming = [post for post in (question, *question.thread) if any(p["key"] == key for p in post.places)]
        if naming:
            asked.append(question)
            answered += sum(1 for post in naming if post is not question)
            text = next(p["text"] for p in naming[0].places if p["key"] == key)
    return {"key": key, "text": text, "questions": asked, "answers": answered}


def mark_new_since_last_visit(user, paper, questions):
    """Posts others wrote since this member last read the thread get `.is_new`; this visit is the
    next one's mark. (A member's own bookkeeping, not the archive's: no archive write.)"""
    now = timezone.now()
    visit = PaperVisit.objects.filter(user=user, paper=paper).first()
    if visit is not None:
        for question in questions:
            for post in (question, *question.thread):
                post.is_new = post.created_at > visit.seen_at and not post.rights.own
        PaperVisit.objects.filter(pk=visit.pk).update(seen_at=now)
    else:
        PaperVisit.objects.create(user=user, paper=paper, seen_at=now)


def paper_download(request, slug):
    """The paper as a discussion file (FORMAT.md), with everything members wrote in the app."""
    return _download(request, slug, discussion_file, "text/markdown; charset=utf-8", filename_for)


def paper_download_zip(request, slug):
    """The paper as its page shows it, to keep or import elsewhere (archive.paper_zip): the
    discussion file with its figures, slides and PDF, linked relatively (`img/plot.png`)."""
    return _download(request, slug, paper_zip, "application/zip", zip_name_for)


def _download(request, slug, make, content_type, name_for):
    paper = get_object_or_404(Paper, slug=slug)
    try:
        data = make(paper)
    except ExportError as error:
        # A row stored before the rules (a topic with a comma in it): say which, not a 500.
        ctx = {"paper": paper, "error": error}
        return render(request, "discussions/download_refused.html", ctx, status=409)
    response = HttpResponse(data, content_type=content_type)
    # Slugs may be Korean: the header carries the name as RFC 6266's UTF-8 `filename*`.
    response["Content-Disposition"] = content_disposition_header(True, name_for(paper))
    return response


@cached_for_visitors("questions", "answers", scope=participant_scope)
def participant_detail(request, slug):
    participant = get_object_or_404(Participant, slug=slug)
    questions = participant.questions.shown().select_related("paper").order_by("paper__title", "position")
    answers = (
        participant.answers.filled()
        .select_related("question__paper")
        .order_by("question__paper__title", "question__position", "position")
    )
    ctx = {
        "participant": participant,
        "open_answers": participant.answers.open()
        .select_related("question__paper", "question__author")
        .order_by("question__paper", "question__position", "position"),
        "questions": Paginator(questions, POSTS_PER_PAGE).get_page(request.GET.get("questions")),
        "answers": Paginator(answers, POSTS_PER_PAGE).get_page(request.GET.get("answers")),
    }
    return render(request, "discussions/participant_detail.html", ctx)


def mention(request, word):
    """Where a rendered `@쯔위님` leads: the page of whoever goes by the longest name it starts with
    (a signature, a full name, or a name they had before a merge), as notify finds whom it tells."""
    names = {}
    for participant in Participant.objects.only("pk", "slug", "name", "full_name"):
        names.update({name: participant for name in (participant.name, participant.full_name) if name})
    for alias in ParticipantAlias.objects.select_related("participant").only("name", "participant__slug"):
        names.setdefault(alias.name, alias.participant)
    person = mentions.who(word, names)
    if person is None:
        raise Http404
    return redirect(person)


@cached_for_visitors("page", "mine")
def open_items(request):
    """Every open answer and every unanswered question, by paper; `?mine=1` for my own."""
    if request.GET.get("mine") == "1" and not request.user.is_authenticated:
        # "Mine" means nothing to a visitor: log in first, then come back to the same list.
        return redirect_to_login(request.get_full_path())
    mine = request.GET.get("mine") == "1"
    member = access.member_of(request.user) if mine else None
    slots = Answer.objects.open()
    unanswered = Question.objects.unanswered()
    if mine:
        # An account linked to no participant owns nothing (and must not see the unsigned posts).
        owner = Q(author=member) if member else Q(pk__in=[])
        slots, unanswered = slots.filter(owner), unanswered.filter(owner)
    # A page is a few papers with everything waiting in them, so it stays short at any size. Which
    # papers those are is one pass over the question and answer indexes, in one query: a count and
    # then a page made it two, the most of this page's render.
    waiting = Paper.objects.filter(
        Q(pk__in=slots.values("question__paper")) | Q(pk__in=unanswered.values("paper"))
    )
    ids = list(waiting.order_by("title", "pk").values_list("pk", flat=True))
    page = Paginator(ids, PAPERS_PER_OPEN_PAGE).get_page(request.GET.get("page"))
    shown = list(Paper.objects.filter(pk__in=page.object_list).order_by("title", "pk"))
    slots = slots.filter(question__paper__in=shown).select_related("author", "question__author")
    unanswered = unanswered.filter(paper__in=shown).select_related("author")
    by_paper = {paper.pk: (paper, [], []) for paper in shown}
    for slot in slots.order_by("question__position", "position"):
        paper, waiting, _ = by_paper[slot.question.paper_id]
        slot.question.paper = paper  # for its link, without a query per slot
        waiting.append(slot)
    for question in unanswered.order_by("position"):
        paper, _, unanswered_here = by_paper[question.paper_id]
        question.paper = paper
        unanswered_here.append(question)
    ctx = {"by_paper": list(by_paper.values()), "page": page, "mine": mine, "member": member}
    return render(request, "discussions/open.html", ctx)


@cached_for_visitors()
def post_history(request, kind, pk):
    post = access.post_for(request.user, kind, pk, "history")
    versions = post.history.select_related("history_user").order_by("-history_date", "-history_id")
    ctx = {"post": post, "kind": kind, "versions": versions, "rights": access.rights(request.user, post)}
    return render(request, "discussions/history.html", ctx)


# Topics and search


@cached_for_visitors()
def topic_list(request):
    count = Count("tagged_questions", filter=shown("tagged_questions__content_object__"))
    topics = Topic.objects.annotate(question_count=count).order_by("name")
    return render(request, "discussions/topic_list.html", {"topics": topics})


@cached_for_visitors("page", scope=topic_scope)
def topic_detail(request, slug):
    topic = get_object_or_404(Topic, slug=slug)
    order = ("paper__title", "paper", "position", "pk")
    page = Paginator(Question.objects.for_topic(topic).order_by(*order), 50).get_page(request.GET.get("page"))
    # Counted for the page's questions only, as on the home page: counting the answers of all of a
    # topic's 3,574 questions to show fifty, and again for the paginator's count, was most of its render.
    on_page = Question.objects.filter(pk__in=page.object_list.values("pk"))
    page.object_list = list(on_page.with_answer_counts().select_related("paper", "author").order_by(*order))
    return render(request, "discussions/topic_detail.html", {"topic": topic, "page": page})


@cached_for_visitors("q", "topic", "paper", "participant", "open", "kind", "page")
def search_page(request):
    query = request.GET.get("q", "").strip()
    terms = search.terms_of(query)
    filters = search.Filters(
        topic=_by_slug(Topic, request.GET.get("topic")),
        paper=_by_slug(Paper, request.GET.get("paper")),
        participant=_by_slug(Participant, request.GET.get("participant")),
        open_only=request.GET.get("open") == "1",
    )
    kind = request.GET.get("kind") if request.GET.get("kind") in search.KINDS else None
    groups = []
    if terms:
        for name, find in search.KINDS.items():
            if kind and name != kind:
                continue
            number = request.GET.get("page") if kind else 1
            page = search.ranked_page(find(terms, filters), terms, number, per_page=20 if kind else 5)
            for item in page:
                item.snippet = search.snippet(_searchable_text(item), terms)
            groups.append((name, page))
    # The filter lists (a thousand papers) were most of a render: they are kept rendered under a
    # digest of what they list, so the writes that change none of it, nearly all, leave them kept.
    lists = {
        "topics": list(Topic.objects.order_by("name").values_list("slug", "name")),
        "papers": list(Paper.objects.order_by("title").values_list("slug", "title")),
        "participants": list(Participant.objects.order_by("name").values_list("slug", "name")),
    }
    ctx = {
        "query": query,
        "terms": terms,
        "kind": kind,
        "groups": groups,
        "filters": filters,
        "lists": lists,
        "lists_digest": hashlib.sha1(repr(lists).encode()).hexdigest(),
    }
    return render(request, "discussions/search.html", ctx)


def _by_slug(model, slug):
    return model.objects.filter(slug=slug).first() if slug else None


def _searchable_text(item):
    if isinstance(item, Paper):
        return f"{item.title} — {item.description}"
    if isinstance(item, Reference):
        return f"{item.label} {item.url}"
    return item.body


# Writing: find the object through `access`, validate the form, call one function of `writes`,
# redirect. A `writes.Conflict` shows what is saved now, with the writer's text kept in a form.


@login_required
@allow_body(attachments.POST_BODY_BYTES)
def fill_answer(request, pk):
    try:
        answer = access.post_for(request.user, "answer", pk, "write")
    except Http404:
        return removed_meanwhile(request, "answer", pk)
    if not answer.is_open and request.method != "POST":
        return redirect(answer)
    form = PostForm(request.POST or None, request.FILES or None, initial={"version": answer.version})
    if request.method == "POST" and form.is_valid() and "preview" not in request.POST:
        body = with_figure(
            form.cleaned_data["body"], form.cleaned_data["image"], answer.question.paper, request.user
        )
        try:
            writes.fill(answer, body, expected_version=form.cleaned_data["version"], user=request.user)
        except writes.Conflict as conflict:
            if not _same_text(conflict, body):  # a double click saves once and says so once
                return conflict_page(request, answer, body, conflict, filled_meanwhile=True)
        if request.htmx:  # the enhanced thread page swaps the filled answer in place
            return thread_item(request, answer)
        messages.success(request, _("Your answer is saved."))
        return redirect(answer)
    return form_page(request, form, answer.question, _("Fill in your answer"), target=answer)


@login_required
@allow_body(attachments.POST_BODY_BYTES)
def answer_question(request, pk):
    try:
        question = access.post_for(request.user, "question", pk, "reply")
    except Http404:
        return written_under_removed(request, "question", pk)
    title = _("Answer %(label)s") % {"label": question.label}
    return _new_post(
        request,
        question,
        title,
        lambda member, body, token: writes.answer(
            question, author=member, body=body, user=request.user, token=token
        ),
        posted=_("Your answer is posted."),
    )


@login_required
@allow_body(attachments.POST_BODY_BYTES)
def reply(request, pk):
    try:
        parent = access.post_for(request.user, "answer", pk, "reply")
    except Http404:
        return written_under_removed(request, "answer", pk)
    title = _("Reply to %(label)s") % {"label": parent.signature}
    return _new_post(
        request,
        parent,
        title,
        lambda member, body, token: writes.answer(
            parent.question, author=member, body=body, user=request.user, token=token, parent=parent
        ),
        posted=_("Your reply is posted."),
    )


@login_required
@allow_body(attachments.POST_BODY_BYTES)
def ask(request, slug):
    paper = get_object_or_404(Paper, slug=slug)
    title = _("Ask a question about “%(title)s”") % {"title": paper.title}
    return _new_post(
        request,
        None,
        title,
        lambda member, body, token: writes.ask(
            paper, author=member, body=body, user=request.user, token=token
        ),
        posted=_("Your question is posted."),
        paper=paper,
    )


def new_post_form(user, data=None, *, author=None, body="", files=None):
    """The form that makes a new post; its one-time token makes a double submit one post."""
    member = access.member_of(user)
    authors = Participant.objects.order_by("name") if user.is_staff else None
    initial = {"token": writes.new_token(), "author": author or member, "body": body}
    return PostForm(data, files, authors=authors, author_required=member is None, initial=initial)


def _new_post(request, context_post, title, write, *, posted, paper=None):
    if not access.may_post(request.user):
        raise PermissionDenied(_("Your account is not linked to a participant of the study group."))
    form = new_post_form(request.user, request.POST or None, files=request.FILES or None)
    if request.method == "POST" and form.is_valid() and "preview" not in request.POST:
        author = form.cleaned_data.get("author") or access.member_of(request.user)
        where = paper or writes.paper_of(context_post)
        body = with_figure(form.cleaned_data["body"], form.cleaned_data["image"], where, request.user)
        try:
            post, created = write(author, body, form.cleaned_data["token"])
        except writes.Conflict as conflict:
            return refused_page(request, conflict, body, context_post, paper)
        messages.success(request, posted if created else _("This was posted already; here it is."))
        return redirect(post)
    return form_page(request, form, context_post, title, paper=paper)


@login_required
def edit_topics(request, pk):
    question = access.post_for(request.user, "question", pk, "topics")
    form = TopicsForm(request.POST or None, initial={"topics": question.tags.names()})
    if request.method == "POST" and form.is_valid():
        try:
            writes.set_topics(question, form.cleaned_data["topics"], user=request.user, by_hand=True)
        except writes.Conflict as conflict:
            messages.error(request, str(conflict))
            return redirect(question.paper)
        messages.success(request, _("Topics saved."))
        return redirect(question)
    ctx = {"form": form, "question": question, "all_topics": Topic.objects.order_by("name")}
    return render(request, "discussions/topics_form.html", ctx)


@login_required
@allow_body(attachments.POST_BODY_BYTES)
def edit_post(request, kind, pk):
    try:
        post = access.post_for(request.user, kind, pk, "edit")
    except Http404:
        return removed_meanwhile(request, kind, pk)
    form = PostForm(
        request.POST or None, request.FILES or None, initial={"body": post.body, "version": post.version}
    )
    if request.method == "POST" and form.is_valid() and "preview" not in request.POST:
        paper = writes.paper_of(post)
        body = with_figure(form.cleaned_data["body"], form.cleaned_data["image"], paper, request.user)
        try:
            writes.save_text(post, body, expected_version=form.cleaned_data["version"], user=request.user)
        except writes.Conflict as conflict:
            if not _same_text(conflict, body):
                return conflict_page(request, post, body, conflict)
        messages.success(request, _("Your changes are saved."))
        return redirect(post)
    title = _("Edit %(label)s") % {"label": post.signature}
    # The page says why there is no removal when others answered (access.PostRights.remove).
    removable = access.rights(request.user, post).remove
    delete_url = reverse(f"discussions:delete_{kind}", args=[post.pk]) if removable else ""
    return form_page(request, form, post, title, target=post, delete_url=delete_url, kept=not removable)


@login_required
def delete_post(request, kind, pk):
    try:
        post = access.post_for(request.user, kind, pk, "write")
    except Http404:
        return removed_meanwhile(request, kind, pk)  # a second click on Remove, say
    if request.method != "POST":
        return delete_page(request, post, kind)
    try:
        # The version the confirmation page showed: a post changed since is not removed unseen.
        version = int(request.POST.get("version", ""))
    except ValueError:
        return redirect(request.path)
    if not access.rights(request.user, post).remove:
        # Someone answered since the confirmation page was shown (or it was never offered).
        return delete_page(request, post, kind, status=409)
    try:
        writes.remove(post, expected_version=version, user=request.user)
    except writes.OthersWrote:
        # Answered a moment ago, after the check above: the write is the last line.
        return delete_page(request, post, kind, status=409)
    except writes.Conflict as conflict:
        current = conflict.current
        if current is None or current.hidden_at is not None:
            return refused_page(request, conflict, "", post, None)
        # Changed since the page was shown: show it as it is now, to confirm again (or not).
        return delete_page(request, current, kind, status=409, changed=True)
    messages.success(
        request,
        _("%(label)s is removed from the thread; its history is kept.") % {"label": post.signature},
    )
    return redirect(post.paper if kind == "question" else post.question)


def delete_page(request, post, kind, status=200, changed=False):
    """The confirmation: the post and every post that goes with it, named; or, when others wrote
    under it and the user is not staff, why it stays (403 for the page, 409 for a refused POST)."""
    rights = access.rights(request.user, post)
    refused = not rights.remove
    ctx = {
        "post": post,
        "kind": kind,
        "rights": rights,
        "under": rights.under,
        "others": rights.others_under,
        "refused": refused,
        "changed": changed,
        "edit_url": reverse(f"discussions:edit_{kind}", args=[post.pk]) if rights.edit else "",
    }
    if refused and status == 200:
        status = 403
    return render(request, "discussions/delete.html", ctx, status=status)


@require_POST
@login_required
def restore_post(request, kind, pk):
    """Staff bring a removed post back from its history page, with what was removed with it."""
    post = access.post_for(request.user, kind, pk, "restore")
    history_url = reverse(f"discussions:{kind}_history", args=[post.pk])
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        return redirect(history_url)
    try:
        brought = writes.restore(post, expected_version=version, user=request.user)
    except writes.Conflict as conflict:
        messages.error(request, str(conflict))
        return redirect(history_url)
    restored = ngettext(
        "%(label)s is back in the thread, with %(count)s post removed with it.",
        "%(label)s is back in the thread, with %(count)s posts removed with it.",
        len(brought),
    )
    if not brought:
        restored = _("%(label)s is back in the thread.")
    messages.success(request, restored % {"label": post.signature, "count": len(brought)})
    return redirect(post)


def written_under_removed(request, kind, pk):
    """An answer or a reply sent under a post removed since its form was shown: a 409 page with
    the writer's text, as when the removal comes while it is being saved (writes.answer)."""
    removed = access.POSTS[kind].objects.filter(pk=pk, hidden_at__isnull=False).first()
    if request.method != "POST" or removed is None or not access.may_post(request.user):
        raise Http404
    if kind == "question":
        refusal = writes.Conflict(_("This question was removed from the thread meanwhile."))
    else:
        refusal = writes.Conflict(_("The answer you reply to was removed from the thread meanwhile."))
    return refused_page(request, refusal, request.POST.get("body", ""), removed, None)


def removed_meanwhile(request, kind, pk):
    """A form sent for a post removed since it was shown: a 409 page with the writer's text, for
    its author and staff (anyone else, and any GET, finds nothing here: a 404)."""
    post = access.post_for(request.user, kind, pk, "history")  # removed: its author's and staff's
    if request.method != "POST" or post.hidden_at is None:
        raise Http404
    refusal = writes.Conflict(_("This post was removed from the thread meanwhile."))
    return refused_page(request, refusal, request.POST.get("body", ""), post, None)


# The pages the write views share


def form_page(request, form, context_post, title, target=None, paper=None, delete_url="", kept=False):
    preview = ""
    if request.method == "POST" and "preview" in request.POST and form.is_valid():
        preview = render_markdown(form.cleaned_data["body"])
    if paper is None:
        paper = writes.paper_of(context_post)
    ctx = {
        "form": form,
        "context_post": context_post,
        "title": title,
        "target": target,
        "preview": preview,
        "paper": paper,
        "delete_url": delete_url,
        "kept": kept,  # not removable: others answered it
    }
    return render(request, "discussions/post_form.html", ctx)


def _same_text(conflict, body):
    current = conflict.current
    return current is not None and current.hidden_at is None and current.body == body


def conflict_page(request, post, my_text, conflict, filled_meanwhile=False):
    """Someone saved first: show what they saved, and keep my text in a form that can still post it."""
    current = conflict.current
    if current is None or current.hidden_at is not None:
        return refused_page(request, conflict, my_text, post, None)
    question = current if isinstance(current, Question) else current.question
    if filled_meanwhile:
        # Posted for the open answer's author, as the fill was (staff fill on a member's behalf).
        form = new_post_form(request.user, author=post.author, body=my_text)
        action, action_pk = "discussions:answer", question.pk
    else:
        # Saving again from here is a deliberate overwrite of the version shown above.
        form = PostForm(initial={"body": my_text, "version": current.version})
        action = f"discussions:edit_{'question' if isinstance(current, Question) else 'answer'}"
        action_pk = current.pk
    ctx = {
        "post": current,
        "form": form,
        "action": action,
        "action_pk": action_pk,
        "filled_meanwhile": filled_meanwhile,
    }
    return render(request, "discussions/conflict.html", ctx, status=409)


def refused_page(request, refusal, my_text, context_post, paper):
    """The post the writer wrote under (or edited) was removed meanwhile: say so, keep the text."""
    if paper is None and context_post is not None:
        paper = writes.paper_of(context_post)
    ctx = {"message": str(refusal), "my_text": my_text, "paper": paper}
    return render(request, "discussions/refused.html", ctx, status=409)


def thread_item(request, answer):
    """One answer as the paper page shows it (its replies under it), for an in-place htmx swap."""
    question = answer.question
    answers = question.answers.shown().select_related("author__user")
    threads.arrange([question], answers, request.user)
    placed = next(a for a in question.thread if a.pk == answer.pk)
    children = {}
    for item in question.thread:
        children.setdefault((item.question_id, item.parent_id), []).append(item)
    ctx = {"thread": threads.flatten([placed], children), "paper": question.paper, "just_saved": placed.pk}
    return render(request, "discussions/_thread.html", ctx)


def group_by_kind(references):
    order = {kind: i for i, kind in enumerate(Reference.Kind.values)}
    by_kind = sorted(references, key=lambda ref: (order[ref.kind], ref.position))
    return [
        (Reference.Kind(kind).label, list(refs)) for kind, refs in groupby(by_kind, key=lambda ref: ref.kind)
    ]


# Sessions: proposed, prepared and held in the app


@login_required
def propose_session(request):
    member = access.member_of(request.user)
    if member is None:
        raise PermissionDenied(_("Your account is not linked to a participant of the study group."))
    form = ProposeForm(request.POST or None, initial={"token": writes.new_token()})
    if request.method == "POST" and form.is_valid():
        paper, created = writes.propose(proposer=member, user=request.user, **form.cleaned_data)
        if created:
            messages.success(request, _("Your session is proposed. Complete it here, or leave it to staff."))
        return redirect("discussions:edit_session", paper.slug)
    return render(request, "discussions/propose.html", {"form": form})


@login_required
def edit_session(request, slug):
    paper, _rights = access.session_for(request.user, slug, "prepare")
    initial = {
        "title": paper.title,
        "url": paper.url,
        "session_date": paper.session_date,
        "presenter": paper.presenter,
        "participants": list(paper.participants.all()),
        "description": paper.description,
        "version": paper.version,
    }
    form = SessionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = {
            name: form.cleaned_data[name] for name in writes.SESSION_FIELDS if name in form.changed_data
        }
        try:
            saved = writes.update_session(
                paper,
                expected_version=form.cleaned_data["version"],
                user=request.user,
                participants=form.cleaned_data["participants"]
                if "participants" in form.changed_data
                else None,
                **fields,
            )
        except writes.Conflict as conflict:
            form.add_error(None, str(conflict))
            if conflict.current is not None:
                # Saving again now puts these values over the ones saved meanwhile, knowingly.
                form.data = form.data.copy()
                form.data["version"] = conflict.current.version
        else:
            messages.success(request, _("The session is saved."))
            return redirect(saved)  # a new title is a new address
    return render(request, "discussions/session_form.html", {"form": form, "paper": paper})


@login_required
def edit_references(request, slug):
    paper, _rights = access.session_for(request.user, slug, "prepare")
    listed = list(paper.references.listed())
    initial = [{"id": ref.pk, "label": ref.label, "url": ref.url, "kind": ref.kind} for ref in listed]
    formset = ReferenceFormSet(request.POST or None, initial=initial, prefix="refs")
    version = request.POST.get("version", paper.version)
    if request.method == "POST" and formset.is_valid():
        by_id = {ref.pk: ref for ref in listed}
        forms_in_order = sorted(
            (form for form in formset.forms if form.cleaned_data),
            key=lambda form: (form.cleaned_data.get("ORDER") or 10_000, formset.forms.index(form)),
        )
        rows = []
        for form in forms_in_order:
            data = form.cleaned_data
            if not data.get("url") and not data.get("id"):
                continue  # an empty extra row
            reference = by_id.get(data.get("id"))
            rows.append((reference, data["label"], data["url"], data["kind"], bool(data.get("DELETE"))))
        try:
            writes.save_references(paper, expected_version=int(version), user=request.user, rows=rows)
        except (writes.Conflict, ValueError) as conflict:
            messages.error(request, str(conflict) or _("Someone changed this session meanwhile."))
        except IntegrityError:
            # Two rows trading addresses in one save: each is saved in turn, so the first meets
            # the second's old address. Nothing was saved (the write is one transaction).
            messages.error(
                request,
                _("Two references cannot trade addresses in one save: change one, save, then the other."),
            )
        else:
            messages.success(request, _("The references are saved."))
            return redirect(paper)
    ctx = {"formset": formset, "paper": paper, "version": version}
    return render(request, "discussions/references_form.html", ctx)


@require_POST
@login_required
def claim_question(request, pk):
    # Staff linked to nobody ask someone instead (request_answer); nobody claims their own question.
    question = access.post_for(request.user, "question", pk, "claim")
    try:
        answer, created = writes.claim(question, member=access.member_of(request.user), user=request.user)
    except writes.Conflict as conflict:
        messages.error(request, str(conflict))
        return redirect(question.paper)
    if created:
        messages.success(
            request,
            _("You will answer %(label)s: it waits for you in My open answers.")
            % {"label": question.signature},
        )
    return redirect(answer)


@login_required
def request_answer(request, pk):
    question = access.post_for(request.user, "question", pk, "history")
    _paper, rights = access.session_for(request.user, question.paper.slug, "prepare")
    form = RequestAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        member = form.cleaned_data["member"]
        try:
            answer, created = writes.claim(question, member=member, user=request.user)
        except writes.Conflict as conflict:
            messages.error(request, str(conflict))
            return redirect(question.paper)
        messages.success(
            request,
            _("%(name)s is asked to answer %(label)s.") % {"name": member.name, "label": question.signature},
        )
        return redirect(answer)
    return render(request, "discussions/request_answer.html", {"form": form, "question": question})


@require_POST
@login_required
def unclaim(request, pk):
    answer = access.post_for(request.user, "answer", pk, "fill")
    try:
        writes.unclaim(answer, user=request.user)
    except writes.Conflict:
        messages.error(request, _("This answer was written meanwhile: it is not taken back."))
        return redirect(answer)
    messages.success(request, _("%(label)s is taken back.") % {"label": answer.signature})
    return redirect(answer.question)


@require_POST
@login_required
def mark_discussed(request, pk):
    question = access.post_for(request.user, "question", pk, "history")
    access.session_for(request.user, question.paper.slug, "take_part")
    discussed = request.POST.get("discussed") == "1"
    try:
        writes.mark_discussed(question, discussed, user=request.user)
    except writes.Conflict as conflict:
        messages.error(request, str(conflict))
    back = request.POST.get("next")
    if back == "agenda":
        return redirect(reverse("discussions:agenda", args=[question.paper.slug]) + f"#{question.anchor}")
    return redirect(question)


@cached_for_visitors(scope=paper_scope)
def agenda(request, slug):
    """The meeting's page: the questions in order, what each still waits for, who owes what."""
    paper = get_object_or_404(Paper.objects.select_related("presenter"), slug=slug)
    questions = list(paper.questions.shown().select_related("author"))
    answers = list(Answer.objects.shown().filter(question__paper=paper).select_related("author"))
    threads.arrange(questions, answers, request.user)
    owed = {}
    for question in questions:
        question.waiting_for = [a.author for a in question.thread if a.is_open and a.author_id]
        question.waiting_unsigned = sum(1 for a in question.thread if a.is_open and not a.author_id)
        for answer in question.thread:
            person = owed.setdefault(
                answer.author_id, {"who": answer.author, "owes": [], "wrote": 0, "asked": 0}
            )
            if answer.is_open:
                person["owes"].append(question)
            else:
                person["wrote"] += 1
        if question.author_id:
            owed.setdefault(question.author_id, {"who": question.author, "owes": [], "wrote": 0, "asked": 0})
            owed[question.author_id]["asked"] += 1
    people = sorted(
        (p for key, p in owed.items() if key is not None), key=lambda p: (-len(p["owes"]), p["who"].name)
    )
    ctx = {
        "paper": paper,
        "questions": questions,
        "people": people,
        "when": paper.when(timezone.localdate()),
        "rights": access.session_rights(request.user, paper),
        "discussed": sum(1 for q in questions if q.discussed),
    }
    return render(request, "discussions/agenda.html", ctx)


@login_required
def sign_posts(request, slug):
    """Staff say who wrote a paper's unsigned posts, several at once, and decide members' claims."""
    paper, _rights = access.session_for(request.user, slug, "sign")
    form = SignForm(request.POST or None, paper=paper)
    if request.method == "POST" and "decide" in request.POST:
        claim_id = request.POST.get("claim", "")
        if not claim_id.isascii() or not claim_id.isdigit():
            raise BadRequest("claim is not a number")
        claim = get_object_or_404(AuthorshipClaim, pk=int(claim_id), decided_at__isnull=True)
        try:
            signed = writes.decide_authorship(claim, request.POST["decide"] == "accept", user=request.user)
        except writes.Conflict as conflict:
            messages.error(request, str(conflict))
        else:
            messages.success(request, _("Signed.") if signed else _("Declined."))
        return redirect("discussions:sign_posts", paper.slug)
    if request.method == "POST" and form.is_valid():
        posts = [*form.cleaned_data["questions"], *form.cleaned_data["answers"]]
        signed = writes.set_authors(posts, form.cleaned_data["participant"], user=request.user)
        messages.success(request, _("%(count)s posts signed.") % {"count": signed})
        return redirect("discussions:sign_posts", paper.slug)
    claims = (
        AuthorshipClaim.objects.filter(decided_at__isnull=True)
        .filter(Q(question__paper=paper) | Q(answer__question__paper=paper))
        .select_related("participant", "question", "answer__question")
    )
    ctx = {"form": form, "paper": paper, "claims": claims}
    return render(request, "discussions/sign_posts.html", ctx)


@require_POST
@login_required
def claim_authorship(request, kind, pk):
    post = access.post_for(request.user, kind, pk, "history")
    member = access.member_of(request.user)
    if member is None or post.hidden_at is not None:
        raise PermissionDenied
    try:
        _claim, created = writes.claim_authorship(post, member=member, user=request.user)
    except writes.Conflict as conflict:
        messages.error(request, str(conflict))
    else:
        messages.success(
            request, _("Thank you: staff will confirm that %(label)s is yours.") % {"label": post.label}
        )
    return redirect(post)


# What concerns a member: notifications, their settings, unsubscribing


@login_required
def notification_list(request):
    notifications = (
        Notification.objects.filter(recipient=request.user)
        .shown()
        .select_related("actor", "paper", "question__author", "answer__author")
    )
    unread = list(notifications.unread()[:100])
    read = list(notifications.filter(read_at__isnull=False)[:50])
    return render(request, "discussions/notifications.html", {"unread": unread, "read": read})


@login_required
def open_notification(request, pk):
    notification = get_object_or_404(
        Notification.objects.select_related("paper", "question__paper", "answer__question__paper"),
        pk=pk,
        recipient=request.user,
    )
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk).update(read_at=timezone.now())
    target = notification.target
    shown = getattr(target, "hidden_at", None) is None
    return redirect(target if shown else notification.paper)


@require_POST
@login_required
def mark_notifications_read(request):
    mine = Notification.objects.filter(recipient=request.user).unread()
    if wanted := request.POST.get("notification"):
        if not wanted.isascii() or not wanted.isdigit():
            raise BadRequest("notification is not a number")
        mine = mine.filter(pk=int(wanted))
    mine.update(read_at=timezone.now())
    return redirect("discussions:notifications")


@login_required
def notification_settings(request):
    preference, _created = Preference.objects.get_or_create(user=request.user)
    changing_email = "email_address" in request.POST
    form = PreferenceForm(
        request.POST if request.method == "POST" and not changing_email else None, instance=preference
    )
    email_form = EmailForm(request.POST if changing_email else None)
    if changing_email and email_form.is_valid():
        try:
            address = invites.ask_to_confirm(request.user, email_form.cleaned_data["email_address"])
        except invites.InviteError as error:
            email_form.add_error("email_address", str(error))
        else:
            messages.success(
                request,
                _("A link is on its way to %(address)s: your email changes when you open it.")
                % {"address": address},
            )
            return redirect("discussions:settings")
    elif form.is_bound and form.is_valid():
        form.save()
        messages.success(request, _("Your notification settings are saved."))
        return redirect("discussions:settings")
    return render(request, "discussions/settings.html", {"form": form, "email_form": email_form})


def confirm_email(request, token):
    try:
        user = invites.confirm(token)
    except invites.InviteError as error:
        return render(request, "discussions/confirm_email.html", {"error": str(error)}, status=400)
    return render(request, "discussions/confirm_email.html", {"email": user.email})


@csrf_exempt  # a mail client's one-click POST (RFC 8058) carries the signed token, not a CSRF cookie
def unsubscribe(request, token):
    user_id = mailing.user_of_token(token)
    if user_id is None:
        return render(request, "discussions/unsubscribe.html", {"bad_link": True}, status=400)
    if not get_user_model().objects.filter(pk=user_id).exists():
        # A member deleted since the mail was sent: no mail goes to them any more.
        return render(request, "discussions/unsubscribe.html", {"gone": True}, status=404)
    if request.method == "POST":
        Preference.objects.update_or_create(user_id=user_id, defaults={"email": Preference.Email.NEVER})
        return render(request, "discussions/unsubscribe.html", {"done": True})
    return render(request, "discussions/unsubscribe.html", {"token": token})
