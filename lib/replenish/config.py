# The device's settings: config.json (what the appliance is: its slots and
# sensors, the service URLs, how often to measure) and secrets.json (the Wi-Fi
# password and the LWA client secret), both on flash, written at deployment.
# A broken file stops the app with a message that names the file and the
# field; nothing else is touched, so fixing the file and resetting is enough.
# The secrets are registered with redact as they are read, so no log shows them.
#
#   cfg = load(fs)            # Config; ConfigError says what to fix
#   load_device(fs)           # Device: model, serial, test_device (config.json only,
#                             # for tools/link.py: a test device is linked as one)
#   read_json(fs, name)       # one small JSON object file, every failure a ConfigError
import json

from replenish import redact
from replenish.errors import ConfigError  # noqa: F401 - raised here, caught everywhere

CONFIG_FILE = "config.json"
SECRETS_FILE = "secrets.json"
DRS_URL = "https://dash-replenishment-service-na.amazon.com"
LWA_URL = "https://api.amazon.com"
# Public roots Amazon's hosts chain to (see certs/README.md for their source).
CA_FILES = ["certs/amazon-root-ca-1.der", "certs/amazon-root-ca-2.der",
            "certs/amazon-root-ca-3.der", "certs/amazon-root-ca-4.der",
            "certs/starfield-services-root-g2.der", "certs/digicert-global-root-g2.der"]
ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-+_"
# Larger files are refused unread: the parsed JSON takes several times the
# file's size of heap, and the board has about 110 KB for everything.
MAX_FILE_BYTES = 8192
# Every wake turns readings into a flash write at least; a shorter period is
# a hot loop that keeps the CPU (and the radio, if anything is due) on. A
# longer one than a day misses the daily device status DRS expects.
MIN_MEASURE_EVERY_S = 60
MAX_MEASURE_EVERY_S = 86400



def read_json(fs, name):
    size = 0
    try:
        if not fs.exists(name):
            raise ConfigError("%s is missing: copy it to the device (see README, "
                              "'On a real board')" % name)
        size = fs.size(name)
        if size > MAX_FILE_BYTES:
            raise ConfigError("%s is %d bytes, more than the %d the device reads: keep only "
                              "what it needs and copy it again" % (name, size, MAX_FILE_BYTES))
        with fs.open(name, "rb") as f:
            value = json.loads(f.read().decode())  # the bytes go before the parse starts
    except OSError as exc:
        raise ConfigError("%s could not be read from flash (%s): copy it to the device again; "
                          "if that fails too, the flash is failing" % (name, exc))
    except UnicodeError:
        raise ConfigError("%s is not UTF-8 text: save it as UTF-8 and copy it again" % name)
    except ValueError as exc:
        raise ConfigError("%s is not valid JSON (%s): fix it and copy it again" % (name, exc))
    except MemoryError:
        raise ConfigError("%s (%d bytes) does not fit in the memory left: make it smaller and "
                          "copy it again" % (name, size))
    if not isinstance(value, dict):
        raise ConfigError("%s must hold a JSON object" % name)
    return value


class Section:
    """Typed reads from one JSON object, with errors that name the field."""

    def __init__(self, data, where):
        self.data = data
        self.where = where

    def fail(self, key, expected):
        raise ConfigError("%s: '%s' must be %s" % (self.where, key, expected))

    def get(self, key, kind, default=None, required=True):
        if key not in self.data:
            if required and default is None:
                raise ConfigError("%s: '%s' is missing" % (self.where, key))
            return default
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            try:
                return float(value)
            except OverflowError:  # JSON allows any number of digits
                self.fail(key, "a number of a sensible size")
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(key, {str: "a string", int: "a whole number", float: "a number",
                            bool: "true or false", list: "a list", dict: "an object"}[kind])
        return value

    def between(self, key, low, high, why, default=None):
        value = self.get(key, float, default)
        if not low <= value <= high:  # NaN and infinities too
            self.fail(key, "from %g to %g (%s)" % (low, high, why))
        return value

    def identifier(self, key):
        """Model ids and serials: what LWA's scope_data allows."""
        value = self.get(key, str)
        if not 1 <= len(value) <= 64 or any(c not in ID_CHARS for c in value):
            self.fail(key, "1 to 64 characters of A-Z a-z 0-9 - + _")
        return value

    def section(self, key):
        return Section(self.get(key, dict), "%s.%s" % (self.where, key))


