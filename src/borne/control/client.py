"""The control socket's client side, used by the CLI (blocking: the CLI is not async)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from ..errors import ControlError, Message

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
            raise ControlError(Message.same(str(path)), code="control_forbidden") from None
        except OSError:  # no socket file, nobody listening, not a socket at all
            raise ControlError(Message.same(str(path)), code=unavailable_code) from None
        sock.sendall(json.dumps({"cmd": command, "args": args or {}}).encode() + b"\n")
        with sock.makefile("rb") as stream:
            line = stream.readline()
    except socket.timeout:
        raise ControlError(Message(f"pas de réponse de {path}", f"no answer from {path}"),
                           code=unavailable_code) from None
    except OSError:  # the daemon went away in the middle (reset, broken pipe)
        raise ControlError(Message(f"{path} a fermé la connexion", f"{path} closed the connection"),
                           code=unavailable_code) from None
    finally:
        sock.close()
    if not line:
        raise ControlError(Message(f"{path} a fermé la connexion", f"{path} closed the connection"),
                           code=unavailable_code)
    try:
        reply = json.loads(line)
        if not isinstance(reply, dict):
            raise ValueError("not an object")
    except ValueError:  # not the daemon's answer (another program's socket at that path)
        raise ControlError(Message.same(str(path)), code="control_error") from None
    if not reply.get("ok"):
        error = reply.get("error") or {}
        raise _Refused(code=error.get("code", "control_error"), message=error.get("message"),
                       messages=error.get("messages"))
    return reply.get("result")


class _Refused(ControlError):
    """The daemon refused: its own sentences, in the language the CLI asks for."""

    def __init__(self, code: str, message: Any, messages: Any) -> None:
        super().__init__(code=code)
        self._messages = messages if isinstance(messages, dict) else {}
        #: The daemon's sentence in the box's language, from a daemon that sends only that one.
        self.server_message = None if self._messages else message

    def message(self, language: str = "fr") -> str:
        """The daemon's sentence in ``language`` (French for any other)."""
        said = self._messages.get("en" if language == "en" else "fr")
        return said if isinstance(said, str) else super().message(language)
