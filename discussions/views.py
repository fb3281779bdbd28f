from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from discussions import search
from discussions.archive import ExportError, discussion_file, filename_for
from discussions.caching import cached_for_visitors
from discussions.forms import PostForm, TopicsForm
from discussions.models import Answer, Paper, Participant, Question, Reference, Topic, generation
from discussions.rendering import render_markdown

POSTS = {"question": Question, "answer": Answer}
PAPERS_PER_PAGE = 30
PAPERS_PER_OPEN_PAGE = 10
POSTS_PER_PAGE = 50


# Reading


@cached_for_visitors
def home(request):
    page = Paginator(Paper.objects.newest_first(), PAPERS_PER_PAGE).get_page(request.GET.get("page"))
    # Counted for the page's papers only: counting every paper's questions and answers to show
    # thirty of them cost a third of a second at a thousand papers.
    on_page = Paper.objects.filter(pk__in=page.object_list.values("pk"))
    papers = list(on_page.with_counts().newest_first().prefetch_related("participants"))
    # One query for every paper's topics: a topic row per paper it appears in.
    topics = Topic.objects.filter(
        tagged_questions__content_object__paper__in=papers,
        tagged_questions__content_object__hidden_at__isnull=True,
    ).annotate(paper_id=F("tagged_questions__content_object__paper"))
    topics_by_paper = {}
    for topic in topics.distinct().order_by("name"):
        topics_by_paper.setdefault(topic.paper_id, []).append(topic)
    for paper in papers:
        paper.topics = topics_by_paper.get(paper.pk, [])
    return render(request, "discussions/home.html", {"papers": papers, "page": page})


@cached_for_visitors
def paper_detail(request, slug):
    paper = get_object_or_404(Paper, slug=slug)
    questions = list(paper.questions.visible().select_related("author__user").prefetch_related("tags"))
    answers = Answer.objects.visible().filter(question__paper=paper).select_related("author__user")
    attach_threads(questions, answers, request.user)
    references = sorted(paper.references.all(), key=lambda ref: (ref.origin, ref.position))
    listed = [ref for ref in references if ref.origin == Reference.Origin.LISTED]
    ctx = {
        "paper": paper,
        "participants": paper.participants.all(),
        "questions": questions,
        "references_by_kind": group_by_kind(listed),
        "cited": [ref for ref in references if ref.origin == Reference.Origin.CITED],
        "ask_form": PostForm() if participant_of(request.user) else None,
    }
    return render(request, "discussions/paper_detail.html", ctx)


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


@cached_for_visitors
def participant_detail(request, slug):
    participant = get_object_or_404(Participant, slug=slug)
    questions = participant.questions.visible().select_related("paper").order_by("paper__title", "position")
    answers = (
        participant.answers.filled()
        .select_related("question__paper")
        .order_by("question__paper__title", "question__position", "position")
    )
    ctx = {
        "participant": participant,
        "open_answers": participant.answers.open()
        .select_related("question__paper")
        .order_by("question__paper"),
        "questions": Paginator(questions, POSTS_PER_PAGE).get_page(request.GET.get("questions")),
        "answers": Paginator(answers, POSTS_PER_PAGE).get_page(request.GET.get("answers")),
    }
    return render(request, "discussions/participant_detail.html", ctx)


@cached_for_visitors
def open_items(request):
    """Every open answer and every unanswered question, by paper; `?mine=1` for my own."""
    mine = request.GET.get("mine") == "1" and request.user.is_authenticated
    member = participant_of(request.user) if mine else None
    slots = Answer.objects.open().filter(question__hidden_at__isnull=True)
    unanswered = Question.objects.unanswered()
    if mine:
        # An account linked to no participant owns nothing (and must not see the unsigned posts).
        owner = Q(author=member) if member else Q(pk__in=[])
        slots, unanswered = slots.filter(owner), unanswered.filter(owner)
    # A page is a few papers with everything waiting in them, so it stays short at any size.
    papers = Paper.objects.filter(
        Q(pk__in=slots.values("question__paper")) | Q(pk__in=unanswered.values("paper"))
    ).order_by("title", "pk")
    page = Paginator(papers, PAPERS_PER_OPEN_PAGE).get_page(request.GET.get("page"))
    shown = list(page.object_list)
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


@cached_for_visitors
def post_history(request, kind, pk):
    post = get_object_or_404(POSTS[kind].objects.select_related("author"), pk=pk)
    versions = post.history.select_related("history_user").order_by("-history_date", "-history_id")
    return render(request, "discussions/history.html", {"post": post, "kind": kind, "versions": versions})


# Topics and search


