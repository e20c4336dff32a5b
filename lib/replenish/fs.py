# The flash filesystem as the rest of the firmware sees it: a handful of calls
# (the same ones tools/sim/flash.py fakes), rooted at a directory so the
# simulated board can keep a device's files in a folder of the host.
import os


class Fs:
    def __init__(self, root=""):
        self.root = root.rstrip("/")

    def path(self, name):
        return self.root + "/" + name if self.root else name

    def open(self, name, mode="r"):
        return open(self.path(name), mode)

    def rename(self, old, new):
        os.rename(self.path(old), self.path(new))

    def remove(self, name):
        os.remove(self.path(name))

    def exists(self, name):
        try:
            os.stat(self.path(name))
            return True
        except OSError:
            return False

    def size(self, name):
        """Bytes in a file, without reading it (OSError if it is missing)."""
        return os.stat(self.path(name))[6]

    def listdir(self, name=""):
        return sorted(os.listdir(self.path(name) if name else (self.root or ".")))

    def mkdir(self, name):
        if not self.exists(name):
            os.mkdir(self.path(name))
