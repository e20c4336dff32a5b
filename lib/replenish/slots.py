# A slot: one container watched by one sensor, turned into the quantities the
# service wants. Pure logic: it is handed the time and a reading
# (sensors.py), and keeps its whole memory in `state`, a small JSON dict the
# caller keeps in the store (or RTC memory) across deep sleep.
#
# Config, one dict per slot:
#   id           the DRS slot id
#   capacity     units in a full container (required)
#   unit_g       grams per unit: the slot is weighed and readings are grams on
#                the cell; without it readings are probe levels, 0..1 of capacity
#   container_g  weight of the empty container (weighed slots; 0 if unknown)
#   low          at or below this many units the slot is low (10% of capacity)
#   low_band     hysteresis above `low` before it is no longer low (5%)
#   deadband     smallest change taken as real use (1%): noise stays below it
#   on_hand      spare units beside the device, if the customer keeps count
#
# State keys (short: four slots must fit RTC memory's 2 KB with room to spare):
#   q   quantity now (units), None before the first trusted reading
#   o   originalQuantityInUnit: what the last full container held
#   t   time of the last trusted reading       lu  lastUseDate
#   p   [quantity, time] of a change waiting to be confirmed by the next reading
#   f   fault reason, or None                  a   container lifted off
#   low the slot is low (hysteresis)           c   consumed since the last report
#   oo  an order is open                       oh  units on hand, or None
#   ua, ut, un  use, active days and events, exponentially decayed (the rate)
#   ue  time of the last use                   g   unobserved seconds since ue
import math

from replenish import faults
from replenish.clock import DAY, iso8601

# A rise of a fifth of a container at once is a new container, not noise or
# drift; a fall that large is confirmed by a second reading before it counts.
REFILL_FRACTION = 0.2
# Readings more than half a full container below empty or above full are
# physically impossible: a sensor fault, not a quantity.
IMPOSSIBLE_MARGIN = 0.5
# The use rate forgets with this time constant: a habit that changed shows
# within a couple of weeks, one odd day hardly moves it.
TAU_DAYS = 10.0
# Idle time between uses counts at most this many typical intervals (and at
# least a day): a holiday does not dilute the rate. Time without trusted
# readings (a fault, a device off) counts in full: use went on unseen.
IDLE_INTERVALS = 4
FIRST_IDLE_DAYS = 30.0
GAP_S = 6 * 3600  # readings further apart than this left time unobserved
HORIZON_DAYS = 365  # the farthest expectedReplenishmentDate, also when nothing is used

# What update() saw.
FIRST = "first"
STEADY = "steady"
CONSUMED = "consumed"
REFILLED = "refilled"  # a new container
DELIVERED = "delivered"  # a new container while an order was open
TOPPED_UP = "topped-up"
PENDING = "pending"  # a jump, waiting for the next reading to confirm it
UNSETTLED = "unsettled"
ABSENT = "absent"
FAULT = "fault"
FAULTY = "faulty"  # still faulty: a sane reading waits for a second one


def new_state(on_hand=None):
    return {"q": None, "o": None, "t": None, "lu": None, "p": None, "f": None,
            "a": False, "low": False, "c": False, "oo": False, "oh": on_hand,
            "ua": 0.0, "ut": 0.0, "un": 0.0, "ue": None, "g": 0, "n": None}


def hysteresis(was_on, value, threshold, band):
    """On at or below `threshold`; once on, off only above `threshold + band`,
    so a level hovering at the threshold does not flap. (Here, not in
    filters.py: the radio half of a wake loads slots but no sensor code.)"""
    if was_on:
        return value <= threshold + band
    return value <= threshold


