# Analog level probe on an ESP32 ADC pin, reusable on its own. It never
# imports `machine`: the caller hands in a function that opens the ADC of a
# pin (machine.ADC(Pin(n)) on a board), so it runs on a simulated board too.
#
#   from level_probe import LevelProbe
#   probe = LevelProbe(lambda n: ADC(Pin(n)), 34, max_uv=2000000,
#                      table=[[300000, 0.0], [1900000, 1.0]])
#   probe.level(probe.read_uv())   # 0.0 empty .. 1.0 full
#
# Installed alone with mip (the json lists just this file, relative to itself):
#   mpremote mip install github:<owner>/<repo>/lib/level_probe.json
#
# Facts (ESP-IDF programming guide, ESP32 "ADC" and "Wi-Fi" chapters):
#  - ADC1 is on GPIO 32-39. ADC2 (GPIO 0, 2, 4, 12-15, 25-27) is used by the
#    Wi-Fi driver: reading it while Wi-Fi is on fails.
#  - usable input range per attenuation: 0 dB 100-950 mV, 2.5 dB 100-1250 mV,
#    6 dB 150-1750 mV, 11 dB 150-2450 mV. Less attenuation resolves finer,
#    so the smallest one that covers the probe's range is chosen.
#  - MicroPython's ADC.read_uv() applies the chip's eFuse calibration.

ADC1_PINS = (32, 33, 34, 35, 36, 37, 38, 39)
ADC2_PINS = (0, 2, 4, 12, 13, 14, 15, 25, 26, 27)
ATTENUATIONS = (("ATTN_0DB", 950000), ("ATTN_2_5DB", 1250000),
                ("ATTN_6DB", 1750000), ("ATTN_11DB", 2450000))
RAIL_CODES = (0, 65535)  # read_u16() of a pin at ground or at full scale


def check_pin(pin):
    if pin in ADC2_PINS:
        raise ValueError("GPIO%d is an ADC2 pin, which cannot be read while Wi-Fi is on: "
                         "wire the probe to an ADC1 pin (GPIO32-39)" % pin)
    if pin not in ADC1_PINS:
        raise ValueError("GPIO%d has no ADC input: use an ADC1 pin (GPIO32-39)" % pin)


def attenuation_for(max_uv):
    """(attenuation name, top of its range in µV) for a probe reaching max_uv."""
    for name, top in ATTENUATIONS:
        if max_uv <= top:
            return name, top
    raise ValueError("a probe reaching %d mV exceeds the ADC's 2450 mV range: "
                     "add a voltage divider" % (max_uv // 1000))


def check_table(table):
    """A calibration table: [[µV, level], ...], at least empty and full, with
    the µV strictly rising or strictly falling (probes work either way)."""
    if not isinstance(table, (list, tuple)) or len(table) < 2:
        raise ValueError("a probe table needs at least two points (empty and full)")
    points = []
    for point in table:
        if len(point) != 2:
            raise ValueError("a probe table point is [µV, level], not %r" % (point,))
        uv, level = float(point[0]), float(point[1])
        if not 0.0 <= level <= 1.0:
            raise ValueError("a probe level is 0 (empty) to 1 (full), not %r" % (level,))
        points.append([uv, level])
    points.sort(key=lambda p: p[0])
    steps = [points[i + 1][1] - points[i][1] for i in range(len(points) - 1)]
    for i in range(len(steps)):
        if points[i + 1][0] == points[i][0] or steps[i] * steps[0] <= 0:
            raise ValueError("probe table levels must change in one direction as µV rise")
    return points


def interpolate(points, uv):
    """Level at uv, piecewise linear; beyond the ends the end segments extend,
    so a reading outside the calibrated range shows as a level outside 0..1."""
    i = 0
    while i < len(points) - 2 and uv > points[i + 1][0]:
        i += 1
    (u0, l0), (u1, l1) = points[i], points[i + 1]
    return l0 + (uv - u0) * (l1 - l0) / (u1 - u0)


class LevelProbe:
    def __init__(self, open_adc, pin, max_uv, table=None, oversample=16):
        check_pin(pin)
        self.pin = pin
        self.attenuation, self.top_uv = attenuation_for(max_uv)
        self.adc = open_adc(pin)
        self.adc.atten(getattr(self.adc, self.attenuation))
        self.oversample = max(4, oversample)
        self.table = check_table(table) if table is not None else None

    def read_uv(self):
        """Mean of the middle half of `oversample` readings: the ESP32 ADC
        is noisy and has spikes, which land in the quarters left out."""
        read = self.adc.read_uv
        values = sorted([read() for _ in range(self.oversample)])
        quarter = len(values) // 4
        middle = values[quarter:len(values) - quarter]
        return sum(middle) / len(middle)

    def read_code(self):
        """One raw reading, 0..65535: 0 and 65535 are the rails."""
        return self.adc.read_u16()

    def level(self, uv):
        if self.table is None:
            raise ValueError("probe on GPIO%d has no calibration table" % self.pin)
        return interpolate(self.table, uv)
