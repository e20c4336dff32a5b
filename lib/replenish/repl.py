# Helpers for a person at the REPL (mpremote, or the serial console), one
# import away:
#
#   import replenish.repl as r
#   r.status()                        every slot, the link, orders, the next session
#   r.raw("slot")                     the sensor's raw reading, and what a wake reads
#   r.tare("slot")                    a load cell's zero, from what is on it now
#   r.calibrate("slot", grams)        a load cell, guided: empty, tare, weight, confirm
#   r.probe_point("slot", "empty")    a level probe's empty (or "full") point
#   r.report()                        the daily session now (one wake with the radio)
#   r.orders()                        open orders, from the device and from DRS
#   r.cancel_test_orders(slot=None)   test orders, of one slot or all
#   r.link()                          takes link.json, or says how to get one
#   r.deregister()                    leaves Dash Replenishment (asks first)
#   r.wifi_scan(), r.wifi_test()      networks in range; Wi-Fi, SNTP, LWA and DRS
#   r.crash_log(), r.clear_crash_log()
#   r.leave_safe_mode()               SAFE_MODE and the crash count gone
#
# The prompts of calibrate and deregister read the console; answers=[...]
# (or a function of the prompt) answers them from a script instead.
# Nothing in the firmware imports this: a wake never pays its heap. Each
# helper prints, returns None, and says a failure in words (repl_device.py).
from replenish.repl_device import Device, guarded, say


@guarded
def status():
    from replenish import repl_service

    repl_service.status(Device())


@guarded
def raw(slot, n=10):
    from replenish import repl_sensors

    repl_sensors.raw(Device(), slot, n)


@guarded
def tare(slot):
    from replenish import repl_sensors

    repl_sensors.tare(Device(), slot)


@guarded
def calibrate(slot, grams, answers=None):
    from replenish import repl_sensors

    repl_sensors.calibrate(Device(), slot, grams, answers)


@guarded
def probe_point(slot, level):
    from replenish import repl_sensors

    repl_sensors.probe_point(Device(), slot, level)


@guarded
def report():
    from replenish import repl_service

    repl_service.report(Device())


@guarded
def orders():
    from replenish import repl_service

    repl_service.orders(Device())


@guarded
def cancel_test_orders(slot=None):
    from replenish import repl_service

    repl_service.cancel_test_orders(Device(), slot)


@guarded
def link():
    from replenish import repl_service

    repl_service.link(Device())


@guarded
def deregister(answers=None):
    from replenish import repl_service

    repl_service.deregister(Device(), answers)


@guarded
def wifi_scan():
    from replenish import repl_wifi

    repl_wifi.wifi_scan(Device())


@guarded
def wifi_test():
    from replenish import repl_wifi

    repl_wifi.wifi_test(Device())


@guarded
def crash_log():
    from replenish.crashes import CRASH_LOG, Crashes

    dev = Device()
    if dev.board.fs.exists(CRASH_LOG):
        with dev.board.fs.open(CRASH_LOG) as f:
            say("%s:\n%s" % (CRASH_LOG, f.read()))
    else:
        say("no %s: no crash since it was last cleared" % CRASH_LOG)
    count = Crashes(dev.board, dev.store, dev.rtc, say).count
    say("%d crashes in a row" % count if count else "no crash since the last good wake")


@guarded
def clear_crash_log():
    from replenish.crashes import CRASH_LOG

    fs = Device().board.fs
    if fs.exists(CRASH_LOG):
        fs.remove(CRASH_LOG)
        say("%s removed" % CRASH_LOG)
    else:
        say("no %s to remove" % CRASH_LOG)


@guarded
def leave_safe_mode():
    from replenish import safemode
    from replenish.crashes import Crashes

    dev = Device()
    fs = dev.board.fs
    if fs.exists(safemode.FLAG_FILE):
        fs.remove(safemode.FLAG_FILE)
        say("%s removed" % safemode.FLAG_FILE)
    crashes = Crashes(dev.board, dev.store, dev.rtc, say)
    if crashes.count:
        say("crash count cleared (it was %d in a row)" % crashes.count)
    crashes.clear()  # in RTC memory and in flash
    dev.rtc.save()
    held = safemode.requested(dev.board)
    if held:
        say("still in safe mode: %s" % held)
    else:
        say("safe mode left: reset the board to start the app (machine.reset(), or its button)")
