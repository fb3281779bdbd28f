"""Invitations: the only way in. A participant gets a user and a one-time link to set a password.

A participant's name comes from whatever a discussion file was signed with, so it is never
trusted to pick an account: a file signed `Q1 (staff).` must not hand anyone the `staff`
account. An invite only ever touches the account already linked to the participant, or a new
one with a username nobody has.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from discussions.models import OutboxMail
from discussions.writes.core import record


class InviteError(Exception):
    pass


def free_username(name):
    """`name` if no account has it (in any letter case), else `name-2`, `name-3` …

    Another account's email counts as taken too: a login is looked up as a username first, so a
    username equal to someone's email would take that email's login away from them.
    """
    User = get_user_model()
    similar = User.objects.filter(Q(username__istartswith=name) | Q(email__istartswith=name))
    taken = {value.lower() for pair in similar.values_list("username", "email") for value in pair}
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def check_email(email, user=None):
    """An email logs its account in (discussions.accounts), so two accounts must never share one."""
    try:
        validate_email(email)
    except ValidationError:
        raise InviteError(_("%(email)s is not an email address") % {"email": email}) from None
    others = get_user_model().objects.filter(email__iexact=email)
    if user is not None and user.pk:
        others = others.exclude(pk=user.pk)
    if others.exists():
        raise InviteError(_("%(email)s is already the email of another account") % {"email": email})


@transaction.atomic
def invite(participant, email=""):
    """Create (or reuse) the participant's own user; return (user, the link that sets its password).

    The link is Django's password-reset link, so it stops working once a password is set, and after
    PASSWORD_RESET_TIMEOUT. When the account has an email, the link is mailed too, through the
    outbox (the next `send_notifications` run), with how long it works.
    Bad input (an email that is not one, or another account's) raises InviteError and changes nothing.
    """
    User = get_user_model()
    user = participant.user
    email = email.strip()
    if email:
        check_email(email, user)
    if user is None:
        user = User(username=free_username(participant.name), email=email)
        user.set_unusable_password()
        user.save()
        participant.user = user
        participant.save(update_fields=["user"])
        record([participant], None, reason="invited")
    elif email and user.email != email:
        user.email = email
        user.save(update_fields=["email"])
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    link = settings.SITE_URL + reverse("password_reset_confirm", args=[uid, token])
    if user.email:
        OutboxMail.objects.create(recipient=user, kind=OutboxMail.Kind.INVITE, link=link)
    return user, link


# A new address is the account's once a link sent to it is opened: whoever types it in Settings
# shows they can read mail there, and an address nobody confirmed never logs anyone in.
EMAIL_SALT = "discussions.email"


def ask_to_confirm(user, email):
    """Mail a link to `email` that makes it `user`'s address. InviteError on a bad or taken one."""
    email = email.strip()
    check_email(email, user)
    token = signing.dumps({"user": user.pk, "old": user.email, "new": email}, salt=EMAIL_SALT, compress=True)
    link = settings.SITE_URL + reverse("discussions:confirm_email", args=[token])
    OutboxMail.objects.create(recipient=user, kind=OutboxMail.Kind.EMAIL, link=link, address=email)
    return email


def confirm(token):
    """The user whose address the link changes, changed; InviteError when the link is no good."""
    try:
        asked = signing.loads(token, salt=EMAIL_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT)
    except signing.BadSignature:
        message = _("This link is not valid, or has expired: ask for a new one in Settings.")
        raise InviteError(message) from None
    with transaction.atomic():
        user = get_user_model().objects.select_for_update().filter(pk=asked["user"]).first()
        # Used once: after it (or another change), the address it was sent from is not the account's.
        if user is None or user.email != asked["old"]:
            raise InviteError(_("This link was used already, or the address changed since."))
        check_email(asked["new"], user)
        user.email = asked["new"]
        user.save(update_fields=["email"])
    return user
