# The HX711 driver against a fake chip that speaks the bit protocol in virtual
# time: data-ready, the 24-bit shift, gain pulses, power-down on a long pulse.
from checks import expect

from hx711 import HX711, MAX_CODE, MIN_CODE, HX711Error, median, trimmed_mean
from tools.sim.board import SimBoard
from tools.sim.hx711 import FakeHX711
from tools.sim.noise import Noise

SCK, DOUT = 18, 19


def rig(rate=10, isr_us=0, careless=False, **kw):
    board = SimBoard()
    board.isr_us = isr_us
    chip = FakeHX711(board, SCK, DOUT, rate=rate)
    if careless:  # a driver that leaves interrupts on while the clock is high
        irq_off, irq_on = (lambda: None), (lambda state: None)
    else:
        irq_off, irq_on = board.disable_irq, board.enable_irq
    hx = HX711(board.pin_out(SCK), board.pin_in(DOUT, pull_up=True), board.clock,
               irq_off, irq_on, rate=rate, **kw)
    hx.power_up()
    return board, chip, hx


def raises(exc_type, call):
    return str(expect(exc_type, call))


# At AVDD 3.3 V, full scale is ±1.65 V / gain: 1 mV on channel A at gain 128
# is 1000 / 12890.625 * 2^23 = 650752 counts.
def test_reads_signed_24_bit_codes():
    board, chip, hx = rig()
    chip.inputs["A"] = 1000.0
    assert hx.read_raw() == 650752
    chip.inputs["A"] = -1000.0
    assert hx.read_raw() == -650752
    chip.inputs["A"] = 0.0
    assert hx.read_raw() == 0


def test_saturation_reads_the_rail_codes():
    board, chip, hx = rig()
    chip.inputs["A"] = 50000.0
    assert hx.read_raw() == MAX_CODE
    chip.inputs["A"] = -50000.0
    assert hx.read_raw() == MIN_CODE


def test_gain_and_channel_take_effect_and_the_unsettled_conversion_is_dropped():
    board, chip, hx = rig()
    chip.inputs["A"] = 1000.0
    chip.inputs["B"] = 3000.0
    assert hx.read_raw() == 650752
    hx.set_gain(32)  # channel B: 3 mV at a full scale of 51562.5 µV
    before = chip.conversions_read
    assert hx.read_raw() == 488064
    # The conversion that carried the switch, and those inside the 400 ms
    # settling time, were read and thrown away.
    assert chip.conversions_read - before >= 3
    hx.set_gain(64)  # channel A at gain 64: half the counts of gain 128
    assert hx.read_raw() == 325376
    hx.set_gain(128)
    assert hx.read_raw() == 650752


def test_pulses_stay_short_while_wifi_interrupts_fire():
    board, chip, hx = rig(isr_us=150)
    chip.inputs["A"] = 1000.0
    assert hx.samples(5) == [650752] * 5
    hx.set_gain(32)
    chip.inputs["B"] = 3000.0
    assert hx.read_raw() == 488064
    assert chip.power_downs == 0
    assert chip.longest_high_us < 60


def test_a_driver_leaving_interrupts_on_gets_garbage_from_the_chip():
    board, chip, hx = rig(isr_us=150, careless=True)
    chip.inputs["A"] = 1000.0
    assert hx.read_raw() != 650752  # the first long pulse reset the chip mid-read
    assert chip.power_downs > 0


def test_unplugged_amplifier_is_a_clear_error_not_a_hang():
    board, chip, hx = rig()
    chip.connected = False
    start = board.clock.ticks_ms()
    message = raises(HX711Error, hx.read_raw)
    assert "not responding" in message
    assert board.clock.ticks_ms() - start <= hx.timeout_ms + 5


