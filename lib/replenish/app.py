# The application, called by main.py with the board it runs on: load the
# settings, build the device's parts, then run a wake every measuring period,
# deep-sleeping between wakes on battery. A crash is written to the console
# and to a small log on flash, then the board resets: a device in a cupboard
# must come back by itself.
import io
import sys

from level_probe import check_pin
from replenish import config, safemode
from replenish.calibration import Calibration
from replenish.clock import iso8601
from replenish.connector import SocketConnector
from replenish.cycle import SLOTS, Cycle
from replenish.drs import Drs
from replenish.http import Http
from replenish.lwa import Lwa
from replenish.sensors import open_sensor
from replenish.slots import Slot
from replenish.store import Store

VERSION = "0.1.0"
CRASH_LOG = "crash.log"
CRASH_LOG_MAX = 2048  # bytes kept: the last traceback, not a growing file
LINK_FILE = "link.json"  # {"refresh_token": "Atzr|..."}, written by tools/link.py
WATCHDOG_MS = 120000  # longer than any wake: TLS handshakes take seconds
FEED_MS = 30000


def format_exception(exc):
    buf = io.StringIO()
    if hasattr(sys, "print_exception"):
        sys.print_exception(exc, buf)  # MicroPython
    else:
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=buf)
    return buf.getvalue()


def log_crash(board, exc):
    text = format_exception(exc)
    print("crash:", text)
    try:
        with board.fs.open(CRASH_LOG, "w") as f:
            f.write(text[-CRASH_LOG_MAX:])
    except OSError as err:
        print("crash: could not write", CRASH_LOG, err)


def take_link(board, lwa, log):
    """A refresh token left by the linking tool becomes the device's, then the
    file goes: the token lives on only in the store."""
    import json

    with board.fs.open(LINK_FILE) as f:
        token = json.loads(f.read()).get("refresh_token")
    if not token:
        raise config.ConfigError("%s holds no refresh_token" % LINK_FILE)
    lwa.link(token)
    board.fs.remove(LINK_FILE)
    log("linked to the customer's Amazon account")


def build(board, cfg, log=print):
    store = Store(board.fs, log=log)
    calibration = Calibration(store)
    saved = store.load(SLOTS, {})
    slots, sensors = [], {}
    for section in cfg.slots:
        data = section.data
        slot_id = section.get("id", str)
        try:
            slots.append(Slot(data, saved.get(slot_id)))
            if section.section("sensor").get("type", str) == "probe":
                check_pin(data["sensor"]["pin"])  # ADC2 can't be read with Wi-Fi on
        except (KeyError, TypeError, ValueError) as err:
            raise config.ConfigError("%s: %s" % (section.where, err))
        try:
            sensors[slot_id] = open_sensor(board, data, calibration.get(slot_id))
        except (KeyError, TypeError, ValueError) as err:
            # The slot stays faulty, so nothing is reported or ordered from it.
            sensors[slot_id] = "cannot be read: %s" % err
            log("slot %s: %s" % (slot_id, sensors[slot_id]))
    http = Http(board.clock, SocketConnector(board.fs, cfg.ca_files))
    lwa = Lwa(http, store, board.clock, cfg.client_id, cfg.client_secret(),
              url=cfg.lwa_url, log=log)
    if board.fs.exists(LINK_FILE):
        take_link(board, lwa, log)
    drs = Drs(http, lwa, board.clock, url=cfg.drs_url)
    return Cycle(board, store, slots, sensors, drs, lwa,
                 lambda: (cfg.wifi_ssid, cfg.wifi_password()), log=log)


def pause(board, dog, ms):
    """Mains power: wait for the next wake, feeding the watchdog."""
    while ms > 0:
        step = min(ms, FEED_MS)
        board.clock.sleep_ms(step)
        dog.feed()
        ms -= step


def run(board):
    print("replenish", VERSION, "on", board.name)
    why = safemode.requested(board)
    if why:
        print("safe mode:", why, "- the app does not start")
        return "safe-mode"
    try:
        cfg = config.load(board.fs)
        cycle = build(board, cfg)
    except config.ConfigError as err:
        print("configuration error:", err)
        print("fix the file on the device (mpremote), then reset it")
        return "config-error"
    dog = board.watchdog(WATCHDOG_MS)
    period_ms = cfg.measure_every_s * 1000
    while True:
        try:
            outcome = cycle.wake()
        except Exception as exc:
            log_crash(board, exc)
            board.reset()
            return "crashed"  # only where reset() returns: the simulated board
        print("wake", iso8601(board.clock.now()) + ":", outcome)
        dog.feed()
        if cfg.battery:
            board.deep_sleep(period_ms)  # the board starts again at boot.py
        else:
            pause(board, dog, period_ms)
