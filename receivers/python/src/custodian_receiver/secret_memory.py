"""Key bytes held in mutable buffers that can be zeroed, and the limits of doing that in Python.

Python gives no control over memory: ``bytes`` and ``str`` are immutable and cannot be wiped, the
allocator may keep freed blocks, the garbage collector may move nothing but also promises nothing about
when a value dies, and a core dump or swap can contain anything the process ever held. What this module
does is the part that is possible: the receiver keeps each key in one ``bytearray`` and overwrites it with
zeros on ``lock()``, makes as few immutable copies as it can, and drops every reference to the copies that
it cannot avoid: cryptography's ``Fernet`` takes the key as base64 text and keeps its own ``bytes`` halves,
and HPKE returns the decrypted payload as ``bytes``. On CPython, ``scrub_bytes`` zeroes such a ``bytes`` object
that this package created and alone references (best effort, see its docstring); elsewhere those copies just
become garbage, and freed memory is reused, never scrubbed. Copies that stay out of reach: the temporary
32-byte value inside ``Fernet.__init__``, and OpenSSL's own key schedules (OpenSSL clears those when it frees
them). Against an attacker who can read this process's memory, nothing here helps: that is outside the
receiver's threat model (see docs/protocol.md).
"""

from __future__ import annotations

import ctypes
import sys


def wipe(buffer: bytearray | memoryview) -> None:
    """Overwrite a mutable buffer with zeros, in place."""
    view = memoryview(buffer).cast("B")
    if view.readonly:
        raise TypeError("cannot wipe a read-only buffer")
    length = len(view)
    if length:
        # One memset through ctypes, so no temporary zero-filled copy of the buffer's size is made.
        address = ctypes.addressof(ctypes.c_char.from_buffer(view))
        ctypes.memset(address, 0, length)
    view.release()


def _bytes_payload_offset() -> int | None:
    """Where a CPython ``bytes`` object keeps its data, checked on a probe; ``None`` where that is unknown."""
    if sys.implementation.name != "cpython":
        return None
    offset = sys.getsizeof(b"") - 1  # the object header; the 1 is the trailing NUL that getsizeof counts
    probe = bytes(bytearray(b"custodian-receiver scrub probe"))
    if ctypes.string_at(id(probe) + offset, len(probe)) != probe:
        return None
    return offset


_BYTES_OFFSET = _bytes_payload_offset()


def scrub_bytes(data: bytes) -> bool:
    """Best effort: zero the contents of a ``bytes`` object in place (CPython only). Returns whether it did.

    ``bytes`` are immutable by contract, so this is only for objects this package created itself and no one
    else references (a decrypted payload, the base64 text handed to ``Fernet``, ``Fernet``'s key halves after
    the object is revoked), and never hashed. Objects of length 0 or 1 are shared singletons and left alone.
    """
    if _BYTES_OFFSET is None or type(data) is not bytes or len(data) < 2:
        return False
    ctypes.memset(id(data) + _BYTES_OFFSET, 0, len(data))
    return True


class SecretKey:
    """One raw key in a bytearray. ``wipe()`` zeroes it; afterwards every use raises."""

    __slots__ = ("_buffer", "_wiped")

    def __init__(self, raw: bytes | bytearray | memoryview) -> None:
        self._buffer = bytearray(raw)
        self._wiped = False

    @property
    def buffer(self) -> bytearray:
        if self._wiped:
            raise ValueError("key was wiped")
        return self._buffer

    @property
    def wiped(self) -> bool:
        return self._wiped

    def wipe(self) -> None:
        if not self._wiped:
            wipe(self._buffer)
            self._wiped = True

    def __len__(self) -> int:
        return len(self._buffer)

    def __repr__(self) -> str:  # never show key bytes, even in a traceback's locals
        return "<SecretKey wiped>" if self._wiped else f"<SecretKey {len(self._buffer)} bytes>"

    def __reduce__(self) -> str | tuple[object, ...]:  # no pickling of key material
        raise TypeError("SecretKey cannot be pickled")