def test_no_chip_at_all_times_out_on_the_pulled_up_line():
    board = SimBoard()
    hx = HX711(board.pin_out(SCK), board.pin_in(DOUT, pull_up=True), board.clock,
               board.disable_irq, board.enable_irq, rate=80)
    assert hx.timeout_ms < 100  # 80 SPS: settles in 50 ms
    assert "DOUT stayed high" in raises(HX711Error, hx.read_raw)


def test_power_down_holds_the_clock_high_and_power_up_waits_for_settling():
    board, chip, hx = rig()
    chip.inputs["A"] = 1000.0
    hx.power_down()
    assert board.pins[SCK].value() == 1
    assert not hx.is_ready()  # asleep: DOUT high
    board.world.advance(3600)
    start = board.clock.ticks_ms()
    hx.power_up()
    assert board.clock.ticks_ms() - start >= 400
    assert hx.read_raw() == 650752  # settled, not the half-way value
    assert chip.power_downs == 1


def test_power_up_restores_a_channel_b_setting_after_the_chip_reset():
    board, chip, hx = rig(gain=32)
    chip.inputs["A"] = 1000.0
    chip.inputs["B"] = 3000.0
    assert hx.read_raw() == 488064
    hx.power_down()
    start = board.clock.ticks_ms()
    hx.power_up()  # the chip wakes on channel A
    assert hx.read_raw() == 488064
    # One switch and one settling time, not two: every wake pays for it in battery.
    assert board.clock.ticks_ms() - start < 2 * 400


def test_a_read_wakes_a_chip_left_powered_down():
    board, chip, hx = rig(gain=64)
    chip.inputs["A"] = 1000.0
    hx.power_down()
    board.world.advance(60)
    assert hx.read_raw() == 325376  # settled, at the driver's gain, not a timeout
    assert board.pins[SCK].value() == 0


def test_median_and_trimmed_mean_ignore_a_spike():
    board = SimBoard()
    noise = Noise(2.0, seed=7)
    calls = [0]

    def source(channel):
        calls[0] += 1
        return 1000.0 + noise() + (3000.0 if calls[0] == 3 else 0.0)

    chip = FakeHX711(board, SCK, DOUT, source=source)
    hx = HX711(board.pin_out(SCK), board.pin_in(DOUT), board.clock, board.disable_irq,
               board.enable_irq)
    hx.power_up()
    values = hx.samples(9)
    assert max(values) > 2000000  # the spike is there
    for reduced in (median(values), trimmed_mean(values)):
        assert abs(reduced - 650752) < 3000
    assert abs(sum(values) / 9 - 650752) > 100000
    assert chip.conversions_read >= 9


def test_tare_and_scale_give_grams():
    board = SimBoard()
    noise = Noise(0.05, seed=3)
    load = {"g": 0.0}
    # A 1 mV/V cell at 3.3 V excitation, 5 kg full scale: 0.66 µV per gram,
    # on top of a bridge offset.
    chip = FakeHX711(board, SCK, DOUT, source=lambda ch: 120.0 + 0.66 * load["g"] + noise())
    hx = HX711(board.pin_out(SCK), board.pin_in(DOUT), board.clock, board.disable_irq,
               board.enable_irq)
    hx.power_up()
    hx.tare()
    load["g"] = 500.0
    hx.calibrate(500.0)
    load["g"] = 1234.0
    assert abs(hx.weight() - 1234.0) < 1.0
    load["g"] = 0.0
    assert abs(hx.weight(method=HX711.TRIMMED_MEAN)) < 1.0
    assert chip.conversions_read > 30


def test_refuses_what_the_chip_cannot_do():
    board = SimBoard()
    make = lambda **kw: HX711(board.pin_out(SCK), board.pin_in(DOUT), board.clock,
                              board.disable_irq, board.enable_irq, **kw)
    assert "gain must be 128 or 64" in raises(ValueError, lambda: make(gain=16))
    assert "rate must be 10 or 80" in raises(ValueError, lambda: make(rate=40))
    hx = make()
    assert "is the" in raises(ValueError, lambda: hx.calibrate(100.0, n=1))
