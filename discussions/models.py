import functools
import re
import unicodedata
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Count, F, Max, Q
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from taggit.managers import TaggableManager
from taggit.models import ItemBase, TagBase

from discussions import links, rules
from discussions.links import arxiv_id_of, normalise_url  # noqa: F401 (importer, synthetic archive)
from discussions.places import places_in  # noqa: F401 (migration 0015)
from discussions.rendering import render_body, render_markdown


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def unique_slug(model, text: str, max_length: int = 80, exclude_pk=None) -> str:
    base = slugify(text, allow_unicode=True)[:max_length].strip("-") or "x"
    slug, n = base, 1
    others = model.objects.exclude(pk=exclude_pk)
    while others.filter(slug=slug).exists():
        n += 1
        slug = f"{base[: max_length - len(str(n)) - 1]}-{n}"
    return slug


def reverse_slug(name, slug):
    """reverse(name, args=[slug]), kept: a page lists hundreds of people and links its paper once per
    post, and each reverse() costs more than the rest of the line it is in."""
    return _reversed(name, slug, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


@functools.lru_cache(maxsize=8192)
def _reversed(name, slug, prefix, urlconf):
    # The prefix and the URL configuration are in the key: the same slug has another address there.
    return reverse(name, args=[slug])


class Participant(models.Model):
    # The name they sign with (`정훈`); files and the app both find people by it.
    name = models.CharField(_("name"), max_length=rules.NAME_LENGTH, unique=True)
    full_name = models.CharField(_("full name"), max_length=rules.NAME_LENGTH, blank=True)
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="participant",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name = nfc(self.name)
        self.full_name = nfc(self.full_name)
        if not self.slug:
            self.slug = unique_slug(Participant, self.name, exclude_pk=self.pk)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse_slug("discussions:participant", self.slug)

    @property
    def display_name(self):
        return self.full_name or self.name


class ParticipantAlias(models.Model):
    """Another name someone signed or was listed with, kept when two participants are merged,
    so a re-import of an old file finds the merged participant instead of making the old one again."""

    name = models.CharField(_("name"), max_length=rules.NAME_LENGTH, unique=True)
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        ordering = ["name"]
        verbose_name = _("other name")
        verbose_name_plural = _("other names")

    def __str__(self):
        return self.name


# What "shown" means, defined once. A post is shown until it is removed, and removing a post
# removes everything under it too (discussions.writes.remove): a removed question's answers, a
# removed answer's replies at any depth. So "not under a removed post" is the post's own column,
# and every page, search, feed, export and count asks these three, through a relation's path
# where it counts across one (`shown("questions__")`).


def shown(path=""):
    return Q(**{f"{path}hidden_at__isnull": True})


def still_open(path=""):
    """An open answer: shown, and its body still empty (an empty signed answer in a file)."""
    return shown(path) & Q(**{f"{path}body": ""})


def filled(path=""):
    return shown(path) & ~Q(**{f"{path}body": ""})


def to_come(today):
    """A session still to come (today's included), or a proposal not dated yet."""
    return Q(session_date__gte=today) | Q(session_date__isnull=True, proposed_by__isnull=False)


class PaperQuerySet(models.QuerySet):
    def upcoming(self, today):
        """Sessions still to come, the soonest first; undated proposals last."""
        return self.filter(to_come(today)).order_by(
            F("session_date").asc(nulls_last=True), "created_at", "pk"
        )

    def held(self, today):
        """The archive proper: every paper but the sessions still to come (the home page lists
        those apart, once)."""
        return self.exclude(to_come(today))

    def newest_first(self):
        # Spelled out because Meta.ordering is not applied to GROUP BY queries such as with_counts().
        return self.order_by(
            F("session_date").desc(nulls_last=True),
            F("session_number").desc(nulls_last=True),
            "-created_at",
            "-pk",
        )

    def with_counts(self):
        # One chain of joins (paper → questions → answers), so distinct counts stay exact.
        answers = "questions__answers__"
        return self.annotate(
            question_count=Count("questions", filter=shown("questions__"), distinct=True),
            answer_count=Count("questions__answers", filter=filled(answers), distinct=True),
            open_count=Count("questions__answers", filter=still_open(answers), distinct=True),
        )


class Topic(TagBase):
    """A topic the group comes back to (bias, efficiency, few-shot …): a django-taggit tag."""

    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def slugify(self, tag, i=None):
        # A name of punctuation only (`!!!`) makes no slug, and a page cannot link to "": such a
        # topic is refused where topics are named (rules.topic_problem); one made elsewhere (the
        # shell, an older version) still gets an address.
        slug = super().slugify(tag)[: rules.TOPIC_LENGTH - 10] or "topic"
        return f"{slug}_{i}" if i is not None else slug

    def get_absolute_url(self):
        # A row stored before the rule may have no slug: it is shown, not linked (not a 500).
        return reverse_slug("discussions:topic", self.slug) if self.slug else ""


class Paper(models.Model):
    title = models.CharField(_("title"), max_length=rules.TITLE_LENGTH)
    url = models.URLField(_("paper URL"), max_length=rules.PAPER_URL_LENGTH, blank=True)
    arxiv_id = models.CharField(_("arXiv id"), max_length=40, blank=True, db_index=True)
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)
    description = models.TextField(_("description"), blank=True)
    description_html = models.TextField(blank=True, editable=False)
    participants = models.ManyToManyField(Participant, blank=True, related_name="papers")
    session_date = models.DateField(_("session date"), null=True, blank=True)
    presenter = models.ForeignKey(
        Participant,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="presented_papers",
        verbose_name=_("presenter"),
    )
    # Who proposed the session in the app (None: it came from a file).
    proposed_by = models.ForeignKey(
        Participant,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposed_papers",
        verbose_name=_("proposed by"),
    )
    # Bumped by every change of the session through the app, as a post's version.
    version = models.PositiveIntegerField(default=1, editable=False)
    # The proposal form's one-time token (see Post.client_token).
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # A title or URL set by hand (command line, manifest, admin) wins over the file's, also on re-import.
    title_locked = models.BooleanField(default=False)
    url_locked = models.BooleanField(default=False)
    # Which paper a re-imported file is: arXiv id first, then this normalised URL, then the title.
    url_key = models.CharField(max_length=500, blank=True, db_index=True, editable=False)
    source_file = models.CharField(max_length=rules.SOURCE_FILE_LENGTH, blank=True, editable=False)
    # The session's number in the group's order (`3. Title.md`, the repository README's list).
    session_number = models.PositiveIntegerField(_("session number"), null=True, blank=True)
    # SHA-256 of the file's bytes as last imported: import_repository replays only the versions after it.
    source_digest = models.CharField(max_length=64, blank=True, editable=False)
    # The file this session is, in its repository (`season2/3. Some Paper.md`), followed across
    # renames: import_repository finds the paper of a file by it, never by a URL another file shares.
    source_path = models.CharField(
        max_length=rules.SOURCE_FILE_LENGTH, blank=True, editable=False, db_index=True
    )
    # The session date was taken from the repository's history (import_repository), not given by
    # anyone: the session page says so, and staff setting the date clears it.
    date_from_history = models.BooleanField(_("date from the repository's history"), default=False)
    # Not auto_now_add: an import from a repository dates a paper by the commit that brought it.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(
        excluded_fields=["description_html", "updated_at", "client_token", "source_digest", "source_path"]
    )

    objects = PaperQuerySet.as_manager()

    class Meta:
        verbose_name = _("paper")
        verbose_name_plural = _("papers")
        ordering = [
            F("session_date").desc(nulls_last=True),
            F("session_number").desc(nulls_last=True),
            "-created_at",
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.arxiv_id = arxiv_id_of(self.url) or self.arxiv_id
        self.url_key = normalise_url(self.url)
        if not self.slug:
            self.slug = unique_slug(Paper, self.title, exclude_pk=self.pk)
        self.description_html = render_markdown(self.description)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse_slug("discussions:paper", self.slug)

    def lock(self, given):
        """A title or URL given by hand (a session's forms, the admin, import_discussion's --title
        and --url) is locked: later imports of the paper's file keep it. given: their names."""
        self.title_locked = self.title_locked or "title" in given
        self.url_locked = self.url_locked or "url" in given

    def when(self, today):
        """`upcoming`, `today`, `past`, or `unscheduled` (no date yet), relative to `today`."""
        if self.session_date is None:
            return "unscheduled"
        if self.session_date == today:
            return "today"
        return "upcoming" if self.session_date > today else "past"

    @property
    def href(self):
        """The URL for a link, "" when a page may not link to it (links.ALLOWED_SCHEMES)."""
        return links.safe_href(self.url)


class OldPaperSlug(models.Model):
    """An address a paper had before its title changed (discussions.writes.update_session): links
    to it in mails, chats and bookmarks lead to the paper's address now (views.follows_renames).
    A paper that takes the address later has it: the old one only answers when no paper does."""

    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="old_slugs")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("old address")
        verbose_name_plural = _("old addresses")

    def __str__(self):
        return self.slug


