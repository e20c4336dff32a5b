"""The year-long soak (`make soak`, docs/soak.md): the firmware on the harsh
simulated board against the strict emulator, a thousand seeded faults, and
checks after every wake. Host only (CPython)."""
