# Small records in flash that survive a power cut at any moment.
#
# API (stable: other modules persist their state through exactly this):
#   store = Store(fs, folder="data")   # fs: board.fs (replenish.fs.Fs, or the FakeFlash)
#   store.load(key, default=None)      # the value last saved, or default
#   store.save(key, value) -> bool     # True if flash was written, False if unchanged
#   store.delete(key)                  # forget a record (and its backup)
# Keys are short names of [A-Za-z0-9_-]; values anything JSON can hold.
#
# How: a record is "<checksum>\n<json>". save() writes <key>.tmp, closes it,
# renames the current <key>.rec to <key>.bak (the last good copy), then renames
# <key>.tmp to <key>.rec. littlefs renames are atomic, so at every instant
# either .rec holds a whole record, or .rec is missing and .bak holds the old
# one: a reader gets the old value or the new, never neither. A record whose
# checksum fails (a torn or worn sector) is reported and the backup is used.
import binascii
import hashlib
import json

KEY_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"


class StoreError(OSError):
    """A record could not be written; the previous value is still in flash."""


def _checksum(data):
    return binascii.hexlify(hashlib.sha256(data).digest()[:8])


def encode(value):
    data = json.dumps(value).encode()
    return _checksum(data) + b"\n" + data


def decode(record):
    """The value of a record, or ValueError if it is torn or corrupt."""
    cut = record.find(b"\n")
    if cut != 16 or _checksum(record[17:]) != record[:16]:
        raise ValueError("checksum mismatch")
    return json.loads(record[17:])


class Store:
    def __init__(self, fs, folder="data", log=print):
        self.fs = fs
        self.folder = folder
        self.log = log
        # key -> record as last read or written, to skip rewrites. Compared by
        # value, not by text: dict order differs between interpreters.
        self._known = {}
        self._rec_good = set()  # keys whose .rec file passed its checksum
        if not fs.exists(folder):
            fs.mkdir(folder)

    def __repr__(self):
        return "<Store %s/>" % self.folder  # never the values: they hold tokens

    def _path(self, key, ext):
        if not key:
            raise ValueError("bad store key")
        for ch in key:
            if ch not in KEY_CHARS:
                raise ValueError("bad store key")
        return "%s/%s.%s" % (self.folder, key, ext)

    def _read(self, key, ext):
        """(found, value) for one file; a damaged file is reported, not raised."""
        name = self._path(key, ext)
        if not self.fs.exists(name):
            return False, None
        try:
            with self.fs.open(name, "rb") as f:
                record = f.read()
            return True, decode(record)
        except (OSError, ValueError) as err:
            self.log("store: %s is unreadable (%s); using the last good copy" % (name, err))
            return False, None

    def load(self, key, default=None):
        self._rec_good.discard(key)
        for ext in ("rec", "bak"):
            found, value = self._read(key, ext)
            if found:
                self._known[key] = encode(value)
                if ext == "rec":
                    self._rec_good.add(key)
                return value
        self._known.pop(key, None)
        return default

    def save(self, key, value):
        record = encode(value)
        if key not in self._known:
            self.load(key)
        if key in self._known and decode(self._known[key]) == value:
            return False
        # Forget what flash holds until this write completes: a failed write
        # must not make the next save believe the value is already there.
        self._known.pop(key, None)
        tmp, rec = self._path(key, "tmp"), self._path(key, "rec")
        try:
            with self.fs.open(tmp, "wb") as f:
                f.write(record)
            # A damaged .rec must not replace the good backup: then tmp
            # replaces .rec directly (rename over a file is atomic too).
            if key in self._rec_good:
                self.fs.rename(rec, self._path(key, "bak"))
            self.fs.rename(tmp, rec)
        except OSError as err:
            self._rec_good.discard(key)
            raise StoreError("store: could not write %s: %s" % (rec, err))
        self._known[key] = record
        self._rec_good.add(key)
        return True

    def delete(self, key):
        self._known.pop(key, None)
        self._rec_good.discard(key)
        # The backup goes before the record: a cut in between leaves the
        # current value, never an older one back from the dead.
        for ext in ("tmp", "bak", "rec"):
            name = self._path(key, ext)
            if self.fs.exists(name):
                try:
                    self.fs.remove(name)
                except OSError as err:
                    raise StoreError("store: could not remove %s: %s" % (name, err))
