# The device and its service at the REPL: what it believes (slots, link,
# orders), the daily session held now, its orders as DRS tells them, and its
# link to the customer's account made, or undone. The wake, the DRS calls and
# the link file are the firmware's own (cycle.py, drs.py, app.take_link).
from replenish import app, safemode, schedule
from replenish.clock import CLOCK_VALID_FROM, iso8601
from replenish.crashes import Crashes
from replenish.cycle import SERVICE
from replenish.repl_device import ask, online, say
from replenish.status import slot_words, wake_line

HOW_TO_LINK = (
    "1. on a computer with this repository: python -m tools.link --region na|eu|fe "
    "--client-id %s --client-secret-file <file> --model %s --serial %s%s --out <folder>",
    "2. the customer opens the page it prints, signs in and allows: <folder>/link.json is written",
    "3. mpremote cp <folder>/link.json :link.json, then r.link() here (a boot takes it too)")


def _when(t):
    return iso8601(t)[:16].replace("T", " ") if t else "never"


def _safe_mode(dev):
    why = safemode.requested(dev.board) or Crashes(dev.board, dev.store, dev.rtc, say).safe_mode()
    if why:
        say("SAFE MODE: %s" % why)


def status(dev):
    board = dev.board
    now = board.clock.now()
    say("replenish %s on %s, clock %s%s" % (app.VERSION, board.name, _when(now),
                                           "" if now >= CLOCK_VALID_FROM else
                                           " (not set: SNTP sets it when the radio is next on)"))
    _safe_mode(dev)
    cfg = dev.cfg
    cycle = dev.cycle  # built as a boot builds it: a link.json left on the flash is taken
    say("device %s/%s%s, %s, measures every %d min, Wi-Fi '%s'" % (
        cfg.model, cfg.serial, " (test device)" if cfg.test_device else "",
        "on battery" if cfg.battery else "on mains", cfg.measure_every_s // 60, cfg.wifi_ssid))
    why = dev.lwa().why_unlinked()
    say("link: %s" % ("linked to the customer's Amazon account" if why is None
                      else "NOT LINKED: %s (r.link() says how)" % why))
    units = dev.units()
    for slot in cycle.slots:
        say("slot %s, last sane reading %s" % (slot_words(slot, units.get(slot.id, "units")),
                                      _when(slot.state.get("t"))))
    memory = dev.cycle.memory()
    for slot_id, order in sorted(memory.get("orders", {}).items()):
        say("order for %s placed %s: %s" % (slot_id, _when(order["placed"]),
                                            "shipped" if order.get("shipped") else "open"))
    say("last device status %s; next session %s" % (
        _when(memory.get("device_status_at")), _when(cycle.next_radio())))
    if memory.get("retry_at", 0) > now:
        say("the radio waits until %s: the service asked for it, or the last try failed"
            % _when(memory["retry_at"]))


def report(dev):
    """The daily session now: the cycle's wake, told its session is due."""
    memory = dev.cycle.memory()
    for held in ("session_at", "first_session", "retry_at"):
        memory.pop(held, None)  # no session held yet: the wake holds one at once
    dev.rtc.set(SERVICE, memory)
    dev.store.save(SERVICE, memory)
    cycle = dev.cycle
    outcome = cycle.wake()
    dev.rtc.save()
    now = dev.board.clock.now()
    radio_at = cycle.next_radio()
    say(wake_line(now, cycle.slots, dev.units(), outcome, cycle.radio_ms,
                  now + schedule.sleep_s(now, dev.cfg.measure_every_s, radio_at), radio_at))


def orders(dev):
    placed = dev.cycle.memory().get("orders", {})
    if not placed:
        say("no order open on the device")
        return
    for slot_id, order in sorted(placed.items()):
        say("slot %s: order %s placed %s, %s on the device" % (
            slot_id, order["id"] or "(no id: ORDER_INPROGRESS)", _when(order["placed"]),
            "shipped" if order.get("shipped") else "open"))
    asked = [(slot_id, order["id"]) for slot_id, order in sorted(placed.items()) if order["id"]]
    if asked:
        online(dev, lambda drs, lwa: _order_info(drs, asked))


def _order_info(drs, asked):
    from replenish.drs import NotFound

    for slot_id, order_id in asked:
        try:
            items = drs.order_info(order_id)["items"]
        except NotFound:
            say("slot %s: DRS does not know order %s" % (slot_id, order_id))
            continue
        for item in items:
            due = item["expectedDeliveryDate"]
            say("slot %s: DRS says %s (%s x%s%s)" % (
                slot_id, item["status"], item["asin"], item["quantity"],
                ", expected %s" % iso8601(due)[:10] if due else ""))


def cancel_test_orders(dev, slot_id=None):
    if slot_id is not None:
        dev.slot_config(slot_id)  # an unknown slot is said before the radio goes on
    placed = dev.cycle.memory().get("orders", {})
    answered = online(dev, lambda drs, lwa: drs.cancel_test_orders(slot_id))
    if not answered:
        say("DRS named no slot in its answer: no test order was cancelled")
        return
    # DRS answers each slot's state after the call (NO_ORDER_IN_PROGRESS).
    for sid, state in sorted(answered.items()):
        say("slot %s: %s (DRS: %s)" % (sid, "its test order is cancelled" if sid in placed
                                       else "no order open", state))
    if [sid for sid in answered if sid in placed]:
        say("the device hears of it at its next order check; r.report() holds it now")


def link(dev):
    board, cfg = dev.board, dev.cfg
    lwa = dev.lwa()
    if board.fs.exists(app.LINK_FILE):
        app.take_link(board, lwa, say)
        say("the next session tells Amazon; r.report() holds it now")
        return
    why = lwa.why_unlinked()
    say("linked to the customer's Amazon account; to link it again:" if why is None
        else "not linked: %s. To link it:" % why)
    say(HOW_TO_LINK[0] % (cfg.client_id, cfg.model, cfg.serial,
                          " --test-device" if cfg.test_device else ""))
    for line in HOW_TO_LINK[1:]:
        say(line)


def deregister(dev, answers=None):
    cfg = dev.cfg
    why = dev.lwa().why_unlinked()
    if why is not None:
        say("not linked, nothing to deregister: %s" % why)
        return
    reply = ask("Deregister %s/%s from Dash Replenishment? It stops reporting and ordering and "
                "erases its tokens; only a new link brings it back. Type yes to deregister:"
                % (cfg.model, cfg.serial), answers)
    if reply.lower() != "yes":
        say("not deregistered: nothing changed")
        return
    online(dev, lambda drs, lwa: drs.deregister())
    say("deregistered: r.link() says how to link it again")
