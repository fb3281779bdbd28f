"""The admin: where the study group's admin curates papers, participants and topics.

Every changelist reads its counts with subqueries and its related rows with select_related or
prefetch_related, so a page costs the same number of queries however big the archive grows
(tests/test_admin.py pins them). Values the discussion file format cannot hold are refused in
the forms, so every paper can always be downloaded as a file.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from taggit.models import Tag

from discussions import limits, reader, uploads, writer, writes
from discussions.archive import papers_zip
from discussions.forms import clean_body_text, validate_link, validate_title, validate_topic
from discussions.importer import import_discussions
from discussions.invites import InviteError, invite
from discussions.models import (
    Answer,
    Attachment,
    Paper,
    Participant,
    ParticipantAlias,
    Question,
    Reference,
    TaggedQuestion,
    Topic,
    filled,
    shown,
    still_open,
)
from discussions.writes import archive_write
from discussions.writes.imports import _has_app_writing as has_app_writing
from discussions.writes.people import MergeError, merge_participants
from studygroup.middleware import allow_body

# Our topics are a custom tag model; taggit's own Tag table stays empty, so it has no page.
admin.site.unregister(Tag)


def count_of(model, link, *conditions, **filters):
    """How many `model` rows point at the listed row, as a subquery.

    A subquery per count, not joins: joining questions and answers and papers at once would
    multiply rows, and each count would need DISTINCT over the product.
    """
    rows = (
        model.objects.filter(*conditions, **{link: OuterRef("pk")}, **filters)
        .order_by()
        .values(link)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows), 0)


def check_writable(**discussion):
    """The writer is the judge: a value it cannot write back is refused now, not at download."""
    try:
        writer.write(reader.Discussion(**discussion))
    except ValueError as error:
        raise forms.ValidationError(
            _("The discussion file format cannot hold this: %(error)s"), params={"error": error}
        ) from error


def admin_link(obj, text=None):
    url = reverse(f"admin:discussions_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text or obj)


class ShortSearchMixin:
    """A changelist search of a pasted page is cut to its first words: SQLite refuses a LIKE pattern
    of 50,000 characters (a 500), and no name or text is searched for by more than a few words."""

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, search_term[:200])


class ArchiveAdminMixin:
    """Every save and delete in the admin goes through discussions.writes, with the user passed.

    A post's form carries the version it was loaded at (VersionedForm); the write checks it on the
    locked row and refuses with writes.Conflict. The admin's transaction then rolls back whatever
    the save had done, and the same form is shown again with the conflict as its error and what the
    admin typed kept (changeform_view)."""

    def save_model(self, request, obj, form, change):
        try:
            writes.admin_save(
                obj,
                user=request.user,
                created=not change,
                changed_fields=form.changed_data,
                expected_version=form.cleaned_data.get("expected_version"),
            )
        except writes.Conflict as conflict:
            raise _FormConflict(form.prefix, conflict) from conflict

    def delete_model(self, request, obj):
        writes.admin_delete(obj, user=request.user)

    def delete_queryset(self, request, queryset):
        with archive_write():
            for obj in queryset:
                writes.admin_delete(obj, user=request.user)

    def save_formset(self, request, form, formset, change):
        # An inline's rows are saved one by one through the same write as the model's own admin.
        with archive_write():
            formset.save(commit=False)
            for obj in formset.deleted_objects:
                writes.admin_delete(obj, user=request.user)
            for obj in formset.new_objects:
                writes.admin_save(obj, user=request.user, created=True, changed_fields=[])
            forms_of = {row_form.instance.pk: row_form for row_form in formset.forms if row_form.instance.pk}
            for obj, changed_fields in formset.changed_objects:
                row_form = forms_of[obj.pk]
                try:
                    writes.admin_save(
                        obj,
                        user=request.user,
                        created=False,
                        changed_fields=changed_fields,
                        expected_version=row_form.cleaned_data.get("expected_version"),
                    )
                except writes.Conflict as conflict:
                    raise _FormConflict(row_form.prefix, conflict) from conflict
            formset.save_m2m()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._refusal_shown(super().changeform_view, request, object_id, form_url, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # simple-history's page of one version saves it back through save_model too.
        return self._refusal_shown(super().history_form_view, request, object_id, version_id, extra_context)

    def _refusal_shown(self, view, request, *args):
        try:
            return view(request, *args)
        except _FormConflict as refused:
            # Nothing was saved: the admin's transaction rolled back. The same POST again, with the
            # form that was refused marked, shows the conflict as that form's error.
            request.POST = refused.marked(request.POST)
        try:
            return view(request, *args)
        except _FormConflict as again:  # a row without a version form, deleted meanwhile
            self.message_user(request, str(again.conflict), messages.ERROR)
            return redirect(request.path)


class _FormConflict(Exception):
    """A write refused one form of an admin page (prefix: the form's, None for the main form)."""

    def __init__(self, prefix, conflict):
        super().__init__(str(conflict))
        self.prefix, self.conflict = prefix, conflict

    def marked(self, data):
        def name(field):
            return f"{self.prefix}-{field}" if self.prefix else field

        data = data.copy()
        data[name(CONFLICT_FIELD)] = "1"
        if self.conflict.current is not None:
            # Saving the form again now is a deliberate overwrite of the text it shows.
            data[name("expected_version")] = self.conflict.current.version
        return data


# Set in a refused form's data only when the write refused it (_FormConflict.marked).
CONFLICT_FIELD = "refused_by_write"


class HistoryAdmin(ShortSearchMixin, ArchiveAdminMixin, SimpleHistoryAdmin):
    # Names each version without building an object from it (see the template's comment).
    object_history_list_template = "admin/discussions/object_history_list.html"


class VersionedForm(forms.ModelForm):
    """A post's admin form carries the version it was loaded at, which the write checks
    (writes.admin_save): a save over someone else's newer text (a member's edit, another admin's
    save) is refused with both texts kept."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if "body" in cleaned:
            try:
                cleaned["body"] = clean_body_text(cleaned["body"]) if cleaned["body"].strip() else ""
            except forms.ValidationError as error:
                self.add_error("body", error)
        if self.data.get(self.add_prefix(CONFLICT_FIELD)):
            # The write refused this form's save (ArchiveAdminMixin): the row as it is now.
            current = type(self.instance).objects.filter(pk=self.instance.pk).first()
            if current is None:
                raise forms.ValidationError(_("This was deleted meanwhile."))
            raise forms.ValidationError(
                _(
                    "%(post)s was changed by someone else while you edited it; nothing was "
                    "saved. Its text is now: “%(body)s”. Your changes are still in the form: "
                    "save again to put them over it."
                ),
                params={"post": current, "body": Truncator(current.body).chars(300)},
            )
        return cleaned


class PostAdminMixin:
    """Posts are never deleted in the admin: removing one hides it from the thread, with
    everything under it, and its history keeps every version (discussions.writes.remove)."""

    actions = ["remove_from_thread"]

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Remove from the thread (the history keeps every version)"))
    def remove_from_thread(self, request, queryset):
        removed = 0
        for post in queryset.filter(shown()):
            try:
                writes.remove(post, expected_version=post.version, user=request.user)
                removed += 1
            except writes.Conflict as conflict:
                self.message_user(request, f"{post}: {conflict}", messages.WARNING)
        self.message_user(request, _("%(count)s removed from the thread.") % {"count": removed})


class RemovedFilter(admin.SimpleListFilter):
    title = _("removed")
    parameter_name = "removed"

    def lookups(self, request, model_admin):
        return [("yes", _("Removed from the thread")), ("no", _("Shown"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(shown())
        if self.value() == "no":
            return queryset.filter(shown())
        return queryset


# Participants


class ParticipantForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False  # Participant.save() makes one from the name

    def clean(self):
        cleaned = super().clean()
        name, full_name = cleaned.get("name"), cleaned.get("full_name")
        if name:
            # A name signs posts (`Q1 (정훈).`) and is listed among the participants.
            check_writable(participants=[name], questions=[reader.Question("Q1", name, "")])
        if full_name:
            check_writable(participants=[full_name])
        return cleaned


class MergeForm(forms.Form):
    target = forms.ModelChoiceField(
        queryset=Participant.objects.none(),
        label=_("Merge into"),
        help_text=_(
            "Keep the name people sign with. The names merged away become other names of this "
            "participant, so files signed with them still find this participant."
        ),
    )

    def __init__(self, *args, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = Participant.objects.exclude(pk__in=[p.pk for p in sources])


class ParticipantAliasInline(admin.TabularInline):
    model = ParticipantAlias
    extra = 0


@admin.register(Participant)
class ParticipantAdmin(HistoryAdmin):
    form = ParticipantForm
    list_display = [
        "name",
        "full_name",
        "user",
        "question_count",
        "answer_count",
        "open_count",
        "paper_count",
    ]
    list_select_related = ["user"]
    list_filter = [("user", admin.EmptyFieldListFilter)]
    search_fields = ["name", "full_name", "user__username", "user__email"]
    fields = ["name", "full_name", "slug", "user"]
    raw_id_fields = ["user"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["send_invites", "merge_into"]
    inlines = [ParticipantAliasInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                question_count=count_of(Question, "author", shown()),
                answer_count=count_of(Answer, "author", filled()),
                open_count=count_of(Answer, "author", still_open()),
                paper_count=count_of(Paper.participants.through, "participant"),
            )
        )

    def has_delete_permission(self, request, obj=None):
        # Deleting someone who wrote would leave their posts unsigned: merge them instead.
        if obj is not None and (obj.questions.exists() or obj.answers.exists()):
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("questions"), ordering="question_count")
    def question_count(self, participant):
        return participant.question_count

    @admin.display(description=_("answers"), ordering="answer_count")
    def answer_count(self, participant):
        return participant.answer_count

    @admin.display(description=_("open answers"), ordering="open_count")
    def open_count(self, participant):
        return participant.open_count

    @admin.display(description=_("papers"), ordering="paper_count")
    def paper_count(self, participant):
        return participant.paper_count

    @admin.action(
        description=_("Invite: create an account and mail (or show) a one-time link to set its password")
    )
    def send_invites(self, request, queryset):
        """First post: a page with each one's email. Second post (with `invite`): invite them all,
        or nobody when an email is refused (the page shows why, with what was typed)."""
        people = list(queryset.select_related("user"))
        emails = {
            p.pk: request.POST.get(f"email-{p.pk}", p.user.email if p.user else "").strip() for p in people
        }
        errors = {}
        if "invite" in request.POST:
            invited = []
            with transaction.atomic():
                for participant in people:
                    try:
                        invited.append((participant, *invite(participant, email=emails[participant.pk])))
                    except InviteError as error:
                        errors[participant.pk] = str(error)
                if errors:  # nobody is invited: the page shows why, and what was typed
                    transaction.set_rollback(True)
                    invited = []
            for participant, user, link in invited:
                if user.email:
                    text = _(
                        "%(name)s: the link is mailed to %(email)s at the next sending (it works once, for "
                        "%(days)s days); they log in as %(username)s."
                    )
                else:
                    text = _("%(name)s logs in as %(username)s and can set a password once at: %(link)s")
                days = settings.PASSWORD_RESET_TIMEOUT // 86400
                values = {"name": participant.name, "username": user.username, "link": link, "days": days}
                self.message_user(request, text % {**values, "email": user.email}, messages.SUCCESS)
            if invited:
                return None
        rows = [(p, emails[p.pk], errors.get(p.pk, "")) for p in people]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Invite participants"),
            "opts": self.model._meta,
            "rows": rows,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/discussions/participant/invite.html", context)

    @admin.action(description=_("Merge into…"), permissions=["change", "delete"])
    def merge_into(self, request, queryset):
        """First post: a page to choose whom to merge into. Second post (with `merge`): merge."""
        sources = list(queryset)
        form = MergeForm(request.POST if "merge" in request.POST else None, sources=sources)
        if form.is_valid():
            target = form.cleaned_data["target"]
            try:
                # All or nothing: one refused merge leaves every selected participant as it was.
                with archive_write():
                    reports = [merge_participants(source, target, user=request.user) for source in sources]
            except MergeError as error:
                self.message_user(request, str(error), messages.ERROR)
                return None
            for report in reports:
                self.message_user(request, report.summary(), messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Merge participants"),
            "opts": self.model._meta,
            "sources": sources,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/discussions/participant/merge.html", context)


# Papers


class ReferenceForm(forms.ModelForm):
    def clean_url(self):
        validate_link(self.cleaned_data["url"])  # the links allowlist, stricter than URLField's
        return self.cleaned_data["url"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("url") and cleaned.get("origin") == Reference.Origin.LISTED:
            kind = "summary" if cleaned.get("kind") == Reference.Kind.SUMMARY else ""
            reference = reader.Reference(url=cleaned["url"], label=cleaned.get("label", ""), kind=kind)
            check_writable(references=[reference])
        return cleaned


class ReferenceInline(admin.TabularInline):
    model = Reference
    form = ReferenceForm
    fields = ["label", "url", "kind", "origin", "position"]
    extra = 0
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class PaperForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False  # Paper.save() makes one from the title

    def clean_title(self):
        validate_title(self.cleaned_data["title"])  # one line, as the members' forms ask
        return self.cleaned_data["title"]

    def clean_url(self):
        validate_link(self.cleaned_data["url"])  # the links allowlist, stricter than URLField's
        return self.cleaned_data["url"]

    def clean(self):
        cleaned = super().clean()
        check_writable(title=cleaned.get("title", ""), url=cleaned.get("url", ""))
        return cleaned


@admin.register(Paper)
class PaperAdmin(HistoryAdmin):
    form = PaperForm
    list_display = [
        "title",
        "session_date",
        "presenter",
        "question_count",
        "answer_count",
        "open_count",
        "download",
    ]
    list_select_related = ["presenter"]
    list_filter = ["session_date", "title_locked", "url_locked"]
    search_fields = ["title", "url", "arxiv_id", "description"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["participants"]
    readonly_fields = ["source_file", "question_list", "download"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "url",
                    "arxiv_id",
                    "slug",
                    ("session_date", "date_from_history"),
                    "presenter",
                    "participants",
                ]
            },
        ),
        (None, {"fields": ["description"]}),
        (
            _("Discussion file"),
            {
                "fields": ["title_locked", "url_locked", "source_file", "download"],
                "description": _(
                    "A title or URL edited here is locked: importing the paper's file again keeps it."
                ),
            },
        ),
        (_("Questions"), {"fields": ["question_list"]}),
    ]
    inlines = [ReferenceInline]
    actions = ["export_zip"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        return super().get_queryset(request).with_counts()

    def get_urls(self):
        own = [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="discussions_paper_upload"),
            path("export/", self.admin_site.admin_view(self.export_view), name="discussions_paper_export"),
        ]
        # Before the model's own URLs, whose `<object_id>/` would take `upload/` for an id.
        return own + super().get_urls()

    def has_delete_permission(self, request, obj=None):
        # Deleting a paper deletes its thread: never one that members wrote in.
        if obj is not None and _has_app_writing(obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        kept = [paper for paper in queryset if _has_app_writing(paper)]
        for paper in kept:
            message = _("%(paper)s was not deleted: members wrote in it.") % {"paper": paper}
            self.message_user(request, message, messages.ERROR)
        super().delete_queryset(request, queryset.exclude(pk__in=[paper.pk for paper in kept]))

    @admin.display(description=_("questions"), ordering="question_count")
    def question_count(self, paper):
        return paper.question_count

    @admin.display(description=_("answers"), ordering="answer_count")
    def answer_count(self, paper):
        return paper.answer_count

    @admin.display(description=_("open answers"), ordering="open_count")
    def open_count(self, paper):
        return paper.open_count

    @admin.display(description=_("discussion file"))
    def download(self, paper):
        if not paper.pk:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("discussions:paper_download", args=[paper.slug]), _("download")
        )

    @admin.display(description=_("questions"))
    def question_list(self, paper):
        if not paper.pk:
            return "—"
        questions = paper.questions.select_related("author")
        items = format_html_join(
            "",
            "<li>{} {}{}</li>",
            (
                (
                    admin_link(question, question.signature),
                    Truncator(question.body).chars(100),
                    _(" (removed)") if question.hidden_at else "",
                )
                for question in questions
            ),
        )
        return format_html("<ol>{}</ol>", items) if items else "—"

    @admin.action(description=_("Download the selected papers as a zip of discussion files"))
    def export_zip(self, request, queryset):
        return self.zip_response(request, queryset.order_by("slug"), "papers")

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return self.zip_response(request, Paper.objects.order_by("slug"), "studygroup")

    def zip_response(self, request, papers, name):
        problems = []
        data = papers_zip(papers, problems)
        for problem in problems:  # shown on the next admin page; the zip's NOT-EXPORTED.txt says it too
            self.message_user(
                request, _("Left out of the zip: %(error)s") % {"error": problem}, messages.WARNING
            )
        response = HttpResponse(data, content_type="application/zip")
        filename = f"{name}-{timezone.localtime():%Y%m%d-%H%M%S}.zip"
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response

    @allow_body(limits.UPLOAD_BODY_BYTES)
    def upload_view(self, request):
        """Upload → a dry-run preview of every file → confirm → import, all files or none.

        Between the preview and the confirmation the files wait in the session, on the server:
        the confirmation posts only a one-time token, so what is imported is what was previewed.
        """
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        if request.method == "POST" and "confirm" in request.POST:
            return self.confirm_upload(request)

        form = uploads.UploadForm(request.POST or None, request.FILES or None)
        context = {"form": form, "refused": [], "reports": [], "token": ""}
        if request.method == "POST" and form.is_valid():
            files = [(upload.name, upload.read()) for upload in form.cleaned_data["files"]]
            readings, refused = uploads.read_uploads(files)
            context["refused"] = refused
            if not refused:
                context["reports"] = import_discussions(readings, dry_run=True)
                context["token"] = uploads.keep_for_confirmation(request.session, files)
        return self.render_upload(request, context)

    def confirm_upload(self, request):
        files = uploads.confirmed(request.session, request.POST.get("token", ""))
        if files is None:
            self.message_user(
                request, _("This preview is out of date: upload the files again."), messages.ERROR
            )
            return redirect("admin:discussions_paper_upload")
        readings, refused = uploads.read_uploads(files)
        if refused:  # the same bytes read the same way; only a changed reader could get here
            return self.render_upload(
                request, {"form": uploads.UploadForm(), "refused": refused, "reports": []}
            )
        reports = import_discussions(readings)
        uploads.forget(request.session)
        for report in reports:
            self.message_user(request, _("Imported: %(summary)s") % {"summary": report.summary()})
            for line in report.warning_lines():
                self.message_user(request, _("Warning: %(line)s") % {"line": line}, messages.WARNING)
        return redirect("admin:discussions_paper_changelist")

    def render_upload(self, request, context):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Upload discussion files"),
            "opts": self.model._meta,
            **context,
        }
        return TemplateResponse(request, "admin/discussions/paper/upload.html", context)


# Questions and answers


def _has_app_writing(paper):
    """Whether members wrote in the paper's thread, by the rule a re-import keeps posts by."""
    # The questions first: when members asked one, the answers need not be read (one query).
    questions = paper.questions.only("pk", "paper", "import_key", "written_in_app")
    if has_app_writing(questions, [])[0]:
        return True
    answers = Answer.objects.filter(question__paper=paper).only(
        "pk", "question_id", "parent_id", "import_key", "written_in_app"
    )
    return bool(has_app_writing([], answers)[1])


class AnswerInlineForm(VersionedForm):
    pass


class AnswerInline(admin.TabularInline):
    model = Answer
    form = AnswerInlineForm
    fields = ["label", "author", "body", "position", "reply_to", "removed", "expected_version"]
    readonly_fields = ["reply_to", "removed"]
    extra = 0
    can_delete = False
    show_change_link = True
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 70})}}

    def get_queryset(self, request):
        # The row's title (`A1 (정훈)`) and its reply_to column name authors.
        return super().get_queryset(request).select_related("author", "parent__author")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "author":
            # Read the participants once for the formset: a queryset is copied into every row's
            # form and read again there, which grows the page's queries with the answers.
            # (iter(): list() would ask the iterator its length first, a COUNT query.)
            field.choices = list(iter(field.choices))
        return field

    @admin.display(description=_("reply to"))
    def reply_to(self, answer):
        return answer.parent.signature if answer.parent_id else ""

    @admin.display(description=_("removed"), boolean=True)
    def removed(self, answer):
        return answer.hidden_at is not None


