"""Decoding an input file's bytes as UTF-8, and saying what the file is when it is not: a
UTF-16 or UTF-32 file (named by its byte-order mark, or by its zero bytes), or Latin-1 /
Windows-1252 text (the line and the byte that are not UTF-8, and the character it would be).
"""

from __future__ import annotations

import codecs

_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


class NotUTF8(ValueError):
    """The bytes are not UTF-8; the message names what they are and says to save as UTF-8;
    `line` is the line of the first byte that is not (None for the whole file)."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def decode_utf8(data: bytes) -> str:
    """The text of `data` (UTF-8; a UTF-8 byte-order mark is dropped). Raises NotUTF8, e.g.
    'the file is UTF-16 (its byte-order mark says so); save it as UTF-8' or 'the byte 0xe9 is
    not UTF-8 (the file looks like Latin-1 / Windows-1252, where it is 'é'); save it as UTF-8'
    with its line."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise NotUTF8(f"the file is {name} (its byte-order mark says so); save it as UTF-8")
    head = data[:200]
    if head and head.count(0) * 3 >= len(head):  # ASCII text in UTF-16 is every other byte zero (valid UTF-8!)
        raise NotUTF8("the file looks like UTF-16 (every other byte is zero); save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        byte = data[err.start]
        shown = bytes([byte]).decode("cp1252", errors="replace")
        raise NotUTF8(f"the byte 0x{byte:02x} is not UTF-8 (the file looks like Latin-1 / Windows-1252, "
                      f"where it is '{shown}'); save it as UTF-8", line) from None
