"""The benchmark's yardstick: a view that does nothing, served through the same middleware as every page.

bench/run.py measures it before and after each page and reports each page as a multiple of it. It
reads no database, no session and no template, so it is harmless to leave routed in production.
"""

from django.http import HttpResponse


def noop(request):
    return HttpResponse("ok", content_type="text/plain")
