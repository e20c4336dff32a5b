"""A log of JSON-shaped entries that keeps only the newest LIMIT, numbered in
order (`seq`): the request log and the deviation log, which a long soak or a
fleet must not grow without bound."""

import threading

LIMIT = 10000


class BoundedLog:
    def __init__(self):
        self._lock = threading.Lock()
        self._entries = []
        self._seq = 0

    def _add(self, entry):
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._entries.append(entry)
            del self._entries[:-LIMIT]

    def _select(self, **match):
        """Copies of the entries whose fields equal every `match` value that is not None."""
        wanted = [(k, v) for k, v in match.items() if v is not None]
        with self._lock:
            return [dict(e) for e in self._entries if all(e[k] == v for k, v in wanted)]

    def clear(self):
        with self._lock:
            self._entries = []