class ReferenceQuerySet(models.QuerySet):
    def listed(self):
        return self.filter(origin=Reference.Origin.LISTED)

    def cited(self):
        return self.filter(origin=Reference.Origin.CITED)


class Reference(models.Model):
    class Kind(models.TextChoices):
        PAPER = "paper", _("paper")
        BLOG = "blog", _("blog post")
        VIDEO = "video", _("video")
        CODE = "code", _("code")
        SUMMARY = "summary", _("summary")
        OTHER = "other", _("other")

    class Origin(models.TextChoices):
        LISTED = "listed", _("background reference")
        CITED = "cited", _("cited in the discussion")

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="references")
    label = models.CharField(_("label"), max_length=rules.REFERENCE_LABEL_LENGTH, blank=True)
    url = models.URLField(_("URL"), max_length=rules.REFERENCE_URL_LENGTH)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OTHER)
    origin = models.CharField(max_length=10, choices=Origin.choices, default=Origin.LISTED)
    position = models.PositiveIntegerField(default=0)

    history = HistoricalRecords()

    objects = ReferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("reference")
        verbose_name_plural = _("references")
        ordering = ["position", "pk"]
        constraints = [
            # A re-import updates a reference in place, found by its URL.
            models.UniqueConstraint(fields=["paper", "origin", "url"], name="reference_once_per_paper"),
        ]

    def __str__(self):
        return self.label or self.url

    @staticmethod
    def infer_kind(url: str) -> str:
        return Reference.Kind(links.infer_kind(url))

    @property
    def href(self):
        """The URL for a link, "" when a page may not link to it (links.ALLOWED_SCHEMES)."""
        return links.safe_href(self.url)

    @property
    def display_label(self):
        """The label, else the URL without its scheme: two videos on one site must not read alike."""
        if self.label:
            return self.label
        try:
            parts = urlsplit(self.url)
        except ValueError:  # an unclosed `[` in the host: show it as it is
            return self.url
        shown = parts.netloc.removeprefix("www.") + parts.path.rstrip("/")
        return f"{shown}?{parts.query}" if parts.query else shown


