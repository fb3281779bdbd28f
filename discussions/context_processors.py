from django.utils.functional import SimpleLazyObject

from discussions.models import Notification


def notifications(request):
    """The header's count of unread notifications: one small indexed count, for members only and
    only when a page shows it (visitors' pages, cached whole, and the admin ask nothing)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.filter(recipient=user, read_at__isnull=True).shown().count()
        )
    }
