"""Every request to the emulated hosts, as a test may want to inspect it:
secrets replaced by fingerprints, bodies as text, the answer's status, why
it was refused (`reason`) and any fault injected. Requests the parser could
not read are recorded too, from their request line."""

import threading

from tools.emulator import isodate
from tools.emulator.masking import mask_body, mask_header, mask_query

LIMIT = 10000


class Recorder:
    def __init__(self):
        self._lock = threading.Lock()
        self._entries = []
        self._seq = 0

    def record(self, req, endpoint, status, fault, now, reason=None):
        self._add({
            "time": isodate.utc_seconds(now), "host": req.listener, "connection": req.conn_id,
            "method": req.method,
            "path": req.path + ("?" + mask_query(req.query) if req.query else ""),
            "endpoint": endpoint, "status": status, "fault": fault["kind"] if fault else None,
            "headers": {k: mask_header(k, v) for k, v in req.headers.items()},
            "body": mask_body(req.body, req.header("content-type")), "reason": reason,
        })

    def record_rejection(self, host, conn_id, line, status, reason, now):
        """A request the parser refused: what is known of it is its request line."""
        parts = (line or "").split(" ")
        method, path = parts[:2] if len(parts) == 3 else (None, line)
        self._add({"time": isodate.utc_seconds(now), "host": host, "connection": conn_id,
                   "method": method, "path": path,
                   "endpoint": None, "status": status, "fault": None, "headers": {},
                   "body": "", "reason": reason})

    def _add(self, entry):
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._entries.append(entry)
            del self._entries[:-LIMIT]

    def entries(self, endpoint=None, host=None):
        with self._lock:
            return [dict(e) for e in self._entries
                    if (endpoint is None or e["endpoint"] == endpoint)
                    and (host is None or e["host"] == host)]

    def clear(self):
        with self._lock:
            self._entries = []
