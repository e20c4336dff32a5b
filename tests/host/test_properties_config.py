"""Properties of config validation (lib/replenish/config.py): whatever the
device finds in config.json and secrets.json, load() gives a Config or a
ConfigError that names the file, and never shows a secret."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from replenish import config
from tools.sim.flash import FakeFlash

SETTINGS = settings(max_examples=200, deadline=None)
GOOD = {
    "device": {"model": "printer-4ink", "serial": "SN-0001", "test_device": True},
    "wifi": {"ssid": "home"},
    "service": {"client_id": "amzn1.application-oa2-client.abc"},
    "measure_every_s": 900,
    "slots": [{"id": "cyan", "capacity": 100}],
}
SCALARS = (st.none() | st.booleans() | st.integers() | st.integers(-2 ** 1100, 2 ** 1100)
           | st.floats() | st.text(max_size=12))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=10)
# Secret values no message could hold by chance.
SECRET = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=4, max_size=16).map(
    lambda s: "S3CRET-" + s)


@st.composite
def near_good(draw):
    """The good config with a few fields removed or replaced by anything."""
    cfg = json.loads(json.dumps(GOOD))
    for _ in range(draw(st.integers(1, 3))):
        section = cfg
        path = draw(st.sampled_from([["device", "model"], ["device", "serial"],
                                     ["device", "test_device"], ["wifi", "ssid"],
                                     ["service", "client_id"], ["service", "lwa_url"],
                                     ["service", "ca_files"], ["measure_every_s"], ["battery"],
                                     ["slots"], ["device"], ["service"]]))
        for key in path[:-1]:
            section = section[key] if isinstance(section.get(key), dict) else {}
        if draw(st.booleans()):
            section.pop(path[-1], None)
        else:
            section[path[-1]] = draw(JSON)
    return cfg


def flash_with(config_text, secrets_text):
    fs = FakeFlash()
    for name, text in ((config.CONFIG_FILE, config_text), (config.SECRETS_FILE, secrets_text)):
        if text is not None:
            with fs.open(name, "wb") as f:
                f.write(text)
    return fs


def loaded(fs, secrets=()):
    """load(fs): a Config, or the ConfigError's message, checked."""
    try:
        return config.load(fs)
    except config.ConfigError as err:
        message = str(err)
        assert config.CONFIG_FILE in message or config.SECRETS_FILE in message, message
        for secret in secrets:
            assert secret not in message, "a ConfigError shows a secret"
        return message


def text_of(value):
    return json.dumps(value).encode()


@SETTINGS
@given(near_good() | JSON, st.fixed_dictionaries({"wifi_password": SECRET | JSON,
                                                  "client_secret": SECRET | JSON}))
def test_any_json_config_is_a_config_or_a_config_error(cfg, secrets):
    shown = [v for v in secrets.values() if isinstance(v, str) and v.startswith("S3CRET-")]
    result = loaded(flash_with(text_of(cfg), text_of(secrets)), shown)
    if not isinstance(result, str):
        assert result.wifi_password() == secrets["wifi_password"]
        assert result.measure_every_s > 0


@SETTINGS
@given(st.binary(max_size=200) | st.none(), st.binary(max_size=200) | st.none())
def test_any_bytes_in_either_file_are_a_config_or_a_config_error(config_bytes, secrets_bytes):
    loaded(flash_with(config_bytes, secrets_bytes))


@SETTINGS
@given(st.sampled_from(["Infinity", "-Infinity", "NaN", "1e400", "1" + "0" * 400, "0.5",
                        "-1", "true", "\"900\""]))
def test_a_measuring_period_json_can_spell_is_a_number_or_a_config_error(period):
    text = json.dumps(GOOD).replace('"measure_every_s": 900', '"measure_every_s": ' + period)
    result = loaded(flash_with(text.encode(), text_of({"wifi_password": "pw1234567",
                                                       "client_secret": "cs1234567"})))
    assert isinstance(result, str) or result.measure_every_s >= 1
