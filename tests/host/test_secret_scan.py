"""The secret scan (tests/secret_scan.py) fails a test that leaked a secret to
its output, a FakeFlash file or a file in its temporary folder, names where,
never shows the secret, and leaves the device's own secret storage and clean
output alone. Proven on a small test session in a separate pytest process."""

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import conftest
import pytest
import secret_scan

ROOT = Path(__file__).resolve().parents[2]

# The inner tests build their secrets at run time, so this file and theirs
# hold none for the outer scan to find.
INNER_CONFTEST = """
import sys
sys.path[:0] = [%r, %r]
pytest_plugins = ("secret_scan",)
""" % (str(ROOT), str(ROOT / "tests"))

INNER_TESTS = '''
import json

from tools.sim.flash import FakeFlash

TOKEN = "Atz" + "r|IwEBleaked-refresh-7731"
WIFI = "corr3ct-" + "horse-battery"


def write(flash, name, text):
    with flash.open(name, "w") as f:
        f.write(text)


def test_prints_a_token():
    print("lwa: refreshed with", TOKEN)


def test_logs_an_authorization_header():
    import sys
    sys.stderr.write("sent Authorization: Bearer " + "Atz" + "a|IwEBaccess-55\\n")


def test_reads_back_what_it_printed(capfd):
    print("token " + TOKEN)
    assert TOKEN in capfd.readouterr().out


def test_crash_log_holds_a_token():
    flash = FakeFlash()
    write(flash, "crash.log", "Traceback: refresh failed for %s\\n" % TOKEN)


def test_store_and_link_file_may_hold_tokens():
    flash = FakeFlash()
    write(flash, "data/lwa_refresh.rec", json.dumps({"token": TOKEN}))
    write(flash, "link.json", json.dumps({"refresh_token": TOKEN}))


def test_a_secrets_json_value_on_the_console():
    flash = FakeFlash()
    write(flash, "secrets.json", json.dumps({"wifi_password": WIFI, "client_secret": "x"}))
    write(flash, "console.txt", "joining home with " + WIFI)


def test_file_in_tmp_path_holds_a_token(tmp_path):
    (tmp_path / "flash").mkdir()
    (tmp_path / "flash" / "crash.log").write_text("failed: " + TOKEN)


def test_device_folder_keeps_its_token_in_its_store(tmp_path):
    (tmp_path / "flash" / "data").mkdir(parents=True)
    (tmp_path / "flash" / "data" / "lwa_refresh.rec").write_text(TOKEN)
    (tmp_path / "flash" / "boot.log").write_text("linked; token stored")


def test_micropython_output_section(request):
    request.node.add_report_section("call", "micropython", "lwa: token " + TOKEN)


def test_masked_and_clean_output_passes():
    print("sent Authorization: Bearer <masked sha256:0123456789ab>")
    print("the customer's bearer authentication works; 4 slots reported")
'''


@pytest.fixture(scope="module")
def inner():
    """{test name: failure message or None} of the inner session, and its
    whole console output."""
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        (work / "conftest.py").write_text(INNER_CONFTEST)
        (work / "test_leaks.py").write_text(INNER_TESTS)
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA",
             "--basetemp", str(work / "tmp"), "--junitxml", str(work / "report.xml"),
             "--rootdir", str(work), str(work / "test_leaks.py")],
            capture_output=True, text=True, env=env, cwd=work, timeout=120)
        results = {}
        for case in ET.parse(work / "report.xml").iter("testcase"):
            results[case.get("name")] = [(problem.tag, problem.get("message", ""))
                                         for problem in case if problem.tag in PROBLEMS]
    return results, proc.stdout + proc.stderr


PROBLEMS = ("failure", "error", "skipped")


def problems(inner, name):
    results, _ = inner
    assert name in results, "the inner session did not run %s" % name
    return results[name]


@pytest.mark.parametrize("name, where", [
    ("test_prints_a_token", "output: stdout call"),
    ("test_logs_an_authorization_header", "output: stderr call"),
    ("test_reads_back_what_it_printed", "capsys/capfd"),
    ("test_crash_log_holds_a_token", "FakeFlash file crash.log"),
    ("test_a_secrets_json_value_on_the_console", "FakeFlash file console.txt"),
    ("test_file_in_tmp_path_holds_a_token", "crash.log"),
    ("test_micropython_output_section", "output: micropython call"),
])
def test_a_leak_fails_the_test_and_names_where(inner, name, where):
    found = problems(inner, name)
    assert found, "%s leaked and still passed" % name
    # The test itself fails, not its teardown: the find is on its own report.
    (kind, message), = found
    assert kind == "failure" and "secret scan" in message and where in message


def test_the_secret_itself_is_never_shown(inner):
    _, output = inner
    assert "secret scan" in output
    for secret_part in ("leaked-refresh-7731", "IwEBaccess-55", "horse-battery"):
        lines = [line for line in output.splitlines()
                 if "secret scan" in line or "…(" in line]
        assert lines and not any(secret_part in line for line in lines)
    assert "Atzr…(28 characters)" in output


@pytest.mark.parametrize("name", [
    "test_store_and_link_file_may_hold_tokens",
    "test_device_folder_keeps_its_token_in_its_store",
    "test_masked_and_clean_output_passes",
])
def test_the_devices_own_storage_and_clean_output_pass(inner, name):
    assert problems(inner, name) == []


DEVICE_MODULE = '''
import sys

TOKEN = "Atz" + "r|IwEBprinted-on-micropython"


def test_quiet():
    print("reading slots")


def test_leaky():
    print("refreshing with", TOKEN)


def test_zz_crashes():
    print("about to die")
    sys.exit(3)
'''


def test_micropython_output_goes_to_the_test_that_printed_it(tmp_path, monkeypatch):
    """What a device test printed under MicroPython is its own, for the scan."""
    (tmp_path / "leaky_device.py").write_text(DEVICE_MODULE)
    monkeypatch.setattr(conftest, "MICROPYPATH",
                        conftest.MICROPYPATH + os.pathsep + str(tmp_path))
    run = conftest.MicroPythonRun("leaky_device", "64k")
    assert "reading slots" in run.printed["test_quiet"]
    assert secret_scan.SECRETS.find(run.printed["test_quiet"]) == []
    assert [kind for kind, _ in secret_scan.SECRETS.find(run.printed["test_leaky"])] == [
        "an LWA token"]
    assert "about to die" in run.printed["test_zz_crashes"]
