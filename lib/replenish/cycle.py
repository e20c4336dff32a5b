# One wake: read the sensors, update the slots, decide (policy.py), turn
# Wi-Fi on only if something must be sent, act, and keep everything in flash.
# A failure of the network or the service never loses a reading: the slots are
# saved whatever happens, and what was not sent is sent on a later wake.
import random

from replenish import policy, wifi
from replenish.drs import DrsError, NotFound, NotSubscribed, Rejected, RetryLater
from replenish.http_errors import HttpError
from replenish.lwa import RELINK, ConfigError, TryLater, Unlinked

SLOTS = "slots"  # {slot_id: Slot.state}
SERVICE = "service"  # policy.py's memory of the service
MAX_ACTIONS = 32  # a wake never loops on the service, whatever it answers
RETRY_S = 300  # first wait after a network failure, doubled each time...
RETRY_MAX_S = 6 * 3600  # ...up to this
NEW_CONTAINER = ("refilled", "delivered")
REPORT = ("first", "consumed", "topped-up") + NEW_CONTAINER  # worth a slot status


class Cycle:
    def __init__(self, board, store, slots, sensors, drs, lwa, wifi_login, log=print,
                 rules=policy.RULES):
        self.board = board
        self.clock = board.clock
        self.store = store
        self.slots = slots  # [Slot], their state restored from the store
        self.sensors = sensors  # {slot_id: sensor, or the reason it can't be read}
        self.drs = drs
        self.lwa = lwa
        self.wifi_login = wifi_login  # () -> (ssid, password): the password is read late
        self.log = log
        self.rules = rules
        self.changed = set()  # slots whose event deserves a report this wake

    def wake(self):
        now = self.clock.now()
        refilled = [s.id for s in self.slots if self._measure(s, now) in NEW_CONTAINER]
        memory = self.store.load(SERVICE, {})
        for slot_id in refilled:
            memory.get("orders", {}).pop(slot_id, None)  # the order arrived
        outcome = "idle"
        if policy.decide(now, self._views(), memory, self.rules):
            outcome = self._talk(memory)
        self.store.save(SLOTS, dict((s.id, s.state) for s in self.slots))
        self.store.save(SERVICE, memory)
        return outcome

    def _measure(self, slot, now):
        sensor = self.sensors[slot.id]
        reading = sensor.measure() if hasattr(sensor, "measure") else {"fault": sensor}
        was = slot.fault
        event = slot.update(now, **reading)
        if slot.fault != was:
            self.log("slot %s: %s" % (slot.id, ("faulty: " + slot.fault) if slot.fault
                                      else "readings are sane again"))
        if event in REPORT:
            self.changed.add(slot.id)
        if event in NEW_CONTAINER:
            self.log("slot %s: a new container (%.1f units)" % (slot.id, slot.quantity))
        return event

    def _views(self):
        return [{"id": s.id, "faulty": s.fault, "low": s.low,
                 "consumed": s.consumed or s.id in self.changed} for s in self.slots]

    def _talk(self, memory):
        if not self.lwa.linked():
            self.log("not linked to an Amazon account: nothing is sent; " + RELINK)
            return "unlinked"
        ssid, password = self.wifi_login()
        try:
            wifi.connect(self.board, ssid, password)
        except wifi.WifiError as err:
            return self._failed(memory, err)
        try:
            return self._act(memory)
        finally:
            self.drs.http.close()
            wifi.leave(self.board)

    def _act(self, memory):
        for _ in range(MAX_ACTIONS):
            now = self.clock.now()
            actions = policy.decide(now, self._views(), memory, self.rules)
            if not actions:
                memory.pop("failures", None)
                return "sent"
            action, slot_id = actions[0]
            try:
                getattr(self, "_" + action)(memory, now, slot_id)
                self.log("sent %s%s" % (action, " " + slot_id if slot_id else ""))
            except Unlinked as err:
                self.log(str(err))
                return "unlinked"
            except (TryLater, RetryLater) as err:
                memory["retry_at"] = err.retry_at
                self.log("service busy or unreachable: %s" % err)
                return "later"
            except (HttpError, DrsError, ConfigError) as err:
                return self._failed(memory, err)
        self.log("stopped after %d service calls in one wake" % MAX_ACTIONS)
        return "sent"

    def _failed(self, memory, err):
        failures = memory.get("failures", 0) + 1
        delay = min(RETRY_MAX_S, RETRY_S * 2 ** min(failures - 1, 16))
        # Half fixed, half random: devices that failed together come back apart.
        jitter = random.getrandbits(16) * delay // 2 // 65536
        memory["retry_at"] = self.clock.now() + delay // 2 + jitter
        memory["failures"] = failures
        self.log("%s; next try in about %d min" % (err, delay // 60))
        return "failed"

    # --- one method per policy action: call the service, remember the outcome

    def _subscription_info(self, memory, now, slot_id):
        subs = self.drs.subscription_info()
        memory["subscriptions"] = dict((sid, bool(s["subscribed"])) for sid, s in subs.items())
        memory["subscriptions_at"] = now

    def _device_status(self, memory, now, slot_id):
        self.drs.device_status(now)
        memory["device_status_at"] = now

    def _slot_status(self, memory, now, slot_id):
        slot = self._slot(slot_id)
        try:
            self.drs.slot_status(slot_id, slot.status_body(now))
        except (NotFound, Rejected) as err:
            self.log("slot %s: the service refused its status (%s); not sent again" % (
                slot_id, err))
        slot.reported()
        self.changed.discard(slot_id)
        memory.setdefault("reported_at", {})[slot_id] = now

    def _replenish(self, memory, now, slot_id):
        try:
            result = self.drs.replenish(slot_id)
        except NotSubscribed:
            memory.setdefault("subscriptions", {})[slot_id] = False
            self.log("slot %s: the customer has no subscription for it: nothing ordered" % slot_id)
            return
        code = result["detailCode"]
        self.log("slot %s: replenish -> %s" % (slot_id, code))
        # ORDER_INPROGRESS: an order is already open. Follow it by its id when
        # the answer names it; without one, ask again tomorrow.
        order_id = result.get("eventInstanceId") or None
        memory.setdefault("orders", {})[slot_id] = {
            "id": order_id, "placed": now, "polled": None if order_id else now}
        self._slot(slot_id).ordered()

    def _order_info(self, memory, now, slot_id):
        order = memory["orders"][slot_id]
        statuses = []
        if order["id"]:
            try:
                items = self.drs.order_info(order["id"])["items"]
            except NotFound:
                items = []
            if any(i["open"] for i in items):
                order["polled"] = now
                return
            statuses = [i["status"] for i in items]
        if "Shipped" in statuses or "Closed" in statuses:
            # On its way: nothing more to ask; the refill will show on the sensor.
            order["shipped"] = True
            self.log("slot %s: the order has shipped" % slot_id)
            return
        del memory["orders"][slot_id]
        self._slot(slot_id).order_closed()
        self.log("slot %s: no order open any more" % slot_id)

    def _slot(self, slot_id):
        for slot in self.slots:
            if slot.id == slot_id:
                return slot
        raise KeyError(slot_id)
