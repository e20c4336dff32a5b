"""The emulator's whole world as one JSON document, saved atomically after
every change so a long demo can stop and resume.

Tokens and authorization codes are kept only as SHA-256 hashes: the file (and
any dump of it) never holds a usable bearer token.
"""

import json
import os
import threading
from pathlib import Path

from tools.emulator.clock import EmulatorClock

FORMAT = 1
SECTIONS = ("models", "clients", "customers", "devices", "refresh_tokens", "access_tokens",
            "codes", "consents", "orders")


def device_key(model, serial):
    return model + "/" + serial


class State:
    def __init__(self, path, clock):
        self.path = Path(path) if path else None
        self.clock = clock
        self.lock = threading.RLock()
        self.settings = {"order_status_set": "new"}
        self.notifications = []
        for name in SECTIONS:
            setattr(self, name, {})

    @classmethod
    def open(cls, path, clock_mode, start):
        """Load the saved world if there is one, else start an empty one."""
        path = Path(path) if path else None
        if path and path.exists():
            try:
                data = json.loads(path.read_text())
                if data.get("format") != FORMAT:
                    raise ValueError("unknown state format %r" % data.get("format"))
            except ValueError as e:
                raise ValueError("%s is not a state this emulator can read (%s); move it "
                                 "away to start afresh" % (path, e)) from None
            state = cls(path, EmulatorClock.from_json(data["clock"]))
            state.settings.update(data["settings"])
            state.notifications = data["notifications"]
            for name in SECTIONS:
                setattr(state, name, data[name])
            return state
        return cls(path, EmulatorClock(clock_mode, start))

    def now(self):
        return self.clock.now()

    def to_json(self):
        data = {"format": FORMAT, "clock": self.clock.to_json(), "settings": self.settings,
                "notifications": self.notifications}
        for name in SECTIONS:
            data[name] = getattr(self, name)
        return data

    def save(self):
        if not self.path:
            return
        with self.lock:  # one writer at a time: the temporary file is shared
            self._prune()
            text = json.dumps(self.to_json(), indent=1, sort_keys=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            fd = os.open(str(tmp), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.replace(tmp, self.path)  # a crash leaves the old file or the new, never half

    def _prune(self):
        # expired access tokens and codes can never be used again
        now = self.now()
        for table in (self.access_tokens, self.codes, self.consents):
            for key in [k for k, v in table.items() if v["expires_at"] < now - 86400]:
                del table[key]
