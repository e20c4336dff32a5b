# The board of the virtual device (tools/virtual_device.py): the simulated
# board with its flash in the current folder, a household that uses up what
# is in the slots and puts in a new container when one runs dry (or when the
# order arrives), and a world that outlives each process. On battery every
# wake is a fresh MicroPython process, as every wake of an ESP32 is a reset:
# deep sleep writes the world (true time, RTC clock and memory, held pins,
# the household) to a file and ends the process; the next process starts at
# boot.py with an empty heap. Runs under the MicroPython unix port.
#
# The world folder (VIRTUAL_WORLD) holds virtual.json, written by tools/run.py:
#   {"start": t, "days": n, "clock_port": udp port of the runner's clock link,
#    "ntp_port": the emulator's SNTP port, "ssid", "password", "drift_ppm",
#    "slots": [{"id", "kind": "probe"|"hx711", "pin"|"sck"+"dout",
#               "empty_uv", "full_uv" | "tare_uv", "full_uv",
#               "days_per_container", "refill": "self"|"delivery"}]}
# and world.json, this module's state between processes.
import json
import os
import socket
import time

from replenish.fs import Fs
from replenish.sntp import UdpSockets
from tools.sim.board import DEEP_SLEEP, SimBoard
from tools.sim.clock import VirtualClock
from tools.sim.hx711 import FakeHX711
from tools.sim.noise import Noise
from tools.sim.probe import ProbeModel
from tools.sim.wifi import FakeWLAN

DAY = 86400
HX711_NOISE_UV = 0.03  # about 20 counts at gain 128: a fraction of a gram
EMPTY = 0.03  # the household puts in a new container below this level


def power_down():
    """The process ends here, whatever called: `-i` keeps a MicroPython
    process alive after SystemExit (for mpremote's REPL), so it kills itself."""
    os.system("kill -9 $PPID")


def read_json(path, default=None):
    try:
        with open(path) as f:
            return json.loads(f.read())
    except OSError:
        return default


def write_json(path, value):
    with open(path + ".tmp", "w") as f:
        f.write(json.dumps(value))
    os.rename(path + ".tmp", path)


class Household:
    """Each slot empties at its own pace, a little every day, in daytime. A
    new container goes in when one runs dry, or (refill "delivery") when an
    order the device placed has arrived: the runner says so in the world."""

    def __init__(self, board, specs, since):
        self.models = []
        for i, spec in enumerate(specs):
            if spec.get("kind", "probe") == "hx711":
                chip = FakeHX711(board, spec["sck"], spec["dout"])
                model = LoadModel(chip, spec["tare_uv"], spec["full_uv"],
                                  Noise(HX711_NOISE_UV, spec["sck"]))
            else:
                model = ProbeModel(board.world, spec["empty_uv"], spec["full_uv"],
                                   noise_uv=1500, seed=spec["pin"]).attach(board, spec["pin"])
            self.models.append([spec, model, since[i]])

    def since(self):
        return [entry[2] for entry in self.models]

    def step(self, now, deliveries=()):
        for entry in self.models:
            spec, model, since = entry
            used_days = (now - since) // DAY + min(1.0, (now - since) % DAY / (16 * 3600))
            model.level = max(0.0, 1.0 - used_days / spec["days_per_container"])
            waits = spec.get("refill") == "delivery" and spec["id"] not in deliveries
            if model.level <= EMPTY and not waits or spec["id"] in deliveries:
                print("household: a new container in slot", spec["id"])
                entry[2] = now
                model.level = 1.0


class LoadModel:
    """A container on a load cell: the HX711's input for its fill level, with
    the amplifier's noise (a perfectly steady input reads as a stuck chip)."""

    def __init__(self, chip, tare_uv, full_uv, noise):
        self.chip = chip
        self.tare_uv = tare_uv
        self.full_uv = full_uv
        self.noise = noise
        self.level = 1.0
        chip.source = self

    def __call__(self, channel):
        level = max(0.0, self.level)
        return self.tare_uv + (self.full_uv - self.tare_uv) * level + self.noise()


class WorldClock(VirtualClock):
    """Virtual time that also runs with the host's real time while the
    process works, so a slow server or a stalled handshake costs virtual
    time as on a board, and the watchdog sees it."""

    def __init__(self, start_us):
        VirtualClock.__init__(self, 0)
        self._us = start_us
        self._real0 = time.ticks_us()
        self._paused_at = None

    def _real(self):
        now = time.ticks_us() if self._paused_at is None else self._paused_at
        return time.ticks_diff(now, self._real0)

    # While the board's interrupts are off, host time does not count: on the
    # chip only the firmware's few instructions run then, while here the
    # simulated pins' own work, a garbage collection or the host scheduler
    # could stretch an HX711 clock pulse past its 60 µs and reset the chip.
    def pause(self):
        self._paused_at = time.ticks_us()

    def resume(self):
        if self._paused_at is not None:
            self._real0 = time.ticks_add(self._real0,
                                         time.ticks_diff(time.ticks_us(), self._paused_at))
            self._paused_at = None

    def ticks_us(self):
        return self._us + self._real()

    def ticks_ms(self):
        t = self.ticks_us() // 1000
        self._moved()
        return t

    def now(self):
        return self.ticks_us() // 1000000


