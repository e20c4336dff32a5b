# Switching each planned fault on and off in the world: the board, its
# flash and network, the household's sensors, the emulator, the customer's
# account. `life` is the running profile (tools/soak/life.py).
import json

from tools.soak.world import SCALE, PowerLost

DRIP_S = 1.0 / SCALE  # an endless answer: a byte a second of the board's time

# plan kind -> the emulator's fault kind (tools/emulator/faults.py)
SERVICE = {"TCP reset": "reset", "reset mid-response": "truncate", "5xx": None,
           "429 Retry-After": "429", "slow answer": "delay", "endless answer": "drip",
           "huge answer": "oversized", "malformed JSON": "malformed_json"}
NETWORK = {"DNS failure": "dns", "TLS handshake refused": "tls_untrusted",
           "TLS handshake stall": "tls_stall"}
ONE_SHOT = {"binary answer": "binary", "watchdog (DNS hangs 150 s)": "dns_hang"}
SENSOR = {"sensor unplugged": "unplugged", "sensor noisy": "noisy",
          "sensor spiking": "spiking", "sensor stuck": "stuck"}


def start(life, fault):
    board, kind, d = life.board, fault.kind, fault.detail
    if kind in ("power cut mid-write", "power cut mid-wake"):
        life.cuts.append(fault)  # armed for the next wake
    elif kind == "power off for hours":
        board.power_cut()
        life.world.advance(max(0, fault.until - life.world.now()))
        fault.hit = True
    elif kind == "clock lost":
        board.rtc.power_on()
        fault.hit = True
    elif kind in ("SNTP down", "SNTP kiss-of-death"):
        board.ntp.fault = "kod" if "kiss" in kind else ("dns" if d["dns"] else "silent")
        if d["clock_lost"]:
            board.rtc.power_on()
    elif kind.startswith("Wi-Fi") or kind in NETWORK or kind in SENSOR or kind == "flash full":
        switch(life, fault, True)
    elif kind in ONE_SHOT:
        board.faults.add(ONE_SHOT[kind])
    elif kind in SERVICE:
        life.emulator.control.inject_fault(
            d["endpoint"], SERVICE[kind] or str(d["status"]), count=d["count"],
            seconds=d["seconds"], interval=DRIP_S, retry_after=d["retry_after"], size=d["size"])
    elif kind == "revoked (invalid_grant)":
        # The account link is replaced: the device's refresh token is revoked.
        life.secrets.add(life.emulator.control.create_device(**life.identity)["refresh_token"])
        life.unlinked(fault)
    elif kind == "deregistered":
        life.emulator.control.deregister_device(life.identity["model"],
                                                life.identity["serial"])
        life.unlinked(fault)
    elif kind == "corrupt record":
        corrupt(life, fault)
    fault.started = True


def end(life, fault):
    board, kind = life.board, fault.kind
    fault.ended = True
    if kind in ("revoked (invalid_grant)", "deregistered"):
        relink(life)
        return
    if kind in ("SNTP down", "SNTP kiss-of-death"):
        board.ntp.fault = None
    else:
        switch(life, fault, False)
    # Windows overlap: what another fault still holds on stays on.
    for other in life.active:
        if other is not fault and _target(other) == _target(fault):
            if other.kind.startswith("SNTP"):
                board.ntp.fault = "kod" if "kiss" in other.kind else (
                    "dns" if other.detail["dns"] else "silent")
            else:
                switch(life, other, True)


def _target(fault):
    """What a windowed fault switches: faults on one target overlap."""
    if fault.group == "sensor":
        return fault.detail["slot"]
    for prefix in ("Wi-Fi", "SNTP"):
        if fault.kind.startswith(prefix):
            return prefix
    return fault.kind


def switch(life, fault, on):
    """A windowed fault's state, on or off, without side effects."""
    board, kind, d = life.board, fault.kind, fault.detail
    if kind.startswith("Wi-Fi"):
        if d["gone"]:
            board.wifi.ssid = "switched-off" if on else life.ssid
        else:
            board.wifi.answers = not on
    elif kind in NETWORK:
        (board.faults.add if on else board.faults.discard)(NETWORK[kind])
    elif kind in SENSOR:
        life.household.sensor_fault(d["slot"], SENSOR[kind], on)
    elif kind == "flash full":
        board.fs.full = on


def relink(life):
    """The customer links the device again: a new refresh token from the
    emulator, copied to the device as link.json (not a firmware write)."""
    token = life.emulator.control.create_device(**life.identity)["refresh_token"]
    life.secrets.add(token)
    life.board.fs.files["link.json"] = json.dumps({"refresh_token": token}).encode()
    life.token = token


def corrupt(life, fault):
    """A worn sector: bytes of one record flipped."""
    files = life.board.fs.files
    names = sorted(n for n in files if n.startswith("data/") and n.endswith(".rec"))
    if not names:
        return
    name = life.rand.choice(names)
    data = bytearray(files[name])
    for _ in range(life.rand.randint(1, 3)):
        data[life.rand.randrange(len(data))] ^= 1 << life.rand.randrange(8)
    files[name] = bytes(data)
    fault.detail["record"] = name
    fault.hit = True


def arm_cuts(life):
    """A planned power cut for this wake: at a flash write step (a fraction
    of the last wake's steps), or at a moment of the wake. Returns the fault."""
    if not life.cuts:
        return None
    fault = life.cuts[0]
    if fault.kind == "power cut mid-write":
        life.board.fs.new_wake(1 + int(fault.detail["fraction"] * life.last_steps))
    else:
        life.board.fs.new_wake()
        cut_us = life.world.ticks_us() + fault.detail["after_ms"] * 1000

        def cut():
            if life.world.ticks_us() >= cut_us and not life.board.fs.dead:
                life.board.fs.dead = True
                raise PowerLost("power lost %d ms into the wake" % fault.detail["after_ms"])

        life.world.watchers.append(cut)
        life.cut_watch = cut
    return fault
