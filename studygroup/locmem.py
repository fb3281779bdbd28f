"""Django's local-memory cache, bounded by the bytes it holds as well as by its entries.

LocMemCache counts entries only: 500 cached pages of a few MB each could take gigabytes of a
worker's memory. This one also drops its least recently used entries once the pickled values
it holds pass MAX_BYTES (an OPTIONS key), and never holds a value larger than that.
"""

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache

DEFAULT_MAX_BYTES = 32 * 1024 * 1024


class BoundedLocMemCache(LocMemCache):
    def __init__(self, name, params):
        super().__init__(name, params)
        self.max_bytes = int(params.get("OPTIONS", {}).get("MAX_BYTES", DEFAULT_MAX_BYTES))

    def _set(self, key, value, timeout=DEFAULT_TIMEOUT):
        # Called under the cache's lock with the pickled value. LocMemCache keeps the most recently
        # used entries first, so popitem() (the last) drops the least recently used one.
        if len(value) > self.max_bytes:
            self._delete(key)
            return
        super()._set(key, value, timeout)
        # Summed again on each set (a cache miss, after a render): a few hundred lengths.
        held = sum(map(len, self._cache.values()))
        while held > self.max_bytes:
            dropped_key, dropped = self._cache.popitem()
            self._expire_info.pop(dropped_key, None)
            held -= len(dropped)

    def held_bytes(self):
        with self._lock:
            return sum(map(len, self._cache.values()))
