# The simulated board and its hardware fakes. Runs under CPython and under the
# MicroPython unix port, so device tests use the same fakes on both.
