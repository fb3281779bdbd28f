from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from discussions.invites import invite
from discussions.models import Answer, Paper, Participant, Question, Reference


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["name", "full_name", "user"]
    list_select_related = ["user"]
    search_fields = ["name", "full_name", "user__username", "user__email"]
    raw_id_fields = ["user"]
    actions = ["send_invites"]

    @admin.action(description=_("Invite: create an account and show a one-time link to set its password"))
    def send_invites(self, request, queryset):
        for participant in queryset:
            link = invite(participant)
            self.message_user(request, f"{participant.name}: {link}", messages.SUCCESS)


class ReferenceInline(admin.TabularInline):
    model = Reference
    extra = 0


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ["title", "session_date", "arxiv_id"]
    search_fields = ["title", "url", "arxiv_id"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["participants"]
    inlines = [ReferenceInline]


@admin.register(Question)
class QuestionAdmin(SimpleHistoryAdmin):
    list_display = ["label", "author", "paper", "position"]
    list_select_related = ["author", "paper"]
    search_fields = ["body", "label", "author__name"]


@admin.register(Answer)
class AnswerAdmin(SimpleHistoryAdmin):
    list_display = ["label", "author", "question", "position"]
    list_select_related = ["author", "question__author"]
    search_fields = ["body", "label", "author__name"]
    raw_id_fields = ["question", "parent"]
