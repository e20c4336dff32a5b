# A broken configuration stops the app with a message naming file and field.
import json

from replenish import config
from tools.sim.flash import FakeFlash

GOOD = {
    "device": {"model": "printer-4ink", "serial": "SN-0001", "test_device": True},
    "wifi": {"ssid": "home"},
    "service": {"client_id": "amzn1.application-oa2-client.abc"},
    "measure_every_s": 900,
    "slots": [{"id": "cyan"}],
}
SECRETS = {"wifi_password": "hunter2-wifi", "client_secret": "s3cret-client"}


def flash_with(cfg, secrets=SECRETS):
    fs = FakeFlash()
    for name, value in ((config.CONFIG_FILE, cfg), (config.SECRETS_FILE, secrets)):
        if value is not None:
            with fs.open(name, "w") as f:
                f.write(value if isinstance(value, str) else json.dumps(value))
    return fs


def error_of(fs):
    try:
        config.load(fs)
    except config.ConfigError as exc:
        return str(exc)
    raise AssertionError("accepted a broken configuration")


def changed(path, value):
    cfg = json.loads(json.dumps(GOOD))
    node = cfg
    for key in path[:-1]:
        node = node[key]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return cfg


def test_a_good_configuration_loads_with_defaults():
    cfg = config.load(flash_with(GOOD))
    assert (cfg.model, cfg.serial, cfg.test_device) == ("printer-4ink", "SN-0001", True)
    assert cfg.drs_url == "https://dash-replenishment-service-na.amazon.com"
    assert cfg.measure_every_s == 900
    assert cfg.slots[0].get("id", str) == "cyan"
    assert cfg.wifi_password() == "hunter2-wifi"


def test_missing_files_say_which():
    assert "config.json is missing" in error_of(flash_with(None))
    assert "secrets.json is missing" in error_of(flash_with(GOOD, None))


def test_broken_json_is_named():
    assert "config.json is not valid JSON" in error_of(flash_with('{"device": '))


def test_each_field_error_names_the_field():
    cases = [
        (("device", "serial"), "has space", "'serial' must be 1 to 64 characters"),
        (("device", "model"), None, "'model' is missing"),
        (("measure_every_s",), -5, "'measure_every_s' must be greater than 0"),
        (("measure_every_s",), "often", "'measure_every_s' must be a number"),
        (("service", "drs_url"), "http://drs.example", "'drs_url' must be an https:// URL"),
        (("slots",), [], "'slots' must be a list of at least one slot"),
        (("device", "test_device"), "yes", "'test_device' must be true or false"),
    ]
    for path, value, expected in cases:
        message = error_of(flash_with(changed(path, value)))
        assert expected in message, (path, message)


def test_secrets_stay_out_of_messages_and_repr():
    cfg = config.load(flash_with(GOOD))
    assert "hunter2" not in repr(cfg) and "s3cret" not in repr(cfg)
    message = error_of(flash_with(GOOD, {"wifi_password": 42, "client_secret": "s3cret-client"}))
    assert "wifi_password" in message and "s3cret" not in message
