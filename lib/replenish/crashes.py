# Crashes, counted across resets so a crash loop can't drain the battery or
# the customer's goodwill: the count lives in RTC memory (survives the reset
# that follows a crash) and in flash (survives a power cut). After a few in a
# row the device sleeps before trying again, an hour and then doubling up to
# a day, so a loop costs at most one wake (and one token grant) per period;
# after more it stays in safe mode, radio off, until a person looks.
#
#   crashes.safe_mode()  # why the app must not start (a crash loop), or None
#   crashes = Crashes(board, store, rtc)
#   crashes.backoff_s()  # seconds to sleep before this boot may wake, or 0
#   crashes.record(exc)  # a wake crashed: count it, log it (redacted)
#   crashes.clear()      # a wake went well
from replenish import redact

CRASH_LOG = "crash.log"
CRASH_LOG_MAX = 2048  # bytes kept: the last traceback, not a growing file
KEY = "crashes"  # RTC memory and store: {"n": in a row, "slept": n when it last backed off}
TOLERATED = 3  # crashes in a row before backing off
FIRST_BACKOFF_S = 3600
MAX_BACKOFF_S = 86400
SAFE_AFTER = 8  # then safe mode


def format_exception(exc):
    import io
    import sys

    buf = io.StringIO()
    if hasattr(sys, "print_exception"):
        sys.print_exception(exc, buf)  # MicroPython
    else:
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=buf)
    return redact.redact(buf.getvalue())


def write_log(board, text, console=print):
    """Console and crash.log; the text is already redacted."""
    console(text)
    try:
        with board.fs.open(CRASH_LOG, "w") as f:
            f.write(text[-CRASH_LOG_MAX:])
    except OSError as err:
        console("could not write %s (%s)" % (CRASH_LOG, err))


class Crashes:
    def __init__(self, board, store, rtc, console=print):
        self.board = board
        self.console = console
        self.store = store
        self.rtc = rtc
        kept = [rtc.get(KEY) or {}, self._stored()]
        self.state = max(kept, key=lambda s: s.get("n", 0))

    def _stored(self):
        try:
            return self.store.load(KEY, {})
        except OSError:
            return {}

    @property
    def count(self):
        return self.state.get("n", 0)

    def _save(self):
        self.rtc.set(KEY, self.state)
        try:
            self.rtc.save()
        except (ValueError, MemoryError):
            pass  # a crashed wake's heap may not encode it all: the flash has the count
        try:
            self.store.save(KEY, self.state)
        except OSError:
            pass  # a full or failing flash may be the crash itself: RTC memory has it

    def backoff_s(self):
        """How long this boot sleeps before it may wake, once per crash count."""
        n = self.count
        if n < TOLERATED or self.state.get("slept") == n:
            return 0
        self.state = dict(self.state, slept=n)
        self._save()
        return min(MAX_BACKOFF_S, FIRST_BACKOFF_S * 2 ** (n - TOLERATED))

    def record(self, exc):
        self.state = dict(self.state, n=self.count + 1)
        self._save()  # first: the count must survive even if the heap can't hold the log
        try:
            text = format_exception(exc)
        except MemoryError:
            text = "%s (no heap left for the traceback)" % type(exc).__name__
        write_log(self.board, "crash %d in a row:\n%s" % (self.count, text), self.console)

    def safe_mode(self):
        """Why the app must not start, after a crash loop; None otherwise."""
        if self.count < SAFE_AFTER:
            return None
        return ("the app crashed %d times in a row (see %s); the radio stays off. "
                "To leave: fix the cause, then mpremote exec \"import replenish.repl as r; "
                "r.leave_safe_mode()\"" % (self.count, CRASH_LOG))

    def clear(self):
        if self.count or self.state:
            self.state = {}
            self.rtc.pop(KEY)
            try:
                self.store.delete(KEY)
            except OSError:
                pass  # counted again, and cleared, on the next good wake
