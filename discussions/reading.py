"""A session's files: the upload page, the files served, the reading view, figures in posts.

The views follow the others: find the object through `access`, validate the form, call one
function of `writes`, redirect.
"""

from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from discussions import access, attachments, pdfindex, places, threads, writes
from discussions.caching import cached_for_visitors, paper_scope
from discussions.forms import AttachmentForm, ReplaceFileForm
from discussions.models import Answer, Attachment, Paper
from studygroup.middleware import allow_body

# The most a `?page=N` may say: no paper has more pages; a bigger number is ignored, not a 500.
MAX_PAGE = 100_000


@login_required
@allow_body(attachments.UPLOAD_BODY_BYTES)
def paper_files(request, slug):
    """The session's files: the presenter and staff attach, replace and remove the paper's PDF and
    the slides; the figures in posts are listed with their posts."""
    paper, rights = access.session_for(request.user, slug, "files")
    form = AttachmentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        checked = form.cleaned_data["file"]
        attachment, created = writes.attach(paper, checked, kind=form.cleaned_data["kind"], user=request.user)
        if created:
            messages.success(request, _("%(name)s is attached.") % {"name": attachment.original_name})
        else:
            messages.info(request, _("This file was attached already; here it is."))
        return redirect("discussions:paper_files", paper.slug)
    shown = list(paper.attachments.shown().select_related("uploaded_by"))
    ctx = {
        "paper": paper,
        "form": form,
        "session": rights,
        "files": [file for file in shown if file.is_pdf],
        "figures": figures_with_posts(paper, [file for file in shown if not file.is_pdf]),
        "chips_pdf": paper_pdf(paper),
    }
    return render(request, "discussions/paper_files.html", ctx)


def figures_with_posts(paper, figures):
    """Each figure with `.posts`, the shown posts of the paper that show it (their bodies link it)."""
    if not figures:
        return []
    by_url = {figure.get_absolute_url(): figure for figure in figures}
    for figure in figures:
        figure.posts = []
    linking = Q(body__contains="/attachments/")
    questions = paper.questions.shown().filter(linking).select_related("paper", "author")
    answers = (
        Answer.objects.shown()
        .filter(linking, question__paper=paper)
        .select_related("question__paper", "author")
        .order_by("question__position", "position", "pk")
    )
    for post in [*questions, *answers]:
        for url, figure in by_url.items():
            if f"({url})" in post.body or f'"{url}"' in post.body:
                figure.posts.append(post)
    return figures


@login_required
@allow_body(attachments.UPLOAD_BODY_BYTES)
def replace_attachment(request, pk):
    """The presenter and staff put another PDF in place of one: the old one is removed (its
    history keeps it), the new one is the one the place chips open if the old one was."""
    attachment, _rights = access.attachment_for(request.user, pk, "files")
    if attachment.hidden_at is not None:  # a second click, or someone else was first
        messages.info(request, _("This file was removed meanwhile."))
        return redirect("discussions:paper_files", attachment.paper.slug)
    form = ReplaceFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = writes.replace(attachment, form.cleaned_data["file"], user=request.user)
        except writes.Conflict as conflict:
            messages.error(request, str(conflict))
        else:
            messages.success(
                request,
                _("%(new)s is attached in place of %(old)s.")
                % {"new": made.original_name, "old": attachment.original_name},
            )
        return redirect("discussions:paper_files", attachment.paper.slug)
    ctx = {"attachment": attachment, "paper": attachment.paper, "form": form}
    return render(request, "discussions/attachment_replace.html", ctx)


@login_required
def remove_attachment(request, pk):
    """The presenter and staff remove a PDF: it no longer shows nor is served to visitors; its
    history keeps it."""
    attachment, _rights = access.attachment_for(request.user, pk, "files")
    if attachment.hidden_at is not None:  # a second click, or someone else was first
        messages.info(request, _("This file was removed meanwhile."))
        return redirect("discussions:paper_files", attachment.paper.slug)
    if request.method == "POST":
        try:
            writes.detach(attachment, user=request.user)
        except writes.Conflict as conflict:
            messages.error(request, str(conflict))
        else:
            messages.success(request, _("%(name)s is removed.") % {"name": attachment.original_name})
        return redirect("discussions:paper_files", attachment.paper.slug)
    ctx = {
        "attachment": attachment,
        "paper": attachment.paper,
        "opened_by_chips": paper_pdf(attachment.paper) == attachment,
    }
    return render(request, "discussions/attachment_remove.html", ctx)


