# Errors of modules that the radio half of a wake lets go of (heap.unload):
# defined here, so a module loaded again raises the class that code holding
# the old one still catches.


class ConfigError(Exception):
    """A setting a person must fix; the message names the file and the field."""
