# An in-memory flash filesystem with littlefs's guarantees, and failures on
# demand. As on littlefs, what is written to a file becomes visible only when
# the file is closed, and rename replaces the target atomically. A power cut
# loses every file still open; an injected error raises OSError at one step.


class PowerCut(Exception):
    """The board lost power: the code under test stops here."""


class FakeFile:
    def __init__(self, flash, name, mode):
        self.flash = flash
        self.name = name
        self.mode = mode
        self.closed = False
        if "w" in mode:
            self.data = bytearray()
        elif "a" in mode:
            self.data = bytearray(flash.files.get(name, b""))
        else:
            if name not in flash.files:
                raise OSError(2, "ENOENT")
            self.data = bytearray(flash.files[name])
        self.pos = 0

    def write(self, data):
        self.flash.step("write", self.name)
        if self.flash.full:
            raise OSError(28, "ENOSPC")  # littlefs: no free block left
        if isinstance(data, str):
            data = data.encode()
        self.data += data
        return len(data)

    def read(self, n=-1):
        self.flash.step("read", self.name)
        if n is None or n < 0:
            n = len(self.data) - self.pos
        chunk = bytes(self.data[self.pos:self.pos + n])
        self.pos += len(chunk)
        return chunk if "b" in self.mode else chunk.decode()

    def readinto(self, buf):
        chunk = self.read(len(buf))
        buf[:len(chunk)] = chunk
        return len(chunk)

    def close(self):
        if self.closed:
            return
        if "r" not in self.mode:
            self.flash.step("close", self.name)
            self.flash.files[self.name] = bytes(self.data)
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is PowerCut:
            self.closed = True  # unclosed data never reaches flash
        else:
            self.close()


class FakeFlash:
    """The same calls as replenish.fs.Fs. `fail_at(n)` makes step n raise
    OSError; `cut_at(n)` makes step n lose power. Steps are counted over
    opening a file to write, read, write, close (of a written file), rename
    and remove."""

    # Called with each new FakeFlash when set: the host's test runner sets it
    # for the length of one test so its secret scan (tests/secret_scan.py) can
    # read every file the device wrote. None by default, so nothing is kept
    # alive on MicroPython, which has no weak references.
    created = None

    def __init__(self):
        self.files = {}
        self.dirs = set([""])
        self.steps = 0
        self.fail_step = None
        self.cut_step = None
        self.writes = 0  # closes of written files: how much the flash wears
        self.full = False  # True: every write fails with ENOSPC
        if FakeFlash.created is not None:
            FakeFlash.created(self)

    def fail_at(self, n):
        self.fail_step, self.steps = n, 0

    def cut_at(self, n):
        self.cut_step, self.steps = n, 0

    def step(self, what, name):
        self.steps += 1
        if self.steps == self.cut_step:
            self.cut_step = None
            raise PowerCut("power lost at %s %s" % (what, name))
        if self.steps == self.fail_step:
            self.fail_step = None
            raise OSError(5, "EIO")  # errno 5: the chip reported an I/O error
        if what == "close":
            self.writes += 1

    def open(self, name, mode="r"):
        if "r" not in mode:
            self.step("open", name)
        return FakeFile(self, name, mode)

    def rename(self, old, new):
        self.step("rename", old)
        if old not in self.files:
            raise OSError(2, "ENOENT")
        self.files[new] = self.files.pop(old)

    def remove(self, name):
        self.step("remove", name)
        if name not in self.files:
            raise OSError(2, "ENOENT")
        del self.files[name]

    def exists(self, name):
        return name in self.files or name in self.dirs

    def size(self, name):
        if name not in self.files:
            raise OSError(2, "ENOENT")
        return len(self.files[name])

    def listdir(self, name=""):
        prefix = name + "/" if name else ""
        out = set()
        for path in list(self.files) + list(self.dirs):
            if path and path.startswith(prefix):
                out.add(path[len(prefix):].split("/")[0])
        return sorted(out)

    def mkdir(self, name):
        self.dirs.add(name)