class Post(models.Model):
    """What questions and answers share: a signed Markdown body in a thread."""

    label = models.CharField(_("label"), max_length=rules.LABEL_LENGTH)
    position = models.PositiveIntegerField(default=0)
    body = models.TextField(_("text"), blank=True)
    body_html = models.TextField(blank=True, editable=False)
    # How a re-import finds this row again: label, signature, occurrence. "" when made in the app.
    import_key = models.CharField(max_length=rules.IMPORT_KEY_LENGTH, blank=True, editable=False)
    # Set once a member wrote or changed the body in the app: a re-import never overwrites it then.
    written_in_app = models.BooleanField(default=False, editable=False)
    # Bumped by every save through the app; a form carries the version it started from, so two
    # people saving at once cannot overwrite each other unseen.
    version = models.PositiveIntegerField(default=1, editable=False)
    # Removing hides a post from the thread; the history keeps every version.
    hidden_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The one-time token of the form that made it: a double click, a retry or Back-and-submit
    # sends the same token again and finds this post instead of making a second one.
    client_token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # Not auto_now_add: a post replayed from a repository's history is dated by its commit.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    # The places in the paper the body names ("Figure 2.1", "6.2의", "Page.4"), read once when the
    # body is saved (discussions.places): [{"key": "figure:2.1", "text": "Figure 2.1"}, …].
    places = models.JSONField(default=list, blank=True, editable=False)

    history = HistoricalRecords(inherit=True, excluded_fields=["updated_at", "client_token", "places"])

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.label} ({self.author})" if self.author_id else self.label

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "body" in update_fields:
            self.body_html, self.places = render_body(self.body)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "body_html", "places", "updated_at"}
        super().save(*args, **kwargs)

    @property
    def signature(self):
        return f"{self.label} ({self.author.name})" if self.author_id else self.label

    @property
    def number(self):
        """`Q4` and `A4-1` → `4`, `4-1`: the part a new answer or reply repeats."""
        return self.label[1:]


