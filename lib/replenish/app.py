# The application, called by main.py with the board it runs on. One boot is
# one wake on battery (deep sleep is a reset: the next wake starts again at
# boot.py with an empty heap, only flash and RTC memory kept); on mains power
# the wakes loop in one boot. Boot never escapes to the REPL and never loops:
# a broken setting, a bad linking file or a failing flash is said on the
# console and in crash.log in words that say what to fix, the device stays
# reachable with mpremote for a while, then sleeps long. A crash in a wake is
# counted across resets (crashes.py) and the board resets.
from replenish import crashes, heap, policy, redact, schedule
from replenish.cycle import SERVICE, SLOTS, Cycle, flash_rests
from replenish.heap import RADIO
from replenish.rtcmem import RtcMemory
from replenish.slots import Slot
from replenish.status import wake_line
from replenish.store import Store

VERSION = "0.2.0"
LINK_FILE = "link.json"  # {"refresh_token": "Atzr|..."}, written by tools/link.py
WATCHDOG_MS = 120000  # longer than a wake's budget (cycle.BUDGET_MS)
FEED_MS = 30000
REACHABLE_S = 120  # after a boot error: time to connect with mpremote...
REST_S = 86400  # ...then sleep this long before trying again


def take_link(board, lwa, log):
    """A refresh token left by the linking tool becomes the device's, then the
    file goes: the token lives on only in the store."""
    from replenish import config

    token = config.read_json(board.fs, LINK_FILE).get("refresh_token")  # size-checked
    if not isinstance(token, str) or not token.startswith("Atzr|"):
        raise config.ConfigError("%s holds no refresh token: copy a new one made by "
                                 "tools/link.py to the device" % LINK_FILE)
    lwa.link(token)
    board.fs.remove(LINK_FILE)
    log("linked to the customer's Amazon account")


def network(board, cfg, store, rtc, log):
    """The service side, built only when a wake talks: a quiet wake's heap
    holds none of it."""
    from replenish.drs import Drs
    from replenish.http import Http
    from replenish.lwa import Lwa

    http = Http(board.clock, board.connector(cfg.ca_files))
    lwa = Lwa(http, store, board.clock, cfg.client_id, cfg.client_secret(),
              url=cfg.lwa_url, log=log, rtc=rtc)
    return Drs(http, lwa, board.clock, url=cfg.drs_url), lwa


def build(board, cfg, store, rtc, log=print, sensors=True):
    """The wake's parts. sensors=False for the radio half: its slots come from
    memory and no sensor code is imported, so the network code has the heap;
    nothing of it refers to cfg afterwards, so the config's code can go."""
    from replenish import config

    connect = lambda: network(board, cfg, store, rtc, log)  # noqa: E731
    login = lambda: (cfg.wifi_ssid, cfg.wifi_password())  # noqa: E731 - read late
    if not sensors:
        try:
            service = network(board, cfg, store, rtc, log)  # its blocks first: heap.py
            connect = lambda: service  # noqa: E731
        except (OSError, MemoryError):  # said by the wake that needs it (cycle._radio)
            pass
        credentials = (cfg.wifi_ssid, cfg.wifi_password())
        login = lambda: credentials  # noqa: E731
    saved = rtc.get(SLOTS) or store.load(SLOTS, {})
    slots, opened = [], {}
    if sensors:
        from replenish.calibration import Calibration
        from replenish.sensors import open_sensor

        calibration = Calibration(store)
    for section in cfg.slots:
        data = section.data
        slot_id = section.get("id", str)
        try:
            slots.append(Slot(data, saved.get(slot_id)))
        except (KeyError, TypeError, ValueError) as err:
            raise config.ConfigError("%s: %s" % (section.where, err))
        if not sensors:
            continue
        try:
            opened[slot_id] = open_sensor(board, data, calibration.get(slot_id))
        except (KeyError, TypeError, ValueError) as err:
            if "ADC2" in str(err):  # wiring, not calibration: a person must move the probe
                raise config.ConfigError("%s: %s" % (section.where, err))
            # The slot stays faulty, so nothing is reported or ordered from it.
            opened[slot_id] = "cannot be read: %s" % err
            log("slot %s: %s" % (slot_id, opened[slot_id]))
    cycle = Cycle(board, store, slots, opened, connect, login, log=log,
                  rules=dict(policy.RULES, report_s=cfg.report_s), rtc=rtc,
                  test_device=cfg.test_device, serial=cfg.serial, window=cfg.session_window,
                  spread_s=cfg.spread_s, static_ip=cfg.static_ip)
    if board.fs.exists(LINK_FILE):
        from replenish.lwa import Lwa

        # Taking the token is a store write: no network side needed for it.
        take_link(board, Lwa(None, store, board.clock, cfg.client_id, cfg.client_secret(),
                              rtc=rtc), log)
    return cycle


