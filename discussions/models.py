import re
import threading
import unicodedata
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Count, F, Max, Q
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from taggit.managers import TaggableManager
from taggit.models import ItemBase, TagBase

from discussions import links, rules
from discussions.links import arxiv_id_of, normalise_url  # noqa: F401 (importer, synthetic archive)
from discussions.rendering import render_markdown


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
        return reverse("discussions:participant", args=[self.slug])

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


class PaperQuerySet(models.QuerySet):
    def newest_first(self):
        # Spelled out because Meta.ordering is not applied to GROUP BY queries such as with_counts().
        return self.order_by(F("session_date").desc(nulls_last=True), "-created_at", "-pk")

    def with_counts(self):
        # One chain of joins (paper → questions → answers), so distinct counts stay exact.
        shown = Q(questions__hidden_at__isnull=True)
        shown_answer = shown & Q(questions__answers__hidden_at__isnull=True)
        return self.annotate(
            question_count=Count("questions", filter=shown, distinct=True),
            answer_count=Count(
                "questions__answers", filter=shown_answer & ~Q(questions__answers__body=""), distinct=True
            ),
            open_count=Count(
                "questions__answers", filter=shown_answer & Q(questions__answers__body=""), distinct=True
            ),
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
        return reverse("discussions:topic", args=[self.slug]) if self.slug else ""


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
    # A title or URL set by hand (command line, manifest, admin) wins over the file's, also on re-import.
    title_locked = models.BooleanField(default=False)
    url_locked = models.BooleanField(default=False)
    # Which paper a re-imported file is: arXiv id first, then this normalised URL, then the title.
    url_key = models.CharField(max_length=500, blank=True, db_index=True, editable=False)
    source_file = models.CharField(max_length=rules.SOURCE_FILE_LENGTH, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["description_html", "updated_at"])

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = [F("session_date").desc(nulls_last=True), "-created_at"]

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
        return reverse("discussions:paper", args=[self.slug])

    @property
    def href(self):
        """The URL for a link, "" when a page may not link to it (links.ALLOWED_SCHEMES)."""
        return links.safe_href(self.url)


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

    objects = ReferenceQuerySet.as_manager()

    class Meta:
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
    # Deleting hides a post from the thread; the history keeps every version.
    hidden_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(inherit=True, excluded_fields=["updated_at"])

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.label} ({self.author})" if self.author_id else self.label

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "body" in update_fields:
            self.body_html = render_markdown(self.body)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "body_html", "updated_at"}
        super().save(*args, **kwargs)

    @property
    def signature(self):
        return f"{self.label} ({self.author.name})" if self.author_id else self.label

    @property
    def number(self):
        """`Q4` and `A4-1` → `4`, `4-1`: the part a new answer or reply repeats."""
        return self.label[1:]

    def save_text(self, body, *, expected_version, only_if_open=False) -> bool:
        """Save a member's text unless someone saved first; False means the caller lost the race.

        One conditional UPDATE both checks and writes: on PostgreSQL a second writer waits for
        the first to commit, then finds the version (or the empty body) changed and updates
        nothing. Markdown is rendered before the transaction, so locks are held briefly.
        """
        html, now = render_markdown(body), timezone.now()
        model = type(self)
        with archive_write():
            rows = model.objects.filter(pk=self.pk, version=expected_version)
            if only_if_open:
                rows = rows.filter(body="")
            changed = rows.update(
                body=body, body_html=html, version=F("version") + 1, written_in_app=True, updated_at=now
            )
            if not changed:
                return False
            self.body, self.body_html, self.updated_at = body, html, now
            self.version, self.written_in_app = expected_version + 1, True
            # An UPDATE sends no signal; post_save is what makes the history record this version.
            post_save.send(
                sender=model, instance=self, created=False, update_fields=None, raw=False, using=rows.db
            )
        return True

    def hide(self):
        with archive_write():
            self.hidden_at = timezone.now()
            self.version += 1
            self.save()

    def is_editable_by(self, user):
        return user.is_staff or (
            self.author_id is not None and user.is_authenticated and self.author.user_id == user.pk
        )


class PostQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(hidden_at__isnull=True)

    def next_position(self, **thread):
        return (self.filter(**thread).aggregate(last=Max("position"))["last"] or 0) + 1


