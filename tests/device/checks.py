# Small assertions the device tests share (no pytest under MicroPython).


def expect(error_type, call, *args):
    """call(*args) must raise error_type; the error, for more checks."""
    try:
        call(*args)
    except error_type as err:
        return err
    raise AssertionError("no %s raised" % error_type.__name__)
