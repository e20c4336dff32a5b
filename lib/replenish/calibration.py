# Calibration of each slot's sensor, kept in the store so it can be set from
# the console and survives re-flashing the code: a load cell's tare (offset,
# raw counts at zero load) and scale (counts per gram), or a level probe's
# table of [µV, level] points. One record per slot, key "cal-<slot id>", kept
# in two copies (a mirrored store record): a worn sector must not cost a
# calibration that took a person, a known weight and an empty container.
from level_probe import check_table

KEY_PREFIX = "cal-"


class Calibration:
    def __init__(self, store):
        self.store = store

    def _key(self, slot_id):
        key = KEY_PREFIX + slot_id
        self.store.mirror(key)
        return key

    def get(self, slot_id):
        """{"offset": counts, "scale": counts/g} or {"table": [[µV, level], ...]}; {} if unset."""
        return self.store.load(self._key(slot_id), {})

    def _put(self, slot_id, record):
        self.store.save(self._key(slot_id), record)
        return record

    def set_load_cell(self, slot_id, offset=None, scale=None):
        record = dict(self.get(slot_id))
        if offset is not None:
            record["offset"] = int(offset)
        if scale is not None:
            scale = float(scale)
            if scale == 0 or scale != scale:  # zero or NaN: every weight would be nonsense
                raise ValueError("scale must be a non-zero number of counts per gram")
            record["scale"] = scale
        record.pop("table", None)
        return self._put(slot_id, record)

    def set_probe_table(self, slot_id, table):
        return self._put(slot_id, {"table": check_table(table)})

    def tare(self, slot_id, hx, n=20):
        """Take what is on the cell now (nothing, or the empty container) as zero."""
        hx.power_up()
        try:
            offset = hx.read(n)
        finally:
            hx.power_down()
        return self.set_load_cell(slot_id, offset=offset)

    def calibrate_scale(self, slot_id, hx, known_g, n=20):
        """Scale from a known weight placed on the tared cell."""
        record = self.get(slot_id)
        if "offset" not in record:
            raise ValueError("tare the cell of slot %s first" % slot_id)
        if known_g <= 0:
            raise ValueError("the known weight must be > 0 g")
        hx.power_up()
        try:
            delta = hx.read(n) - record["offset"]
        finally:
            hx.power_down()
        if not delta:
            raise ValueError("the reading did not change: is the %g g weight on the cell?"
                             % known_g)
        return self.set_load_cell(slot_id, scale=delta / known_g)

    def add_probe_point(self, slot_id, probe, level):
        """Record the probe's reading now as `level` (0 empty .. 1 full),
        replacing an earlier point at that level. Empty and full make a
        usable table; points in between straighten a non-linear probe."""
        if not 0.0 <= level <= 1.0:
            raise ValueError("a probe level is 0 (empty) to 1 (full), not %r" % (level,))
        points = [p for p in self.get(slot_id).get("table", []) if p[1] != level]
        points.append([probe.read_uv(), level])
        if len(points) >= 2:
            points = check_table(points)  # refuses a point that breaks the order
        return self._put(slot_id, {"table": points})
