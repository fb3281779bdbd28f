"""Invitations: the only way in. A participant gets a user and a one-time link to set a password."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


@transaction.atomic
def invite(participant, email=""):
    """Create (or reuse) the participant's user; return the link that sets its password.

    The link is Django's password-reset link, so it stops working once a password is set.
    """
    User = get_user_model()
    user = participant.user
    if user is None:
        user = User.objects.filter(username=participant.name).first()
        if user is None:
            user = User(username=participant.name)
            user.set_unusable_password()
        if email:
            user.email = email
        user.save()
        participant.user = user
        participant.save(update_fields=["user"])
    elif email and user.email != email:
        user.email = email
        user.save(update_fields=["email"])
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("password_reset_confirm", args=[uid, token])