class QuestionForm(VersionedForm):
    def clean(self):
        cleaned = super().clean()
        for tag in cleaned.get("tags") or []:
            try:
                validate_topic(tag)
            except forms.ValidationError as error:
                self.add_error("tags", error)
        if cleaned.get("label") and "tags" not in self.errors:
            author = cleaned.get("author")
            tags = list(cleaned.get("tags") or [])
            question = reader.Question(cleaned["label"], author.name if author else None, "", tags=tags)
            check_writable(questions=[question])
        return cleaned


@admin.register(Question)
class QuestionAdmin(PostAdminMixin, HistoryAdmin):
    form = QuestionForm
    list_display = [
        "label",
        "author",
        "paper",
        "excerpt",
        "topics",
        "answer_count",
        "open_count",
        "removed",
    ]
    list_select_related = ["author", "paper"]
    list_filter = [RemovedFilter, "written_in_app", "tags", "paper"]
    search_fields = ["body", "label", "author__name", "author__full_name", "paper__title"]
    fields = ["paper", "label", "author", "body", "position", "tags", "expected_version"]
    inlines = [AnswerInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("tags")
            .annotate(
                answer_count=count_of(Answer, "question", filled()),
                open_count=count_of(Answer, "question", still_open()),
            )
        )

    def save_related(self, request, form, formsets, change):
        # The topics go through writes.set_topics below, not through the form's own save.
        tags = form.cleaned_data.pop("tags", None)
        super().save_related(request, form, formsets, change)
        if "tags" in form.changed_data:
            # Chosen by hand: imports keep these topics from now on, and the history shows them.
            writes.set_topics(form.instance, tags or [], user=request.user, by_hand=True)

    @admin.display(description=_("text"))
    def excerpt(self, question):
        return Truncator(question.body).chars(60)

    @admin.display(description=_("topics"))
    def topics(self, question):
        # Over the prefetched tags (taggit: never `tags` itself in list_display).
        return ", ".join(tag.name for tag in question.tags.all())

    @admin.display(description=_("answers"), ordering="answer_count")
    def answer_count(self, question):
        return question.answer_count

    @admin.display(description=_("open answers"), ordering="open_count")
    def open_count(self, question):
        return question.open_count

    @admin.display(description=_("removed"), boolean=True, ordering="hidden_at")
    def removed(self, question):
        return question.hidden_at is not None


