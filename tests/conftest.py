"""Runs every device test twice: under CPython (here) and under the MicroPython
unix port with an ESP32-sized heap (tests/mp_runner.py in a subprocess).

A device test module is any tests/device/test_*.py: plain functions or classes
with plain asserts, fakes imported explicitly, no fixtures. Each test becomes
two items, `name[cpython]` and `name[micropython]`, so a failure names both the
test and the interpreter.
"""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Every test's output and the files its device wrote are searched for secrets.
pytest_plugins = ("secret_scan",)

ROOT = Path(__file__).resolve().parent.parent
DEVICE_DIR = ROOT / "tests" / "device"
# An ESP32-WROOM (no PSRAM) leaves roughly 110 KB of heap to Python, which
# is about 144k of the 64-bit unix port's. Device tests run at the measured
# need of a full 4-slot service wake (100k: python -m tools.heapscan) plus a
# stated margin of 28k (one response buffer at the 8 KB cap, and the swings of
# up to 12k between neighbouring heap sizes that fragmentation causes), so the
# result does not depend on the clone's path or a small shift in allocation.
DEVICE_HEAP = os.environ.get("DEVICE_HEAP", "128k")
# Under MicroPython the device code and its fakes load as .mpy, as deployed
# (compiling source costs the heap more than the code does), from paths
# relative to the repository: module names and sys.path are strings in the
# heap, and a clone's path must not change what a test needs.
MPY_DIR = "build/device-tests"
MICROPYPATH = os.pathsep.join(
    ["tests/device", MPY_DIR + "/lib", MPY_DIR, ".frozen"]
)
MARK = "@@mp-result "
# A module's whole run under MicroPython; past this it counts as hung.
MP_TIMEOUT_S = 300

# Device code imports its own modules by their device names (`replenish`, `hx711`).
for path in (str(ROOT / "lib"), str(ROOT)):
    if path not in sys.path:
        sys.path.insert(0, path)


def micropython_command():
    exe = Path(sys.executable).with_name("micropython")
    return str(exe) if exe.exists() else "micropython"


def module_heap(tree):
    """A module that wires the whole device declares the heap it needs, with
    its reason beside it: DEVICE_HEAP = "192k"."""
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], "id", None) == "DEVICE_HEAP"
                and isinstance(node.value, ast.Constant)):
            return node.value.value
    return DEVICE_HEAP


def device_test_names(path):
    """Test names in definition order: `test_x` and `TestY::test_z`."""
    tree = ast.parse(path.read_text(), str(path))
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for sub in node.body:
                if isinstance(sub, ast.FunctionDef) and sub.name.startswith("test"):
                    names.append(node.name + "::" + sub.name)
    return names


def pytest_pycollect_makemodule(module_path, parent):
    if module_path.parent == DEVICE_DIR and module_path.name.startswith("test_"):
        return DeviceModule.from_parent(parent, path=module_path)
    return None


class DeviceModule(pytest.Module):
    _mp_run = None
    compiled = False  # lib/ and tools/sim/ as .mpy: once per session

    def collect(self):
        for name in device_test_names(self.path):
            yield CPythonItem.from_parent(self, name=name + "[cpython]", test=name)
            yield MicroPythonItem.from_parent(self, name=name + "[micropython]", test=name)

    def heap(self):
        return module_heap(ast.parse(self.path.read_text(), str(self.path)))

    def micropython_run(self):
        if self._mp_run is None:
            if not DeviceModule.compiled:
                compile_for_micropython()
                DeviceModule.compiled = True
            self._mp_run = MicroPythonRun(self.path.stem, self.heap())
        return self._mp_run


def _text(data):
    if data is None:
        return ""
    return data.decode(errors="replace") if isinstance(data, bytes) else data


def compile_for_micropython():
    """lib/ and tools/sim/ as .mpy, once per session."""
    from tools.compile_device import build

    out = ROOT / MPY_DIR
    errors = build(out) + build(out, "tools/sim")
    (out / "tools" / "__init__.py").write_text("")
    if errors:
        raise RuntimeError("mpy-cross: " + "; ".join(errors))


