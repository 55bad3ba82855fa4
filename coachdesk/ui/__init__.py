"""The Qt front end: the only package that imports PySide6."""

import time

# Captured before PySide6 loads: the start-up benchmark measures from here
# unless it passes its own COACHDESK_T0.
T_IMPORT = time.time()
