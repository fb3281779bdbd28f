from django import template

from discussions import mailing

register = template.Library()


@register.filter
def headline(notification):
    """What a notification says in one line, in the mail and on the notifications page."""
    return mailing.headline(notification)