def rest(board, why, console=print, dog=None):
    """Boot can't go on: say why, stay reachable for mpremote, then sleep long."""
    console("%s\nthe device stays reachable with mpremote for %d s, then sleeps %d h"
          % (why, REACHABLE_S, REST_S // 3600))
    pause(board, dog, REACHABLE_S * 1000)
    board.deep_sleep(REST_S * 1000)


def pause(board, dog, ms):
    """Wait, feeding the watchdog if there is one."""
    while ms > 0:
        step = min(ms, FEED_MS)
        board.clock.sleep_ms(step)
        if dog:
            dog.feed()
        ms -= step


def before_sleep(board, rtc):
    """What must not stay on through deep sleep: the radio (the HX711s are
    powered down, their clock line held high, as soon as they are read)."""
    board.wlan().active(False)
    keep(rtc)


def keep(rtc):
    """RTC memory saved. Over its 2 KB, or with no heap left to encode it,
    what has another home goes first (the access token is fetched again, the
    service memory is in flash); if even that fails it is cleared, so that no
    stale copy outlives a newer one in flash."""
    import gc

    for spare in ("lwa_access", SERVICE, None):
        try:
            rtc.save()
            return
        except (ValueError, MemoryError):
            if spare is None:
                rtc.clear()
                return
            rtc.pop(spare)
            gc.collect()


def run(board, console=print):
    """One boot: on battery it ends in deep sleep (or a reset), on mains it
    loops wakes. `console` is the serial console (print): every line goes
    through redact first, so no secret reaches it whatever a message holds."""
    serial = console
    console = lambda text: serial(redact.redact(text))  # noqa: E731
    console("replenish %s on %s - %s" % (VERSION, board.name, board.reset_cause()))
    from replenish import config, safemode

    why = safemode.requested(board)
    if why:
        rest(board, "safe mode: %s - the app does not start" % why, console)
        return "safe-mode"
    rtc = RtcMemory(board)
    try:
        store = Store(board.fs, log=console)
        store.resting = flash_rests(rtc, board.clock.now())
        counted = crashes.Crashes(board, store, rtc, console)
        why = counted.safe_mode()
        if why:
            rest(board, "safe mode: " + why, console)
            return "safe-mode"
        backoff = counted.backoff_s()
        if backoff:
            console("%d crashes in a row: sleeping %d min before the next try"
                  % (counted.count, backoff // 60))
            board.deep_sleep(backoff * 1000)
        cfg = config.load(board.fs)
        radio = rtc.get(RADIO)
        if radio:
            rtc.pop(RADIO)  # once: a crash in the radio half starts a whole wake again
            rtc.save()
        cycle = build(board, cfg, store, rtc, console, sensors=not radio)
    except Exception as err:  # noqa: BLE001 - boot must never escape to the REPL
        words = str(err) if isinstance(err, config.ConfigError) else crashes.format_exception(err)
        crashes.write_log(board, "boot failed: %s\nfix the file on the device (mpremote), "
                          "then reset it" % words, console)
        rest(board, "the app did not start", console)
        return "boot-error"
    period_s, battery = cfg.measure_every_s, cfg.battery
    units = dict((s.data.get("id"), s.data.get("unit", "units")) for s in cfg.slots)
    if radio:  # the config's code is done with: its heap goes to the network
        cfg = config = safemode = None
        heap.unload("replenish.config", "replenish.safemode")
    dog = board.watchdog(WATCHDOG_MS)
    try:
        outcome = half(board, cycle, rtc, radio, dog)
    except Exception as exc:  # noqa: BLE001 - counted, logged, and the board resets
        counted.record(exc)
        board.reset()
        return "crashed"  # only where reset() returns: the simulated board
    counted.clear()
    now = board.clock.now()
    radio_at = cycle.next_radio()
    sleep_s = schedule.sleep_s(now, period_s, radio_at)
    console(wake_line(now, cycle.slots, units, outcome, cycle.radio_ms, now + sleep_s,
                      radio_at))
    dog.feed()
    before_sleep(board, rtc)
    if battery:
        board.deep_sleep(sleep_s * 1000)  # the board starts again at boot.py
    pause(board, dog, sleep_s * 1000)  # mains: the next wake starts with a fresh heap too
    board.soft_reset()


def half(board, cycle, rtc, radio, dog):
    """This boot's half of the wake. The radio half runs after a soft reset,
    which on the ESP32 empties the heap but keeps the RTC memory (and the
    watchdog running); a wake that must set the clock first comes back to
    measure with a true date."""
    if not radio:
        if not cycle.measure():
            return "idle"
        rtc.set(RADIO, True)
        keep(rtc)
        board.soft_reset()
    outcome = cycle.talk(dog.feed)
    if outcome == "clock-set":
        keep(rtc)
        board.soft_reset()
    return outcome
