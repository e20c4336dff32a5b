# Runs on every boot and wake, before main.py. Kept tiny and offline: nothing
# here may fail or touch the network, so a broken app can always be reached
# over the serial console (see replenish/safemode.py).
import gc

gc.collect()
