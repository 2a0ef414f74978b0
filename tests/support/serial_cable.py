"""A serial cable between the box and a workstation, made of two pseudo-terminals.

The box opens one tty by its path (``[usb] transport = "serial"``, ``serial_device``), the
workstation's pcscd (libccidtwin) the other; a relay thread copies bytes both ways between
the two masters, as a null-modem cable would. The cable outlives the box's daemon: a
daemon that stops and starts again finds its tty where it was, and the workstation's
pcscd sees a reader that fell silent for a while (a cable unplugged and plugged back).

The harness keeps each tty's slave open too, so neither pty hangs up while one end is
closed; it never reads them (the box and pcscd do).
"""

from __future__ import annotations

import os
import selectors
import threading
import tty

__all__ = ["SerialCable"]


class SerialCable:
    """Two ptys joined by a relay: :attr:`box_end` and :attr:`host_end` are tty paths."""

    def __init__(self) -> None:
        self._box_master, self._box_slave = os.openpty()
        self._host_master, self._host_slave = os.openpty()
        for fd in (self._box_slave, self._host_slave):
            tty.setraw(fd)
        self.box_end = os.ttyname(self._box_slave)
        self.host_end = os.ttyname(self._host_slave)
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(target=self._relay, name="serial-cable", daemon=True)
        #: Bytes carried each way: box to host, host to box.
        self.carried = {"to_host": 0, "to_box": 0}
        #: While set, the cable carries nothing (both ways): unplugged.
        self.unplugged = threading.Event()

    def __enter__(self) -> SerialCable:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the relay and close every end the harness holds."""
        if self._thread.is_alive():
            os.write(self._wake_w, b"x")
            self._thread.join(2)
        for fd in (self._box_master, self._box_slave, self._host_master, self._host_slave,
                   self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def _relay(self) -> None:
        route = {self._box_master: (self._host_master, "to_host"),
                 self._host_master: (self._box_master, "to_box")}
        with selectors.DefaultSelector() as selector:
            for fd in (*route, self._wake_r):
                selector.register(fd, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fd == self._wake_r:
                        return
                    try:
                        chunk = os.read(key.fd, 65536)
                    except OSError:
                        continue
                    if self.unplugged.is_set():
                        continue  # dropped on the floor
                    target, way = route[key.fd]
                    self.carried[way] += len(chunk)
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(target, view):]
