# Boot as the owner of the appliance sees it on the serial console: safe mode,
# a broken configuration, linking, a crash that resets the board.
import json

from replenish import app, config, crashes
from replenish.calibration import Calibration
from replenish.cycle import Cycle
from replenish.rtcmem import RtcMemory
from replenish.store import Store
from tools.sim.board import DeepSleep, Reset, SimBoard, SoftReset

# The whole firmware in one heap: more than the 110 KB default on the 64-bit
# unix port (see tests/conftest.py).
DEVICE_HEAP = "256k"
TOKEN = "Atzr|IwEBlinked-refresh-token"
CONFIG = {
    "device": {"model": "washer-2", "serial": "W-42"},
    "wifi": {"ssid": "home"},
    "service": {"client_id": "amzn1.application-oa2-client.w"},
    "slots": [{"id": "detergent", "capacity": 40,
               "sensor": {"type": "probe", "pin": 34, "max_mv": 2000}}],
}
SECRETS = {"wifi_password": "pw", "client_secret": "app-test-client-secret-9f2c"}


def board_with(cfg=CONFIG, link=None):
    board = SimBoard()
    for name, value in (("config.json", cfg), ("secrets.json", SECRETS), ("link.json", link)):
        if value is not None:
            with board.fs.open(name, "w") as f:
                f.write(json.dumps(value))
    return board


def boot(board):
    """app.run until what ends the boot: its console lines and deep sleep's ms."""
    said = []
    try:
        app.run(board, console=said.append)
    except DeepSleep as sleep:
        return said, sleep.ms
    raise AssertionError("the boot did not end in deep sleep")


def build(board, log=None):
    store = Store(board.fs)
    return app.build(board, config.load(board.fs), store, RtcMemory(board),
                     log=log or (lambda *a: None))


def test_safe_mode_keeps_the_app_from_starting_and_says_how_to_leave():
    board = board_with()
    with board.fs.open("SAFE_MODE", "w") as f:
        f.write("")
    said, ms = boot(board)
    assert any("safe mode" in line and "mpremote rm :SAFE_MODE" in line for line in said)
    assert ms == app.REST_S * 1000


def test_a_broken_configuration_stops_the_app_and_changes_only_the_crash_log():
    board = board_with(cfg=None)
    said, ms = boot(board)
    assert any("config.json is missing" in line for line in said)
    assert sorted(board.fs.files) == ["crash.log", "secrets.json"]


def test_an_adc2_pin_is_rejected_at_boot():
    cfg = json.loads(json.dumps(CONFIG))
    cfg["slots"][0]["sensor"]["pin"] = 25
    board = board_with(cfg)
    try:
        build(board)
    except config.ConfigError as err:
        assert "GPIO25 is an ADC2 pin" in str(err) and "slots[0]" in str(err)
    else:
        raise AssertionError("an ADC2 pin was accepted")


def test_an_uncalibrated_slot_is_faulty_not_fatal():
    logs = []
    board = board_with()
    cycle = build(board, logs.append)
    assert isinstance(cycle, Cycle)
    assert "not calibrated" in cycle.sensors["detergent"]
    assert any("detergent" in line and "not calibrated" in line for line in logs)


def test_the_linking_file_becomes_the_stored_token_and_goes():
    logs = []
    board = board_with(link={"refresh_token": TOKEN})
    build(board, logs.append)
    assert Store(board.fs).load("lwa_refresh")["token"] == TOKEN
    assert not board.fs.exists("link.json")
    assert not any(TOKEN in line for line in logs)


def test_a_crash_is_logged_to_flash_and_resets_the_board():
    board = board_with()
    Calibration(Store(board.fs)).set_probe_table("detergent", [[200000, 0.0], [1800000, 1.0]])
    board.adc(34).source_uv = lambda: 1 // 0  # the wake fails deep inside a read
    for _ in range(3):  # setting the clock first takes a soft reset or two
        try:
            app.run(board, console=lambda *a: None)
        except SoftReset:
            continue
        except Reset:
            break
    else:
        raise AssertionError("the board was not reset")
    with board.fs.open(crashes.CRASH_LOG) as f:
        assert "ZeroDivisionError" in f.read()
