"""`python -m tools.emulator.load --devices 1000`: a fleet's daily sessions
against the emulator, on loopback only, to show it serves them with flat
memory.

The emulator runs as its own process (`python -m tools.emulator`, strict, on
a virtual clock, in a temporary state folder), so its memory is measured
alone. Each virtual day every device runs the session a device runs once a
day: an LWA refresh over one TLS connection, then device status and slot
status over one kept-alive TLS connection to DRS. At most `--concurrency`
sessions run at once and the whole run stops at `--max-seconds`; then the
clock moves one day on. Printed: sessions that succeeded, requests per
second, the emulator's resident memory (RSS) before the first day and after
each, and how many deviations the strict emulator saw (a careful client
causes none).
"""

import argparse
import http.client
import json
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from tools.emulator import isodate
from tools.emulator.boundedlog import LIMIT as RECORDER_LIMIT
from tools.emulator.client import ControlClient

ROOT = Path(__file__).resolve().parent.parent.parent
DAY = 86400
START = "2026-01-01T00:00:00Z"
PREFIX = "com.amazon.dash.replenishment."
IO_TIMEOUT = 10


def rss_kib(pid):
    """Resident memory of a process in KiB (Linux /proc), or None elsewhere."""
    try:
        for line in Path("/proc/%d/status" % pid).read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


class EmulatorProcess:
    """`python -m tools.emulator` on free loopback ports, in its own state folder."""

    def __init__(self, state_dir):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tools.emulator", "--state-dir", str(state_dir),
             "--lwa-port", "0", "--drs-port", "0", "--control-port", "0", "--clock", "virtual",
             "--start", START, "--quiet"],
            cwd=ROOT, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError("the emulator did not start (exit %s)" % self.proc.returncode)
        self.info = json.loads(line)
        self.control = ControlClient(self.info["control_url"], self.info["ca_pem"])

    def rss_kib(self):
        return rss_kib(self.proc.pid)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # it saves its state and exits
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


class Session:
    """One device's daily session, as the firmware makes it."""

    def __init__(self, info, ctx):
        self.lwa = urlsplit(info["lwa_url"])
        self.drs = urlsplit(info["drs_url"])
        self.ctx = ctx

    def _connection(self, url):
        return http.client.HTTPSConnection(url.hostname, url.port, context=self.ctx,
                                           timeout=IO_TIMEOUT)

    @staticmethod
    def _exchange(conn, path, body, headers):
        conn.request("POST", path, body, headers)
        reply = conn.getresponse()
        return reply.status, reply.read()

    def run(self, creds, today):
        """None when every call succeeded, else what failed."""
        lwa = self._connection(self.lwa)
        try:
            status, body = self._exchange(lwa, "/auth/o2/token", urlencode({
                "grant_type": "refresh_token", "refresh_token": creds["refresh_token"],
                "client_id": creds["client_id"], "client_secret": creds["client_secret"]}),
                {"Content-Type": "application/x-www-form-urlencoded"})
        finally:
            lwa.close()
        if status != 200:
            return "token: HTTP %d" % status
        bearer = "Bearer " + json.loads(body)["access_token"]
        slot = creds["slots"][0]
        calls = (
            ("/deviceStatus", "DrsDeviceStatus", {"mostRecentlyActiveDate": today}),
            ("/slotStatus/" + slot, "DrsSlotStatus", {
                "expectedReplenishmentDate": today, "remainingQuantityInUnit": 3.5,
                "originalQuantityInUnit": 10, "totalQuantityOnHand": 0, "lastUseDate": today}),
        )
        drs = self._connection(self.drs)  # one connection, kept alive for both calls
        try:
            for path, type_name, body in calls:
                status, _ = self._exchange(drs, path, json.dumps(body), {
                    "Authorization": bearer, "Content-Type": "application/json",
                    "x-amzn-type-version": PREFIX + type_name + "Input@1.0",
                    "x-amzn-accept-type": PREFIX + type_name + "Result@1.0"})
                if status != 200:
                    return "%s: HTTP %d" % (path, status)
        finally:
            drs.close()
        return None


def _day(session, fleet, today, concurrency, deadline):
    """Every device's session once; (succeeded, failures by reason)."""
    failures = {}

    def one(creds):
        if time.monotonic() > deadline:
            return "not run: --max-seconds reached"
        try:
            return session.run(creds, today)
        except (OSError, http.client.HTTPException, ValueError) as e:
            return "%s: %s" % (type(e).__name__, e)

    with ThreadPoolExecutor(concurrency) as pool:
        futures = [pool.submit(one, creds) for creds in fleet]
        done, late = wait(futures, timeout=max(0.0, deadline - time.monotonic()) + IO_TIMEOUT)
        for f in late:
            f.cancel()
    ok = 0
    for f in futures:
        failure = f.result() if f in done else "not finished in time"
        if failure is None:
            ok += 1
        else:
            failures[failure] = failures.get(failure, 0) + 1
    return ok, failures


