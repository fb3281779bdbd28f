"""The benchmark's yardstick: a view that does nothing, served through the same middleware as every page.

bench/run.py measures it before and after each page and reports each page as a multiple of it. It
reads no database, no session and no template. Only the benchmark's URLs (bench/urls.py) route it:
production has no use for it, and a public page that costs nothing is an easy target for a flood.
"""

from django.http import HttpResponse


def noop(request):
    return HttpResponse("ok", content_type="text/plain")
