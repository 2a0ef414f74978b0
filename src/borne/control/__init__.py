"""The local control socket: how the ``borne`` CLI talks to the running daemon.

A UNIX socket that only root and the ``borne`` group can use; being able to
use it counts as physical presence at the box (opening pairing, revoking a workstation).
The protocol is one JSON object per line each way: ``{"cmd": ..., "args": {...}}``
then ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": {"code", "message"}}``.
"""