class ClockLink:
    """Tells the runner the device's time before it talks, so the emulator's
    tokens and orders age in step: one UDP datagram, answered when done."""

    def __init__(self, port):
        self.port = port

    def tell(self, now):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.settimeout(10)
            addr = socket.getaddrinfo("127.0.0.1", self.port)[0][-1]
            sock.sendto(b"%d" % now, addr)
            sock.recv(16)
        finally:
            sock.close()


class EmulatorWLAN(FakeWLAN):
    def __init__(self, clock, ssid, password, link):
        FakeWLAN.__init__(self, ssid, password, clock=clock)
        self.link = link

    def connect(self, ssid, password, **kwargs):
        FakeWLAN.connect(self, ssid, password, **kwargs)
        if self.isconnected():
            self.link.tell(self.clock.now())


class VirtualNtp:
    """The emulator's SNTP responder on loopback, through real UDP sockets."""

    def __init__(self, port):
        self.host = "127.0.0.1"
        self.port = port

    def sockets(self):
        return UdpSockets()


class VirtualBoard(SimBoard):
    name = "virtual device"

    def __init__(self, world_dir):
        self.world_dir = world_dir
        cfg = read_json(world_dir + "/virtual.json")
        state = read_json(world_dir + "/world.json") or {
            "us": cfg["start"] * 1000000, "cause": "power-on", "rtc": None,
            "since": [cfg["start"]] * len(cfg["slots"]), "holds": {}}
        self.cfg, self.state = cfg, state
        clock = WorldClock(state["us"])
        wlan = EmulatorWLAN(clock, cfg["ssid"], cfg["password"], ClockLink(cfg["clock_port"]))
        SimBoard.__init__(self, clock=clock, fs=Fs(), wlan=wlan, ntp=VirtualNtp(cfg["ntp_port"]),
                          drift_ppm=cfg.get("drift_ppm", 0))
        self.cause = state["cause"]
        if state["rtc"]:  # else a power cut: the clock at 2000, the memory empty
            self.rtc.offset_us, self.rtc.set_count = state["rtc"][0], state["rtc"][1]
            try:
                with open(world_dir + "/rtc.bin", "rb") as f:
                    self.rtc.data = f.read()
            except OSError:
                pass
        self.household = Household(self, cfg["slots"], state["since"])
        for pin_id, level in state["holds"].items():
            self.hold(int(pin_id), level)
        self.household.step(clock.now(), state.get("deliveries", ()))
        self.end = cfg["start"] + cfg["days"] * DAY
        self._stepped = clock.now()
        clock.watchers.append(self._mains_time)

    def disable_irq(self):
        was = SimBoard.disable_irq(self)
        if not was:
            self.world.pause()
        return was

    def enable_irq(self, state):
        SimBoard.enable_irq(self, state)
        if not state:
            self.world.resume()

    def _mains_time(self):
        """On mains power the wakes loop in one process: the household lives
        on while the firmware pauses, and the run ends in the same process."""
        now = self.world.now()
        if now - self._stepped >= 60:
            self._stepped = now
            self.household.step(now)
            if now >= self.end:
                self.save_world("power-off")
                power_down()

    def sync_time(self):
        from replenish import sntp

        t = sntp.query(self.ntp.sockets(), self.ntp.host, self.clock, port=self.ntp.port)
        self.rtc.set(t)
        return t

    def save_world(self, cause, sleep_ua=None):
        """Few and small allocations: this runs in the firmware's heap, often
        when the firmware has just run out of it."""
        rtc = self.rtc
        with open(self.world_dir + "/rtc.bin", "wb") as f:
            f.write(rtc.data)
        holds = dict((str(p.id), p.level) for p in self.pins.values() if p.held)
        write_json(self.world_dir + "/world.json", {
            "us": self.world.ticks_us(), "cause": cause,
            "rtc": [rtc.offset_us, rtc.set_count],
            "since": self.household.since(), "holds": holds,
            "sleep_ua": sleep_ua})

    def soft_reset(self):
        self.save_world("soft-reset")
        power_down()  # the runner starts the next process at once: a fresh heap

    def deep_sleep(self, ms):
        ua = self.sleep_current_ua()
        self._reset(DEEP_SLEEP)
        self.world._us += ms * 1000
        self.rtc.slept(ms)
        self.sleeps.append((ms, ua))
        self.save_world(DEEP_SLEEP, ua)
        power_down()  # the chip sleeps; the runner wakes it as a new process