class Device:
    """What the appliance is to DRS. A test device must be linked as one
    (tools/link.py --test-device): then its orders are test orders."""

    def __init__(self, data):
        device = Section(data, CONFIG_FILE).section("device")
        self.model = device.identifier("model")
        self.serial = device.identifier("serial")
        self.test_device = device.get("test_device", bool, False, required=False)


class Config(Device):
    def __init__(self, data, secrets):
        Device.__init__(self, data)
        c = Section(data, CONFIG_FILE)
        wifi = c.section("wifi")
        self.wifi_ssid = wifi.get("ssid", str)
        self.static_ip = _static_ip(wifi)
        self._session(c)
        service = c.section("service")
        self.client_id = service.get("client_id", str)
        self.lwa_url = service.get("lwa_url", str, LWA_URL)
        self.drs_url = service.get("drs_url", str, DRS_URL)
        for key, url in (("lwa_url", self.lwa_url), ("drs_url", self.drs_url)):
            if not url.startswith("https://"):
                service.fail(key, "an https:// URL (tokens never travel in clear)")
        self.ca_files = service.get("ca_files", list, CA_FILES)
        self.measure_every_s = int(c.between(
            "measure_every_s", MIN_MEASURE_EVERY_S, MAX_MEASURE_EVERY_S, "seconds: a shorter "
            "period is a hot loop that drains the battery and wears out the flash; a longer one "
            "misses the daily device status", 3600))
        self.battery = c.get("battery", bool, False, required=False)
        slots = c.get("slots", list)
        if not slots:
            c.fail("slots", "a list of at least one slot")
        self.slots = []
        first = {}  # slot id -> where it first appears
        for i, slot in enumerate(slots):
            if not isinstance(slot, dict):
                c.fail("slots[%d]" % i, "an object")
            section = Section(slot, "%s: slots[%d]" % (CONFIG_FILE, i))
            slot_id = section.get("id", str)
            if slot_id in first:
                raise ConfigError("%s: slots[%d] and slots[%d] both have the id '%s': each slot "
                                  "needs its own" % (CONFIG_FILE, first[slot_id], i, slot_id))
            first[slot_id] = i
            self.slots.append(section)
        s = Section(secrets, SECRETS_FILE)
        self._wifi_password = s.get("wifi_password", str)
        redact.register(self._wifi_password)
        self._client_secret = s.get("client_secret", str)
        redact.register(self._client_secret)

    def _session(self, c):
        """The daily radio session (schedule.py): when it may start, how often
        a consumed slot may be reported, how far a fleet spreads after a power cut."""
        from replenish import schedule

        session = Section({}, CONFIG_FILE + ".session")
        if "session" in c.data:
            session = c.section("session")
        try:
            self.session_window = schedule.parse_window(
                session.get("window", list, ["00:00", "00:00"]))
        except ValueError as err:
            session.fail("window", str(err))
        self.report_s = int(session.between("report_s", 3600, 7 * 86400, "seconds", 86400))
        self.spread_s = int(session.between("cold_boot_spread_s", 0, 86400, "seconds",
                                            schedule.SPREAD_S))

    def __repr__(self):
        return "<Config %s/%s, %d slots>" % (self.model, self.serial, len(self.slots))

    def wifi_password(self):
        return self._wifi_password

    def client_secret(self):
        return self._client_secret


def _static_ip(wifi):
    """[ip, mask, gateway, dns] as dotted quads, or None (DHCP)."""
    value = wifi.get("static_ip", list, None, required=False)
    if value is None:
        return None
    quads = len(value) == 4 and all(isinstance(v, str) and _quad(v) for v in value)
    if not quads:
        wifi.fail("static_ip", "four addresses [ip, mask, gateway, dns] like \"192.168.1.50\"")
    return tuple(value)


def _quad(text):
    parts = text.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


def load(fs):
    return Config(read_json(fs, CONFIG_FILE), read_json(fs, SECRETS_FILE))


def load_device(fs):
    return Device(read_json(fs, CONFIG_FILE))
