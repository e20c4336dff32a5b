# The application's entry point, called by main.py with the board it runs on.
# A crash is written to the console and to a small log on flash, then the
# board resets: a device in a cupboard must come back by itself.
import sys

from replenish import safemode

VERSION = "0.1.0"
CRASH_LOG = "crash.log"
CRASH_LOG_MAX = 2048  # bytes kept: enough for the last traceback, no flash wear race


def log_crash(board, exc):
    import io

    buf = io.StringIO()
    sys.print_exception(exc, buf) if hasattr(sys, "print_exception") else _format(exc, buf)
    text = buf.getvalue()
    print("crash:", text)
    try:
        with board.fs.open(CRASH_LOG, "w") as f:
            f.write(text[-CRASH_LOG_MAX:])
    except OSError as err:
        print("crash: could not write", CRASH_LOG, err)


def _format(exc, buf):
    import traceback

    traceback.print_exception(type(exc), exc, exc.__traceback__, file=buf)


def run(board):
    print("replenish", VERSION, "on", board.name)
    why = safemode.requested(board)
    if why:
        print("safe mode:", why, "- the app does not start")
        return "safe-mode"
    try:
        print("nothing to do yet: the measuring and ordering cycle is not built")
        return "idle"
    except Exception as exc:
        log_crash(board, exc)
        board.reset()
