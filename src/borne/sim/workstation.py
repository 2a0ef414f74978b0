"""A billing workstation for the bridge's tests and bench: its own pcscd and a plain pyscard program.

Run as a child process (``python -m borne.sim.workstation WORKDIR PORT``): it makes its own
``/run/pcscd`` private (a mount namespace of its own), starts a pcscd whose vpcd
reader "Poste" listens on PORT and PORT+1, prints ``ready``, then answers
commands read on stdin, one JSON line each. With a folder instead of PORT
(``python -m borne.sim.workstation WORKDIR CONFDIR``), its pcscd reads the reader.conf
files of CONFDIR as they are (those ``borne bridge setup`` writes), as a workstation's does.

- ``{"cmd": "readers"}`` -> the readers and whether each holds a card (with its ATR);
- ``{"cmd": "read"}`` -> the carte Vitale or CPS in the first reader holding a card
  (or in ``"reader"``, if given), decoded by a plain pyscard program (the box's public
  card scripts, driven here);
- ``{"cmd": "time", "reads": N, "apdus": M}`` -> the milliseconds of N whole reads and of
  M single APDU round trips (SELECT MF) on that card, for ``bench/bridge_bench.py``;
- ``{"cmd": "apdus", "apdus": [HEX, ...]}`` -> ``{"responses": [HEX, ...]}``, the card's
  answers to those APDUs in that order, in one connection (a program verifying a PIN).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    from borne.sim.namespace import isolate_pcscd_socket

    isolate_pcscd_socket()
    from smartcard.scard import (SCARD_PROTOCOL_T0, SCARD_PROTOCOL_T1, SCARD_SCOPE_USER,
                                 SCARD_SHARE_SHARED, SCARD_STATE_PRESENT, SCARD_UNPOWER_CARD,
                                 SCardConnect, SCardDisconnect, SCardEstablishContext,
                                 SCardGetStatusChange, SCardListReaders, SCardReleaseContext,
                                 SCardTransmit)

    from borne.readers.cards import read_card
    from borne.readers.cards.script import drive
    from borne.sim.pcscd import PrivatePcscd, SimReader

    work, where = sys.argv[1], sys.argv[2]
    if where.isdigit():
        pcscd = PrivatePcscd(work, [SimReader("Poste", int(where))])
    else:  # a reader.conf.d folder: wait for the readers its entries name
        from borne.bridge.reader_conf import read_entries

        readers = [SimReader(e.name, e.ports[0]) for e in read_entries(Path(where))]
        pcscd = PrivatePcscd(work, readers, config_dir=where)
    with pcscd:
        print("ready", flush=True)
        for line in sys.stdin:
            command = json.loads(line)
            _, context = SCardEstablishContext(SCARD_SCOPE_USER)
            try:
                _, readers = SCardListReaders(context, [])
                _, states = SCardGetStatusChange(context, 0, [(r, 0) for r in readers])
                present = {r: bytes(atr).hex() for r, state, atr in states
                           if state & SCARD_STATE_PRESENT}
                if command["cmd"] == "readers":
                    reply = {"readers": readers, "present": present}
                elif command["cmd"] == "time":
                    reply = _time(context, sorted(present)[0], bytes.fromhex(
                        present[sorted(present)[0]]), command["reads"], command["apdus"])
                else:
                    reader = command.get("reader") or sorted(present)[0]
                    _, card, protocol = SCardConnect(context, reader, SCARD_SHARE_SHARED,
                                                     SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)

                    def transmit(apdu: bytes) -> bytes:
                        _, response = SCardTransmit(card, protocol, list(apdu))
                        return bytes(response)

                    if command["cmd"] == "apdus":
                        reply = {"responses": [transmit(bytes.fromhex(apdu)).hex().upper()
                                               for apdu in command["apdus"]]}
                    else:
                        decoded = drive(read_card(bytes.fromhex(present[reader])), transmit)
                        reply = {"reader": reader, "card": decoded.to_dict()}
                    SCardDisconnect(card, SCARD_UNPOWER_CARD)
            except Exception as error:  # report, do not die: the test reads the answer
                reply = {"error": f"{type(error).__name__}: {error}"}
            finally:
                SCardReleaseContext(context)
            print(json.dumps(reply), flush=True)


def _time(context: int, reader: str, atr: bytes, reads: int, apdus: int) -> dict:
    """Time whole card reads and single APDU round trips on ``reader``."""
    import time

    from smartcard.scard import (SCARD_LEAVE_CARD, SCARD_PROTOCOL_T0, SCARD_PROTOCOL_T1,
                                 SCARD_SHARE_SHARED, SCardConnect, SCardDisconnect, SCardTransmit)

    from borne.readers.cards import read_card
    from borne.readers.cards.script import drive

    _, card, protocol = SCardConnect(context, reader, SCARD_SHARE_SHARED,
                                     SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)

    def transmit(apdu: bytes) -> bytes:
        _, response = SCardTransmit(card, protocol, list(apdu))
        return bytes(response)

    read_ms, apdu_ms = [], []
    for _ in range(reads):
        start = time.perf_counter_ns()
        drive(read_card(atr), transmit)
        read_ms.append((time.perf_counter_ns() - start) / 1e6)
    select_mf = bytes.fromhex("00A40000023F00")
    for _ in range(apdus):
        start = time.perf_counter_ns()
        transmit(select_mf)
        apdu_ms.append((time.perf_counter_ns() - start) / 1e6)
    SCardDisconnect(card, SCARD_LEAVE_CARD)
    return {"read_ms": read_ms, "apdu_ms": apdu_ms}


if __name__ == "__main__":
    main()