class PostQuerySet(models.QuerySet):
    def shown(self):
        return self.filter(shown())

    def next_position(self, **thread):
        return (self.filter(**thread).aggregate(last=Max("position"))["last"] or 0) + 1


class QuestionQuerySet(PostQuerySet):
    def for_topic(self, topic):
        return self.shown().filter(tagged_items__tag=topic)

    def with_answer_counts(self):
        return self.annotate(
            answer_count=Count("answers", filter=filled("answers__"), distinct=True),
            open_count=Count("answers", filter=still_open("answers__"), distinct=True),
        )

    def unanswered(self):
        shown_answers = Answer.objects.shown().filter(question=models.OuterRef("pk"))
        return self.shown().exclude(models.Exists(shown_answers))

    def next_label(self, paper):
        numbers = [
            int(m.group(1))
            for label in self.filter(paper=paper).values_list("label", flat=True)
            if (m := re.match(r"Q(\d+)", label))
        ]
        return f"Q{max(numbers, default=0) + 1}"


class Question(Post):
    # No index of its own: question_thread_order (paper, position) starts with it.
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="questions", db_index=False)
    author = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions"
    )
    tags = TaggableManager(through="TaggedQuestion", blank=True, verbose_name=_("topics"))
    # Set when a member or admin chose the topics: a re-import then keeps them as they are.
    tags_by_hand = models.BooleanField(default=False, editable=False)
    # The topics as text, so the history shows every change of topics next to the text's.
    topic_names = models.CharField(max_length=500, blank=True, editable=False)
    # Gone through in the meeting (the agenda's check mark); kept in the file as `<!-- discussed -->`.
    discussed = models.BooleanField(_("discussed in the meeting"), default=False, editable=False)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position", "pk"]
        indexes = [
            models.Index(fields=["paper", "position"], name="question_thread_order"),  # paper page
            # /open/'s list of papers with something waiting reads every question: from this index
            # alone, not from the table, whose bodies make it a hundred times larger.
            models.Index(fields=["id", "paper", "hidden_at"], name="question_paper_shown"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["paper", "import_key"],
                condition=~Q(import_key=""),
                name="question_import_key_once_per_paper",
            ),
        ]

    @property
    def anchor(self):
        return f"q{self.pk}"

    def get_absolute_url(self):
        return f"{self.paper.get_absolute_url()}#{self.anchor}"


class AnswerQuerySet(PostQuerySet):
    def open(self):
        return self.filter(still_open())

    def filled(self):
        return self.filter(filled())


