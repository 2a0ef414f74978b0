"""A workstation's PC/SC program, as billing software would be: a separate process with pyscard.

libpcsclite reads ``PCSCLITE_CSOCK_NAME`` once per process, so the program runs as a child
of the test, on the workstation's pcscd. :class:`PcscWorkstation` sends it one JSON command
per line and reads one JSON answer per line:

- ``{"op": "readers"}``: the readers and whether each holds a card;
- ``{"op": "connect", "reader": i}``: SCardConnect (T=0 or T=1), its protocol and the ATR;
- ``{"op": "transmit", "apdus": [hex...]}``: each APDU through SCardTransmit, its answer;
- ``{"op": "read_card"}``: the box's own card script (``borne.readers.cards.read_card``)
  driven through SCardTransmit: the decoded card and every APDU with its answer;
- ``{"op": "disconnect"}``: SCardDisconnect, unpowering the card;
- ``{"op": "wait", "reader": i, "present": bool, "timeout_ms": n}``: SCardGetStatusChange
  until the reader holds (or no longer holds) a card.

An error answer is ``{"error": "<pcsc-lite's message>", "code": "0x8010...."}``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

__all__ = ["PcscWorkstation"]


class PcscWorkstation:
    """The program, started on ``env`` (a pcscd's ``client_env()``)."""

    def __init__(self, env: dict[str, str]) -> None:
        self._process = subprocess.Popen([sys.executable, __file__], env=env, text=True,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def ask(self, op: str, **fields: Any) -> dict[str, Any]:
        """Send one command; its answer (an AssertionError if the program died)."""
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        assert line, f"the workstation program died (exit {self._process.poll()})"
        return json.loads(line)

    def close(self) -> None:
        """End the program."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()


def _main() -> None:  # pragma: no cover - runs in the child process
    from smartcard import scard

    from borne.readers.cards import read_card
    from borne.readers.cards.script import drive

    _, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    card: Any = None
    protocol = 0
    readers: list[str] = []

    def failed(hresult: int) -> dict[str, Any]:
        return {"error": scard.SCardGetErrorMessage(hresult), "code": f"0x{hresult & 0xFFFFFFFF:08X}"}

    def transmit(apdu: bytes) -> bytes:
        hresult, answer = scard.SCardTransmit(card, protocol, list(apdu))
        if hresult != scard.SCARD_S_SUCCESS:
            raise OSError(scard.SCardGetErrorMessage(hresult))
        return bytes(answer)

    for line in sys.stdin:
        command = json.loads(line)
        op = command["op"]
        answer: dict[str, Any]
        if op == "readers":
            hresult, readers = scard.SCardListReaders(context, [])
            present = {}
            for reader in readers or []:
                _, found = scard.SCardGetStatusChange(context, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
                present[reader] = bool(found[0][1] & scard.SCARD_STATE_PRESENT)
            answer = {"readers": readers or [], "present": present} if hresult == 0 else failed(hresult)
        elif op == "connect":
            hresult, card, protocol = scard.SCardConnect(
                context, readers[command["reader"]], scard.SCARD_SHARE_SHARED,
                scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
            if hresult == 0:
                _, _, _, _, atr = scard.SCardStatus(card)
                answer = {"protocol": protocol, "atr": bytes(atr).hex().upper()}
            else:
                answer = failed(hresult)
        elif op == "transmit":
            answers = []
            for apdu in command["apdus"]:
                hresult, response = scard.SCardTransmit(card, protocol, list(bytes.fromhex(apdu)))
                answers.append(bytes(response).hex().upper() if hresult == 0 else failed(hresult))
            answer = {"answers": answers}
        elif op == "read_card":
            _, _, _, _, atr = scard.SCardStatus(card)
            exchanges: list[list[str]] = []

            def recorded(apdu: bytes) -> bytes:
                response = transmit(apdu)
                exchanges.append([apdu.hex().upper(), response.hex().upper()])
                return response

            try:
                decoded = drive(read_card(bytes(atr)), recorded)
                answer = {"card": decoded.to_dict(), "exchanges": exchanges}
            except Exception as error:  # noqa: BLE001 - reported to the test
                answer = {"error": f"{type(error).__name__}: {error}", "exchanges": exchanges}
        elif op == "disconnect":
            answer = {"result": scard.SCardDisconnect(card, scard.SCARD_UNPOWER_CARD)}
        elif op == "wait":
            reader = readers[command["reader"]]
            _, found = scard.SCardGetStatusChange(context, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
            state = found[0][1]
            hresult = 0
            while bool(state & scard.SCARD_STATE_PRESENT) != command["present"]:
                hresult, found = scard.SCardGetStatusChange(
                    context, command.get("timeout_ms", 10000), [(reader, state)])
                if hresult != scard.SCARD_S_SUCCESS:
                    break
                state = found[0][1] & ~scard.SCARD_STATE_CHANGED
            answer = {"present": bool(state & scard.SCARD_STATE_PRESENT),
                      "atr": bytes(found[0][2]).hex().upper()} if hresult == 0 else failed(hresult)
        else:
            answer = {"error": f"unknown op {op}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    _main()
