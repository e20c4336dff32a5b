# Runs one device test module under the MicroPython unix port and prints one
# result line per test, for tests/conftest.py to read. Runs on MicroPython only.
import gc
import io
import json
import sys

MARK = "@@mp-result "


def _trace(exc):
    buf = io.StringIO()
    sys.print_exception(exc, buf)
    return buf.getvalue()


def _report(name, error):
    print(MARK + json.dumps({"test": name, "error": error}))


def _run(name, call):
    gc.collect()
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
        print(MARK + json.dumps({"import_error": _trace(exc)}))
        return
    for key in sorted(dir(mod)):
        obj = getattr(mod, key)
        if key.startswith("test") and callable(obj):
            _run(key, obj)
        elif key.startswith("Test") and isinstance(obj, type):
            _run_class(key, obj)


main(sys.argv[1])
