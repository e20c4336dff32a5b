"""`make bench`: what the firmware costs a battery, measured on the virtual
device against the emulator, beside the floor the service requires and the
peer baseline (python -m tools.bench --help)."""
