# Safe mode: a way back in when the app misbehaves. Holding the BOOT button
# (GPIO0, low when pressed) during reset, or a file named SAFE_MODE on the
# flash, keeps main.py from starting the app so the REPL and mpremote stay
# free. (A crash loop puts the app in safe mode too: replenish/crashes.py.)

BOOT_BUTTON = 0
FLAG_FILE = "SAFE_MODE"
LEAVE = "delete it to leave safe mode: mpremote rm :%s, then reset" % FLAG_FILE


def requested(board):
    if board.fs.exists(FLAG_FILE):
        try:
            with board.fs.open(FLAG_FILE) as f:
                why = f.read(200).strip()
        except OSError:
            why = ""
        return "%s (the file %s; %s)" % (why or "asked for", FLAG_FILE, LEAVE)
    if board.pin_in(BOOT_BUTTON, pull_up=True).value() == 0:
        return "the BOOT button was held"
    return None

