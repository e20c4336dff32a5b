"""The emulator's whole world as one JSON document, saved atomically when it
changed, so a long demo can stop and resume.

Whatever changes the world calls `touch()`. A request asks for a save with
`save_soon()`: a background writer saves at most once per SAVE_DELAY, so a
fleet of devices does not serialize the world once per request (a kill -9
loses at most that much); the control API and `stop()` save at once.

Tokens and authorization codes are kept only as SHA-256 hashes, and client
secrets not at all (registry.client_secret derives them from a key kept
beside the CA key): the file (and any dump of it) holds no usable secret.
"""

import json
import os
import secrets
import threading
from pathlib import Path

from tools.emulator.clock import EmulatorClock

FORMAT = 1
SAVE_DELAY = 0.25
KEY_FILE = "client-secrets.key"
SECTIONS = ("models", "clients", "customers", "devices", "refresh_tokens", "access_tokens",
            "codes", "consents", "orders")


def device_key(model, serial):
    return model + "/" + serial


def _secret_key(path):
    """The key client secrets derive from: made once, private like the CA key."""
    if not path.exists():
        fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
    return path.read_bytes()


class State:
    def __init__(self, path, clock):
        self.path = Path(path) if path else None
        self.clock = clock
        self.secret_key = _secret_key(self.path.with_name(KEY_FILE)) if self.path else \
            secrets.token_bytes(32)
        self.lock = threading.RLock()
        self._dirty = False
        self._write_lock = threading.Lock()  # one writer at a time: the temporary file is shared
        self._wanted = threading.Event()
        self._closing = threading.Event()
        self._writer = None
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
        state = cls(path, EmulatorClock(clock_mode, start))
        state.touch()  # a new world is written on the first save
        return state

    def now(self):
        return self.clock.now()

    def to_json(self):
        data = {"format": FORMAT, "clock": self.clock.to_json(), "settings": self.settings,
                "notifications": self.notifications}
        for name in SECTIONS:
            data[name] = getattr(self, name)
        return data

    def touch(self):
        """The world changed: the next save writes it."""
        self._dirty = True

    def save(self):
        """Write the world if it changed since the last write; True if written."""
        if not self.path:
            return False
        with self._write_lock:
            with self.lock:
                if not self._dirty:
                    return False
                self._prune()
                text = json.dumps(self.to_json(), sort_keys=True)
                self._dirty = False
            tmp = self.path.with_name(self.path.name + ".tmp")
            fd = os.open(str(tmp), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.replace(tmp, self.path)  # a crash leaves the old file or the new, never half
        return True

    def save_soon(self):
        """Save within SAVE_DELAY if the world changed (requests call this)."""
        if not self._dirty or not self.path or self._closing.is_set():
            return
        with self.lock:
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_behind, daemon=True,
                                                name="emulator-state-writer")
                self._writer.start()
        self._wanted.set()

    def _write_behind(self):
        while not self._closing.is_set():
            self._wanted.wait()
            self._closing.wait(SAVE_DELAY)  # gather the changes of a burst into one write
            self._wanted.clear()
            self.save()

    def close(self):
        """Stop the background writer and save what is left."""
        self._closing.set()
        self._wanted.set()
        if self._writer is not None:
            self._writer.join(5)
        self.save()

    def _prune(self):
        # expired access tokens and codes can never be used again
        now = self.now()
        for table in (self.access_tokens, self.codes, self.consents):
            for key in [k for k, v in table.items() if v["expires_at"] < now - 86400]:
                del table[key]
                self._dirty = True