class QuestionQuerySet(PostQuerySet):
    def for_topic(self, topic):
        return self.visible().filter(tagged_items__tag=topic)

    def with_answer_counts(self):
        shown = Q(answers__hidden_at__isnull=True)
        return self.annotate(
            answer_count=Count("answers", filter=shown & ~Q(answers__body=""), distinct=True),
            open_count=Count("answers", filter=shown & Q(answers__body=""), distinct=True),
        )

    def unanswered(self):
        shown_answers = Answer.objects.visible().filter(question=models.OuterRef("pk"))
        return self.visible().exclude(models.Exists(shown_answers))

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

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        indexes = [
            models.Index(fields=["paper", "position"], name="question_thread_order"),  # paper page
            # The few hidden questions, which a search leaves out of thousands of answers.
            models.Index(fields=["id"], condition=Q(hidden_at__isnull=False), name="question_hidden"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["paper", "import_key"],
                condition=~Q(import_key=""),
                name="question_import_key_once_per_paper",
            ),
        ]

    def add_answer(self, author, body, parent=None):
        """A member's new answer (A4 under Q4), or reply (the label of the answer it replies to)."""
        return Answer.objects.create(
            question=self,
            parent=parent,
            label=parent.label if parent else f"A{self.number}",
            author=author,
            body=body,
            position=Answer.objects.next_position(question=self),
            written_in_app=True,
        )

    def set_topics(self, names, *, by_hand):
        """Replace the topics; by hand means a member or admin chose them, so imports keep them."""
        names = sorted({name.strip() for name in names if name.strip()}, key=str.casefold)
        with archive_write():
            self.tags.set(names)
            self.topic_names = ", ".join(names)
            self.tags_by_hand = self.tags_by_hand or by_hand
            self.save(update_fields=["topic_names", "tags_by_hand"])

    @property
    def anchor(self):
        return f"q{self.pk}"

    def get_absolute_url(self):
        return f"{self.paper.get_absolute_url()}#{self.anchor}"


class AnswerQuerySet(PostQuerySet):
    def open(self):
        return self.visible().filter(body="")

    def filled(self):
        return self.visible().exclude(body="")


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
        ordering = ["position", "pk"]
        indexes = [
            models.Index(fields=["question", "position"], name="answer_thread_order"),  # paper page
            models.Index(fields=["author"], condition=Q(body=""), name="open_answer_by_author"),  # /open/
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

    def is_fillable_by(self, user):
        """Its author fills an open answer; staff may fill it on the author's behalf."""
        return self.is_open and self.is_editable_by(user)

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
    (PostgreSQL uses a sequence instead: see bump()).

    Cached pages are keyed by it (discussions.caching), so any write — an answer, an edit, a
    topic, an import, an admin change — makes the next request render afresh.
    """

    generation = models.PositiveBigIntegerField(default=0)


_write_state = threading.local()


# On PostgreSQL the generation is a sequence: nextval() takes no lock, so writers never queue
# behind each other's commits for it. A sequence is not transactional, though: a reader could
# see the new number before the new data and cache the old page under it. So a write bumps it
# after it commits (no page rendered before then stays reachable). A write inside a transaction
# someone else opened (a test, the shell, the admin) bumps it inside the transaction too: that
# connection sees the new data at once and may render a page before the commit. SQLite,
# single-writer and embedded, keeps it in the ArchiveState row, which is transactional.
GENERATION_SEQUENCE = "discussions_archive_generation"


def generation() -> int:
    # Read on every cached page view: plain SQL, because the ORM's overhead here is several
    # times the query's own cost.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT last_value FROM {GENERATION_SEQUENCE}")
        else:
            table = connection.ops.quote_name(ArchiveState._meta.db_table)
            cursor.execute(f"SELECT generation FROM {table} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else 0


def bump(*, own_transaction=False):
    """Move the generation on for a write on this connection.

    own_transaction: the write runs in the outermost transaction, opened for it alone
    (archive_write), so nothing on this connection reads its data before the commit.
    """
    if connection.vendor == "postgresql":
        if connection.in_atomic_block and not own_transaction:
            _next_generation()
        transaction.on_commit(_next_generation)
    elif not ArchiveState.objects.filter(pk=1).update(generation=F("generation") + 1):
        ArchiveState.objects.get_or_create(pk=1, defaults={"generation": 1})


def _next_generation():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval('{GENERATION_SEQUENCE}')")


def inside_archive_write() -> bool:
    return getattr(_write_state, "depth", 0) > 0


class archive_write(transaction.Atomic):
    """`with archive_write():` a transaction that bumps the archive's generation before it writes.

    On SQLite, bumping first takes the generation row's lock first, the same order for every
    writer. Inside it the per-save signal bumps (discussions.caching) are skipped: one bump
    covers the whole operation.
    """

    def __init__(self):
        super().__init__(using=None, savepoint=True, durable=False)

    def __enter__(self):
        # A view's fill or edit opens the outermost transaction: on PostgreSQL the bump after
        # its commit is then the only one, a query less for every write from the app.
        own_transaction = not connection.in_atomic_block
        super().__enter__()
        bump(own_transaction=own_transaction)
        _write_state.depth = getattr(_write_state, "depth", 0) + 1

    def __exit__(self, exc_type, exc_value, traceback):
        _write_state.depth -= 1
        return super().__exit__(exc_type, exc_value, traceback)
