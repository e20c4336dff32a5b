# An ESP32 ADC channel fake: the voltage at the pin comes from a callable (the
# probe model), and the reading clips at the rails of the chosen attenuation.
# Full-scale voltages per attenuation: ESP-IDF ADC docs (approximate,
# effective ranges of the ESP32's 12-bit SAR ADC).

ATTN_0DB = 0
ATTN_2_5DB = 1
ATTN_6DB = 2
ATTN_11DB = 3
FULL_SCALE_UV = {ATTN_0DB: 950000, ATTN_2_5DB: 1250000, ATTN_6DB: 1750000, ATTN_11DB: 2450000}


class FakeADC:
    ATTN_0DB = ATTN_0DB
    ATTN_2_5DB = ATTN_2_5DB
    ATTN_6DB = ATTN_6DB
    ATTN_11DB = ATTN_11DB

    def __init__(self, pin_id, source_uv=lambda: 0, attn=ATTN_0DB):
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
