"""Every request to the emulated hosts, as a test may want to inspect it:
secrets replaced by fingerprints, bodies as text, the answer's status, why
it was refused (`reason`) and any fault injected. Requests the parser could
not read are recorded too, from their request line."""

from tools.emulator import isodate
from tools.emulator.boundedlog import BoundedLog
from tools.emulator.masking import mask_body, mask_header, mask_query


class Recorder(BoundedLog):
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

    def entries(self, endpoint=None, host=None):
        return self._select(endpoint=endpoint, host=host)
