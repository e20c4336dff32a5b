# A broken configuration stops the app with a message naming file and field,
# and what to do; the secrets it loads are masked in every log from then on.
import json

from replenish import config, redact
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


def expect_config_error(load, fs):
    try:
        load(fs)
    except config.ConfigError as exc:
        return exc
    raise AssertionError("accepted a broken configuration")


def error_of(fs):
    return str(expect_config_error(config.load, fs))


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
    assert "secrets.json must hold a JSON object" in error_of(flash_with(GOOD, "[1, 2]"))


def test_a_file_that_is_not_utf8_is_named():
    fs = flash_with(GOOD)
    fs.files[config.CONFIG_FILE] = b'{"device": {"model": "caf\xe9"}}'  # Latin-1, not UTF-8
    assert error_of(fs) == "config.json is not UTF-8 text: save it as UTF-8 and copy it again"


def test_a_flash_read_error_is_named_with_what_to_do():
    for step, name in ((1, "config.json"), (2, "secrets.json")):  # each file is read once
        fs = flash_with(GOOD)
        fs.fail_at(step)
        message = error_of(fs)
        assert message.startswith(name + " could not be read from flash ("), message
        assert "copy it to the device again" in message
        assert config.load(fs).model == "printer-4ink"  # the error was the flash's, once


def test_an_oversized_file_is_refused_before_it_is_read():
    fs = flash_with(changed(("device", "notes"), "x" * 9000))  # a 60 KB one: the same
    reads = []
    opened = fs.open
    fs.open = lambda name, mode="r": reads.append(name) or opened(name, mode)
    message = error_of(fs)
    assert message.startswith("config.json is 9"), message
    assert "bytes, more than the 8192 the device reads" in message
    assert reads == []  # refused from its size alone: it never reached the heap
    fs = flash_with(GOOD, dict(SECRETS, padding="y" * 9000))
    assert error_of(fs).startswith("secrets.json is 9")
    assert config.load(flash_with(changed(("device", "notes"), "x" * 3000))).model


class HeapTooSmall:
    """A file whose read finds no room in the heap, as a full one does."""

    def read(self):
        raise MemoryError("memory allocation failed, allocating 7232 bytes")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


def test_a_file_that_does_not_fit_in_the_heap_is_a_config_error():
    fs = flash_with(GOOD)
    fs.open = lambda name, mode="r": HeapTooSmall()
    assert error_of(fs).startswith("config.json (%d bytes) does not fit in the memory left"
                                   % fs.size(config.CONFIG_FILE))


def test_duplicate_slot_ids_are_refused_naming_both_positions():
    slots = [{"id": "cyan"}, {"id": "magenta"}, {"id": "cyan"}]
    assert error_of(flash_with(changed(("slots",), slots))) == (
        "config.json: slots[0] and slots[2] both have the id 'cyan': each slot needs its own")


def test_test_device_is_read_for_the_app_and_for_the_link_tool():
    assert config.load(flash_with(GOOD)).test_device is True
    assert config.load(flash_with(changed(("device", "test_device"), None))).test_device is False
    device = config.load_device(flash_with(GOOD, None))  # the link tool has no secrets.json
    assert (device.model, device.serial, device.test_device) == ("printer-4ink", "SN-0001", True)
    assert "'serial' must be" in str(expect_config_error(
        config.load_device, flash_with(changed(("device", "serial"), "bad serial"))))


def test_loaded_secrets_are_masked_in_logs():
    secrets = {"wifi_password": "loaded-wifi-passphrase", "client_secret": "loaded-client-secret"}
    config.load(flash_with(GOOD, secrets))
    text = "wlan: join failed with loaded-wifi-passphrase; lwa: loaded-client-secret refused"
    assert redact.redact(text) == "wlan: join failed with %s; lwa: %s refused" % (
        redact.MASK, redact.MASK)


def test_each_field_error_names_the_field():
    cases = [
        (("device", "serial"), "has space", "'serial' must be 1 to 64 characters"),
        (("device", "model"), None, "'model' is missing"),
        (("measure_every_s",), -5, "'measure_every_s' must be from 60 to 86400 (seconds:"),
        (("measure_every_s",), 0.5, "a hot loop that drains the battery and wears out the flash"),
        (("measure_every_s",), 59, "'measure_every_s' must be from 60 to 86400"),
        (("measure_every_s",), 86401, "misses the daily device status"),
        (("measure_every_s",), 10 ** 400, "'measure_every_s' must be"),
        (("measure_every_s",), "often", "'measure_every_s' must be a number"),
        (("service", "drs_url"), "http://drs.example", "'drs_url' must be an https:// URL"),
        (("slots",), [], "'slots' must be a list of at least one slot"),
        (("device", "test_device"), "yes", "'test_device' must be true or false"),
        (("slots",), [{"id": "cyan"}, {"name": "magenta"}], "slots[1]: 'id' is missing"),
        (("slots",), [{"id": "cyan"}, {"id": 7}], "slots[1]: 'id' must be a string"),
    ]
    for path, value, expected in cases:
        message = error_of(flash_with(changed(path, value)))
        assert expected in message, (path, message)


def test_secrets_stay_out_of_messages_and_repr():
    cfg = config.load(flash_with(GOOD))
    assert "hunter2" not in repr(cfg) and "s3cret" not in repr(cfg)
    message = error_of(flash_with(GOOD, {"wifi_password": 42, "client_secret": "s3cret-client"}))
    assert "wifi_password" in message and "s3cret" not in message
