# Outlier rejection, settle detection, hysteresis and the fault checks.
from replenish import faults
from replenish.filters import reject_outliers, settle
from replenish.slots import hysteresis
from tools.sim.noise import Noise


def batch(center, sigma, n=10, seed=5):
    noise = Noise(sigma, seed)
    return [center + noise() for _ in range(n)]


def test_a_spike_is_rejected_and_honest_noise_kept():
    values = batch(500.0, 1.0)
    assert len(reject_outliers(values, 2.5)) == len(values)
    spiked = values[:4] + [5000.0] + values[5:]
    kept = reject_outliers(spiked, 2.5)
    assert 5000.0 not in kept and len(kept) == 9


def test_a_quiet_sensor_keeps_its_samples_thanks_to_the_floor():
    values = [100.0, 100.0, 100.0, 100.0, 100.01, 99.99]  # MAD 0
    assert len(reject_outliers(values, 0.5)) == 6


def test_a_steady_batch_settles_on_its_mean_despite_a_spike():
    values = batch(500.0, 1.0)
    values[3] = 9000.0
    value, settled = settle(values, 5.0)
    assert settled
    assert abs(value - 500.0) < 1.5


def test_a_container_being_lifted_or_filled_is_not_settled():
    ramp = [500.0 - 40.0 * i for i in range(10)]  # lifted off over the batch
    assert not settle(ramp, 5.0)[1]
    step = [500.0] * 5 + [900.0] * 5  # a new bottle set down mid-batch
    assert not settle(step, 5.0)[1]
    shaky = batch(500.0, 6.0)  # still swinging
    assert not settle(shaky, 5.0)[1]


def test_hysteresis_keeps_a_hovering_level_from_flapping():
    hover = [3.2, 2.9, 3.1, 2.95, 3.05, 2.98, 3.3, 3.4, 3.2, 3.6, 4.2, 3.9]
    flips_plain = flips_hyst = 0
    plain = hyst = False
    for value in hover:
        new_plain = hysteresis(plain, value, 3.0, 0.0)
        new_hyst = hysteresis(hyst, value, 3.0, 1.0)
        flips_plain += new_plain != plain
        flips_hyst += new_hyst != hyst
        plain, hyst = new_plain, new_hyst
    assert flips_plain >= 6
    assert flips_hyst == 2  # low at 2.9, no longer low at 4.2


def test_rails_need_most_of_the_batch():
    assert faults.rail([0, 0, 0, 5, 6], 0, 65535).startswith("reading at the low rail")
    assert "high rail" in faults.rail([65535] * 4 + [65000], 0, 65535)
    assert faults.rail([65535, 64000, 63000, 64500, 64200], 0, 65535) is None


def test_stuck_values_are_a_fault_noise_is_not():
    assert faults.stuck([1234] * 10) == faults.STUCK
    assert faults.stuck(batch(1234.0, 0.5)) is None
    assert faults.stuck([7, 7]) is None  # too few to tell


def test_impossible_values_name_the_range():
    assert faults.impossible(500.0, 0.0, 1500.0, "g") is None
    reason = faults.impossible(8000.0, 0.0, 1500.0, "g")
    assert "impossible" in reason and "8000 g" in reason