class MicroPythonRun:
    """One device test module run once in a fresh `micropython` process
    (tests/mp_runner.py), read back as a result per test. A test that never
    reported is explained: the module did not import, the test crashed or
    hung the process, or an earlier test did and it never ran."""

    def __init__(self, modname, heap):
        env = dict(os.environ, MICROPYPATH=MICROPYPATH)
        cmd = [micropython_command(), "-X", "heapsize=" + heap,
               "tests/mp_runner.py", modname]  # relative: no path in the heap
        self.hung = False
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT,
                                  timeout=MP_TIMEOUT_S)
            stdout, stderr, self.status = proc.stdout, proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as exc:
            stdout, stderr, self.status = _text(exc.stdout), _text(exc.stderr), None
            self.hung = True
        self.output = "\n".join(line for line in (stdout + stderr).splitlines()
                                 if MARK not in line)
        self.results = {}
        self.printed = {}  # test -> what it printed (the import's output goes to the first)
        self.import_error = None
        self.running = None  # the test that started and never reported
        self.done = False
        lines = []
        for line in stdout.splitlines():
            at = line.find(MARK)  # a test's print without a newline may precede it
            if at != 0:
                lines.append(line[:at] if at > 0 else line)
            if at < 0:
                continue
            record = json.loads(line[at + len(MARK):])
            if "start" in record:
                self.running = record["start"]
            elif "test" in record:
                self.results[record["test"]] = record["error"]
                self.printed[record["test"]], lines = "\n".join(lines), []
                self.running = None
            elif "import_error" in record:
                self.import_error = record["import_error"]
            elif "done" in record:
                self.done = True
        if self.running is not None:  # it crashed: the rest and stderr are its own
            self.printed[self.running] = "\n".join(lines) + "\n" + stderr

    def _ending(self):
        if self.hung:
            return "was still running after %d s" % MP_TIMEOUT_S
        if self.status is not None and self.status < 0:
            return "was killed by signal %d" % -self.status
        return "exited with status %s" % self.status

    def failure(self, test):
        """None if `test` passed under MicroPython, else why it failed."""
        if self.import_error is not None:
            return "module failed to import under MicroPython:\n" + self.import_error
        if test in self.results:
            return self.results[test]
        tail = "\n--- what the process printed (end) ---\n" + self.output[-3000:]
        if test == self.running:
            return ("this test ended the MicroPython process before reporting: it %s"
                    % self._ending() + tail)
        if self.running is not None:
            return ("not run: the MicroPython process %s during %s"
                    % (self._ending(), self.running) + tail)
        if self.done:
            return "the MicroPython runner did not find this test in the module" + tail
        return "the MicroPython process %s before running this test" % self._ending() + tail


class DeviceTestFailure(Exception):
    pass


class DeviceItem(pytest.Item):
    """One device test under one interpreter: `name[interpreter]`."""

    def __init__(self, *, test, **kw):
        super().__init__(**kw)
        self.test = test

    def reportinfo(self):
        return self.path, None, self.name


class CPythonItem(DeviceItem):
    interpreter = "cpython"

    def runtest(self):
        target = self.parent.obj
        parts = self.test.split("::")
        if len(parts) == 1:
            getattr(target, parts[0])()
            return
        inst = getattr(target, parts[0])()
        if hasattr(inst, "setup_method"):
            inst.setup_method()
        try:
            getattr(inst, parts[1])()
        finally:
            if hasattr(inst, "teardown_method"):
                inst.teardown_method()

    def _traceback_filter(self, excinfo):
        """Only the test's own frames, not this runner's or pytest's."""
        return excinfo.traceback.filter(
            lambda entry: Path(str(entry.path)).parent != Path(__file__).parent
            and "_pytest" not in str(entry.path) and "pluggy" not in str(entry.path))


class MicroPythonItem(DeviceItem):
    interpreter = "micropython"

    def runtest(self):
        run = self.parent.micropython_run()
        self.add_report_section("call", "micropython", run.printed.get(self.test, ""))
        failure = run.failure(self.test)
        if failure is not None:
            raise DeviceTestFailure(failure)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, DeviceTestFailure):
            return "under MicroPython (heap %s):\n%s" % (self.parent.heap(), excinfo.value)
        return super().repr_failure(excinfo)


def pytest_terminal_summary(terminalreporter):
    counts = {}
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            for interp in ("cpython", "micropython"):
                if report.nodeid.endswith("[" + interp + "]"):
                    key = (interp, outcome)
                    counts[key] = counts.get(key, 0) + 1
    if not counts:
        return
    terminalreporter.section("device tests by interpreter")
    for interp in ("cpython", "micropython"):
        terminalreporter.write_line(
            "%s: %d passed, %d failed"
            % (interp, counts.get((interp, "passed"), 0), counts.get((interp, "failed"), 0))
        )