# Framed by the reading view (same origin only): the site's policy says `frame-ancestors 'none'`
# and X-Frame-Options DENY for every other page.
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": ["'self'"]})
def attachment_file(request, pk):
    """An attachment's bytes, streamed from storage, shown in the browser rather than downloaded.
    A removed one only to those who may remove it (to see what they removed)."""
    attachment = get_object_or_404(Attachment.objects.select_related("paper"), pk=pk)
    removed = attachment.hidden_at is not None
    if removed and not access.session_rights(request.user, attachment.paper).files:
        raise Http404
    try:
        handle = default_storage.open(attachment.file.name, "rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404 from error
    response = FileResponse(handle, content_type=attachment.content_type, filename=attachment.original_name)
    response["Content-Length"] = attachment.size
    # The type is the one we checked, never a guess from the bytes (a PDF that also parses as HTML).
    response["X-Content-Type-Options"] = "nosniff"
    # An attachment's bytes never change (a new file is a new attachment), so browsers may keep
    # it; a removed one is for its remover's eyes, kept by no cache.
    response["Cache-Control"] = "private, no-store" if removed else "public, max-age=86400"
    return response


def paper_pdf(paper):
    """The PDF the place chips open and the reading view shows, defined here once: the newest
    shown paper's PDF, else the newest shown slides."""
    pdfs = paper.attachments.shown().pdfs()
    return pdfs.order_by("kind", "-created_at", "-pk").first()  # "paper" sorts before "slides"


def link_places(questions, pdf):
    """Give each post `.place_links`: its places, each with the PDF's page where it starts when the
    session's PDF says (else None: the chip shows what the thread says about it instead)."""
    index = None
    if pdf is not None and pdf.page_index:
        index = pdfindex.PdfIndex(pages=pdf.page_index["pages"], starts=pdf.page_index["starts"])
    for question in questions:
        for post in (question, *question.thread):
            post.place_links = [
                {**place, "page": index.page_for(places.place_of_key(place["key"])) if index else None}
                for place in post.places
            ]


@cached_for_visitors("page", scope=paper_scope)
def read_paper(request, slug):
    """The paper's PDF beside the thread (one after the other on a phone); `?page=N` opens page N."""
    paper = get_object_or_404(Paper, slug=slug)
    page = request.GET.get("page")
    if page is not None:
        if not (page.isascii() and page.isdigit() and 0 < int(page) <= MAX_PAGE):
            # To the page's own address: `?page=abc`, `?page=abd`… make no cache entries of their own.
            return redirect("discussions:read", paper.slug)
        page = int(page)
    questions = list(paper.questions.shown().select_related("author__user").prefetch_related("tags"))
    answers = Answer.objects.shown().filter(question__paper=paper).select_related("author__user")
    threads.arrange(questions, answers, request.user)
    pdf = paper_pdf(paper)
    link_places(questions, pdf)
    ctx = {
        "paper": paper,
        "pdf": pdf,
        "pdf_src": f"{pdf.get_absolute_url()}#page={page}"
        if pdf and page
        else (pdf and pdf.get_absolute_url()),
        "page": page,
        "questions": questions,
        "session": access.session_rights(request.user, paper),
    }
    return render(request, "discussions/read.html", ctx)


def with_figure(body, image, paper, user):
    """The body with the post's figure under it, as a Markdown image of the stored attachment
    (so an exported file carries it as a link). `image` is attachments.Checked or None."""
    if image is None:
        return body
    attachment, _created = writes.attach(paper, image, kind=Attachment.Kind.IMAGE, user=user)
    line = f"![{_('figure')}]({attachment.get_absolute_url()})"
    return body if line in body else f"{body}\n\n{line}"
