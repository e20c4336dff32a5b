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

ROOT = Path(__file__).resolve().parent.parent
DEVICE_DIR = ROOT / "tests" / "device"
# An ESP32-WROOM (no PSRAM) leaves roughly 110 KB of heap to Python after
# MicroPython's own start-up; the tests run inside that.
DEVICE_HEAP = os.environ.get("DEVICE_HEAP", "110k")
MICROPYPATH = os.pathsep.join(
    [str(DEVICE_DIR), str(ROOT / "lib"), str(ROOT), ".frozen"]
)
MARK = "@@mp-result "

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
    _mp_results = None

    def collect(self):
        for name in device_test_names(self.path):
            yield CPythonItem.from_parent(self, name=name + "[cpython]", test=name)
            yield MicroPythonItem.from_parent(self, name=name + "[micropython]", test=name)

    def heap(self):
        return module_heap(ast.parse(self.path.read_text(), str(self.path)))

    def micropython_results(self):
        if self._mp_results is None:
            self._mp_results = run_under_micropython(self.path.stem, self.heap())
        return self._mp_results


def run_under_micropython(modname, heap):
    env = dict(os.environ, MICROPYPATH=MICROPYPATH)
    proc = subprocess.run(
        [micropython_command(), "-X", "heapsize=" + heap,
         str(ROOT / "tests" / "mp_runner.py"), modname],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300,
    )
    results = {}
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            record = json.loads(line[len(MARK):])
            if "import_error" in record:
                return {"*": record["import_error"]}
            results[record["test"]] = record["error"]
    results["_output"] = proc.stdout + proc.stderr
    results["_status"] = proc.returncode
    return results


class DeviceTestFailure(Exception):
    pass


class CPythonItem(pytest.Item):
    interpreter = "cpython"

    def __init__(self, *, test, **kw):
        super().__init__(**kw)
        self.test = test

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

    def reportinfo(self):
        return self.path, None, self.name

    def _traceback_filter(self, excinfo):
        """Only the test's own frames, not this runner's or pytest's."""
        return excinfo.traceback.filter(
            lambda entry: Path(str(entry.path)).parent != Path(__file__).parent
            and "_pytest" not in str(entry.path) and "pluggy" not in str(entry.path))


class MicroPythonItem(pytest.Item):
    interpreter = "micropython"

    def __init__(self, *, test, **kw):
        super().__init__(**kw)
        self.test = test

    def runtest(self):
        results = self.parent.micropython_results()
        if "*" in results:
            raise DeviceTestFailure("module failed to import under MicroPython:\n" + results["*"])
        if self.test not in results:
            raise DeviceTestFailure(
                "test did not report under MicroPython (exit %s):\n%s"
                % (results["_status"], results["_output"][-3000:])
            )
        if results[self.test] is not None:
            raise DeviceTestFailure(results[self.test])

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, DeviceTestFailure):
            return "under MicroPython (heap %s):\n%s" % (self.parent.heap(), excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, self.name


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