class Answer(Post):
    # No index of its own: answer_thread_order (question, position) starts with it.
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers", db_index=False)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(
        Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="answers"
    )

    objects = AnswerQuerySet.as_manager()

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["position", "pk"]
        indexes = [
            # The paper page's order; with hidden_at, /open/ tells from this index alone which
            # questions have no answer shown (a partial index of shown answers served that too, but
            # the planner took it for searches of a small archive instead of the bigram index).
            models.Index(fields=["question", "position", "hidden_at"], name="answer_thread_order"),
            models.Index(fields=["author"], condition=Q(body=""), name="open_answer_by_author"),  # /open/
            # /open/'s papers with an open answer, read from this index alone.
            models.Index(fields=["question"], condition=still_open(), name="open_answer_by_question"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["question", "import_key"],
                condition=~Q(import_key=""),
                name="answer_import_key_once_per_question",
            ),
        ]

    @property
    def is_open(self):
        return not self.body

    @property
    def anchor(self):
        return f"a{self.pk}"

    def get_absolute_url(self):
        return f"{self.question.paper.get_absolute_url()}#{self.anchor}"


class TaggedQuestion(ItemBase):
    # No indexes of their own: the constraint and the index below start with one each.
    content_object = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="tagged_items", db_index=False
    )
    tag = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="tagged_questions", db_index=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="topic_once_per_question"),
        ]
        indexes = [models.Index(fields=["tag", "content_object"], name="questions_by_topic")]  # topic page


class ArchiveState(models.Model):
    """On SQLite, the single row whose generation goes up with every write to the archive
    (PostgreSQL uses a sequence instead): see discussions.generation."""

    generation = models.PositiveBigIntegerField(default=0)
    structure = models.PositiveBigIntegerField(default=0)


class ThreadGeneration(models.Model):
    """Moved by every write within one paper's thread (discussions.generation), so its page stays
    cached while others' threads are written to. A row of its own, not a column of the paper: the
    importer locks the paper's row for a whole import, and a member's write must not queue behind
    it before it has even begun."""

    # No database constraint: checking one at commit would make a member's write wait for an
    # import holding the paper's row (the ORM still deletes it with its paper).
    paper = models.OneToOneField(
        Paper, primary_key=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    value = models.PositiveBigIntegerField(default=0)


class QuestionGeneration(models.Model):
    """Moved by every write within one question's thread (discussions.generation): a visitor's block
    of that question (discussions.blocks) is rendered afresh, the paper's other blocks stay cached.
    A row of its own, not a column of the question, for the reason ThreadGeneration is one: and so
    that a save of the whole question row (the admin's, an import's) cannot put an older number back."""

    # No database constraint, as ThreadGeneration's: a member's write must not wait at its commit
    # for an import that holds the question's row.
    question = models.OneToOneField(
        Question, primary_key=True, on_delete=models.CASCADE, related_name="generation", db_constraint=False
    )
    value = models.PositiveBigIntegerField(default=0)


class ListGeneration(models.Model):
    """Moved by every write that changes what one topic's or one participant's page lists
    (discussions.generation): those pages stay cached while others' threads are written to."""

    class Kind(models.TextChoices):
        TOPIC = "topic"
        PARTICIPANT = "participant"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    # No foreign key: one column for two tables, and a write must not wait at its commit for a
    # constraint check against a row an import holds (as ThreadGeneration's).
    object_id = models.PositiveBigIntegerField()
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="list_generation_once")]


