"""Type-checks the ESP32 board module against the ESP32 port's API stubs
(micropython-esp32-stubs, pinned), since no ESP32 is attached to run it:
a misspelt `machine` call or a wrong argument fails here instead of on a
customer's device."""

import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "esp32-stubs"
CHECKED = ["lib/replenish/board.py"]
# The stubs themselves carry a few errors of their own; only our code is judged.
MYPY_INI = """[mypy]
check_untyped_defs = True
[mypy-machine,network,time,vfs,ntptime,esp32,socket,ssl,select,_mpy_shed.*]
ignore_errors = True
"""


def stage_stubs():
    """The stubs install beside everything else in site-packages; mypy needs
    them alone on its path, with the MicroPython stdlib stubs as typeshed."""
    dist = metadata.distribution("micropython-esp32-stubs")
    if BUILD.exists():
        shutil.rmtree(BUILD)
    BUILD.mkdir(parents=True)
    for f in dist.files:
        src = Path(dist.locate_file(f))
        if src.suffix == ".pyi":
            dst = BUILD / f
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(src, dst)
    (BUILD / "mypy.ini").write_text(MYPY_INI)
    typeshed = Path(metadata.distribution("micropython-stdlib-stubs").locate_file(""))
    return typeshed


def main():
    typeshed = stage_stubs()
    cmd = [sys.executable, "-m", "mypy", "--config-file", str(BUILD / "mypy.ini"),
           "--custom-typeshed-dir", str(typeshed), "--no-site-packages",
           "--follow-imports=silent", "--cache-dir", str(BUILD / ".mypy_cache")]
    env = {"MYPYPATH": "%s:%s" % (BUILD, ROOT / "lib"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(cmd + CHECKED, cwd=ROOT, env=env, capture_output=True, text=True)
    print(proc.stdout.strip() or proc.stderr.strip())
    print("board API checked against micropython-esp32-stubs %s" % metadata.version(
        "micropython-esp32-stubs"))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
