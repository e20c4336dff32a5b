# Safe mode: a way back in when the app misbehaves. Holding the BOOT button
# (GPIO0, low when pressed) during reset, or a file named SAFE_MODE on the
# flash, keeps main.py from starting the app so the REPL and mpremote stay free.

BOOT_BUTTON = 0
FLAG_FILE = "SAFE_MODE"


def requested(board):
    if board.fs.exists(FLAG_FILE):
        return "the file %s exists (delete it to leave safe mode)" % FLAG_FILE
    if board.pin_in(BOOT_BUTTON, pull_up=True).value() == 0:
        return "the BOOT button was held"
    return None