class AuthorshipClaim(models.Model):
    """A member saying "this unsigned post is mine", waiting for staff to confirm or decline."""

    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.CASCADE, related_name="claims"
    )
    answer = models.ForeignKey(Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="claims")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="authorship_claims")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    accepted = models.BooleanField(null=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("authorship claim")
        verbose_name_plural = _("authorship claims")
        constraints = [
            models.CheckConstraint(
                condition=Q(question__isnull=True) ^ Q(answer__isnull=True), name="claim_names_one_post"
            ),
        ]

    def __str__(self):
        return f"{self.participant}: {self.post}"

    @property
    def post(self):
        return self.question or self.answer


# Telling members what concerns them (discussions.notify)


class Preference(models.Model):
    """How a member wants to be told: mail at once, a daily or weekly digest, or never."""

    class Email(models.TextChoices):
        IMMEDIATELY = "immediately", _("Immediately, one mail each")
        DAILY = "daily", _("A daily digest")
        WEEKLY = "weekly", _("A weekly digest")
        NEVER = "never", _("Never")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    email = models.CharField(_("email"), max_length=12, choices=Email.choices, default=Email.DAILY)
    remind_days = models.PositiveSmallIntegerField(
        _("remind me of answers I owe this many days before a session (0: never)"), default=3
    )
    # A session already held is no reason to write to someone, unless they asked to be kept at it.
    remind_past = models.BooleanField(
        _("also remind me, once, of answers I still owe for sessions already held"), default=False
    )
    # When the last digest went out: the next is due a day or a week later.
    digest_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("notification setting")
        verbose_name_plural = _("notification settings")

    def __str__(self):
        return f"{self.user}: {self.email}"


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)

    def shown(self):
        """Those about posts still shown: a notification of a removed question or answer leaves
        the list, the header's count and the mails with it (and is back if the post is restored)."""
        return self.filter(shown("question__"), shown("answer__"))


