# One wake of the device against the emulator, as the firmware makes it:
# real sockets, verified TLS, tokens in (fake) flash. Runs under MicroPython
# (test_drs_integration.py starts it with a heap limit; the configuration
# comes in a JSON file named by argv[1] — the unix port dies on an argument
# longer than about 256 bytes — and the result goes back as one marked line)
# and under CPython, where the test imports it.
import json
import sys
import time

from replenish.connector import SocketConnector
from replenish.drs import Drs, DrsError, RetryLater
from replenish.fs import Fs
from replenish.http import Http
from replenish.http_errors import HttpError
from replenish.lwa import Lwa, Unlinked
from replenish.store import Store
from tools.sim.clock import VirtualClock
from tools.sim.flash import FakeFlash

MARK = "@@wake "


def device(cfg, logs):
    clock = VirtualClock(int(cfg["now"]))
    http = Http(clock, SocketConnector(Fs(), cfg["ca_files"]),
                io_timeout_s=cfg.get("io_timeout_s", 10),
                max_response=cfg.get("max_response", 8192))
    lwa = Lwa(http, Store(FakeFlash(), log=logs.append), clock, cfg["client_id"],
              cfg["client_secret"], url=cfg["lwa_url"], log=logs.append)
    return clock, http, lwa, Drs(http, lwa, clock, url=cfg["drs_url"])


def sequence(cfg):
    """link → refresh → … → deregister → the next refresh: unlinked."""
    logs = []
    clock, http, lwa, drs = device(cfg, logs)
    slot = cfg["slot"]
    steps = []
    lwa.link(cfg["refresh_token"])
    steps.append(["refresh", lwa.refresh().startswith("Atza|")])
    steps.append(["subscription_info", drs.subscription_info()])
    now = clock.now()
    for each in cfg.get("slots") or [slot]:
        drs.slot_status(each, {"expectedReplenishmentDate": now + 5 * 86400,
                               "remainingQuantityInUnit": 3.5, "originalQuantityInUnit": 10,
                               "lastUseDate": now - 3600})
    steps.append(["slot_status", True])
    drs.device_status(now)
    steps.append(["device_status", True])
    order = drs.replenish(slot)
    steps.append(["replenish", order["detailCode"]])
    steps.append(["replenish_again", drs.replenish(slot)["detailCode"]])
    info = drs.order_info(order["eventInstanceId"])
    steps.append(["order_info", [[i["slotId"], i["open"]] for i in info["items"]]])
    steps.append(["cancel_test_order", drs.cancel_test_orders(slot)])
    drs.deregister()
    steps.append(["deregister", True])
    try:
        lwa.access_token()
        steps.append(["after_deregister", "still linked"])
    except Unlinked:
        steps.append(["after_deregister", "unlinked"])
    steps.append(["linked", lwa.linked()])
    http.close()
    return {"steps": steps, "logs": logs,
            "counts": [http.connections, http.handshakes, http.requests]}


def wake(cfg):
    """The sequence as a wake ends it: done, or the failure it ended in. A
    MemoryError here is one that escaped the firmware (tools/heapscan.py)."""
    try:
        return sequence(cfg)
    except Exception as err:  # reported by type: what ended the wake is the finding
        return {"error": type(err).__name__, "message": str(err)}


def stall(cfg):
    """One request to a server that never finishes the TLS handshake: the
    error and how long the device waited, in real time."""
    now_ms = getattr(time, "ticks_ms", None) or (lambda: int(time.monotonic() * 1000))
    clock, http, lwa, drs = device(cfg, [])
    began = now_ms()
    try:
        http.request("GET", cfg["lwa_url"] + "/")
        error = None
    except HttpError as err:
        error = [type(err).__name__, err.step]
    return {"error": error, "waited_ms": now_ms() - began}


def refused(cfg):
    """One refresh against a server the device must not trust."""
    logs = []
    clock, http, lwa, drs = device(cfg, logs)
    lwa.link(cfg["refresh_token"])
    try:
        http.request("GET", cfg["lwa_url"] + "/")
    except HttpError as err:
        return {"error": type(err).__name__, "step": err.step, "message": str(err)}
    return {"error": None}


def idle(cfg):
    """Two refreshes with a pause between, longer than the server keeps an
    idle connection: the second must still work, on a new connection."""
    import time

    logs = []
    clock, http, lwa, drs = device(cfg, logs)
    lwa.link(cfg["refresh_token"])
    first = lwa.refresh()
    time.sleep(cfg["idle_s"])  # real time: the server's idle timer is real
    second = lwa.refresh()
    return {"refreshed": first != second, "counts": [http.connections, http.handshakes,
                                                     http.requests]}


def faults(cfg):
    """Calls of subscription info while the emulator injects one fault per
    call: the error each ends in, with its step or retry delay."""
    logs = []
    clock, http, lwa, drs = device(cfg, logs)
    lwa.link(cfg["refresh_token"])
    seen = []
    for _ in range(cfg["calls"]):
        try:
            drs.subscription_info()
            seen.append(["ok"])
        except RetryLater as err:
            seen.append([type(err).__name__, err.retry_at - clock.now()])
        except (DrsError, HttpError) as err:
            seen.append([type(err).__name__, getattr(err, "step", None)])
    return {"seen": seen, "counts": [http.connections, http.handshakes, http.requests]}


RUNS = {"sequence": sequence, "wake": wake, "stall": stall, "refused": refused, "idle": idle,
        "faults": faults}

if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        config = json.load(f)
    print(MARK + json.dumps(RUNS[config["run"]](config)))
