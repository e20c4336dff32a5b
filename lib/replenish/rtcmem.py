# What one wake leaves for the next in RTC slow memory: 2048 bytes that survive
# deep sleep (not a power cut), so a wake can remember small things without a
# flash write. Every module keeps its part under its own key:
#
#   mem = RtcMemory(board)
#   mem.get("wifi", {})      # a module's part, or the default
#   mem.set("wifi", {...})   # kept in RAM until save()
#   mem.save()               # once, before deep sleep; False when nothing changed
#   mem.clear()              # empty (a save that can't be done must not leave old data)
#                            # (parts may be changed in place: save compares bytes)
#
# A torn or foreign content (power-on garbage, another firmware) reads as empty:
# whatever lives here must also be rebuildable from flash or the network.
import binascii
import json

MAGIC = b"RP1"
SIZE = 2048


class RtcMemory:
    def __init__(self, board):
        self.board = board
        self._data = None

    def _load(self):
        if self._data is None:
            self._data = {}
            raw = self.board.rtc_memory()
            if raw and raw[:3] == MAGIC and len(raw) > 11:
                body = raw[11:]
                try:
                    if int(raw[3:11], 16) == binascii.crc32(body) & 0xFFFFFFFF:
                        value = json.loads(body)
                        if isinstance(value, dict):
                            self._data = value
                except ValueError:
                    pass  # not ours, or torn: start empty
        return self._data

    def get(self, key, default=None):
        return self._load().get(key, default)

    def set(self, key, value):
        self._load()[key] = value

    def pop(self, key):
        self._load().pop(key, None)

    def clear(self):
        """Nothing kept: what the next wake needs comes from flash instead."""
        self._data = {}
        self.board.rtc_memory(b"")

    def save(self):
        body = json.dumps(self._load()).encode()
        raw = MAGIC + (b"%08x" % (binascii.crc32(body) & 0xFFFFFFFF)) + body
        if len(raw) > SIZE:
            raise ValueError("RTC memory holds %d bytes, %d asked" % (SIZE, len(raw)))
        if raw == self.board.rtc_memory():
            return False
        self.board.rtc_memory(raw)
        return True