class Slot:
    def __init__(self, config, state=None):
        self.id = config["id"]
        capacity = config.get("capacity")
        if not capacity or capacity <= 0:
            raise ValueError("slot %s: capacity (units in a full container) must be > 0"
                             % self.id)
        self.capacity = capacity
        self.unit_g = config.get("unit_g")
        if self.unit_g is not None and self.unit_g <= 0:
            raise ValueError("slot %s: unit_g (grams per unit) must be > 0" % self.id)
        self.container_g = config.get("container_g", 0)
        self.low_at = config.get("low", capacity * 0.1)
        self.low_band = config.get("low_band", capacity * 0.05)
        self.deadband = config.get("deadband", capacity * 0.01)
        self.state = state if state is not None else new_state(config.get("on_hand"))

    # --- what the rest of the firmware reads

    @property
    def quantity(self):
        return self.state["q"]

    @property
    def faulty(self):
        return self.state["f"] is not None

    @property
    def fault(self):
        return self.state["f"]

    @property
    def low(self):
        return self.state["low"]

    @property
    def consumed(self):
        """Content was used since the last report (reported() clears it)."""
        return self.state["c"]

    @property
    def absent(self):
        return self.state["a"]

    @property
    def order_open(self):
        return self.state["oo"]

    @property
    def new_container_at(self):
        """When the last new container went in (None: not since installed)."""
        return self.state.get("n")

    def status_body(self, now):
        """The slotStatus body, exactly the service's field names."""
        s = self.state
        if s["q"] is None:
            raise ValueError("slot %s has no trusted reading yet" % self.id)
        body = {
            "expectedReplenishmentDate": iso8601(self.expected_replenishment(now)),
            # Noise on a full container reads a little over it: never more than full.
            "remainingQuantityInUnit": round(min(max(0.0, s["q"]), s["o"]), 2),
            "originalQuantityInUnit": round(s["o"], 2),
            "lastUseDate": iso8601(s["lu"]),
        }
        if s["oh"] is not None:
            body["totalQuantityOnHand"] = s["oh"]
        return body

    def rate(self, now):
        """Units used per day, or None before any use was seen."""
        s = self.state
        if s["ua"] <= 0:
            return None
        # Long disuse fades the habit, so the expected date moves out while
        # nothing is used; the next use brings the habit back.
        fade = math.exp(-max(0, now - s["ue"]) / DAY / TAU_DAYS)
        return s["ua"] * fade / max(1.0, s["ut"] * fade + self._days_since_use(now))

    def expected_replenishment(self, now):
        s = self.state
        rate = self.rate(now)
        days = HORIZON_DAYS if rate is None else min(HORIZON_DAYS, max(0.0, s["q"]) / rate)
        return max(now, s["t"] + int(days * DAY))

    # --- what the cycle tells the slot

    def reported(self):
        self.state["c"] = False

    def ordered(self):
        self.state["oo"] = True

    def order_closed(self):
        """The order was cancelled (a delivery shows as a refill instead)."""
        self.state["oo"] = False

    def set_on_hand(self, units):
        if units is not None and units < 0:
            raise ValueError("units on hand cannot be negative")
        self.state["oh"] = units

    def update(self, now, value=None, settled=True, fault=None):
        """Take one reading (sensors.py) at Unix time `now`; returns what it saw."""
        s = self.state
        if fault is None and value is not None:
            fault = self._impossible(value)
        if fault:
            s["f"], s["p"] = fault, None
            return FAULT
        if value is None or not settled:
            return UNSETTLED
        s["a"] = self._lifted(value)
        if s["a"]:
            s["p"] = None
            return ABSENT
        q = self._quantity(value)
        if s["f"] and not self._recovered(q, now):
            return FAULTY
        if s["t"] is not None and now - s["t"] > GAP_S:
            s["g"] += now - s["t"]
        s["t"] = now
        if s["q"] is None:
            # Installed: a full container holds `capacity`, unless this one holds more.
            s["o"] = q if q > self.capacity + self.deadband else self.capacity
            s["q"], s["lu"], s["ue"] = q, now, now
            event = FIRST
        else:
            event = self._follow(q, now)
        s["low"] = hysteresis(s["low"], s["q"], self.low_at, self.low_band)
        return event

    # --- inside

    def _quantity(self, value):
        if self.unit_g is None:
            return round(max(0.0, min(1.0, value)) * self.capacity, 3)
        return round(max(0.0, value - self.container_g) / self.unit_g, 3)

    def _lifted(self, value):
        """The container is off the cell: well under the empty container's
        weight or, with the cell tared under the empty container
        (container_g 0), clearly below zero."""
        if self.unit_g is None:
            return False
        if self.container_g > 0:
            return value < self.container_g / 2
        return value < -self.deadband * self.unit_g

    def _impossible(self, value):
        if self.unit_g is None:
            return faults.impossible(value, -IMPOSSIBLE_MARGIN, 1 + IMPOSSIBLE_MARGIN, "of full")
        full_g = self.capacity * self.unit_g
        return faults.impossible(value, -IMPOSSIBLE_MARGIN * full_g,
                                 self.container_g + (1 + IMPOSSIBLE_MARGIN) * full_g, "g")

    def _recovered(self, q, now):
        # Two sane readings in a row that agree end a fault.
        s = self.state
        if s["p"] is not None and abs(q - s["p"][0]) <= self.deadband:
            s["f"] = s["p"] = None
            return True
        s["p"] = [q, now]
        return False

    def _follow(self, q, now):
        s = self.state
        pending, s["p"] = s["p"], None
        if pending is not None and abs(q - pending[0]) <= self.deadband:
            return self._confirmed(q, pending[1])
        change = q - s["q"]
        if change > self.deadband or change < -REFILL_FRACTION * self.capacity:
            # A rise, or a fall too big for one interval: noise, a container
            # lifted half off, or real. The next reading decides.
            s["p"] = [q, now]
            return PENDING
        if change < -self.deadband:
            return self._used(q, now)
        return STEADY

    def _confirmed(self, q, since):
        s = self.state
        rise = q - s["q"]
        if rise < 0:
            return self._used(q, since)
        s["q"] = q
        if rise < REFILL_FRACTION * self.capacity:
            s["o"] = max(s["o"], q)
            return TOPPED_UP
        s["o"], s["n"] = q, since
        if s["oo"]:
            s["oo"] = False
            return DELIVERED
        if s["oh"] is not None:
            s["oh"] = round(max(0.0, s["oh"] - rise), 3)
        return REFILLED

    def _used(self, q, when):
        s = self.state
        amount = s["q"] - q
        days = self._days_since_use(when)
        decay = math.exp(-days / TAU_DAYS)
        s["ua"] = round(s["ua"] * decay + amount, 4)
        s["ut"] = round(s["ut"] * decay + days, 4)
        s["un"] = round(s["un"] * decay + 1, 4)
        s["q"], s["lu"], s["ue"], s["g"], s["c"] = q, when, when, 0, True
        return CONSUMED

    def _days_since_use(self, now):
        """Days since the last use as the rate should count them: unobserved
        time in full, idle time up to a few typical intervals."""
        s = self.state
        elapsed = max(0, now - s["ue"])
        unseen = s["g"]
        if s["t"] is not None and now - s["t"] > GAP_S:
            unseen += now - s["t"]
        unseen = min(unseen, elapsed)
        cap = FIRST_IDLE_DAYS
        if s["un"] > 0:
            cap = max(1.0, IDLE_INTERVALS * s["ut"] / s["un"])
        return min((elapsed - unseen) / DAY, cap) + unseen / DAY
