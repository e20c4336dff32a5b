# An ESP32 ADC channel fake: the voltage at the pin comes from a callable (the
# probe model), and the reading clips at the rails of the chosen attenuation.
# Where the 12-bit SAR ADC saturates (code 4095) per attenuation: ESP-IDF ADC
# docs give ~1.1, 1.5, 2.2 V full scale, and at 11 dB the ESP32 tops out near
# 3.1 V (below its 3.9 V nominal, the pin's supply limits it). The accurate
# ranges the driver picks from (950/1250/1750/2450 mV) lie inside these.

ATTN_0DB = 0
ATTN_2_5DB = 1
ATTN_6DB = 2
ATTN_11DB = 3
FULL_SCALE_UV = {ATTN_0DB: 1100000, ATTN_2_5DB: 1500000, ATTN_6DB: 2200000, ATTN_11DB: 3100000}
# The ESP32's analog-capable GPIOs: ADC1 (32-39) and ADC2 (ESP32 datasheet, "Pin Definitions").
ADC_PINS = (32, 33, 34, 35, 36, 37, 38, 39, 0, 2, 4, 12, 13, 14, 15, 25, 26, 27)


class FakeADC:
    ATTN_0DB = ATTN_0DB
    ATTN_2_5DB = ATTN_2_5DB
    ATTN_6DB = ATTN_6DB
    ATTN_11DB = ATTN_11DB

    def __init__(self, pin_id, source_uv=lambda: 0, attn=ATTN_0DB):
        if pin_id not in ADC_PINS:
            raise ValueError("invalid Pin for ADC")  # what machine.ADC says on an ESP32
        self.id = pin_id
        self.source_uv = source_uv  # the probe: microvolts at the pin now
        self.attn = attn
        self.reads = 0

    def atten(self, attn):
        self.attn = attn

    def read_uv(self):
        self.reads += 1
        uv = int(self.source_uv())
        return max(0, min(uv, FULL_SCALE_UV[self.attn]))

    def read_u16(self):
        return self.read_uv() * 65535 // FULL_SCALE_UV[self.attn]
