"""Who may do what: one helper per kind of object, asked by views and templates alike.

Views find a post through `post_for`, which raises Http404 or PermissionDenied;
templates show a button from the same answer (`post.rights`, set by discussions.threads), never
from `user.is_authenticated` alone.
"""

from functools import cached_property

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from discussions.models import Answer, Participant, Question

POSTS = {"question": Question, "answer": Answer}


UNKNOWN = object()  # a member not looked up yet (None is an account linked to nobody)


class PostRights:
    """What one user may do with one post. Whether the user is a participant is asked only when a
    right needs it (answering, replying, topics), so a fill or an edit costs no query for it."""

    def __init__(self, user, post, member=UNKNOWN, under=UNKNOWN):
        self.user, self.post, self._member, self._under = user, post, member, under

    @cached_property
    def member(self):
        return member_of(self.user) if self._member is UNKNOWN else self._member

    @cached_property
    def shown(self):
        return self.post.hidden_at is None

    @cached_property
    def own(self):
        author = self.post.author if self.post.author_id else None
        return author is not None and self.user.is_authenticated and author.user_id == self.user.pk

    @cached_property
    def is_open(self):
        return isinstance(self.post, Answer) and self.post.is_open

    @property
    def write(self):
        """The post is the user's to write: its author's, or staff's; never a removed one."""
        return self.shown and (self.own or self.user.is_staff)

    @property
    def fill(self):
        return self.write and self.is_open

    @property
    def edit(self):
        return self.write and not self.is_open

    @cached_property
    def under(self):
        """The shown posts a removal would take with it (discussions.threads passes them in)."""
        return posts_under(self.post) if self._under is UNKNOWN else self._under

    @property
    def others_under(self):
        """What others wrote under the post (their answers, replies, claims, unsigned posts)."""
        return others_among(self.post, self.under)

    @property
    def remove(self):
        """A member's removal never takes away what others wrote: a post they answered or claimed
        stays for its author to edit, and staff remove it (discussions.writes.remove refuses too)."""
        if not self.write:
            return False
        return self.user.is_staff or not self.others_under

    @property
    def restore(self):
        """Bring a removed post back from its history, with what was removed with it: staff only.
        Not an empty answer on its own: a claim taken back holds nothing to bring back (and its
        member may have claimed again since); one removed with its question comes back with it."""
        return not self.shown and not self.is_open and self.user.is_authenticated and self.user.is_staff

    @property
    def reply(self):
        """Answer a question, or reply to a written answer."""
        return self.shown and not self.is_open and self.may_post

    @property
    def claim(self):
        """Say "I'll answer this": an open answer of one's own under someone else's question."""
        return self.shown and isinstance(self.post, Question) and self.member is not None and not self.own

    @property
    def take_back(self):
        """Take one's own claim back while it is still empty."""
        return self.fill and self.own

    @property
    def mine(self):
        """Say an unsigned post is one's own, for staff to confirm."""
        return self.shown and self.post.author_id is None and self.member is not None

    @property
    def may_post(self):
        return may_post(self.user, lambda: self.member)

    @property
    def topics(self):
        return self.shown and isinstance(self.post, Question) and self.may_post

    @property
    def history(self):
        # A removed post's history is its author's and staff's only.
        return self.shown or self.own or self.user.is_staff


def member_of(user):
    """The participant a logged-in user is, or None (a visitor, or an account linked to nobody)."""
    if not user.is_authenticated:
        return None
    try:
        return user.participant
    except Participant.DoesNotExist:
        return None


def rights(user, post, *, member=UNKNOWN, under=UNKNOWN) -> PostRights:
    """What `user` may do with `post`; `member` and `under` (the shown posts under it) save queries
    when the caller knows them already."""
    return PostRights(user, post, member, under)


def removes_others(user):
    """Whether `user`'s removal may take others' posts with it: staff, or a command (no user)."""
    return user is None or user.is_staff


def others_among(post, under):
    """The posts of `under` that are not `post`'s author's own: another member's, or unsigned."""
    return [item for item in under if item.author_id is None or item.author_id != post.author_id]


