"""Whole CCID messages out of bulk-OUT reads, by dwLength (CCID rev 1.1, section 6.1).

A bulk-OUT message is a 10-byte header whose dwLength (offset 1, le32) counts the data
after it. The host sends a message as one USB transfer of as many packets as it needs
(64 bytes each at full speed, 512 at high speed); one read of a FunctionFS endpoint file
returns one transfer, but a transfer larger than the read, or a host that splits a
message across transfers, makes a message arrive in pieces: :class:`MessageAssembler`
joins them until dwLength is reached.

What it never does is wait for bytes that will not come:

- a first piece shorter than a header is a message of its own (the device answers it
  with the "bad dwLength" error): a transfer ends there, the header is not split;
- a dwLength larger than the reader's dwMaxCCIDMessageLength is handed on at once with
  the bytes that came (the device answers it with the same error) and the rest of that
  read is dropped: nothing of it is buffered;
- a message still incomplete :data:`STALE_AFTER_S` after its last piece is handed on as
  it is (same error) when the next read comes or when :meth:`expire` is called.
"""

from __future__ import annotations

import struct

__all__ = ["STALE_AFTER_S", "MessageAssembler"]

HEADER_LENGTH = 10
STALE_AFTER_S = 1.0


class MessageAssembler:
    """Joins bulk-OUT reads into messages for a reader whose largest message is ``max_message``."""

    def __init__(self, max_message: int) -> None:
        self._max = max_message
        self._pending = bytearray()
        self._since = 0.0

    @property
    def pending(self) -> int:
        """How many bytes of an incomplete message are held."""
        return len(self._pending)

    def feed(self, chunk: bytes, now: float) -> list[bytes]:
        """The messages completed by ``chunk`` (one read), in order; each is answered once."""
        out = self.expire(now)
        if not chunk:
            return out
        starts_message = not self._pending
        self._pending += chunk
        self._since = now
        if starts_message and len(chunk) < HEADER_LENGTH:
            out.append(self._take(len(self._pending)))
            return out
        while len(self._pending) >= HEADER_LENGTH:
            (length,) = struct.unpack_from("<I", self._pending, 1)
            total = HEADER_LENGTH + length
            if total > self._max:
                # Never buffer what the reader said it cannot take: answer now, drop the rest.
                out.append(bytes(self._pending[:min(len(self._pending), self._max)]))
                self._pending.clear()
                break
            if len(self._pending) < total:
                break
            out.append(self._take(total))
        if 0 < len(self._pending) < HEADER_LENGTH:
            # Bytes after a whole message that cannot start one: a short message.
            out.append(self._take(len(self._pending)))
        return out

    def expire(self, now: float) -> list[bytes]:
        """The incomplete message, if it has waited :data:`STALE_AFTER_S` or longer."""
        if self._pending and now - self._since >= STALE_AFTER_S:
            return [self._take(len(self._pending))]
        return []

    def _take(self, count: int) -> bytes:
        message = bytes(self._pending[:count])
        del self._pending[:count]
        return message
