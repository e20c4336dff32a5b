# The ADC level probe driver on the simulated board: pin rules, attenuation,
# oversampling and the calibration table.
from checks import expect

from level_probe import LevelProbe, attenuation_for, check_pin, check_table, interpolate
from tools.sim.adc import ATTN_6DB, ATTN_11DB
from tools.sim.board import SimBoard
from tools.sim.probe import ProbeModel


def raises(call):
    return str(expect(ValueError, call))


def test_adc2_pins_are_refused_naming_the_pin():
    board = SimBoard()
    for pin in (0, 2, 4, 12, 13, 14, 15, 25, 26, 27):
        message = raises(lambda pin=pin: LevelProbe(board.adc, pin, max_uv=1000000))
        assert ("GPIO%d " % pin) in message and "Wi-Fi" in message
    assert "no ADC" in raises(lambda: check_pin(5))
    assert board.adcs == {}  # nothing was opened for a refused pin
    for pin in range(32, 40):
        check_pin(pin)


def test_attenuation_is_the_finest_that_covers_the_probe():
    board = SimBoard()
    assert attenuation_for(900000)[0] == "ATTN_0DB"
    assert attenuation_for(1250000)[0] == "ATTN_2_5DB"
    assert LevelProbe(board.adc, 34, max_uv=1700000).adc.attn == ATTN_6DB
    assert LevelProbe(board.adc, 35, max_uv=2400000).adc.attn == ATTN_11DB
    assert "divider" in raises(lambda: attenuation_for(3300000))
    # A full container at the very top of the chosen range still reads, not a rail.
    ProbeModel(board.world, 300000, 1750000).attach(board, 32)
    full = LevelProbe(board.adc, 32, max_uv=1750000)
    assert abs(full.read_uv() - 1750000) < 1 and full.read_code() < 65535


def test_oversampling_rides_out_noise_and_spikes():
    board = SimBoard()
    model = ProbeModel(board.world, 300000, 1900000, noise_uv=8000, spike_every=7).attach(board, 34)
    probe = LevelProbe(board.adc, 34, max_uv=2000000, oversample=16)
    model.level = 0.5
    single = [board.adc(34).read_uv() for _ in range(14)]
    assert max(single) - min(single) > 300000  # raw readings: noise and a spike
    for _ in range(5):
        assert abs(probe.read_uv() - 1100000) < 8000
    assert model.samples >= 14 + 5 * 16


def test_rails_show_in_the_raw_code():
    board = SimBoard()
    model = ProbeModel(board.world, 300000, 1900000).attach(board, 36)
    probe = LevelProbe(board.adc, 36, max_uv=2000000)
    model.level = 0.5
    assert 0 < probe.read_code() < 65535
    model.wire = "open"
    assert probe.read_code() == 0
    model.wire = "short"
    assert probe.read_code() == 65535


def test_table_maps_microvolts_to_level_piecewise():
    # A float gauge whose output bends: an intermediate point straightens it.
    points = check_table([[1900000, 1.0], [300000, 0.0], [700000, 0.5]])
    assert points[0] == [300000.0, 0.0]
    assert interpolate(points, 300000) == 0.0
    assert interpolate(points, 500000) == 0.25
    assert interpolate(points, 700000) == 0.5
    assert abs(interpolate(points, 1300000) - 0.75) < 1e-9
    # Beyond the calibrated ends the reading shows as out of 0..1.
    assert interpolate(points, 2220000) > 1.0
    assert interpolate(points, 100000) < 0.0


def test_falling_probes_and_bad_tables():
    falling = check_table([[400000, 1.0], [2000000, 0.0]])
    assert interpolate(falling, 1200000) == 0.5
    assert "two points" in raises(lambda: check_table([[1, 0.0]]))
    assert "one direction" in raises(lambda: check_table([[1, 0.0], [2, 1.0], [3, 0.5]]))
    assert "one direction" in raises(lambda: check_table([[1, 0.0], [1, 1.0]]))
    assert "0 (empty) to 1" in raises(lambda: check_table([[1, 0.0], [2, 100]]))


def test_intermediate_points_straighten_a_non_linear_probe():
    board = SimBoard()
    model = ProbeModel(board.world, 300000, 1900000, noise_uv=5000, curve=2.0).attach(board, 39)
    probe = LevelProbe(board.adc, 39, max_uv=2000000,
                       table=[[300000, 0.0], [400000, 0.25], [700000, 0.5],
                              [1200000, 0.75], [1900000, 1.0]])
    two_points = check_table([[300000, 0.0], [1900000, 1.0]])
    for level in (0.3, 0.6, 0.9):
        model.level = level
        uv = probe.read_uv()
        assert abs(probe.level(uv) - level) < 0.03
    model.level = 0.5
    assert interpolate(two_points, probe.read_uv()) < 0.3  # empty/full alone: far off
    bare = LevelProbe(board.adc, 33, max_uv=2000000)
    assert "no calibration table" in raises(lambda: bare.level(1000))
