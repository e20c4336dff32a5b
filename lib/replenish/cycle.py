# One wake: read the sensors, update the slots, decide (policy.py), turn
# Wi-Fi on only if something must be sent, act, and keep everything in flash.
# A failure of the network or the service never loses a reading: the slots are
# saved whatever happens, and what was not sent is sent on a later wake.
#
# The clock comes first: after a power-on the ESP32's RTC reads 2000-01-01,
# TLS refuses every certificate and every date would be wrong. A wake whose
# clock is not set joins Wi-Fi to set it by SNTP before it reads or sends
# anything dated; if that fails it keeps the slots as they are (the container
# still holds what it holds: the next wake reads it again) and sends nothing.
#
# The network side (Wi-Fi, SNTP, TLS, LWA, DRS) is imported only when a wake
# talks, so a quiet wake's heap holds none of it.
import random

from replenish import heap, policy, schedule
from replenish.clock import CLOCK_VALID_FROM, DAY, iso8601
from replenish.store import StoreError

SLOTS = "slots"  # {slot_id: Slot.state}
SERVICE = "service"  # policy.py's memory of the service
OWED = "r"  # in a slot's state: an event worth a slot status happened since the last one
MAX_ACTIONS = 32  # a wake never loops on the service, whatever it answers
RETRY_S = 300  # first wait after a network failure, doubled each time...
RETRY_MAX_S = 6 * 3600  # ...up to this
# A wake's time: well inside the watchdog's 120 s, so a slow service ends the
# wake cleanly (what was not sent waits for the next) instead of a reset.
BUDGET_MS = 90000
NEW_CONTAINER = ("refilled", "delivered")
REPORT = ("first", "consumed", "topped-up") + NEW_CONTAINER  # worth a slot status
ORDER_STALE_S = 21 * DAY  # an order the service never speaks of again
CLOCK = "clock"  # RTC memory: when SNTP last set the clock
FLASHED = "flashed"  # RTC memory: when the slot states last went to flash
SYNC_RETRY, SYNC_FAILS = "sync_at", "sync_fails"  # RTC memory: an unset clock's tries
SLOTS_FLASH_S = 6 * 3600  # ...and how long they may stay in RTC memory alone
BOOT = "boot"  # RTC memory: when this power-on's first wake ran (a power cut forgets it)
BACKOFF = ("retry_at", "failures")  # in the service memory, kept out of its flash copy
REFUSED = "refused"  # RTC memory: when the flash last refused a write...
FLASH_REST_S = SLOTS_FLASH_S  # ...and how long only the writes that matter are tried after it


