# Small records in flash that survive a power cut at any moment.
#
# API (stable: other modules persist their state through exactly this):
#   store = Store(fs, folder="data")   # fs: board.fs (replenish.fs.Fs, or the FakeFlash)
#   store.mirror(key)                  # keep this record in two copies (see below)
#   store.load(key, default=None)      # the value last saved, or default
#   store.save(key, value) -> bool     # True if flash was written, False if unchanged
#   store.delete(key)                  # forget a record and every copy of it
#   store.refused                      # True once a write failed (full or failing flash)
#   store.resting = True               # repairs wait: set while a refusal is recent
# Keys are short names of [A-Za-z0-9_-]; values anything JSON can hold.
#
# How: a record is "<checksum>\n<json>". save() writes <key>.tmp, closes it,
# renames the current <key>.rec to <key>.bak (the previous value), then renames
# <key>.tmp to <key>.rec. littlefs renames are atomic, so at every instant
# either .rec holds a whole record, or .rec is missing and .bak holds the old
# one: a reader gets the old value or the new, never neither. A record whose
# checksum fails (a torn or worn sector) is reported and the previous value used.
#
# A mirrored record keeps the CURRENT value twice, <key>.rec and <key>.mir,
# and no .bak: for a rotated refresh token the previous value is revoked, so
# it is no fallback. save() replaces .rec, then .mir, each through a .tmp: a
# cut between the two leaves .rec new and .mir old, and .rec is read first.
# load() reads both, uses a good one and writes the other again.
import binascii
import hashlib
import json

KEY_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
# What one copy in flash is:
GOOD, MISSING, CORRUPT, UNREADABLE = "good", "missing", "corrupt", "unreadable"


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
        self._mirrored = set()
        # A full or failing flash refuses every write: each try wears it and
        # fails again. The cycle remembers a refusal in RTC memory and sets
        # `resting` on the next wakes, so only writes that matter are tried.
        self.refused = False
        self.resting = False
        if not fs.exists(folder):
            fs.mkdir(folder)

    def __repr__(self):
        return "<Store %s/>" % self.folder  # never the values: they hold tokens

    def mirror(self, key):
        """Keep `key` in two copies of its current value from now on."""
        self._path(key, "mir")  # refuses a bad key now, not at the first save
        self._mirrored.add(key)

    def _path(self, key, ext):
        if not key:
            raise ValueError("bad store key")
        for ch in key:
            if ch not in KEY_CHARS:
                raise ValueError("bad store key")
        return "%s/%s.%s" % (self.folder, key, ext)

    def _read(self, key, ext):
        """One copy: (ext, GOOD, value), (ext, MISSING, None), or (ext, CORRUPT
        or UNREADABLE, why). A damaged file is reported to the caller, never raised."""
        name = self._path(key, ext)
        if not self.fs.exists(name):
            return ext, MISSING, None
        try:
            with self.fs.open(name, "rb") as f:
                record = f.read()
        except OSError as err:
            return ext, UNREADABLE, str(err)
        try:
            return ext, GOOD, decode(record)
        except ValueError as err:
            return ext, CORRUPT, str(err)

    def _what(self, key, copy):
        ext, state, why = copy
        return "%s is %s" % (self._path(key, ext), state + (" (%s)" % why if why else ""))

    def load(self, key, default=None):
        self._rec_good.discard(key)
        if key in self._mirrored:
            found, value = self._load_mirrored(key)
        else:
            found, value = self._load_plain(key)
        if not found:
            self._known.pop(key, None)
            return default
        self._known[key] = encode(value)
        return value

    def _load_plain(self, key):
        rec = self._read(key, "rec")
        if rec[1] == GOOD:
            self._rec_good.add(key)
            return True, rec[2]
        bak = self._read(key, "bak")
        if bak[1] == GOOD:
            if rec[1] != MISSING:  # (missing: the instant between a save's two renames)
                self.log("store: %s; using the previous value, from %s"
                         % (self._what(key, rec), self._path(key, "bak")))
            return True, bak[2]
        return self._none_left(key, rec, bak)

    def _load_mirrored(self, key):
        rec = self._read(key, "rec")
        mir = self._read(key, "mir")
        if rec[1] == GOOD:
            if mir[1] in (CORRUPT, UNREADABLE):
                self.log("store: %s; the record is good, its mirror is written again"
                         % self._what(key, mir))
            if mir[1] != GOOD or mir[2] != rec[2]:  # missing, or a save cut before it
                self._repair(key, "mir", rec[2])
            return True, rec[2]
        if mir[1] == GOOD:
            self.log("store: %s; using its mirror" % self._what(key, rec))
            self._repair(key, "rec", mir[2])
            return True, mir[2]
        return self._none_left(key, rec, mir)

    def _none_left(self, key, first, second):
        if first[1] != MISSING or second[1] != MISSING:  # both missing: never saved
            self.log("store: %s and %s: no good copy is left"
                     % (self._what(key, first), self._what(key, second)))
        return False, None

    def _repair(self, key, ext, value):
        if self.resting:
            return  # the good copy serves; a wake after the rest writes the other
        try:
            self._replace(key, ext, encode(value))
            self._remove(key, "bak")  # an unmirrored record's previous value, now stale
        except OSError as err:  # the good copy still serves; the next load tries again
            self.refused = True
            self.log("store: could not write %s again: %s" % (self._path(key, ext), err))

    def _write_tmp(self, key, record):
        tmp = self._path(key, "tmp")
        with self.fs.open(tmp, "wb") as f:
            f.write(record)
        return tmp

    def _replace(self, key, ext, record):
        """Write the file through a temporary one: whole, or not at all."""
        self.fs.rename(self._write_tmp(key, record), self._path(key, ext))

    def _remove(self, key, ext):
        name = self._path(key, ext)
        if self.fs.exists(name):
            self.fs.remove(name)

    def save(self, key, value):
        record = encode(value)
        if key not in self._known:
            self.load(key)
        if key in self._known and decode(self._known[key]) == value:
            return False
        # Forget what flash holds until this write completes: a failed write
        # must not make the next save believe the value is already there.
        self._known.pop(key, None)
        try:
            if key in self._mirrored:
                self._replace(key, "rec", record)
                self._replace(key, "mir", record)
                self._remove(key, "bak")
            else:
                self._save_plain(key, record)
        except OSError as err:
            self._rec_good.discard(key)
            self.refused = True
            raise StoreError("store: could not write %s: %s" % (self._path(key, "rec"), err))
        self._known[key] = record
        self._rec_good.add(key)
        return True

    def _save_plain(self, key, record):
        tmp, rec = self._write_tmp(key, record), self._path(key, "rec")
        # A damaged .rec must not replace the good backup: then tmp
        # replaces .rec directly (rename over a file is atomic too).
        if key in self._rec_good:
            self.fs.rename(rec, self._path(key, "bak"))
        self.fs.rename(tmp, rec)

    def delete(self, key):
        self._known.pop(key, None)
        self._rec_good.discard(key)
        # The backup goes before the record: a cut in between leaves the
        # current value, never an older one back from the dead.
        for ext in ("tmp", "bak", "mir", "rec"):
            try:
                self._remove(key, ext)
            except OSError as err:
                raise StoreError("store: could not remove %s: %s" % (self._path(key, ext), err))
