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
import time

from django.core.cache import cache
from django.http import HttpResponse, HttpResponseNotModified, HttpResponseRedirect
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import get_language

from discussions import generation
from discussions.models import ListGeneration

CACHE_SECONDS = 60 * 60 * 24


# A page is cached compressed, and one compressed above this is rendered each time: with the
# in-process cache's byte bound (settings.CACHES, studygroup/locmem.py) no page crowds out the rest.
# The biggest real page, a 200-question thread, is 184 KB compressed.
MAX_CACHED_PAGE_BYTES = 1024 * 1024
FAST_COMPRESSION_BYTES = 256 * 1024


def paper_scope(request, slug, **kwargs):
    """A paper's own pages change with its thread and the archive's structure, not with the
    other papers' threads (discussions.generation)."""
    return generation.of_paper(slug)


def topic_scope(request, slug, **kwargs):
    """A topic's page changes with its questions' threads and the archive's structure."""
    return generation.of_list(ListGeneration.Kind.TOPIC, slug)


def participant_scope(request, slug, **kwargs):
    """A participant's page changes with the threads they wrote in and the archive's structure."""
    return generation.of_list(ListGeneration.Kind.PARTICIPANT, slug)


def cached_for_visitors(*params, scope=None):
    """Cache an anonymous GET's (or HEAD's) whole response by path, the query parameters the
    view reads (`params`), language and archive generation.

    Any other parameter (`?v=1`, `?utm_source=…`) or a repeated one is redirected away to the
    page's canonical address, so it cannot make a cache entry of its own, nor leak into the
    cached page's links. The ETag is the key, so a browser that has the page gets a 304 without
    a render. The page is kept once, compressed with gzip (a 200-question thread is 1.5 MB of
    HTML and a tenth of that compressed), and decompressed for the rare client that does not
    accept gzip. HEAD is answered from the same entry: the same headers, no body.

    scope(request, *args, **kwargs): the generation the page depends on, when it is not the
    whole archive's (paper_scope); None: the whole archive's after all. Readers who miss the same
    page at once wait for the first one's render instead of each rendering it (a long thread takes
    longer to render than writes come).
    """
    for name in params:
        if not isinstance(name, str):
            raise TypeError("cached_for_visitors names query parameters: @cached_for_visitors('page')")

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if (
                request.method not in ("GET", "HEAD")
                or request.user.is_authenticated
                or _has_messages(request)
            ):
                return view(request, *args, **kwargs)
            canonical = _canonical_query(request, params)
            if canonical is not None:
                return HttpResponseRedirect(request.path + (f"?{canonical}" if canonical else ""))
            scoped = scope(request, *args, **kwargs) if scope else None
            key = _key(request, params, generation.current() if scoped is None else scoped)
            gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
            etag = f'"{key}-gzip"' if gzipped else f'"{key}"'
            if etag in request.headers.get("If-None-Match", ""):
                return HttpResponseNotModified(headers={"ETag": etag})
            page = cache.get(key)
            if page is None:
                page = _rendered_by_another(key)
            if page is None:
                try:
                    response = view(request, *args, **kwargs)
                    if response.status_code != 200 or response.streaming:
                        return response
                    page = _page_of(response)
                    if len(page[2]) > MAX_CACHED_PAGE_BYTES:
                        return _finish(response, f'"{key}"')
                    cache.set(key, page, CACHE_SECONDS)
                finally:
                    cache.delete(f"{key}:rendering")
            return _response_from(page, etag, gzipped=gzipped, head=request.method == "HEAD")

        return wrapper

    return decorator


def _canonical_query(request, params):
    """None when the query string holds only `params`, each once; else the one that does."""
    if all(name in params and len(request.GET.getlist(name)) == 1 for name in request.GET):
        return None
    # The last value of a repeated parameter is the one request.GET.get() gives the view.
    return urlencode([(name, request.GET[name]) for name in params if name in request.GET])


def _page_of(response):
    """What the cache keeps of a rendered page: status, headers, compressed body, plain length."""
    if hasattr(response, "render") and callable(response.render):
        response = response.render()
    headers = [(name, value) for name, value in response.items() if name.lower() != "content-length"]
    # Compressing takes time in proportion to the page: the 200-question thread (1.5 MB) took
    # ~25 ms at level 6, a third of its first render once its blocks are kept; level 1 takes a
    # third of that, for 250 KB sent instead of 184.
    level = 6 if len(response.content) < FAST_COMPRESSION_BYTES else 1
    body = gzip.compress(response.content, compresslevel=level, mtime=0)
    return response.status_code, headers, body, len(response.content)


def _response_from(page, etag, *, gzipped, head):
    status, headers, body, plain_length = page
    if gzipped:
        headers = [*headers, ("Content-Encoding", "gzip")]
        length = len(body)
    else:
        length = plain_length
    response = HttpResponse(status=status, headers=dict(headers))
    # A HEAD gets the headers a GET would, Content-Length too, and no body.
    if not head:
        response.content = body if gzipped else gzip.decompress(body)
    response["Content-Length"] = str(length)
    return _finish(response, etag)


def _finish(response, etag):
    response["ETag"] = etag
    # Browsers ask again each time (the archive may change), but a 304 costs almost nothing.
    patch_cache_control(response, no_cache=True)
    patch_vary_headers(response, ["Cookie", "Accept-Language", "Accept-Encoding"])
    return response


RENDER_WAIT_SECONDS = 3


def _rendered_by_another(key):
    """None when this request is to render the page (it took the key's render mark); else the page
    another request rendered meanwhile, or None after a few seconds, to render it anyway."""
    if cache.add(f"{key}:rendering", 1, timeout=RENDER_WAIT_SECONDS * 2):
        return None
    deadline = time.monotonic() + RENDER_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.01)
        if (page := cache.get(key)) is not None:
            return page
    return None


def _key(request, params, generation_now):
    query = urlencode(sorted((name, request.GET[name]) for name in params if name in request.GET))
    # The day is in the key: a session's page says whether it is upcoming, today, or past.
    raw = f"{generation_now}|{timezone.localdate()}|{get_language()}|{request.path}|{query}"
    return "page:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def _has_messages(request):
    storage = getattr(request, "_messages", None)
    return bool(storage is not None and len(storage))
