"""`python -m tools.soak --seed N --days 365`: a year of the firmware on the
harsh simulated board against the strict emulator, for the printer and the
coffee profiles, with a thousand faults drawn from the seed. Prints a table
per profile (fault kind, how many, what the device did, breaches) and every
breach with the console before it; exits 1 on any breach, naming the seed."""

import argparse
import sys
import time
from pathlib import Path

LIB = str(Path(__file__).resolve().parent.parent.parent / "lib")
if LIB not in sys.path:
    sys.path.insert(0, LIB)  # the firmware's own modules, as on the board's /lib

from tools.soak.report import print_life  # noqa: E402
from tools.soak.run import PROFILES, soak  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.soak",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1, help="what draws the faults (%(default)s)")
    parser.add_argument("--days", type=int, default=365, help="simulated days (%(default)s)")
    parser.add_argument("--profile", choices=sorted(PROFILES), action="append",
                        help="one profile (repeatable); default: all of them")
    parser.add_argument("--faults-per-day", type=float, default=3.0,
                        help="faults drawn per profile and day (%(default)s)")
    parser.add_argument("--console", metavar="FILE",
                        help="write every line of the device's console there, with its day")
    args = parser.parse_args(argv)
    began = time.monotonic()
    console = open(args.console, "w") if args.console else None
    try:
        lives = soak(args.seed, args.days, args.profile or sorted(PROFILES),
                     args.faults_per_day, console)
    finally:
        if console:
            console.close()
    for life in lives:
        print_life(life)
    breaches = sum(sum(life.breach_count.values()) for life in lives)
    faults = sum(len([f for f in life.plan if f.started]) for life in lives)
    print("\nsoak: seed %d, %d days, %d faults injected, %d breaches, %.0f s"
          % (args.seed, args.days, faults, breaches, time.monotonic() - began))
    if breaches:
        print("soak: FAILED - replay with: python -m tools.soak --seed %d --days %d"
              % (args.seed, args.days))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
