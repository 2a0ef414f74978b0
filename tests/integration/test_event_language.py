"""An event's message follows its stream's language, as the API's errors do.

`card.error` and `capture.error` carry a stable `code` and its words: French on a stream
asked with `Accept-Language: fr` (or none: the box's language), English with `en`. Only the
words change: the event's JSON keeps its shape (tests/data/event_shapes.json).
"""

from __future__ import annotations

import time

import pytest

from borne.client import BoxClient
from borne.error_catalogue import message_for
from borne.readers.base import SlotInfo

from support.box import paired, running_box
from support.waiting import wait_event

pytestmark = pytest.mark.pcscd


async def test_card_and_capture_errors_speak_each_streams_language(tmp_path, sim_pcscd):
    async with running_box(tmp_path) as box:
        await paired(box, tmp_path / "ws")
        box.core.reader_attached(SlotInfo("lang-0", "Language reader 0", "contact", "sim"))
        after = box.bus.last_seq
        clients = {language: BoxClient.from_directory(tmp_path / "ws", language=language)
                   for language in ("fr", "en")}
        streams = {language: client.events(after=after) for language, client in clients.items()}
        try:
            box.core.card_error("lang-0", "card_unresponsive", time.monotonic_ns())
            box.apcv.payload_captured("qr_scanner", b"\x01\x02 not a code", time.monotonic_ns())
            seen = {}
            for language, stream in streams.items():
                card = await wait_event(stream, "card.error")
                capture = await wait_event(stream, "capture.error")
                seen[language] = (card.data, capture.data)
            fr_card, fr_capture = seen["fr"]
            en_card, en_capture = seen["en"]
            assert fr_card["message"] == "La carte ne répond pas"
            assert en_card["message"] == "The card does not answer"
            assert fr_capture["code"] == en_capture["code"] == "capture_unrecognised"
            assert fr_capture["message"] == message_for("capture_unrecognised", "fr") \
                == "Code non reconnu"
            assert en_capture["message"] == "Unrecognised code"
            for fr, en in ((fr_card, en_card), (fr_capture, en_capture)):
                assert list(fr) == list(en)  # the same keys, in the same order
                assert {k: v for k, v in fr.items() if k != "message"} == \
                    {k: v for k, v in en.items() if k != "message"}
            # The bus and the log keep the English words (what the logs are written in).
            logged = [e for e in box.bus.history(after) if e.type == "card.error"]
            assert logged[0].wire_data["message"] == "The card does not answer"
        finally:
            for stream in streams.values():
                await stream.aclose()
            for client in clients.values():
                await client.aclose()


async def test_a_stream_without_accept_language_speaks_the_boxs_language(tmp_path, sim_pcscd):
    async with running_box(tmp_path, daemon={"language": "en"}) as box:
        await paired(box, tmp_path / "ws")
        box.core.reader_attached(SlotInfo("lang-0", "Language reader 0", "contact", "sim"))
        async with BoxClient.from_directory(tmp_path / "ws") as client:
            client._http.headers.pop("Accept-Language")
            stream = client.events(after=box.bus.last_seq)
            box.core.card_error("lang-0", "card_removed", time.monotonic_ns())
            event = await wait_event(stream, "card.error")
            await stream.aclose()
        assert event.data["message"] == "Card removed during the read"
