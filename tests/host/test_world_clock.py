"""The virtual device's clock runs with the host's real time, so a stalled
server costs board time. Not while the board's interrupts are off: on the
chip only a few instructions run then (an HX711 clock pulse), while on the
host the simulator's own work or a scheduler pause could stretch that pulse
past 60 µs and reset the chip. `make run`'s washer lost its first reading
to that about one run in six."""

import subprocess

from conftest import ROOT, micropython_command

PROGRAM = """
import time
from tools.sim.virtual import WorldClock

clock = WorldClock(0)
t0 = clock.ticks_us()
time.sleep_ms(20)  # the host is busy: board time runs on
clock.pause()  # interrupts off
t1 = clock.ticks_us()
time.sleep_ms(20)  # the host stalls inside a pulse
t2 = clock.ticks_us()
clock.resume()
t3 = clock.ticks_us()
print(t1 - t0, t2 - t1, t3 - t1)
"""


def test_host_stalls_while_interrupts_are_off_cost_no_board_time():
    out = subprocess.run([micropython_command(), "-c", PROGRAM], cwd=ROOT, env={
        "MICROPYPATH": ".:lib"}, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    running, paused, after = (int(n) for n in out.stdout.split())
    assert running >= 15000  # a real stall is board time...
    assert paused == 0  # ...but not with interrupts off
    assert after < 5000  # and the board time goes on from there, not 20 ms later
