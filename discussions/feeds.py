"""Atom feeds of new questions and answers: the whole archive, one topic, one paper."""

from heapq import merge
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from discussions import rules
from discussions.models import Answer, Paper, Question, Topic

FEED_SIZE = 30


def _xml_text(value):
    if isinstance(value, str):
        return rules.without_controls(value)
    if isinstance(value, list | tuple):
        return type(value)(_xml_text(item) for item in value)
    return value


class XmlSafeAtom1Feed(Atom1Feed):
    """Atom without the characters XML 1.0 cannot hold. Django refuses to write a feed with a form
    feed in it (UnserializableContentError, a 500); text stored before the reader and the forms
    dropped them must not break the feed, so they are left out here too: they show as nothing."""

    def __init__(self, *args, **kwargs):
        super().__init__(*_xml_text(args), **{key: _xml_text(value) for key, value in kwargs.items()})

    def add_item(self, *args, **kwargs):
        super().add_item(*_xml_text(args), **{key: _xml_text(value) for key, value in kwargs.items()})


class LatestPostsFeed(Feed):
    feed_type = XmlSafeAtom1Feed

    def title(self, obj=None):
        return _("Study group archive: new questions and answers")

    def link(self, obj=None):
        return reverse("discussions:home")

    def questions(self, obj):
        return Question.objects.shown()

    def answers(self, obj):
        return Answer.objects.filled()

    def items(self, obj=None):
        questions = self.questions(obj).select_related("paper", "author").order_by("-created_at")
        answers = self.answers(obj).select_related("question__paper", "author").order_by("-created_at")
        newest = merge(
            questions[:FEED_SIZE], answers[:FEED_SIZE], key=lambda post: post.created_at, reverse=True
        )
        return list(newest)[:FEED_SIZE]

    def item_title(self, item):
        paper = item.paper if isinstance(item, Question) else item.question.paper
        return f"{item.signature} · {paper.title}"

    def item_description(self, item):
        return item.body_html

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        # An Atom id is an IRI that never changes: a tag URI (RFC 4151) of the site and the post.
        host = urlsplit(settings.SITE_URL).hostname or "localhost"
        return f"tag:{host},{item.created_at:%Y-%m-%d}:{type(item).__name__.lower()}/{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.created_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.author.name if item.author else None


class TopicFeed(LatestPostsFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Topic, slug=slug)

    def title(self, obj=None):
        return _("Study group archive: %(topic)s") % {"topic": obj.name}

    def link(self, obj=None):
        return obj.get_absolute_url()

    def questions(self, obj):
        return Question.objects.for_topic(obj)

    def answers(self, obj):
        return super().answers(obj).filter(question__tagged_items__tag=obj)


class PaperFeed(LatestPostsFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Paper, slug=slug)

    def title(self, obj=None):
        return _("Study group archive: %(title)s") % {"title": obj.title}

    def link(self, obj=None):
        return obj.get_absolute_url()

    def questions(self, obj):
        return Question.objects.shown().filter(paper=obj)

    def answers(self, obj):
        return super().answers(obj).filter(question__paper=obj)
