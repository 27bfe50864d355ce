"""One lock for all drawing in a process that draws from several threads (the app: one thread
per browser tab, plus exports in the background).

Matplotlib is not thread-safe: its font cache, the mathtext parser and the Agg text layout are
shared by every figure, and two threads drawing at once fail at random (mathtext
`ParseException`, "failed to load glyph"). Every figure the app draws, live or exported, is
therefore drawn while holding `DRAWING` (docs/app.md, "Many browsers, one server", measures it
under ten tabs and against a renderer per process).
"""

from __future__ import annotations

import threading

#: held while a figure is built, drawn or encoded (re-entrant: a drawing may call another)
DRAWING = threading.RLock()
