"""Reading OSC packets ourselves: every size checked before it is trusted, every type tag read or refused.

python-osc's parser loops for ever on a bundle element of negative size (one 20-byte packet kept
its server at 100 % CPU), skips type tags it does not know without reading their data (liblo's
``S`` symbol shifted every later argument) and drops ``c`` silently. This reader walks a packet
once, front to back: each bundle element must have a size above 0, a multiple of 4, within the
bytes that remain, bundles nest at most ``MAX_DEPTH`` deep and arrays ``MAX_ARRAY_DEPTH`` deep
(so nothing that later walks the arguments recurses without bound), and each argument is read by its tag or
the packet is refused with :class:`PacketError` saying why. Time is linear in the packet's size.
"""

from __future__ import annotations

import struct
from typing import Any

BUNDLE = b"#bundle\0"
MAX_DEPTH = 8  # bundles inside bundles; real clients send one level
MAX_ARRAY_DEPTH = 8  # arrays inside arrays ("[[...]]" in the type tags); real clients send one level or none
MAX_MESSAGES = 1024  # messages in one packet

Message = tuple[str, list[Any]]


class PacketError(ValueError):
    """The packet is not OSC this server can read; the message says where and why."""


def decode_packet(data: bytes) -> list[Message]:
    """Every message of a packet (a bundle's in order) as (address, arguments)."""
    messages: list[Message] = []
    _decode(bytes(data), 0, messages)
    return messages


def _decode(data: bytes, depth: int, out: list[Message]) -> None:
    if data.startswith(BUNDLE):
        _bundle(data, depth, out)
    elif data.startswith(b"/"):
        if len(out) >= MAX_MESSAGES:
            raise PacketError(f"more than {MAX_MESSAGES} messages in one packet")
        out.append(decode_message(data))
    else:
        raise PacketError(f"a {len(data)}-byte element that is neither a message (starts with '/') nor a bundle")


def _bundle(data: bytes, depth: int, out: list[Message]) -> None:
    if depth >= MAX_DEPTH:
        raise PacketError(f"bundles nested more than {MAX_DEPTH} deep")
    if len(data) < 16:
        raise PacketError(f"a bundle of {len(data)} bytes has no room for its time tag")
    offset = 16
    while offset < len(data):
        if len(data) - offset < 4:
            raise PacketError(f"bundle element size cut off at byte {offset}")
        (size,) = struct.unpack_from(">i", data, offset)
        offset += 4
        if size <= 0 or size % 4 or size > len(data) - offset:
            raise PacketError(
                f"bundle element size {size} at byte {offset - 4} is not a positive multiple of 4 "
                f"within the {len(data) - offset} bytes left"
            )
        _decode(data[offset : offset + size], depth + 1, out)
        offset += size


def decode_message(data: bytes) -> Message:
    address, offset = _string(data, 0, "address")
    if not address.startswith("/"):
        raise PacketError(f"address {address[:40]!r} does not start with '/'")
    if offset == len(data):
        return address, []  # very old clients send no type tag string for no arguments
    tags, offset = _string(data, offset, "type tags")
    if not tags.startswith(","):
        raise PacketError(f"type tag string {tags[:40]!r} does not start with ','")
    reader = _Reader(data, offset)
    args = reader.arguments(tags[1:])
    if reader.offset != len(data):
        raise PacketError(f"{len(data) - reader.offset} bytes after the last argument")
    return address, args


def _string(data: bytes, offset: int, what: str) -> tuple[str, int]:
    end = data.find(b"\0", offset)
    if end < 0:
        raise PacketError(f"{what} at byte {offset} is not terminated")
    padded = end + 4 - (end % 4)
    if padded > len(data):
        raise PacketError(f"{what} at byte {offset} is not padded to 4 bytes")
    try:
        return data[offset:end].decode("utf-8"), padded
    except UnicodeDecodeError as e:
        raise PacketError(f"{what} at byte {offset} is not UTF-8 ({e.reason})") from None


_FIXED = {"i": (">i", 4), "f": (">f", 4), "h": (">q", 8), "d": (">d", 8), "t": (">Q", 8), "r": (">I", 4)}
_CONSTANT = {"T": True, "F": False, "N": None, "I": None}


class _Reader:
    def __init__(self, data: bytes, offset: int):
        self.data, self.offset = data, offset

    def arguments(self, tags: str) -> list[Any]:
        stack: list[list[Any]] = [[]]
        for tag in tags:
            if tag == "[":
                if len(stack) > MAX_ARRAY_DEPTH:
                    raise PacketError(f"arrays nested more than {MAX_ARRAY_DEPTH} deep in the type tags")
                stack.append([])
            elif tag == "]":
                if len(stack) == 1:
                    raise PacketError("type tags close an array that was never opened")
                array = stack.pop()
                stack[-1].append(array)
            else:
                stack[-1].append(self.argument(tag))
        if len(stack) != 1:
            raise PacketError("type tags open an array that is never closed")
        return stack[0]

    def argument(self, tag: str) -> Any:
        if tag in _CONSTANT:
            return _CONSTANT[tag]
        if tag in ("s", "S"):  # S: a symbol (liblo, Pd) is a string for us
            value, self.offset = _string(self.data, self.offset, "string argument")
            return value
        if tag == "c":  # a char: a 32-bit int holding one character
            return self._char()
        if tag == "b":
            return self._blob()
        if tag == "m":
            return tuple(self._take(4))
        if tag in _FIXED:
            return self._fixed(*_FIXED[tag])
        raise PacketError(f"unknown OSC type tag {tag!r}; send ints (i), floats (f) or strings (s)")

    def _fits(self, size: int) -> bool:
        return self.offset + size <= len(self.data)

    def _char(self) -> str:
        code = self._fixed(">I", 4)
        if code > 0x10FFFF:
            raise PacketError(f"char argument {code:#x} at byte {self.offset - 4} is not a character")
        return chr(code)

    def _take(self, size: int) -> bytes:
        if not self._fits(size):
            raise PacketError(f"argument at byte {self.offset} needs {size} bytes, {len(self.data) - self.offset} left")
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk

    def _fixed(self, fmt: str, size: int) -> Any:
        (value,) = struct.unpack(fmt, self._take(size))
        return value

    def _blob(self) -> bytes:
        (size,) = struct.unpack(">i", self._take(4))
        if size < 0 or size > len(self.data) - self.offset:
            raise PacketError(f"blob size {size} at byte {self.offset - 4} is not within the bytes left")
        blob = self._take(size)
        self._take(-size % 4)
        return blob
