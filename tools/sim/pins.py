# GPIO fakes. A pin holds a level; a chip model attached to it can drive an
# input (`driver`) or watch an output change (`watchers`), which is how the
# fake HX711 speaks its bit protocol to the driver under test.

IN = 1
OUT = 3


class FakePin:
    IN = IN
    OUT = OUT

    def __init__(self, pin_id, mode=IN, value=0):
        self.id = pin_id
        self.mode = mode
        self.level = value
        self.driver = None  # callable: the level a chip drives, None while it lets go
        self.pull_up = False
        self.watchers = []  # callables(level) told of every write
        self.after_write = None  # callable run after a write: the board's interrupt window
        self.held = False  # pad hold: the level stays through deep sleep

    def init(self, mode=IN, value=None):
        self.mode = mode
        if value is not None:
            self.value(value)

    def value(self, level=None):
        if level is None:
            driven = self.driver() if self.driver else None
            if driven is None:  # nothing drives the line: the pull-up, or what was last set
                return 1 if self.pull_up else self.level
            return driven
        self.level = 1 if level else 0
        for watch in self.watchers:
            watch(self.level)
        if self.after_write:
            self.after_write()
        return None

    def __call__(self, level=None):
        return self.value(level)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)
