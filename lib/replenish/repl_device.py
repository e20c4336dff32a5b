# What the REPL helpers (repl.py) work on: the board they run on, its flash,
# RTC memory and settings, and the firmware's own wake built from them
# (app.build). A Device is made afresh for each helper, so a file copied to
# the board between two calls counts. Everything said goes through redact:
# no secret reaches the console, whatever an error quotes.
import sys

from replenish import config, redact
from replenish.rtcmem import RtcMemory
from replenish.store import Store

console = print  # where the helpers write (a test hands in its own)
_esp32 = None


def say(text):
    console(redact.redact(text))


def ask(prompt, answers=None):
    """The reply to a prompt, stripped: typed at the console (input()), or,
    for scripts and tests, the next of `answers` (a list, used up in order)
    or what answers(prompt) returns. The prompt and reply are said either way."""
    if answers is None:
        return input(prompt + " ").strip()
    if callable(answers):
        reply = answers(prompt)
    elif answers:
        reply = answers.pop(0)
    else:
        raise ValueError("no answer left for: " + prompt)
    say("%s %s" % (prompt, reply))
    return str(reply).strip()


def find_board():
    """The virtual device's board, handed in by its power-on; else the ESP32."""
    global _esp32
    handed = sys.modules.get("virtual_board")
    if handed:
        return handed.board
    if _esp32 is None:
        from replenish.board import Esp32Board

        _esp32 = Esp32Board()
    return _esp32


class Device:
    def __init__(self):
        self.board = find_board()
        self.store = Store(self.board.fs, log=say)
        self.rtc = RtcMemory(self.board)
        self._cfg = None
        self._cycle = None

    @property
    def cfg(self):
        """config.json and secrets.json; a ConfigError says what to fix."""
        if self._cfg is None:
            self._cfg = config.load(self.board.fs)
        return self._cfg

    @property
    def cycle(self):
        """The wake the firmware runs, built as a boot builds it (which also
        takes a link.json left on the flash)."""
        if self._cycle is None:
            from replenish import app

            self._cycle = app.build(self.board, self.cfg, self.store, self.rtc, say)
        return self._cycle

    def slot_config(self, slot_id):
        """The slot's section of config.json, or a ValueError naming the slots there are."""
        ids = []
        for section in self.cfg.slots:
            if section.data.get("id") == slot_id:
                return section.data
            ids.append(str(section.data.get("id")))
        raise ValueError("no slot %r in config.json: the slots are %s" % (slot_id, ", ".join(ids)))

    def units(self):
        return dict((s.data.get("id"), s.data.get("unit", "units")) for s in self.cfg.slots)

    def lwa(self):
        """The account link as kept in flash, without the network side (as
        app.build takes a link.json): enough to say whether it is linked."""
        from replenish.lwa import Lwa

        cfg = self.cfg
        return Lwa(None, self.store, self.board.clock, cfg.client_id, cfg.client_secret(), log=say)


def online(dev, work, tell=False):
    """work(drs, lwa) inside a radio session as a wake holds one: Wi-Fi
    joined, the clock set first if it is not (TLS refuses every certificate
    before), one connection per host; Wi-Fi is left whatever happens.
    tell: say how Wi-Fi joined, and ask SNTP even if the clock is set."""
    from replenish import wifi
    from replenish.clock import CLOCK_VALID_FROM, iso8601
    from replenish.cycle import CLOCK

    board = dev.board
    ssid, password = dev.cycle.wifi_login()
    began = board.clock.ticks_ms()
    joined = wifi.connect(board, ssid, password, rtc=dev.rtc, static_ip=dev.cfg.static_ip)
    try:
        if tell:
            say("Wi-Fi '%s': joined (%s) in %.1f s, address %s" % (
                ssid, joined, board.clock.ticks_diff(board.clock.ticks_ms(), began) / 1000,
                board.wlan().ifconfig()[0]))
        if tell or board.clock.now() < CLOCK_VALID_FROM:
            dev.rtc.set(CLOCK, board.sync_time())
            say("clock set by SNTP: %s" % iso8601(board.clock.now()))
        drs, lwa = dev.cycle.service()
        try:
            return work(drs, lwa)
        finally:
            drs.http.close()
    finally:
        wifi.leave(board)
        dev.rtc.save()


def guarded(helper):
    """A helper whose failure is said in one line, with what to do: a bad
    argument, a broken file, the network or the service. Nothing it saved
    before is lost. Anything else shows its (redacted) traceback."""

    def run(*args, **kwargs):
        try:
            helper(*args, **kwargs)
        except MemoryError:
            say("out of memory: reset the board and call the helper first thing")
        except Exception as err:  # noqa: BLE001 - the REPL user gets words, not a trace
            if _expected(err):
                say(str(err))
            else:
                from replenish.crashes import format_exception

                say("unexpected error, please report it:\n" + format_exception(err))
        return None

    return run


# Errors that carry a message meant for a person. Their modules are imported
# by whoever raised them, so looking them up costs no import.
EXPECTED = (("replenish.config", "ConfigError"), ("replenish.lwa", "LwaError"),
            ("replenish.drs", "DrsError"), ("replenish.http_errors", "HttpError"))


def _expected(err):
    if isinstance(err, (ValueError, OSError)):
        return True
    for module, name in EXPECTED:
        found = sys.modules.get(module)
        if found and isinstance(err, getattr(found, name)):
            return True
    return False
