# Dash Replenishment firmware: the application package (device code).
