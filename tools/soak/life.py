# One profile's year: the firmware in-process under CPython on the soak
# board, one app.run per wake (a fresh boot: only the board object, its
# flash, RTC and pins, outlives it), the emulator in its own process, the
# household, the seeded faults, and the checks after every wake.
import contextlib
import gc
import io
import json
import random
import tempfile
from array import array
from collections import deque
from pathlib import Path

from replenish import app, schedule
from tools.profiles import START, WIFI, Profile
from tools.sim.board import DeepSleep, Reset, SoftReset, WatchdogReset
from tools.sim.clock import VirtualClock
from tools.soak import checks, inject
from tools.soak.emulator import EmulatorProcess
from tools.soak.household import SoakHousehold
from tools.soak.plan import DAY, HOUR, draw
from tools.soak.world import PowerLost, SoakBoard

BOOT_S = 1  # an ESP32's boot after a reset, before main.py runs
RECOVERY_S = 6 * HOUR  # after a fault: a cold boot's spread (4 h) or the longest backoff
FLASH_RECOVERY_S = DAY  # a crash loop's backoff doubles up to a day
STATUS_STRETCH_S = 7 * HOUR  # healthy this long after the session minute: a status is owed
DELIVERY_S = 72 * HOUR  # the emulator's cancel window plus transit
WATCH_WAKES = 3  # wakes after a fault whose console tells what the device did
LIB = Path(__file__).resolve().parent.parent.parent / "lib"
RECENT = 40  # console lines kept for a breach report
KEPT_BREACHES = 3  # per rule, with their console; the rest are counted


