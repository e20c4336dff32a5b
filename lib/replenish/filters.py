# From noisy samples to values the slot can trust: outlier rejection and
# settle detection over one batch of samples. Pure functions.
from hx711 import median  # the load-cell driver's, always beside this package

# |x - median| beyond this many robust standard deviations is an outlier.
# 4 keeps every honest sample of a normal batch (3 would drop one in ~370)
# and still drops a spike or a bit error.
OUTLIER_SIGMAS = 4.0
MAD_TO_SIGMA = 1.4826  # the median absolute deviation of a normal sample, in sigmas
# A settled batch keeps at least two thirds of its samples: more outliers
# than that means the load itself was changing.
MIN_KEPT = 2 / 3


def reject_outliers(values, floor):
    """The samples near the median. `floor` is the distance always accepted,
    so a quiet sensor (tiny MAD) does not throw away its honest samples."""
    middle = median(values)
    spread = median([abs(v - middle) for v in values]) * MAD_TO_SIGMA
    limit = max(OUTLIER_SIGMAS * spread, floor)
    return [v for v in values if abs(v - middle) <= limit]


def settle(values, tolerance):
    """(value, settled) for one batch taken within a second or two.

    The value is the mean of the samples left after outlier rejection. The
    batch is settled when few samples were rejected and the rest agree
    within `tolerance`: a container being lifted, moved or refilled while
    it is weighed gives a batch that drifts or jumps, and is not trusted."""
    kept = reject_outliers(values, tolerance / 2)
    value = sum(kept) / len(kept)
    settled = len(kept) >= MIN_KEPT * len(values) and max(kept) - min(kept) <= tolerance
    return value, settled
