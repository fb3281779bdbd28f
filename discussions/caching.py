"""Render a page once, serve it until anything in the archive changes.

Cached pages are keyed by the archive's generation (discussions.generation), which every write
moves once (discussions.writes). So a cached page never outlives the data it shows. The
generation lives in the database, not in the cache, so it is right however many worker
processes there are and whatever cache backend they use.

Only anonymous pages are cached whole: a member's page carries their name, their fill forms
and their edit links.
"""

import functools
import gzip
import hashlib

from django.core.cache import cache
from django.http import HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language

from discussions import generation

CACHE_SECONDS = 60 * 60 * 24


def cached_for_visitors(view):
    """Cache an anonymous GET's whole response by path, language and archive generation.

    The ETag is the same key, so a browser that has the page gets a 304 without a render. The
    page is compressed once, when it is cached, for the browsers that accept gzip (all of them):
    a 200-question thread is 1.5 MB of HTML and a tenth of that compressed.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "GET" or request.user.is_authenticated or _has_messages(request):
            return view(request, *args, **kwargs)
        key = _key(request)
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            key += "-gzip"
        etag = f'"{key}"'
        if etag in request.headers.get("If-None-Match", ""):
            return HttpResponseNotModified(headers={"ETag": etag})
        response = cache.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming:
                response = _finish(response, etag, gzipped=key.endswith("-gzip"))
                cache.set(key, response, CACHE_SECONDS)
        return response

    return wrapper


def _finish(response, etag, *, gzipped):
    if hasattr(response, "render") and callable(response.render):
        response = response.render()
    if gzipped:
        response.content = gzip.compress(response.content, compresslevel=6, mtime=0)
        response["Content-Encoding"] = "gzip"
        response["Content-Length"] = str(len(response.content))
    response["ETag"] = etag
    # Browsers ask again each time (the archive may change), but a 304 costs almost nothing.
    patch_cache_control(response, no_cache=True)
    patch_vary_headers(response, ["Cookie", "Accept-Language", "Accept-Encoding"])
    return response


def _key(request):
    # The day is in the key: a session's page says whether it is upcoming, today, or past.
    raw = f"{generation.current()}|{timezone.localdate()}|{get_language()}|{request.get_full_path()}"
    return "page:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def _has_messages(request):
    storage = getattr(request, "_messages", None)
    return bool(storage is not None and len(storage))
