from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from discussions import mailing

register = template.Library()


@register.filter
def headline(notification):
    """What a notification says in one line, in the mail and on the notifications page."""
    return mailing.headline(notification)


@register.filter
def ago(moment):
    """How long ago, in words: "just now" under a minute, where timesince would say "0 minutes"."""
    if timezone.now() - moment < timedelta(minutes=1):
        return _("just now")
    return _("%(since)s ago") % {"since": timesince(moment)}
