"""The control socket's client side, used by the CLI (blocking: the CLI is not async)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from ..errors import ControlError

__all__ = ["call"]


def call(path: Path, command: str, args: dict[str, Any] | None = None, *,
         timeout: float = 10.0, unavailable_code: str = "control_unavailable") -> Any:
    """Send one command and return its result, or raise :class:`ControlError`."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(str(path))
        except PermissionError:
            raise ControlError(str(path), code="control_forbidden") from None
        except OSError:  # no socket file, nobody listening, not a socket at all
            raise ControlError(str(path), code=unavailable_code) from None
        sock.sendall(json.dumps({"cmd": command, "args": args or {}}).encode() + b"\n")
        with sock.makefile("rb") as stream:
            line = stream.readline()
    except socket.timeout:
        raise ControlError(str(path), code=unavailable_code) from None
    except OSError:  # the daemon went away in the middle (reset, broken pipe)
        raise ControlError(str(path), code=unavailable_code) from None
    finally:
        sock.close()
    if not line:
        raise ControlError(str(path), code=unavailable_code)
    try:
        reply = json.loads(line)
        if not isinstance(reply, dict):
            raise ValueError("not an object")
    except ValueError:  # not the daemon's answer (another program's socket at that path)
        raise ControlError(str(path), code="control_error") from None
    if not reply.get("ok"):
        error = reply.get("error") or {}
        failure = ControlError(code=error.get("code", "control_error"))
        #: The daemon's own sentence, already in the box's language.
        failure.server_message = error.get("message")
        raise failure
    return reply.get("result")