class OpenFilter(admin.SimpleListFilter):
    title = _("open")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("Open: waiting for its author")), ("no", _("Written"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(body="")
        if self.value() == "no":
            return queryset.exclude(body="")
        return queryset


class AnswerForm(VersionedForm):
    def clean(self):
        cleaned = super().clean()
        parent, question = cleaned.get("parent"), cleaned.get("question")
        if parent and question and parent.question_id != question.pk:
            raise forms.ValidationError(
                _("A reply must be in the same question as the answer it replies to.")
            )
        if cleaned.get("label"):
            author = cleaned.get("author")
            answer = reader.Answer(cleaned["label"], author.name if author else None, "")
            check_writable(questions=[reader.Question("Q1", None, "", answers=[answer])])
        return cleaned


@admin.register(Answer)
class AnswerAdmin(PostAdminMixin, HistoryAdmin):
    form = AnswerForm
    list_display = ["label", "author", "question", "paper", "excerpt", "is_open", "removed"]
    list_select_related = ["author", "question__author", "question__paper"]
    list_filter = [OpenFilter, RemovedFilter, "written_in_app", "question__paper"]
    search_fields = ["body", "label", "author__name", "author__full_name"]
    fields = ["question", "parent", "label", "author", "body", "position", "expected_version"]
    raw_id_fields = ["question", "parent"]

    @admin.display(description=_("paper"), ordering="question__paper__title")
    def paper(self, answer):
        return answer.question.paper

    @admin.display(description=_("text"))
    def excerpt(self, answer):
        return Truncator(answer.body).chars(60)

    @admin.display(description=_("open"), boolean=True)
    def is_open(self, answer):
        return answer.is_open

    @admin.display(description=_("removed"), boolean=True, ordering="hidden_at")
    def removed(self, answer):
        return answer.hidden_at is not None


# Topics


class TopicForm(forms.ModelForm):
    def clean_name(self):
        name = self.cleaned_data["name"]
        validate_topic(name)
        check_writable(questions=[reader.Question("Q1", None, "", tags=[name])])
        return name


@admin.register(Topic)
class TopicAdmin(ShortSearchMixin, ArchiveAdminMixin, admin.ModelAdmin):
    form = TopicForm
    fields = ["name", "slug", "description"]
    list_display = ["name", "slug", "description", "question_count"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        count = count_of(TaggedQuestion, "tag", shown("content_object__"))
        return super().get_queryset(request).annotate(question_count=count)

    @admin.display(description=_("questions"), ordering="question_count")
    def question_count(self, topic):
        return topic.question_count


@admin.register(Attachment)
class AttachmentAdmin(SimpleHistoryAdmin):
    """A listing, and each attachment's history: files are added on the session's own page
    (`/papers/<slug>/files/`, through writes.attach, which checks them), never here."""

    list_display = ["original_name", "paper", "kind", "size", "content_type", "uploaded_by", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["paper", "uploaded_by"]
    search_fields = ["original_name", "sha256", "paper__title"]
    readonly_fields = [field.name for field in Attachment._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
