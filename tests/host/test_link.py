"""tools/link.py as a maker uses it: regions, separate consent and token URLs,
a link.json the emulator's token endpoint accepts, and one clear line (exit
code 2) for every kind of bad input instead of a traceback."""

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from emulator_support import refresh_once, start_emulator

from tools.link import LinkError, link, main

ROOT = Path(__file__).resolve().parents[2]
MODEL, SERIAL, SLOTS = "washer-2", "WM-0042", ["detergent", "softener"]


@pytest.fixture
def emu(tmp_path):
    emulator = start_emulator(tmp_path / "emulator")
    yield emulator
    emulator.stop()


@pytest.fixture
def creds(emu):
    return emu.control.create_model(MODEL, SLOTS, redirect_uris=["http://127.0.0.1/linked"])


@pytest.fixture
def folder(tmp_path, creds):
    device = tmp_path / "device"
    device.mkdir()
    write_secrets(device, creds["client_secret"])
    return device


def write_secrets(device, client_secret):
    secrets = {"wifi_password": "home-wifi-password", "client_secret": client_secret}
    (device / "secrets.json").write_text(json.dumps(secrets))


def args(emu, creds, folder, *extra, **change):
    values = {"--consent-url": emu.lwa_url + "/ap/oa",
              "--token-url": emu.lwa_url + "/auth/o2/token",
              "--client-id": creds["client_id"],
              "--model": MODEL, "--serial": SERIAL, "--cafile": emu.ca_pem,
              "--out": str(folder)}
    values.update(change)
    argv = [part for key, value in values.items() if value is not None
            for part in (key, value)]
    return argv + ["--allow", "--test-device", *extra]


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_links_through_separate_consent_and_token_urls(emu, creds, folder, capsys):
    assert main(args(emu, creds, folder)) == 0
    out, err = capsys.readouterr()
    link_file = folder / "link.json"
    assert "linked: wrote %s" % link_file in out
    token = json.loads(link_file.read_text())["refresh_token"]
    assert link_file.stat().st_mode & 0o777 == 0o600  # a token is a password
    assert token not in out + err and creds["client_secret"] not in out + err
    reply = refresh_once(emu, creds, token)
    assert reply.status == 200, reply.body
    linked = emu.control.state()["devices"]
    assert any(d["serial"] == SERIAL and d["test_device"] for d in linked.values()), linked


def test_the_token_endpoint_is_its_own_url(emu, creds, folder, capsys):
    # the consent page works, but tokens are asked for elsewhere: that host is named
    port = closed_port()
    code = main(args(emu, creds, folder, **{"--token-url": "https://127.0.0.1:%d/t" % port}))
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("link: cannot reach https://127.0.0.1:%d:" % port)
    assert not (folder / "link.json").exists()


@pytest.mark.parametrize("region,consent", [
    ("na", "https://www.amazon.com/ap/oa?"),
    ("eu", "https://www.amazon.co.uk/ap/oa?"),
    ("fe", "https://www.amazon.co.jp/ap/oa?"),
])
def test_each_region_sends_the_customer_to_its_amazon_site(region, consent):
    shown = []
    with pytest.raises(LinkError, match="no answer from the browser"):
        link(None, "amzn1.application-oa2-client.x", "secret", MODEL, SERIAL, region=region,
             port=0, show=shown.append, wait_s=0.3)
    url = shown[0].splitlines()[-1]
    assert url.startswith(consent)
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in url  # the loopback listener
    assert "code_challenge_method=S256" in url and "secret" not in url


def test_the_help_works_from_a_fresh_clone_without_pythonpath():
    env = {"PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "tools.link", "--help"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "--region" in done.stdout and "api.amazon.co.uk" in done.stdout


def run_cli(argv):
    done = subprocess.run([sys.executable, "-m", "tools.link", *argv], cwd=ROOT,
                          env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                          timeout=60)
    return done.returncode, done.stderr


def one_line(err):
    assert "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_an_unreachable_host_is_one_line(emu, creds, folder):
    port = closed_port()
    code, err = run_cli(args(emu, creds, folder,
                             **{"--consent-url": "https://127.0.0.1:%d/ap/oa" % port}))
    assert code == 2
    assert one_line(err).startswith("link: cannot reach https://127.0.0.1:%d:" % port)


def test_a_wrong_client_secret_is_named(emu, creds, folder):
    write_secrets(folder, "not-the-client-secret")
    code, err = run_cli(args(emu, creds, folder))
    assert code == 2
    assert "invalid_client" in one_line(err) and "--client-id and the secret file" in err
    assert "not-the-client-secret" not in err and not (folder / "link.json").exists()


def test_an_unknown_client_id_is_named(emu, creds, folder):
    code, err = run_cli(args(emu, creds, folder, **{"--client-id": "nobody"}))
    assert code == 2
    assert "Unknown client_id" in one_line(err)


def test_a_customer_who_denies_links_nothing(emu, creds, folder):
    with pytest.raises(LinkError, match="the customer denied the request"):
        link(emu.lwa_url, creds["client_id"], creds["client_secret"], MODEL, SERIAL,
             cafile=emu.ca_pem, allow=True, decision="deny")
    assert not [d for d in emu.control.state()["devices"].values() if d["serial"] == SERIAL]


@pytest.mark.parametrize("change,message", [
    ({"--model": "washer 2"}, "link: model 'washer 2' must be 1 to 64 characters"),
    ({"--serial": "S" * 65}, "link: serial 'SSSS"),
    ({"--model": "printer-4ink"}, "link: not linked: invalid_scope (device_model printer-4ink"),
])
def test_a_bad_model_or_serial_is_named(emu, creds, folder, change, message):
    code, err = run_cli(args(emu, creds, folder, **change))
    assert code == 2
    assert one_line(err).startswith(message), err


@pytest.mark.parametrize("what,message", [
    ("secret", "link: cannot read the client secret file"),
    ("no-secret", "holds no client secret"),
    ("out", "is not a folder: make the device's folder first"),
    ("cafile", "link: cannot load the CA file"),
])
def test_missing_files_are_named(emu, creds, folder, what, message):
    missing = str(folder.parent / "missing")
    (folder / "config.json").write_text("{}")
    change = {"secret": {"--client-secret-file": missing}, "out": {"--out": missing},
              "cafile": {"--cafile": missing},
              "no-secret": {"--client-secret-file": str(folder / "config.json")}}[what]
    code, err = run_cli(args(emu, creds, folder, **change))
    assert code == 2
    assert message in one_line(err)


def test_an_argument_left_out_is_argparses_usage_error(emu, creds, folder):
    code, err = run_cli(args(emu, creds, folder, **{"--model": None}))
    assert code == 2 and "the following arguments are required: --model" in err
    assert "Traceback" not in err


def test_a_device_config_that_refreshes_elsewhere_is_warned_about(emu, creds, folder, capsys):
    config = {"service": {"lwa_url": "https://api.amazon.com", "client_id": creds["client_id"]}}
    (folder / "config.json").write_text(json.dumps(config))
    assert main(args(emu, creds, folder)) == 0
    err = capsys.readouterr().err
    assert "service.lwa_url https://api.amazon.com" in err
    assert '"lwa_url": "%s"' % emu.lwa_url in err
    config["service"]["lwa_url"] = emu.lwa_url
    (folder / "config.json").write_text(json.dumps(config))
    assert main(args(emu, creds, folder, **{"--serial": "WM-0043"})) == 0
    assert "warning" not in capsys.readouterr().err