class Cycle:
    def __init__(self, board, store, slots, sensors, connect, wifi_login, log=print,
                 rules=policy.RULES, rtc=None, test_device=False, serial="",
                 window=schedule.WHOLE_DAY, spread_s=schedule.SPREAD_S, static_ip=None):
        self.board = board
        self.clock = board.clock
        self.store = store
        self.slots = slots  # [Slot], their state restored from the store
        self.sensors = sensors  # {slot_id: sensor, or the reason it can't be read}
        self._connect = connect  # () -> (drs, lwa): the network side, built when first needed
        self._service = None
        self.wifi_login = wifi_login  # () -> (ssid, password): the password is read late
        self.log = log
        self.rules = rules
        self.rtc = rtc  # replenish.rtcmem.RtcMemory, or None
        self.test_device = test_device
        self.serial = serial  # the daily session's minute derives from it
        self.window = window
        self.spread_s = spread_s  # after a power cut, a fleet's missed sessions spread this far
        self.static_ip = static_ip
        self.feed = _nothing
        self.radio_ms = 0  # how long Wi-Fi was on this wake
        self.joined = None  # how Wi-Fi was joined: "fast", "cold" or None

    @property
    def drs(self):
        return self.service()[0]

    @property
    def lwa(self):
        return self.service()[1]

    def service(self):
        if self._service is None:
            self._service = self._connect()
        return self._service

    # --- the wake, in two halves
    #
    # measure() reads the sensors and decides; when the radio is needed the app
    # runs talk() in a fresh heap (a soft reset on the ESP32): the network code
    # and the sensors' code never share the ~110 KB. wake() does both in one heap.

    def wake(self, feed=None):
        outcome = "idle"
        for _ in range(2):  # a clock that was not set: set it, then the wake proper
            if not self.measure():
                return outcome
            outcome = self.talk(feed)
            if outcome != "clock-set":
                return outcome
        return outcome

    def measure(self):
        """Read every slot and decide; True when the radio must come on."""
        if not self._clock_set():
            # Only SNTP can set it; nothing dated is kept meanwhile. Its tries
            # back off in RTC memory: dates from before the power cut mean nothing.
            return not self.rtc or self.clock.now() >= (self.rtc.get(SYNC_RETRY) or 0)
        memory = self.memory()
        events = self._measure_all(memory)
        self._settle_orders(memory)
        due = self._decide(memory)
        self._save(memory, events)
        return bool(due)

    def talk(self, feed=None):
        """The radio half: join Wi-Fi, set the clock if due, send what is due."""
        self.feed = feed or _nothing
        self.radio_ms = 0
        self.joined = None
        self._began = self.clock.ticks_ms()
        memory = self.memory()
        outcome = self._radio(memory, self._clock_set())
        # The rooms heap.py kept for TLS and a large answer go to the flash
        # writes: after a session the heap is in small holes, and a record
        # read back whole once failed there.
        heap.free("tls")
        heap.free("parse")
        self._save(memory, outcome == "sent")  # a failed try changes no slot
        return outcome

    def _save(self, memory, flash_due):
        """Slot states go to RTC memory every wake (no flash wear) and to flash
        when a container changed, a fault came or went or a session went
        through, else every few hours: a power cut costs at most those hours
        of use statistics, never a new container or an order. A failing or full
        flash is said, not a crash: RTC memory carries the wake on."""
        states = dict((s.id, s.state) for s in self.slots)
        now = self.clock.now()
        if self.rtc:
            self.rtc.set(SLOTS, states)
            self.rtc.set(SERVICE, memory)  # what was sent, also when the flash fails
            if not flash_due and now - (self.rtc.get(FLASHED) or 0) < SLOTS_FLASH_S:
                states = None
            if not flash_due and self.store.resting:
                return  # a full flash: each try would wear it and fail again
            # The backoff stays in RTC memory: a failing network wears no flash.
            memory = dict((k, v) for k, v in memory.items() if k not in BACKOFF)
        try:
            self.store.save(SERVICE, memory)  # first: it says what must not be sent twice
            if states is not None:
                self.store.save(SLOTS, states)
                if self.rtc:
                    self.rtc.set(FLASHED, now)
        except (StoreError, MemoryError) as err:
            self.log("%s: the wake goes on from RTC memory until the flash takes it"
                     % (err if isinstance(err, StoreError) else "no heap left to write flash"))
        if self.store.refused and self.rtc:
            self.rtc.set(REFUSED, now)

    def memory(self):
        """The service memory: RTC memory's copy is the latest (flash may have
        failed to take it); after a power cut, the flash's."""
        return (self.rtc and self.rtc.get(SERVICE)) or self.store.load(SERVICE, {})

    def _clock_set(self):
        return self.clock.now() >= CLOCK_VALID_FROM

    def _measure_all(self, memory):
        """True when something worth keeping in flash at once happened: a new
        container (a fault is found again by the next reading)."""
        now = self.clock.now()
        happened = False
        for slot in self.slots:
            event = self._measure(slot, now)
            if event in REPORT:
                slot.state[OWED] = True  # kept with the slot: deep sleep must not lose it
            if event in NEW_CONTAINER:
                memory.get("orders", {}).pop(slot.id, None)  # the order arrived
            happened = happened or event in NEW_CONTAINER
        return happened

    def _settle_orders(self, memory):
        """Orders the slots say are over. After a power cut the service memory
        may come from an older copy in flash than the slots: an order placed
        before the slot's last new container has arrived. A shipped order is
        not asked after again (the refill shows on the sensor): if none shows
        in ORDER_STALE_S the slot may be ordered again, and the service
        answers ORDER_INPROGRESS while that order is still open. A cancelled
        order is remembered for a day."""
        orders = memory.get("orders", {})
        now = self.clock.now()
        for slot in self.slots:
            order = orders.get(slot.id)
            if not order:
                continue
            if order.get("cancelled"):
                if now - order["cancelled"] >= DAY:
                    del orders[slot.id]  # the customer had a day to say otherwise
            elif (slot.new_container_at or 0) > order["placed"]:
                self._close(memory, slot.id, "the order placed %s arrived: a new container "
                            "went in since" % iso8601(order["placed"]))
            elif order.get("shipped") and now - order["placed"] > ORDER_STALE_S:
                self._close(memory, slot.id, "the order shipped, but no new container showed in "
                            "%d days: the slot can be ordered again" % (ORDER_STALE_S // DAY))

    def _measure(self, slot, now):
        sensor = self.sensors[slot.id]
        reading = sensor.measure() if hasattr(sensor, "measure") else {"fault": sensor}
        was = slot.fault
        event = slot.update(now, **reading)
        if slot.fault != was:
            self.log("slot %s: %s" % (slot.id, ("faulty: " + slot.fault) if slot.fault
                                      else "readings are sane again"))
        if event in NEW_CONTAINER:
            self.log("slot %s: a new container (%.1f units)" % (slot.id, slot.quantity))
        return event

    def session(self, memory):
        """The daily session this wake holds (its scheduled time), or None."""
        now = self.clock.now()
        cold = None
        if self.rtc:
            cold = self.rtc.get(BOOT)
            if cold is None:
                cold = now
                self.rtc.set(BOOT, now)
        if memory.get("session_at") is None:
            # The first session ever is held at the first wake, and stays that
            # one until it went through: what it sent is not sent again.
            return memory.setdefault("first_session", now)
        at = schedule.next_session(now, self.serial, memory["session_at"], self.window,
                                   cold_boot_at=cold, spread_s=self.spread_s)
        return at if at <= now else None

    def next_radio(self):
        """When the radio comes on next, unless a slot runs low first."""
        memory = self.memory()
        now = self.clock.now()
        if memory.get("session_at") is None:
            return now
        at = schedule.next_session(now, self.serial, memory["session_at"], self.window,
                                   self.rtc and self.rtc.get(BOOT), self.spread_s)
        retry = memory.get("retry_at", 0)
        return schedule.next_radio(at, retry if retry > now else None)

    def _decide(self, memory):
        return policy.decide(self.clock.now(), self._views(memory), memory, self.rules,
                             self.session(memory))

    def _views(self, memory):
        # A slot whose last reading jumped waits for the next to confirm it
        # (slots.py): a new container put in while its sensor was faulty
        # reads low until then, and must not be ordered.
        return [{"id": s.id, "faulty": s.fault, "low": s.low and s.state["p"] is None,
                 "consumed": s.consumed or bool(s.state.get(OWED))} for s in self.slots]

    # --- the radio session

    def _radio(self, memory, measured):
        if measured:  # else only SNTP: no TLS yet
            from replenish.http_errors import HttpError

            try:
                self.service()
            except (HttpError, OSError, MemoryError) as err:  # OutOfMemory, a CA file unread
                return self._failed(memory, "the network side could not be built: %s" % err)
            if not self.lwa.linked():
                return self._unlinked()
        from replenish import wifi

        ssid, password = self.wifi_login()
        began = self.clock.ticks_ms()
        try:
            self.joined = wifi.connect(self.board, ssid, password, rtc=self.rtc,
                                       static_ip=self.static_ip, feed=self.feed)
        except wifi.WifiError as err:
            self.radio_ms += self.clock.ticks_diff(self.clock.ticks_ms(), began)
            return self._failed(memory, err) if measured else self._sync_failed(err)
        try:
            self.feed()
            if not self._sync_clock(measured):
                return self._sync_failed("SNTP")
            if not measured:
                return "clock-set"  # now the sensors can be read with a true date
            return self._act(memory)
        finally:
            if self._service is not None:
                self.drs.http.close()
            wifi.leave(self.board)
            self.radio_ms += self.clock.ticks_diff(self.clock.ticks_ms(), began)

    def _sync_failed(self, err):
        """The clock is still unset: the next try backs off, in RTC memory
        only (the flash keeps no dates from a clock that is wrong)."""
        if self.rtc:
            fails = (self.rtc.get(SYNC_FAILS) or 0) + 1
            delay = min(RETRY_MAX_S, RETRY_S * 2 ** min(fails - 1, 16))
            self.rtc.set(SYNC_FAILS, fails)
            self.rtc.set(SYNC_RETRY, self.clock.now() + delay)
            self.log("%s: the clock stays unset; next try in about %d min" % (err, delay // 60))
        return "clock-unset"

    def _unlinked(self):
        self.log("nothing is sent: %s" % self.lwa.why_unlinked())
        return "unlinked"

    def _sync_clock(self, was_set):
        """SNTP before the first TLS connection, at most daily; False when
        the clock is not set and could not be."""
        synced = self.rtc.get(CLOCK) if self.rtc else None
        if was_set and synced and self.clock.now() - synced < DAY:
            return True
        from replenish.sntp import SntpError

        try:
            t = self.board.sync_time()
        except SntpError as err:
            heap.unload("replenish.sntp")
            if was_set:
                self.log("clock: SNTP failed (%s); the running clock goes on" % err)
                return True
            self.log("the clock is not set and SNTP failed (%s): nothing dated is sent; "
                     "the sensors are read again next wake" % err)
            return False
        heap.unload("replenish.sntp")  # done for the day: its heap goes to TLS
        if self.rtc:
            self.rtc.pop(SYNC_RETRY)
            self.rtc.pop(SYNC_FAILS)
        if not was_set:
            self.log("clock set by SNTP: %s" % iso8601(t))
        if self.rtc:
            self.rtc.set(CLOCK, t)
        return True

    def _act(self, memory):
        from replenish.drs import DrsError, RetryLater
        from replenish.http_errors import HttpError
        from replenish.lwa import ConfigError, TryLater, Unlinked

        session = self.session(memory)
        for _ in range(MAX_ACTIONS):
            self.feed()
            now = self.clock.now()
            actions = self._decide(memory)
            if not actions:
                memory.pop("failures", None)
                if session is not None:
                    memory["session_at"] = session  # held: the next is tomorrow's
                    memory.pop("first_session", None)
                return "sent"
            if self.clock.ticks_diff(self.clock.ticks_ms(), self._began) > BUDGET_MS:
                self.log("this wake's %d s are spent: the rest is sent next wake"
                         % (BUDGET_MS // 1000))
                return "partial"
            action, slot_id = actions[0]
            try:
                getattr(self, "_" + action)(memory, now, slot_id)
                self.log("sent %s%s" % (action, " " + slot_id if slot_id else ""))
            except Unlinked as err:
                self.log(str(err))
                return "unlinked"
            except (TryLater, RetryLater) as err:
                # Never sooner than the service asked, nor than the backoff.
                self._failed(memory, "service busy or unreachable: %s" % err, err.retry_at)
                return "later"
            except (HttpError, DrsError, ConfigError, StoreError) as err:
                return self._failed(memory, err)
            except MemoryError:
                # The heap could not hold this exchange: nothing was lost, and a
                # fresh wake (an empty heap after deep sleep) tries again.
                return self._failed(memory, "out of memory while sending %s" % action)
        self.log("stopped after %d service calls in one wake" % MAX_ACTIONS)
        return "sent"

    def _failed(self, memory, err, at_least=0):
        failures = memory.get("failures", 0) + 1
        delay = min(RETRY_MAX_S, RETRY_S * 2 ** min(failures - 1, 16))
        # Half fixed, half random: devices that failed together come back apart.
        jitter = random.getrandbits(16) * delay // 2 // 65536
        memory["retry_at"] = max(at_least, self.clock.now() + delay // 2 + jitter)
        memory["failures"] = failures
        self.log("%s; next try in about %d min"
                 % (err, (memory["retry_at"] - self.clock.now() + 59) // 60))
        return "failed"

    # --- one method per policy action: call the service, remember the outcome

    def _subscription_info(self, memory, now, slot_id):
        subs = self.drs.subscription_info()
        subscribed = dict((sid, bool(s["subscribed"])) for sid, s in subs.items())
        if "subscriptions" in memory and memory["subscriptions"] != subscribed:
            self.log("the customer changed the subscriptions: %s" % ", ".join(
                "%s %s" % (sid, "on" if on else "off") for sid, on in sorted(subscribed.items())))
        memory["subscriptions"] = subscribed
        memory["subscriptions_at"] = now

    def _device_status(self, memory, now, slot_id):
        self.drs.device_status(now)
        memory["device_status_at"] = now

    def _slot_status(self, memory, now, slot_id):
        from replenish.drs import NotFound, Rejected

        slot = self._slot(slot_id)
        try:
            self.drs.slot_status(slot_id, slot.status_body(now))
        except (NotFound, Rejected) as err:
            self.log("slot %s: the service refused its status (%s); not sent again" % (
                slot_id, err))
        slot.reported()
        slot.state.pop(OWED, None)
        memory.setdefault("reported_at", {})[slot_id] = now

    def _replenish(self, memory, now, slot_id):
        from replenish.drs import NotSubscribed

        try:
            result = self.drs.replenish(slot_id)
        except NotSubscribed:
            memory.setdefault("subscriptions", {})[slot_id] = False
            self.log("slot %s: the customer has no subscription for it: nothing ordered" % slot_id)
            return
        code = result["detailCode"]
        self.log("slot %s: %s" % (slot_id, ORDER_WORDS.get(code, "replenish answered " + code)))
        if code == "STANDARD_ORDER_PLACED" and self.test_device:
            self.log("WARNING: config.json says test_device, but Amazon placed a REAL order: "
                     "the device was linked as a real device. Cancel the order in the "
                     "customer's Amazon account and link it again as a test device.")
        # ORDER_INPROGRESS: an order is already open. Follow it by its id when
        # the answer names it; without one, ask again tomorrow.
        order_id = result.get("eventInstanceId") or None
        memory.setdefault("orders", {})[slot_id] = {
            "id": order_id, "placed": now, "polled": None if order_id else now}
        self._slot(slot_id).ordered()

    def _order_info(self, memory, now, slot_id):
        from replenish.drs import NotFound

        order = memory["orders"][slot_id]
        items = []
        if order["id"]:
            try:
                items = self.drs.order_info(order["id"])["items"]
            except NotFound:
                items = []
        statuses = [i["status"] for i in items]
        order["polled"] = now
        if not items or any(i["open"] for i in items):
            # Open, or nothing known (no id, an unknown id, no items): an order
            # must never be placed twice, so only a word from the service or
            # a refill on the sensor closes it; a stale one expires.
            if now - order["placed"] > ORDER_STALE_S:
                self._close(memory, slot_id, "no word of the order for %d days: the slot can "
                            "be ordered again" % (ORDER_STALE_S // DAY))
            return
        if "Shipped" in statuses or "Closed" in statuses:
            # On its way: nothing more to ask; the refill will show on the sensor.
            order["shipped"] = True
            self.log("slot %s: the order has shipped" % slot_id)
            return
        order["cancelled"] = now
        self._slot(slot_id).order_closed()
        self.log("slot %s: the order was cancelled: if the slot is still low, it is ordered "
                 "again in a day" % slot_id)

    def _close(self, memory, slot_id, why):
        del memory["orders"][slot_id]
        self._slot(slot_id).order_closed()
        self.log("slot %s: %s" % (slot_id, why))

    def _slot(self, slot_id):
        for slot in self.slots:
            if slot.id == slot_id:
                return slot
        raise KeyError(slot_id)


ORDER_WORDS = {
    "STANDARD_ORDER_PLACED": "a real order was placed (the customer can cancel it for 24 h)",
    "TEST_ORDER_PLACED": "a test order was placed (nobody is charged, nothing ships)",
    "ORDER_INPROGRESS": "an order is already open: nothing new ordered",
}


def flash_rests(rtc, now):
    """True while a refusal of the flash is recent: Store.resting."""
    refused = rtc.get(REFUSED)
    return refused is not None and 0 <= now - refused < FLASH_REST_S


def _nothing():
    pass