class Notification(models.Model):
    """Something that concerns one member: shown in the app, and mailed as they chose."""

    class Kind(models.TextChoices):
        ANSWER = "answer", _("an answer to your question")
        REPLY = "reply", _("a reply to your answer")
        MENTION = "mention", _("a mention of you")
        REQUEST = "request", _("a request to answer")
        FILLED = "filled", _("your open answer, written on your behalf")
        SESSION = "session", _("a session you take part in")
        REMINDER = "reminder", _("an answer you owe")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    actor = models.ForeignKey(Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    answer = models.ForeignKey(Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # The mail that told of it (an immediate one or a digest); None until one is sent or queued.
    mail = models.ForeignKey(
        "OutboxMail", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    # A reminder is made once per owed answer and session date.
    once_key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The header's unread count, on every page a member sees.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="unread_by_recipient"),
        ]

    def __str__(self):
        return f"{self.recipient}: {self.kind}"

    @property
    def target(self):
        return self.answer or self.question or self.paper


class OutboxMail(models.Model):
    """A mail to send, written in the same transaction as what it tells of; `send_notifications`
    sends what is due, marks it sent, and retries later when the SMTP server refuses or is down.
    `sent_at` set means done with: delivered, or given up on for the reason in `last_error` (a
    mail that cannot be made, a recipient refused for good, nothing left to tell)."""

    class Kind(models.TextChoices):
        IMMEDIATE = "immediate", _("one notification")
        DIGEST = "digest", _("a digest")
        INVITE = "invite", _("an invitation")
        EMAIL = "email", _("a new email address to confirm")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # An account's mail (an invite, a new address to confirm) carries its link, and goes to `address`
    # when that is not the account's email yet.
    link = models.CharField(max_length=500, blank=True)
    address = models.EmailField(blank=True)
    due_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(
                fields=["due_at"], condition=Q(sent_at__isnull=True), name="outbox_due"
            ),  # the sender
        ]

    def __str__(self):
        return f"{self.kind} to {self.recipient}"

    @property
    def to(self):
        return self.address or self.recipient.email

    @property
    def message_id(self):
        # The same for every try: a mail client shows a resent copy as the one mail it is.
        # The site's host without its port: `host:8000` is no domain, and a colon breaks the id.
        host = urlsplit(settings.SITE_URL).hostname or "localhost"
        return f"<outbox-{self.pk}@{f'[{host}]' if ':' in host else host}>"


class PaperVisit(models.Model):
    """When a member last read a paper's thread: what came after is marked new for them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="one_visit_per_paper")]


class AttachmentQuerySet(models.QuerySet):
    def shown(self):
        """What the session's pages list and link: not removed (writes.detach hides a file, its
        history keeps it)."""
        return self.filter(shown())

    def pdfs(self):
        return self.filter(kind__in=[Attachment.Kind.PAPER, Attachment.Kind.SLIDES])


class Attachment(models.Model):
    """A file of a session: the paper's PDF, the presenter's slides, a figure shown in a post.

    The bytes live in Django's storage (discussions.attachments); this row says what they are.
    Written only by the write package (writes.attach, detach, replace, set_page_index), which
    makes the same bytes uploaded twice for one paper and kind one shown attachment."""

    class Kind(models.TextChoices):
        PAPER = "paper", _("the paper (PDF)")
        SLIDES = "slides", _("slides (PDF)")
        IMAGE = "image", _("figure")

    paper = models.ForeignKey(
        Paper, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("paper")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("file"), max_length=255)
    original_name = models.CharField(_("original name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Where each figure, table and section of a PDF starts (discussions.pdfindex), written by the
    # task worker (discussions.tasks) once it has read the file: None until then, and for good
    # when it could not, with `index_error` saying why.
    page_index = models.JSONField(null=True, blank=True, editable=False)
    index_error = models.CharField(max_length=300, blank=True, editable=False)
    # Removing hides a file from the session's pages and stops serving it to visitors; the row,
    # the bytes and the history stay (writes.detach).
    hidden_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = AttachmentQuerySet.as_manager()
    # The index is read from the file, as a post's places from its body: not a version of its own.
    history = HistoricalRecords(excluded_fields=["page_index", "index_error"])

    class Meta:
        ordering = ["paper", "kind", "-created_at", "-pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        constraints = [
            # writes.attach(): the same file uploaded again is the shown attachment already there;
            # after its removal, a new one (the newest, so the one the place chips open).
            models.UniqueConstraint(
                fields=["paper", "kind", "sha256"],
                condition=Q(hidden_at__isnull=True),
                name="attachment_once_per_kind",
            ),
        ]

    def __str__(self):
        return f"{self.paper}: {self.original_name}"

    def get_absolute_url(self):
        return reverse("discussions:attachment", args=[self.pk])

    @property
    def is_pdf(self):
        return self.kind in (self.Kind.PAPER, self.Kind.SLIDES)

    @property
    def index_pending(self):
        """A PDF whose pages the worker has not read yet."""
        return self.is_pdf and self.page_index is None and not self.index_error


class SourceFile(models.Model):
    """A file of the group's repository as the archive last read or wrote it: its text to the
    byte, where it lives in its season folder, and each post's lines in it (discussions.roundtrip).

    export_repository writes a session nobody changed in the app back from `text` as it is, and a
    changed one with only its changed posts rewritten. Written only by writes.keep_source (an
    import) and writes.exported (an export). A README is a source file with no paper."""

    paper = models.OneToOneField(
        Paper, null=True, blank=True, on_delete=models.CASCADE, related_name="source", editable=False
    )
    # The season folder's path in its repository (`season2`); "" for a file imported on its own.
    season = models.CharField(max_length=rules.SOURCE_FILE_LENGTH, blank=True)
    # The file's path inside the season folder (`3. Some Paper.md`, `README.md`).
    path = models.CharField(max_length=rules.SOURCE_FILE_LENGTH)
    # The bytes, decoded as UTF-8 and nothing else: no NFC, no line endings changed, the BOM kept.
    text = models.TextField()
    # discussions.roundtrip.Span as JSON, one per post in file order.
    spans = models.JSONField(default=list, blank=True)
    # When this version of the file was written: its commit's date, or the import's or export's.
    dated = models.DateTimeField(default=timezone.now)
    stored_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("source file")
        verbose_name_plural = _("source files")
        constraints = [
            # A season's README (export_repository finds it by its path).
            models.UniqueConstraint(
                fields=["season", "path"], condition=Q(paper__isnull=True), name="season_file_once"
            ),
        ]

    def __str__(self):
        return f"{self.season}/{self.path}" if self.season else self.path
