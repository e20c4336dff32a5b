"""A fresh clone at a long path passes the device tests under MicroPython:
module file names and the module search path live in MicroPython's heap, so
the clone's path once decided whether a device test ran out of memory
(issue 13). This clones HEAD into a path over 100 characters and runs the
device tests there, with the clone's own paths."""

import os
import shutil
import subprocess
import sys

from conftest import ROOT


def test_device_tests_pass_in_a_clone_at_a_long_path(tmp_path):
    clone = tmp_path / ("a-rather-long-folder-name-for-a-checkout-" * 3) / "replenish"
    assert len(str(clone)) > 100
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone)],
                   check=True, capture_output=True, timeout=60)
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/device", "-q", "-k", "micropython",
             "-p", "no:cacheprovider"],
            cwd=clone, env=env, capture_output=True, text=True, timeout=600)
    finally:
        # The clone's test fixtures hold sample tokens: gone before the
        # secret scan looks at what this test left behind.
        shutil.rmtree(tmp_path / clone.relative_to(tmp_path).parts[0])
    assert proc.returncode == 0, "\n".join(proc.stdout.splitlines()[-40:])
    ran = [line for line in proc.stdout.splitlines() if line.startswith("micropython: ")]
    assert ran and ran[0].endswith(", 0 failed") and not ran[0].startswith("micropython: 0 ")
