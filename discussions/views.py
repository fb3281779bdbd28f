import hashlib
from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from discussions import access, attachments, blocks, generation, mailing, search, threads, writes
from discussions.archive import ExportError, discussion_file, filename_for
from discussions.caching import cached_for_visitors, paper_scope, participant_scope, topic_scope
from discussions.forms import (
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
    Paper,
    PaperVisit,
    Participant,
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
    page = Paginator(Paper.objects.newest_first(), PAPERS_PER_PAGE).get_page(request.GET.get("page"))
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
    today = timezone.localdate()
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
    paper = get_object_or_404(Paper, slug=slug)
    try:
        text = discussion_file(paper)
    except ExportError as error:
        # A row stored before the rules (a topic with a comma in it): say which, not a 500.
        ctx = {"paper": paper, "error": error}
        return render(request, "discussions/download_refused.html", ctx, status=409)
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    # Slugs may be Korean: the header carries the name as RFC 6266's UTF-8 `filename*`.
    response["Content-Disposition"] = content_disposition_header(True, filename_for(paper))
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
    return render(request, "discussions/history.html", {"post": post, "kind": kind, "versions": versions})


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
    answer = access.post_for(request.user, "answer", pk, "write")
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
    question = access.post_for(request.user, "question", pk, "reply")
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
    parent = access.post_for(request.user, "answer", pk, "reply")
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
    post = access.post_for(request.user, kind, pk, "edit")
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
    delete_url = reverse(f"discussions:delete_{kind}", args=[post.pk])
    return form_page(request, form, post, title, target=post, delete_url=delete_url)


@login_required
def delete_post(request, kind, pk):
    post = access.post_for(request.user, kind, pk, "remove")
    if request.method == "POST":
        thread_url = post.paper.get_absolute_url() if kind == "question" else post.question.get_absolute_url()
        try:
            # The version the confirmation page showed: a post changed since is not removed unseen.
            version = int(request.POST.get("version", ""))
            writes.remove(post, expected_version=version, user=request.user)
        except ValueError:
            return redirect(request.path)
        except writes.Conflict as conflict:
            messages.error(request, str(conflict))
            return redirect(thread_url if conflict.current is None else request.path)
        messages.success(
            request,
            _("%(label)s is removed from the thread; its history is kept.") % {"label": post.signature},
        )
        return redirect(thread_url)
    return render(request, "discussions/delete.html", {"post": post, "kind": kind})


# The pages the write views share


def form_page(request, form, context_post, title, target=None, paper=None, delete_url=""):
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
            writes.update_session(
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
            return redirect(paper)
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
        else:
            messages.success(request, _("The references are saved."))
            return redirect(paper)
    ctx = {"formset": formset, "paper": paper, "version": version}
    return render(request, "discussions/references_form.html", ctx)


@require_POST
@login_required
def claim_question(request, pk):
    question = access.post_for(request.user, "question", pk, "reply")
    member = access.member_of(request.user)
    if member is None:  # staff linked to nobody ask someone instead (request_answer)
        raise PermissionDenied(_("Your account is not linked to a participant of the study group."))
    try:
        answer, created = writes.claim(question, member=member, user=request.user)
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
        claim = get_object_or_404(AuthorshipClaim, pk=request.POST.get("claim"), decided_at__isnull=True)
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
    notifications = Notification.objects.filter(recipient=request.user).select_related(
        "actor", "paper", "question__author", "answer__author"
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
    if request.POST.get("notification"):
        mine = mine.filter(pk=request.POST["notification"])
    mine.update(read_at=timezone.now())
    return redirect("discussions:notifications")


@login_required
def notification_settings(request):
    preference, _created = Preference.objects.get_or_create(user=request.user)
    form = PreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your notification settings are saved."))
        return redirect("discussions:settings")
    return render(request, "discussions/settings.html", {"form": form})


@csrf_exempt  # a mail client's one-click POST (RFC 8058) carries the signed token, not a CSRF cookie
def unsubscribe(request, token):
    user_id = mailing.user_of_token(token)
    if user_id is None:
        return render(request, "discussions/unsubscribe.html", {"bad_link": True}, status=400)
    if request.method == "POST":
        Preference.objects.update_or_create(user_id=user_id, defaults={"email": Preference.Email.NEVER})
        return render(request, "discussions/unsubscribe.html", {"done": True})
    return render(request, "discussions/unsubscribe.html", {"token": token})
