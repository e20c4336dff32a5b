"""`python -m tools.emulator`: serve the emulator until interrupted. The first
line on stdout is JSON with the URLs and CA paths, for scripts to read."""

import argparse
import json
import signal
import sys
import threading

from tools.emulator import isodate
from tools.emulator.emulator import DEFAULT_STATE_DIR, Emulator, log_to_stderr


def iso_time(text):
    try:
        return isodate.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="python -m tools.emulator",
        description="Emulated Dash Replenishment Service and Login with Amazon on 127.0.0.1. "
                    "Prints one JSON line (URLs, CA paths), then serves until Ctrl-C. "
                    "State persists in STATE_DIR/state.json, so a stopped demo resumes.",
        epilog="Control API: GET <control_url>/control lists every operation with its "
               "arguments (create_device, advance_clock, inject_fault, requests, ...); "
               "POST /control/<operation> takes a JSON object of arguments.")
    p.add_argument("--state-dir", default=str(DEFAULT_STATE_DIR),
                   help="where the CA, server certificate and state.json live "
                        "(default: %(default)s)")
    p.add_argument("--plain-http", action="store_true",
                   help="serve plain HTTP instead of HTTPS with the local CA")
    p.add_argument("--lwa-port", type=int, default=9441,
                   help="port of the Login with Amazon host (token endpoint, consent page); "
                        "0 picks a free one (default: %(default)s)")
    p.add_argument("--drs-port", type=int, default=9442,
                   help="port of the DRS host (default: %(default)s)")
    p.add_argument("--control-port", type=int, default=9440,
                   help="port of the control API, /control/... (default: %(default)s)")
    p.add_argument("--clock", choices=("real", "virtual"), default="real",
                   help="real: wall clock plus whatever /control/advance_clock adds; "
                        "virtual: time moves only through the control API "
                        "(default: %(default)s; a saved state keeps its own clock)")
    p.add_argument("--start", default=None, type=iso_time,
                   help="starting time for a new state, ISO 8601 (e.g. 2026-01-01T00:00:00Z)")
    p.add_argument("--idle-timeout", type=float, default=30.0,
                   help="seconds a kept-alive connection may sit idle (default: %(default)s)")
    p.add_argument("--lenient", action="store_true",
                   help="serve what Amazon would refuse or a careful client would not send "
                        "(HTTP/1.0, chunked bodies, dates without Z, ...) and only record it; "
                        "by default each such deviation is answered 400. Either way GET "
                        "<control_url>/control/deviations lists them")
    p.add_argument("--max-connections", type=int, default=256,
                   help="open connections per host; more are closed at once "
                        "(default: %(default)s)")
    p.add_argument("--request-timeout", type=float, default=10.0,
                   help="seconds a request may take to arrive whole, so a slow client cannot "
                        "hold a connection (default: %(default)s)")
    p.add_argument("--quiet", action="store_true",
                   help="no per-request log lines on stderr (they never contain secrets)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        emu = Emulator(args.state_dir, tls=not args.plain_http, clock=args.clock,
                       start=args.start, lwa_port=args.lwa_port, drs_port=args.drs_port,
                       control_port=args.control_port, idle_timeout=args.idle_timeout,
                       strict=not args.lenient, max_connections=args.max_connections,
                       request_timeout=args.request_timeout,
                       log=None if args.quiet else log_to_stderr).start()
    except OSError as e:
        sys.exit("emulator: cannot listen (%s); choose other ports or 0 for free ones" % e)
    except ValueError as e:
        sys.exit("emulator: %s" % e)
    print(json.dumps(dict(emu.endpoints(), state_file=str(emu.state.path))), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
