"""Structured records to journald's native protocol, over a real datagram socket."""

from __future__ import annotations

import logging
import os
import socket
import struct
from pathlib import Path

from borne.events import CardDecoded, CardInserted, DeviceState, Event
from borne.runtime.systemd_journal import JournalHandler, encode_fields, journal_wanted
from borne.runtime.logs import RedactingFilter, event_logger


def parse_native(datagram: bytes) -> dict[str, str]:
    """The reverse of the native protocol (systemd.io/JOURNAL_NATIVE_PROTOCOL)."""
    fields, rest = {}, datagram
    while rest:
        line, sep, after = rest.partition(b"\n")
        if b"=" in line:
            key, _, value = line.partition(b"=")
            fields[key.decode()] = value.decode()
            rest = after
        else:
            (size,) = struct.unpack("<Q", after[:8])
            fields[line.decode()] = after[8 : 8 + size].decode()
            assert after[8 + size : 9 + size] == b"\n"
            rest = after[9 + size :]
    return fields


def test_encoding_of_plain_and_multiline_values() -> None:
    datagram = encode_fields({"MESSAGE": "line one\nline two", "PRIORITY": 6, "skip": None,
                              "borne.slot": "borne-sim-00-00"})
    assert parse_native(datagram) == {"MESSAGE": "line one\nline two", "PRIORITY": "6",
                                      "BORNE_SLOT": "borne-sim-00-00"}


def test_records_reach_the_socket_with_fields_and_no_identity(tmp_path: Path) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(str(tmp_path / "journal"))
    handler = JournalHandler(path=str(tmp_path / "journal"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("borne.test.journald")
    logger.handlers[:], logger.propagate = [handler], False
    logger.setLevel(logging.DEBUG)
    try:
        logger.warning("reader said %s", "1 85 05 78 006 084 91")  # a NIR that slipped through
        warning = parse_native(server.recv(65536))
        assert warning["MESSAGE"] == "reader said [NIR]" and warning["PRIORITY"] == "4"
        assert warning["SYSLOG_IDENTIFIER"] == "borne" and warning["LOGGER"] == "borne.test.journald"
        assert warning["CODE_FUNC"] == "test_records_reach_the_socket_with_fields_and_no_identity"

        listen = event_logger(logger)
        listen(Event(7, 0.0, "", False, CardDecoded(slot="borne-sim-00-01", card_type="vitale",
                                                    beneficiaries=2, detected_ns=5)))
        record = parse_native(server.recv(65536))
        assert record["BORNE_EVENT"] == "card.decoded" and record["BORNE_SEQ"] == "7"
        assert record["BORNE_SLOT"] == "borne-sim-00-01" and record["PRIORITY"] == "6"
        assert record["BORNE_TYPE"] == "vitale" and record["BORNE_BENEFICIARIES"] == "2"
        assert "BORNE_DETECTED_NS" not in record  # not allow-listed
        # The ATR (bytes on the bus) is not a logged field, in no form.
        listen(Event(8, 0.0, "", False, CardInserted(slot="s0", atr=b"\x3b\x75", detected_ns=6)))
        record = parse_native(server.recv(65536))
        assert record["MESSAGE"] == "event 8 card.inserted slot=s0"
        assert {k for k in record if k.startswith("BORNE_")} == {"BORNE_EVENT", "BORNE_SEQ",
                                                                "BORNE_SLOT"}
        # Free text in an allowed field (a device's detail) is redacted like any line.
        listen(Event(9, 0.0, "", False, DeviceState(device="pcsc", state="error",
                                                    detail="stuck on 185057800608491")))
        record = parse_native(server.recv(65536))
        assert record["BORNE_DETAIL"] == "stuck on [NIR]" and "1850578" not in str(record)
    finally:
        handler.close()
        server.close()


def test_journald_gone_falls_back_to_stderr(tmp_path: Path, capsys) -> None:
    handler = JournalHandler(path=str(tmp_path / "nobody"))
    record = logging.LogRecord("borne.x", logging.ERROR, __file__, 1, "still seen", None, None)
    handler.emit(record)
    handler.close()
    assert "ERROR borne.x: still seen" in capsys.readouterr().err


def test_journal_is_used_only_when_stderr_is_the_journal_stream(tmp_path: Path) -> None:
    with open(tmp_path / "stream", "w") as stream:
        stat = os.fstat(stream.fileno())
        assert journal_wanted({"JOURNAL_STREAM": f"{stat.st_dev}:{stat.st_ino}"}, stream)
        assert not journal_wanted({"JOURNAL_STREAM": f"{stat.st_dev}:{stat.st_ino + 1}"}, stream)
        assert not journal_wanted({}, stream) and not journal_wanted({"JOURNAL_STREAM": "x"}, stream)