def posts_under(post):
    """The shown answers under `post`, parents before their replies, with their authors and papers
    (for links): what a removal takes with it. One query, whatever the depth: an answer's replies
    are all in its question, walked here without recursion (a reply chain may be a thousand deep)."""
    rows = Answer.objects.shown().select_related("author", "question__paper").order_by("pk")
    in_question = list(rows.filter(question_id=post.pk if isinstance(post, Question) else post.question_id))
    if isinstance(post, Question):
        return in_question
    replies = {}
    for answer in in_question:
        replies.setdefault(answer.parent_id, []).append(answer)
    found, level = [], [post.pk]
    while level:
        below = [reply for parent in level for reply in replies.get(parent, [])]
        found += below
        level = [reply.pk for reply in below]
    return found


def post_for(user, kind, pk, action):
    """The post `kind`/`pk` if `user` may do `action` (a field of PostRights) with it.

    A removed post is not found, except for its history and its restoring."""
    model = POSTS[kind]
    related = ["author", "paper"] if model is Question else ["author", "question__paper"]
    post = model.objects.select_related(*related).filter(pk=pk).first()
    if post is None:
        raise Http404
    rights_here = rights(user, post)
    allowed = getattr(rights_here, action)
    if post.hidden_at is not None and not (action in ("history", "restore") and rights_here.history):
        raise Http404
    if not allowed:
        if action in ("reply", "claim") and member_of(user) is None:
            raise PermissionDenied(_("Your account is not linked to a participant of the study group."))
        raise PermissionDenied
    return post


def may_post(user, member=None):
    """Whether `user` may ask, answer and reply (and claim, choose topics): a member signs as
    themselves, staff for anyone. member: a function giving the user's participant (a rights
    object's, looked up once), called only when the answer depends on it."""
    if not user.is_authenticated:
        return False
    return user.is_staff or (member or (lambda: member_of(user)))() is not None


class SessionRights:
    """What one user may do with one session (a paper): its presenter and staff prepare it."""

    def __init__(self, user, paper, member=UNKNOWN):
        self.user, self.paper, self._member = user, paper, member

    @cached_property
    def member(self):
        return member_of(self.user) if self._member is UNKNOWN else self._member

    @cached_property
    def presents(self):
        return self.member is not None and self.paper.presenter_id == self.member.pk

    @property
    def prepare(self):
        """Complete the session, edit its references, ask members to answer."""
        return self.user.is_authenticated and (self.user.is_staff or self.presents)

    @property
    def take_part(self):
        """Claim questions, mark them discussed in the meeting: who may post."""
        return may_post(self.user, lambda: self.member)

    @property
    def files(self):
        """Attach, replace and remove the paper's PDF and the slides; see a removed one."""
        return self.prepare

    @property
    def sign(self):
        """Set who wrote unsigned posts."""
        return self.user.is_authenticated and self.user.is_staff


def session_rights(user, paper, *, member=UNKNOWN) -> SessionRights:
    return SessionRights(user, paper, member)


def session_for(user, slug, action):
    """The session (paper) `slug` if `user` may do `action` (a field of SessionRights) with it."""
    from discussions.models import Paper

    paper = Paper.objects.select_related("presenter").filter(slug=slug).first()
    if paper is None:
        raise Http404
    rights_here = session_rights(user, paper)
    if not getattr(rights_here, action):
        if action == "take_part" and user.is_authenticated:
            raise PermissionDenied(_("Your account is not linked to a participant of the study group."))
        raise PermissionDenied
    return paper, rights_here


def attachment_for(user, pk, action):
    """The PDF `pk` (the paper's or the slides; a removed one too, which the caller says is gone)
    with its session's rights, if `user` may do `action` (a field of SessionRights) with its
    session. A figure belongs to its post: its post's edit changes it, not this."""
    from discussions.models import Attachment

    attachment = Attachment.objects.pdfs().select_related("paper__presenter").filter(pk=pk).first()
    if attachment is None:
        raise Http404
    rights_here = session_rights(user, attachment.paper)
    if not getattr(rights_here, action):
        raise PermissionDenied
    return attachment, rights_here
