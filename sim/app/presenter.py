"""The presenter's aids: keyboard shortcuts, full screen and the size of the text.

`Keys` listens to the keyboard in the browser (a small Vue component, `keys.vue`): it toggles
the browser's full screen itself (a browser allows that only in answer to a key or a click)
and sends the other shortcuts to Python. `scaled_css` makes every text size of the page's CSS
follow one factor, so that A− / A+ change them all at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import solara

#: the shortcuts, as the page lists them (F is handled in the browser)
SHORTCUTS = (("Space", "play / pause"), ("→", "one step"), ("End", "go to the end"), ("F", "full screen"),
             ("+ / −", "text size"), ("C", "controls"))
#: the keys sent to Python (`KeyboardEvent.key` values)
KEYS = (" ", "ArrowRight", "End", "+", "=", "-", "c", "C")
#: the text-size factors A− / A+ step through
FONT_SCALES = (1.0, 1.15, 1.3, 1.5)
_FONT = re.compile(r"font-size:\s*(\d+(?:\.\d+)?)px")


def scaled_css(css: str) -> str:
    """`css` with every `font-size: Npx` made `calc(Npx * var(--corridor-font, 1))`."""
    return _FONT.sub(lambda m: f"font-size: calc({m[1]}px * var(--corridor-font, 1))", css)


def font_css(scale: float) -> str:
    """The CSS that sets the text-size factor of the page."""
    return f":root {{ --corridor-font: {scale:g}; }}"


def shortcuts_text() -> str:
    return "Keys: " + " · ".join(f"{key} {what}" for key, what in SHORTCUTS)


@solara.component_vue("keys.vue")
def _Keys(shortcut_keys: list, event_pressed: Callable[[str], None]):
    pass


def Keys(on_key: Callable[[str], None]):
    """The keyboard shortcuts and the full-screen button; `on_key(key)` for every key in `KEYS`."""
    return _Keys(shortcut_keys=list(KEYS), event_pressed=on_key)
