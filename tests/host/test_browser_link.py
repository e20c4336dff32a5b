"""Linking in a real browser, as a customer does it: `python -m tools.link`
prints the consent page and listens on a loopback port; headless Chromium
(Debian's package, driven by selenium) opens the page, signs in, allows, and
is sent back to the link tool, which trades the code for a refresh token and
writes link.json. The emulator then accepts that token in a refresh grant.

Chromium and its driver come from Debian (`apt-get install chromium
chromium-driver`; .ci/run installs them): without them this test fails."""

import base64
import hashlib
import json
import ssl
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from emulator_support import refresh_once, start_emulator
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
MODEL, SERIAL = "coffee-1", "CM-0007"
SLOTS = ["beans"]


def spki_pin(url):
    """Chromium's pin for the certificate the emulator serves (its own CA
    signed it): trusted by this browser profile only."""
    parts = urlsplit(url)
    cert = x509.load_pem_x509_certificate(
        ssl.get_server_certificate((parts.hostname, parts.port)).encode())
    spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


@pytest.fixture
def browser(tmp_path, emu):
    assert CHROMIUM.exists() and CHROMEDRIVER.exists(), (
        "Chromium is missing: apt-get install chromium chromium-driver (.ci/run does it)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-proxy-server",
                 "--user-data-dir=%s" % (tmp_path / "chromium-profile"),
                 "--ignore-certificate-errors-spki-list=%s" % spki_pin(emu.lwa_url)):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def emu(tmp_path):
    emulator = start_emulator(tmp_path / "emulator")
    yield emulator
    emulator.stop()


def start_link_tool(emu, creds, folder):
    cmd = [sys.executable, "-m", "tools.link",
           "--consent-url", emu.lwa_url + "/ap/oa", "--token-url", emu.lwa_url + "/auth/o2/token",
           "--client-id", creds["client_id"], "--model", MODEL, "--serial", SERIAL,
           "--test-device", "--cafile", emu.ca_pem, "--port", "0", "--out", str(folder)]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def consent_page_url(tool):
    for line in tool.stdout:
        if line.startswith("https://"):
            return line.strip()
    tool.wait(10)
    raise AssertionError("the link tool printed no consent page: %s" % tool.stderr.read())


def test_a_customer_links_the_device_in_a_real_browser(tmp_path, emu, browser):
    creds = emu.control.create_model(MODEL, SLOTS, redirect_uris=["http://127.0.0.1/linked"])
    customer = emu.control.create_customer("Ada Lovelace")
    folder = tmp_path / "device"
    folder.mkdir()
    (folder / "secrets.json").write_text(json.dumps(
        {"wifi_password": "home-wifi-password", "client_secret": creds["client_secret"]}))
    tool = start_link_tool(emu, creds, folder)
    try:
        browser.get(consent_page_url(tool))
        assert "Allow this device to reorder for you?" in browser.title
        assert "%s, serial %s (test device)" % (MODEL, SERIAL) in browser.find_element(
            By.TAG_NAME, "body").text
        Select(browser.find_element(By.NAME, "customer_id")).select_by_visible_text(
            "Ada Lovelace")  # signed in as the customer
        browser.find_element(By.CSS_SELECTOR, "button[value='allow']").click()
        WebDriverWait(browser, 30).until(lambda b: b.current_url.startswith("http://127.0.0.1:"))
        landed = browser.current_url
        page = browser.find_element(By.TAG_NAME, "body").text
        out, err = tool.communicate(timeout=60)
    finally:
        if tool.poll() is None:
            tool.kill()
            tool.wait()
    assert "/linked?code=" in landed and "state=" in landed
    assert "it finishes in the terminal" in page
    assert tool.returncode == 0, err
    token = json.loads((folder / "link.json").read_text())["refresh_token"]
    assert "linked: wrote %s" % (folder / "link.json") in out
    assert token not in out + err and creds["client_secret"] not in out + err
    refreshed = refresh_once(emu, creds, token)
    assert refreshed.status == 200, refreshed.body
    assert refreshed.json()["access_token"].startswith("Atza|")
    devices = emu.control.state()["devices"].values()
    assert [(d["customer_id"], d["test_device"]) for d in devices
            if d["serial"] == SERIAL] == [(customer, True)]
