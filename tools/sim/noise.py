# Reproducible sensor noise for the fakes: the same sequence under CPython and
# the MicroPython unix port (their `random` modules differ), so a scenario that
# passes on one interpreter meets the very same readings on the other.


class Noise:
    def __init__(self, sigma, seed=1):
        self.sigma = sigma
        self.state = seed & 0x7FFFFFFF or 1

    def _uniform(self):
        # Park-Miller minimal standard generator: small ints on every port.
        self.state = self.state * 48271 % 0x7FFFFFFF
        return self.state / 0x7FFFFFFF

    def __call__(self):
        """One sample, roughly normal with deviation sigma (Irwin-Hall of 12)."""
        total = 0.0
        for _ in range(12):
            total += self._uniform()
        return (total - 6.0) * self.sigma