@cached_for_visitors
def topic_list(request):
    shown = Q(tagged_questions__content_object__hidden_at__isnull=True)
    topics = Topic.objects.annotate(question_count=Count("tagged_questions", filter=shown)).order_by("name")
    return render(request, "discussions/topic_list.html", {"topics": topics})


@cached_for_visitors
def topic_detail(request, slug):
    topic = get_object_or_404(Topic, slug=slug)
    questions = (
        Question.objects.for_topic(topic)
        .with_answer_counts()
        .select_related("paper", "author")
        .order_by("paper__title", "paper", "position")
    )
    page = Paginator(questions, 50).get_page(request.GET.get("page"))
    return render(request, "discussions/topic_detail.html", {"topic": topic, "page": page})


@cached_for_visitors
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
            page = search.ranked_page(find(terms, filters), number, per_page=20 if kind else 5)
            for item in page:
                item.snippet = search.snippet(_searchable_text(item), terms)
            groups.append((name, page))
    ctx = {
        "query": query,
        "terms": terms,
        "kind": kind,
        "groups": groups,
        "filters": filters,
        "generation": generation(),  # the filter lists below are cached per state of the archive
        "topics": Topic.objects.order_by("name"),
        "papers": Paper.objects.order_by("title").only("title", "slug"),
        "participants": Participant.objects.order_by("name").only("name", "slug"),
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


# Writing


@login_required
def fill_answer(request, pk):
    answer = get_object_or_404(Answer.objects.visible().select_related("author", "question__paper"), pk=pk)
    if not answer.is_editable_by(request.user):
        raise PermissionDenied
    if not answer.is_open and request.method != "POST":
        return redirect(answer)
    form = PostForm(request.POST or None, initial={"version": answer.version})
    if request.method == "POST" and form.is_valid() and "preview" not in request.POST:
        saved = answer.save_text(
            form.cleaned_data["body"], expected_version=form.cleaned_data["version"], only_if_open=True
        )
        if saved:
            if request.htmx:  # the enhanced thread page swaps the filled answer in place
                return thread_item(request, answer)
            messages.success(request, _("Your answer is saved."))
            return redirect(answer)
        answer.refresh_from_db()
        return conflict(request, answer, form.cleaned_data["body"], filled_meanwhile=True)
    return form_page(request, form, answer.question, _("Fill in your answer"), target=answer)


@login_required
def answer_question(request, pk):
    question = get_object_or_404(Question.objects.visible().select_related("paper", "author"), pk=pk)
    member = require_member(request.user)
    form = PostForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and "preview" not in request.POST:
        answer = question.add_answer(member, form.cleaned_data["body"])
        messages.success(request, _("Your answer is posted."))
        return redirect(answer)
    return form_page(request, form, question, _("Answer %(label)s") % {"label": question.label})


@login_required
def reply(request, pk):
    parent = get_object_or_404(Answer.objects.visible().select_related("question__paper", "author"), pk=pk)
    member = require_member(request.user)
    form = PostForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and "preview" not in request.POST:
        answer = parent.question.add_answer(member, form.cleaned_data["body"], parent=parent)
        messages.success(request, _("Your reply is posted."))
        return redirect(answer)
    return form_page(request, form, parent, _("Reply to %(label)s") % {"label": parent.signature})


@login_required
def ask(request, slug):
    paper = get_object_or_404(Paper, slug=slug)
    member = require_member(request.user)
    form = PostForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and "preview" not in request.POST:
        question = Question.objects.create(
            paper=paper,
            label=Question.objects.next_label(paper),
            author=member,
            body=form.cleaned_data["body"],
            position=Question.objects.next_position(paper=paper),
            written_in_app=True,
        )
        messages.success(request, _("Your question is posted."))
        return redirect(question)
    return form_page(
        request, form, None, _("Ask a question about “%(title)s”") % {"title": paper.title}, paper=paper
    )


@login_required
def edit_topics(request, pk):
    question = get_object_or_404(Question.objects.visible().select_related("paper", "author"), pk=pk)
    if not (request.user.is_staff or participant_of(request.user)):
        raise PermissionDenied
    form = TopicsForm(request.POST or None, initial={"topics": question.tags.names()})
    if request.method == "POST" and form.is_valid():
        question.set_topics(form.cleaned_data["topics"], by_hand=True)
        messages.success(request, _("Topics saved."))
        return redirect(question)
    ctx = {"form": form, "question": question, "all_topics": Topic.objects.order_by("name")}
    return render(request, "discussions/topics_form.html", ctx)


@login_required
def edit_post(request, kind, pk):
    post = get_editable_post(request.user, kind, pk)
    form = PostForm(request.POST or None, initial={"body": post.body, "version": post.version})
    if request.method == "POST" and form.is_valid() and "preview" not in request.POST:
        if post.save_text(form.cleaned_data["body"], expected_version=form.cleaned_data["version"]):
            messages.success(request, _("Your changes are saved."))
            return redirect(post)
        post.refresh_from_db()
        return conflict(request, post, form.cleaned_data["body"])
    title = _("Edit %(label)s") % {"label": post.signature}
    delete_url = reverse(f"discussions:delete_{kind}", args=[post.pk])
    return form_page(request, form, post, title, target=post, delete_url=delete_url)


@login_required
def delete_post(request, kind, pk):
    post = get_editable_post(request.user, kind, pk)
    if request.method == "POST":
        thread_url = post.paper.get_absolute_url() if kind == "question" else post.question.get_absolute_url()
        post.hide()
        messages.success(
            request,
            _("%(label)s is removed from the thread; its history is kept.") % {"label": post.signature},
        )
        return redirect(thread_url)
    return render(request, "discussions/delete.html", {"post": post, "kind": kind})


# Helpers: who may do what, and the pages the write views share


def participant_of(user):
    if not user.is_authenticated:
        return None
    try:
        return user.participant
    except Participant.DoesNotExist:
        return None


def require_member(user):
    member = participant_of(user)
    if member is None:
        raise PermissionDenied(_("Your account is not linked to a participant of the study group."))
    return member


def get_editable_post(user, kind, pk):
    model = POSTS[kind]
    related = ["author", "paper"] if model is Question else ["author", "question__paper"]
    post = get_object_or_404(model.objects.visible().select_related(*related), pk=pk)
    if not post.is_editable_by(user):
        raise PermissionDenied
    return post


def form_page(request, form, context_post, title, target=None, paper=None, delete_url=""):
    preview = ""
    if request.method == "POST" and "preview" in request.POST and form.is_valid():
        preview = render_markdown(form.cleaned_data["body"])
    if paper is None:
        paper = context_post.paper if isinstance(context_post, Question) else context_post.question.paper
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


def conflict(request, post, my_text, filled_meanwhile=False):
    """Someone saved first: show what they saved, and keep my text in a form that can still post it."""
    question = post if isinstance(post, Question) else post.question
    if filled_meanwhile:
        form = PostForm(initial={"body": my_text})
        action = "discussions:answer"
        action_pk = question.pk
    else:
        # Saving again from here is a deliberate overwrite of the version shown above.
        form = PostForm(initial={"body": my_text, "version": post.version})
        action = f"discussions:edit_{'question' if isinstance(post, Question) else 'answer'}"
        action_pk = post.pk
    ctx = {
        "post": post,
        "form": form,
        "action": action,
        "action_pk": action_pk,
        "filled_meanwhile": filled_meanwhile,
    }
    return render(request, "discussions/conflict.html", ctx, status=409)


def attach_threads(questions, answers, user):
    """Give each question `.thread`: its answers in order, each with `.children` (replies) and `.depth`."""
    children = {}
    for answer in sorted(answers, key=lambda a: (a.position, a.pk)):
        answer.can_fill = answer.is_open and answer.is_fillable_by(user)
        answer.can_edit = not answer.is_open and answer.is_editable_by(user)
        children.setdefault((answer.question_id, answer.parent_id), []).append(answer)

    def place(answers_here, depth):
        for answer in answers_here:
            answer.depth = depth
            answer.children = children.get((answer.question_id, answer.pk), [])
            place(answer.children, depth + 1)

    for question in questions:
        question.can_edit = question.is_editable_by(user)
        question.thread = children.get((question.pk, None), [])
        place(question.thread, 0)
        # For the table of contents: how many answers, how many still waiting.
        in_thread = list(answers_in(question.thread))
        question.open_total = sum(1 for a in in_thread if a.is_open)
        question.answer_total = len(in_thread) - question.open_total


def thread_item(request, answer):
    """One answer as the paper page shows it (its replies under it), for an in-place htmx swap."""
    question = answer.question
    answers = question.answers.visible().select_related("author__user")
    attach_threads([question], answers, request.user)
    placed = {a.pk: a for a in answers_in(question.thread)}
    ctx = {"answer": placed[answer.pk], "paper": question.paper, "just_saved": True}
    return render(request, "discussions/_answer.html", ctx)


def answers_in(thread):
    for answer in thread:
        yield answer
        yield from answers_in(answer.children)


def group_by_kind(references):
    order = {kind: i for i, kind in enumerate(Reference.Kind.values)}
    by_kind = sorted(references, key=lambda ref: (order[ref.kind], ref.position))
    return [
        (Reference.Kind(kind).label, list(refs)) for kind, refs in groupby(by_kind, key=lambda ref: ref.kind)
    ]
