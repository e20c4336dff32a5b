"""tools/heapscan.py: its search on scripted outcomes, and a quick real scan
of the full wake with a response at the cap under the unix port."""

from tools.heapscan import _probe, scan


class Scripted:
    """A probe whose outcome per heap is given: what scan() makes of it."""

    padding = 100

    def __init__(self, passes):
        self.passes = passes
        self.asked = []

    def outcome(self, form, heap_k):
        self.asked.append(heap_k)
        return "pass" if self.passes(heap_k) else "typed OutOfMemory"


def test_the_need_is_the_first_heap_from_which_every_heap_passes():
    probe = Scripted(lambda k: k >= 120)
    result = scan("mpy", low=64, high=200, step=4, probe=probe)
    assert result["need_k"] == 120 and result["monotonic"]
    assert all(result["table"][k] == "pass" for k in range(120, 201, 4))


def test_a_failure_above_the_bisected_need_moves_the_need_and_says_so():
    probe = Scripted(lambda k: k >= 100 and k != 148)  # one size fails, as fragmentation does
    result = scan("mpy", low=64, high=200, step=4, probe=probe)
    assert result["need_k"] == 152 and not result["monotonic"]
    assert result["table"][148] == "typed OutOfMemory"


def test_nothing_passing_has_no_need():
    result = scan("mpy", low=64, high=200, step=4, probe=Scripted(lambda k: False))
    assert result["need_k"] is None


def test_the_cap_wake_passes_with_room_and_fails_typed_without():
    with _probe(16384) as probe:
        assert 15000 < probe.padding < 16384  # the body, the head fills the rest of the cap
        assert probe.outcome("mpy", 256) == "pass"
        tight = probe.outcome("mpy", 120)
        assert tight.startswith("typed "), tight  # named, never an escaped MemoryError