def run(devices=1000, days=5, concurrency=32, max_seconds=600.0, out=print):
    """Run the fleet; return the figures as a dict (and print them through `out`)."""
    if not (1 <= devices <= 10000 and 1 <= days <= 365 and 1 <= concurrency <= 200):
        raise ValueError("devices 1-10000, days 1-365, concurrency 1-200")
    with tempfile.TemporaryDirectory(prefix="emulator-load-") as state_dir:
        emu = EmulatorProcess(state_dir)
        try:
            return _run(emu, devices, days, concurrency, max_seconds, out)
        finally:
            emu.stop()


def _run(emu, devices, days, concurrency, max_seconds, out):
    deadline = time.monotonic() + max_seconds
    fleet = emu.control.create_devices(devices)
    ctx = ssl.create_default_context(cafile=emu.info["ca_pem"])
    session = Session(emu.info, ctx)
    emu.control.clear_requests()
    rss = [emu.rss_kib()]
    out("emulator pid %d: %d devices, %d days, %d sessions at once; RSS %s KiB before the "
        "first day" % (emu.proc.pid, devices, days, concurrency, rss[0]))
    ok, failures, seconds = 0, {}, 0.0
    for day in range(days):
        today = isodate.utc_seconds(emu.control.clock()["now"])
        began = time.monotonic()
        day_ok, day_failures = _day(session, fleet, today, concurrency, deadline)
        seconds += time.monotonic() - began
        ok += day_ok
        for reason, n in day_failures.items():
            failures[reason] = failures.get(reason, 0) + n
        rss.append(emu.rss_kib())
        out("day %d: %d/%d sessions ok in %.1f s; RSS %s KiB"
            % (day + 1, day_ok, devices, time.monotonic() - began, rss[-1]))
        emu.control.advance_clock(DAY)
    stats = emu.control.connections()
    requests = stats["lwa"]["requests"] + stats["drs"]["requests"]
    result = {
        "devices": devices, "days": days, "sessions": devices * days, "ok": ok,
        "failures": failures, "requests": requests, "seconds": round(seconds, 2),
        "requests_per_second": round(requests / seconds, 1) if seconds else 0.0,
        "tls_handshakes": stats["lwa"]["tls_handshakes"] + stats["drs"]["tls_handshakes"],
        "refused_connections": stats["lwa"]["refused"] + stats["drs"]["refused"],
        "deviations": len(emu.control.deviations()),
        "rss_kib": rss,
        "rss_growth_after_day_1_kib": None if None in rss else rss[-1] - rss[1],
    }
    out("%d of %d sessions ok; %d requests in %.1f s: %.0f requests/s; %d TLS handshakes; "
        "%d deviations" % (ok, result["sessions"], requests, seconds,
                           result["requests_per_second"], result["tls_handshakes"],
                           result["deviations"]))
    for reason, n in sorted(failures.items()):
        out("  failed %d: %s" % (n, reason))
    if None not in rss:
        out("emulator RSS: %d KiB at start, %d KiB at the end; %+d KiB since day 1, %+d KiB "
            "over the last day (the request log keeps the last %d requests: memory rises "
            "until it is full, then stays flat)" % (rss[0], rss[-1], rss[-1] - rss[1],
                                                   rss[-1] - rss[-2], RECORDER_LIMIT))
    return result


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m tools.emulator.load",
        description="Run a fleet of virtual devices' daily sessions (LWA refresh, device "
                    "status, slot status; one TLS connection per host) against an emulator "
                    "of its own on loopback; print requests per second and the emulator's "
                    "memory before and after.")
    p.add_argument("--devices", type=int, default=1000, help="fleet size (default: %(default)s)")
    p.add_argument("--days", type=int, default=5,
                   help="virtual days, one session per device each (default: %(default)s)")
    p.add_argument("--concurrency", type=int, default=32,
                   help="sessions at once (default: %(default)s)")
    p.add_argument("--max-seconds", type=float, default=600.0,
                   help="stop starting sessions after this long (default: %(default)s)")
    args = p.parse_args(argv)
    try:
        result = run(args.devices, args.days, args.concurrency, args.max_seconds)
    except (ValueError, RuntimeError) as e:
        sys.exit("load: %s" % e)
    return 0 if result["ok"] == result["sessions"] and not result["deviations"] else 1


if __name__ == "__main__":
    sys.exit(main())
