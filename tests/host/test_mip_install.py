"""The app installs with mip (`mpremote mip install`), drivers included, from
the working tree into the virtual device; and package.json lists every file
the device needs, so it cannot go stale when a module is added."""

import json
import subprocess
import sys
from pathlib import Path

from tools.virtual_device import VirtualDevice

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "package.json"
DRIVERS = ("hx711", "level_probe")


def urls():
    """{source path in the repository: path on the device, from /lib}"""
    return {source: device for device, source in json.loads(PACKAGE.read_text())["urls"]}


def device_files():
    """What tools/deploy.py puts on a board, as paths in the repository."""
    files = ["boot.py", "main.py"]
    files += [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "certs").glob("*.der"))]
    files += [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "lib").rglob("*.py"))
              if "__pycache__" not in p.parts]
    return files


def on_device(source):
    """Where a repository file lands on the board: lib/ under /lib, the rest at /."""
    return source[len("lib/"):] if source.startswith("lib/") else "../" + source


def test_package_json_lists_every_device_file_where_the_board_needs_it():
    listed = urls()
    wanted = device_files()
    assert sorted(listed) == sorted(wanted), "package.json is stale: add %s, drop %s" % (
        sorted(set(wanted) - set(listed)), sorted(set(listed) - set(wanted)))
    assert all(listed[source] == on_device(source) for source in listed)


def test_the_drivers_land_where_their_own_packages_put_them():
    listed = urls()
    for driver in DRIVERS:
        own = json.loads((ROOT / "lib" / (driver + ".json")).read_text())["urls"]
        assert [[listed["lib/" + source], source] for _, source in own] == own


def mpremote(port, *args):
    cmd = [str(Path(sys.executable).with_name("mpremote")), "connect", port, "resume", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_mip_installs_the_app_and_its_drivers_on_the_virtual_device(tmp_path):
    flash = tmp_path / "flash"
    # mip installs sources: compiling them at import takes far more heap than
    # the .mpy files tools/deploy.py puts on a device that stays (docs/real-board.md).
    with VirtualDevice(flash, heap="256k") as dev:
        installed = mpremote(dev.port, "mip", "install", str(PACKAGE))
        imported = mpremote(dev.port, "exec", "import replenish.app, hx711, level_probe; "
                            "print(replenish.app.__file__); print(hx711.__file__)")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    for source, device in urls().items():
        landed = (flash / "lib" / device).resolve()
        assert landed.read_bytes() == (ROOT / source).read_bytes(), source
    assert (flash / "boot.py").exists() and (flash / "certs" / "amazon-root-ca-1.der").exists()
    assert imported.returncode == 0, imported.stdout + imported.stderr
    app_file, driver_file = imported.stdout.split()[-2:]
    # the modules came from the board's flash, not from the repository
    assert Path(app_file).resolve() == (flash / "lib" / "replenish" / "app.py").resolve()
    assert Path(driver_file).resolve() == (flash / "lib" / "hx711.py").resolve()