class Life:
    def __init__(self, name, seed, days, per_day, every_s=None, traps=None, console=None):
        self.console = console  # a file for every console line, or None
        self.name, self.seed, self.days = name, seed, days
        self.profile = Profile(name)
        self.rand = random.Random("%s/%d" % (name, seed))
        random.seed(seed)  # the firmware's backoff jitter
        self.world = VirtualClock(START)
        self.end = START + days * DAY
        self.emulator = EmulatorProcess(START)
        self.ssid = WIFI[0]
        self.board = SoakBoard(self.world, self.emulator, traps, self.rand, *WIFI)
        self.identity = {"model": self.profile.model, "serial": self.profile.serial,
                         "test_device": True}
        self.secrets = {WIFI[1]}
        self._install(every_s)
        specs = self.profile.world(days, 0, 0)["slots"]
        self.household = SoakHousehold(self.board, specs, START)
        self.low = dict((s["id"], s.get("low", 0.1 * s["capacity"]) / s["capacity"])
                        for s in self.cfg["slots"])
        self.plan = draw(self.rand.getrandbits(32), START, days, [s["id"] for s in specs],
                         per_day)
        self.pending = list(self.plan)  # not yet started
        self.active = []  # started windows, not ended
        self.cuts = []
        self.cut_watch = None
        self.last_steps = 20
        self.unlinked_since = None
        self.watching = []  # [fault, wakes left] whose console we read
        self.open_orders = {}  # id -> (placed_at, slot), as the fulfilment side sees them
        self.dry_since = {}  # slot -> since when it is low with no order open
        self.recent = deque(maxlen=RECENT)
        self.breaches = []
        self.breach_count = {}  # rule -> how many
        self.breach_kinds = {}  # fault kind active at a breach -> how many
        self.unhealthy = []  # (from, to): the network or the device was not fit to report
        self.status_days = set()
        self.writes = array("l", [0] * (days + 2))
        self.heap = array("l")
        self.wakes = 0  # boots, in fact: a wake is one or more (soft resets between)
        self.last_outcome = None
        self.outcomes = {}
        self.cut_records = set()

    # --- set-up: what the device maker writes, then the customer's link

    def _install(self, every_s):
        control = self.emulator.control
        creds = control.create_model(self.profile.model, self.profile.slots)
        self.secrets.add(creds["client_secret"])
        self.token = control.create_device(**self.identity)["refresh_token"]
        self.secrets.add(self.token)
        with tempfile.TemporaryDirectory() as folder:
            cfg = self.profile.device_files(folder, self.emulator, creds, battery=True)
            cfg["device"]["test_device"] = True
            if every_s:
                cfg["measure_every_s"] = every_s
            (Path(folder) / "config.json").write_text(json.dumps(cfg))
            (Path(folder) / "link.json").write_text(json.dumps({"refresh_token": self.token}))
            for path in sorted(Path(folder).rglob("*")):
                name = path.relative_to(folder).as_posix()
                if path.is_dir():
                    self.board.fs.dirs.add(name)
                else:
                    self.board.fs.files[name] = path.read_bytes()
        self.cfg = cfg
        self.session_offset = schedule.session_minute(self.profile.serial) * 60

    # --- the year

    def run(self):
        try:
            _import_firmware()  # what a wake imports on first use is no growth
            gc.collect()
            gc.freeze()  # the heap samples count what the wakes leave, not the set-up
            while self.world.now() < self.end:
                self._faults_due()
                self._wake()
            self._final_checks()
        finally:
            gc.unfreeze()
            self.emulator.stop()
        return self

    def _faults_due(self):
        now = self.world.now()
        for fault in list(self.active):
            if fault.until <= now:
                self.active.remove(fault)
                inject.end(self, fault)
                self._unhealthy(fault, fault.until)
                self.watching.append([fault, WATCH_WAKES])
        while self.pending and self.pending[0].at <= now:
            fault = self.pending.pop(0)
            inject.start(self, fault)
            if fault.until > fault.at:
                self.active.append(fault)
            elif fault.group not in ("power", "service") and fault.kind not in inject.ONE_SHOT:
                self._unhealthy(fault, fault.at)
                self.watching.append([fault, WATCH_WAKES])

    def _unhealthy(self, fault, until):
        if fault.group == "sensor":
            return
        if fault.group == "account":
            until = until + DAY  # taken at the next boot, the session may wait a day
        self.unhealthy.append((fault.at, until + (FLASH_RECOVERY_S if fault.kind == "flash full"
                                                  else RECOVERY_S)))

    def _wake(self):
        board, fs = self.board, self.board.fs
        if self.last_outcome != "soft reset":
            self.world.advance(BOOT_S)
        began = self.world.now()
        for line in self.household.step(began, self._deliveries(began)):
            self.recent.append(line)
        cut = inject.arm_cuts(self)
        if cut is None:
            fs.new_wake()
        writes = fs.writes
        hits = dict(board.hits)
        board.used_network = False
        lines = []
        outcome = self._boot(lines)
        if self.cut_watch:
            self.world.watchers.remove(self.cut_watch)
            self.cut_watch = None
        if outcome == "power cut":
            self.cut_records.add(fs.cut_where if cut and cut.kind.endswith("write") else None)
            if cut:
                cut.hit = True
                self.cuts.remove(cut)
                self._unhealthy(cut, began)
                self.watching.append([cut, WATCH_WAKES])
            board.power_cut()
            fs.dead = False
        else:
            self.last_steps = max(1, fs.wake_steps)
        board.forget_dead_watchdogs()
        self.wakes += 1
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        self.last_outcome = outcome
        day = min((began - START) // DAY, self.days + 1)
        self.writes[day] += fs.writes - writes
        if self.writes[day] > checks.MAX_WRITES_PER_DAY >= self.writes[day] - (fs.writes - writes):
            self.breach(began, "flash writes within budget", "more than %d flash writes on "
                        "day %d" % (checks.MAX_WRITES_PER_DAY, day))
        self._after_wake(began, outcome, lines, hits)

    def _boot(self, lines):
        # What the firmware prints itself (the store's own log) is console too.
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                return self._app(lines)
        finally:
            lines.extend(printed.getvalue().splitlines())

    def _app(self, lines):
        try:
            app.run(self.board, console=lines.append)
            return "returned to the REPL"
        except DeepSleep:
            return "sleep"
        except Reset:
            return "reset"
        except SoftReset:
            return "soft reset"
        except WatchdogReset:
            return "watchdog"
        except PowerLost:
            return "power cut"
        except Exception as err:  # noqa: BLE001 - the breach is what we report
            lines.append("ESCAPED: %s: %s" % (type(err).__name__, err))
            return "escaped (%s)" % type(err).__name__

    # --- after each wake

    def _after_wake(self, at, outcome, lines, hits):
        board = self.board
        when = "day %d %s" % ((at - START) // DAY, _hhmm(at))
        for line in lines:
            self.recent.append(when + " " + line)
            if self.console:
                self.console.write("%s %s %s\n" % (self.name, when, line))
        if outcome not in checks.ENDINGS:
            self.breach(at, "no escape to the REPL", "the boot ended: %s" % outcome)
        self._read_console(lines, hits)
        for place, secret in checks.scan_flash(board.fs, self.secrets):
            self.breach(at, "no secret in any file", "%s holds %s" % (place, secret))
        for secret in checks.secrets_in("\n".join(lines), self.secrets):
            self.breach(at, "no secret in the console", checks.mask(secret))
        self._token_kept(at)
        if board.used_network:
            self._service_log(at)
        self._stocked(at)
        gc.collect()
        self.heap.append(len(gc.get_objects()))

    def _read_console(self, lines, hits):
        board = self.board
        for fault in self.active:
            fault.hit = True
        for kind, flag in (("binary answer", "binary"), ("watchdog (DNS hangs 150 s)", "watchdog")):
            if board.hits[flag] > hits[flag]:
                self._one_shot_hit(kind)
        found = checks.reactions(lines)
        for fault in [e[0] for e in self.watching] + self.active:
            fault.reactions.update(found)
        for entry in self.watching:
            entry[1] -= 1
        self.watching = [e for e in self.watching if e[1] > 0]

    def _one_shot_hit(self, kind):
        for fault in self.plan:
            if fault.kind == kind and fault.started and not fault.hit:
                fault.hit = True
                self.unhealthy.append((self.world.now(), self.world.now() + RECOVERY_S))
                self.watching.append([fault, WATCH_WAKES])
                return

    def unlinked(self, fault):
        """The device's token no longer works: it may forget it, until the
        customer's new link is in its store."""
        self.unlinked_since = fault.at
        self.token = None

    def _token_kept(self, at):
        held = checks.refresh_token(self.board.fs)
        if self.unlinked_since is not None:
            if held is not None and held == self.token and "link.json" not in self.board.fs.files:
                self.unlinked_since = None  # linked again
            return
        if held is None and "link.json" not in self.board.fs.files:
            self.breach(at, "refresh token kept unless revoked",
                        "no copy of the refresh token is left in the store")
        elif held is not None and held != self.token:
            self.breach(at, "refresh token kept unless revoked",
                        "the store holds a token the emulator did not issue last")

    def _service_log(self, at):
        control = self.emulator.control
        seen = control.requests()
        control.clear_requests()
        for d in control.deviations():
            self.breach(at, "strict emulator: no deviation", "%s (%s): %s -> %s" % (
                d["rule"], d["detail"], d["request"], d["status"]))
        control.clear_deviations()
        ordered = False
        for r in seen:
            if r["fault"]:
                self._service_hit(r["fault"], at)
            if r["status"] != 200:
                continue
            if r["endpoint"] == "device_status":
                self.status_days.add(self._period(at))
            elif r["endpoint"] == "replenish":
                ordered = True
                self._order_sane(at, r["path"].rsplit("/", 1)[-1])
        if ordered:
            self.emulator.set_clock(self.world.now())
            for order in control.orders():
                if order["status"] in ("Pending", "Processing"):
                    self.open_orders.setdefault(order["id"], (order["placed_at"], order["slot"]))

    def _stocked(self, at):
        """The mission: a slot below its low mark gets an order. Faults may
        delay it by days (checks.DRY_S), never by weeks."""
        ordered = set(slot for _, slot in self.open_orders.values())
        for slot, low in self.low.items():
            since = self.dry_since.get(slot)
            if self.household.level(slot) >= low or slot in ordered:
                self.dry_since[slot] = None
            elif since is None:
                self.dry_since[slot] = at
            elif at - since > checks.DRY_S:
                self.breach(at, "a low slot is ordered", "slot %s below its low mark for %d "
                            "days with no order open" % (slot, (at - since) // DAY))
                self.dry_since[slot] = at  # once per stretch

    def _service_hit(self, kind, at):
        names = [k for k, v in inject.SERVICE.items() if v == kind] or ["5xx"]
        for fault in self.plan:
            if fault.kind in names and fault.started and not fault.hit:
                fault.hit = True
                self.watching.append([fault, WATCH_WAKES])
                break
        self.unhealthy.append((at, at + RECOVERY_S))

    def _order_sane(self, at, slot):
        # Readings are faulty when they say low and the container is not:
        # a sensor fault the firmware's checks and filters let through to an
        # order shows here whatever the fault was; one that was caught, or an
        # order through a fault that left the readings true, does not.
        level = self.household.level(slot)
        if level > self.low[slot] + checks.LEVEL_MARGIN:
            self.breach(at, "no order from faulty readings",
                        "replenish %s with the container %d%% full" % (slot, 100 * level))

    def _deliveries(self, now):
        """Fulfilment: an open order arrives 72 h after it was placed (one in
        twenty is cancelled by the customer instead); the slot's new
        container goes in."""
        arrived = []
        for order_id, (placed, _) in sorted(self.open_orders.items()):
            if now - placed < DELIVERY_S:
                continue
            self.emulator.set_clock(now)
            cancel = self.rand.random() < 0.05
            order = self.emulator.control.force_order_state(
                order_id, "Canceled" if cancel else "Delivered")
            del self.open_orders[order_id]
            if not cancel:
                arrived.append(order["orderInfoData"]["orderItems"][0]["slotId"])
        return arrived

    # --- the end

    def _period(self, at):
        """The status period a time falls in: from one session minute to the next."""
        return (at - START - self.session_offset) // DAY

    def _final_checks(self):
        control = self.emulator.control
        self.emulator.set_clock(self.world.now())
        orders = control.orders()
        self.orders = len(orders)
        for slot, a, b in checks.overlapping_orders(orders):
            self.breach(self.end, "no duplicate order", "slot %s: orders %s… and %s… open "
                        "at once" % (slot, a[:24], b[:24]))
        self.status_owed = set()
        for period in range(0, self.days - 1):
            begin = START + self.session_offset + period * DAY
            if checks.healthy_stretch(begin, begin + DAY, self.unhealthy) >= STATUS_STRETCH_S:
                self.status_owed.add(period)
                if period not in self.status_days:
                    self.breach(begin, "device status every day the network was up",
                                "no device status from %s for a day" % _hhmm(begin))
        growth, median = checks.trend(list(self.heap))
        self.heap_growth, self.heap_median = growth, median
        if growth > max(checks.HEAP_GROWTH * median, checks.HEAP_FLOOR):
            self.breach(self.end, "heap flat", "the heap grew by %d objects over %d wakes "
                        "(median %d)" % (growth, len(self.heap), median))

    def breach(self, at, rule, what):
        """Counted per rule; the first few kept whole, with the console before them."""
        self.breach_count[rule] = self.breach_count.get(rule, 0) + 1
        active = sorted(set(f.kind for f in self.active))
        for kind in active:
            self.breach_kinds[kind] = self.breach_kinds.get(kind, 0) + 1
        if self.breach_count[rule] <= KEPT_BREACHES:
            self.breaches.append({"at": at, "day": (at - START) // DAY, "rule": rule,
                                  "what": what, "faults": active,
                                  "console": list(self.recent)[-12:]})


def _import_firmware():
    import importlib
    import traceback  # noqa: F401 - a crash's traceback is formatted with it

    for path in sorted(LIB.glob("*.py")) + sorted((LIB / "replenish").glob("*.py")):
        if path.stem not in ("board", "__init__") or path.parent == LIB:
            module = path.stem if path.parent == LIB else "replenish." + path.stem
            importlib.import_module(module)


def _hhmm(t):
    return "%02d:%02d" % (t % DAY // 3600, t % 3600 // 60)
