"""Refuse a request body larger than its view allows, before anything reads it.

Django bounds form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but not uploaded files, which it spools
to disk whatever their size; and CsrfViewMiddleware reads request.POST before any view, login
redirects included. So a visitor could make the server write a 100 MB upload to disk only to be
sent to the login page. Here, in process_view (which runs before CsrfViewMiddleware's, and knows
the view and the user), a body above the limit gets a 413 page and is never read.

Checking Content-Length is enough: under WSGI Django reads at most Content-Length bytes of the
stream (LimitedStream), and none at all without the header.
"""

from django.shortcuts import render
from django.template.defaultfilters import filesizeformat

# The login, password-reset and language forms: a few hundred bytes.
ANONYMOUS_BODY_BYTES = 64 * 1024
# A member's or staff's forms: a 20,000-character post, an admin page of inline answers. Form
# fields stay bounded by Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) as well.
MEMBER_BODY_BYTES = 4 * 1024 * 1024


def allow_body(max_bytes):
    """Let a view take bodies up to `max_bytes` from members (the admin's upload, say)."""

    def decorator(view):
        view.max_body_bytes = max_bytes
        return view

    return decorator


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None  # Django reads no body it cannot measure
        if length <= ANONYMOUS_BODY_BYTES:
            return None
        if request.user.is_authenticated:
            limit = getattr(view_func, "max_body_bytes", MEMBER_BODY_BYTES)
        else:
            limit = ANONYMOUS_BODY_BYTES
        if length <= limit:
            return None
        context = {"size": filesizeformat(length), "limit": filesizeformat(limit)}
        return render(request, "413.html", context, status=413)
