# Runs one device test module under the MicroPython unix port and prints, for
# tests/conftest.py to read, a line as each test starts and one with its
# result; a last line says the module ran to the end. A test that kills the
# process (a hard crash, sys.exit) is thus the one that started without a
# result. Runs on MicroPython only.
import gc
import io
import json
import sys

MARK = "@@mp-result "


def _trace(exc):
    buf = io.StringIO()
    sys.print_exception(exc, buf)
    return buf.getvalue()


def _say(record):
    print(MARK + json.dumps(record))


def _report(name, error):
    _say({"test": name, "error": error})


def _run(name, call):
    gc.collect()
    _say({"start": name})
    try:
        call()
    except Exception as exc:  # a failing test must not stop the others
        _report(name, _trace(exc))
        return
    _report(name, None)


def _run_class(cname, cls):
    for attr in sorted(dir(cls)):
        if not attr.startswith("test"):
            continue

        def call(attr=attr):
            inst = cls()
            setup = getattr(inst, "setup_method", None)
            if setup:
                setup()
            try:
                getattr(inst, attr)()
            finally:
                teardown = getattr(inst, "teardown_method", None)
                if teardown:
                    teardown()

        _run(cname + "::" + attr, call)


def main(modname):
    try:
        mod = __import__(modname)
    except Exception as exc:
        _say({"import_error": _trace(exc)})
        return
    for key in sorted(dir(mod)):
        obj = getattr(mod, key)
        if key.startswith("test") and callable(obj):
            _run(key, obj)
        elif key.startswith("Test") and isinstance(obj, type):
            _run_class(key, obj)
    _say({"done": True})


main(sys.argv[1])
