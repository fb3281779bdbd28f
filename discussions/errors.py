"""Error pages in the site's layout, in the reader's language (403 and 404 are Django's own
views with our templates; these need a view of their own)."""

from csp.decorators import csp_update
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader


def bad_request(request, exception=None):
    # Django's default renders 400.html without the request: no header, no language switcher.
    return render(request, "400.html", status=400)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: a form sent with an expired token (a page left open, a login in another tab).

    Nothing was saved, and the reader is told so: their text is still in the page they came from,
    which the browser's Back button restores.
    """
    return render(request, "403_csrf.html", {"reason": reason}, status=403)


@csp_update({"style-src": ["'unsafe-inline'"]})
def server_error(request):
    """handler500: 500.html is static on purpose (no database, no session, no static files: whatever
    failed may fail again), so it styles itself inline, the one page the policy lets do so."""
    return HttpResponseServerError(loader.get_template("500.html").render())
