"""An in-memory pcscd behind pyscard's ``smartcard.scard`` API, with the simulator's cards in it.

As python-can's virtual bus stands in for a CAN bus, :class:`VirtualPcsc`
stands in for pcscd: give it where the box's code takes a ``scard`` module
(``PcscBackend(scard=...)``, ``CardLink(reader, scard=...)``) and that code runs
unchanged, in memory: no pcscd, no vpcd, no root, milliseconds per test. The
cards are :class:`~borne.vpcd.responder.CardResponder` objects (the test cards
of :func:`borne.sim.cards.load_card`, the phone of :mod:`borne.sim.phone_card`).
The pcscd tests (``tests/integration``) keep checking the real stack.

It follows pcsc-lite 1.9.9 (Debian 12), as read from its source, and pyscard's
return shapes (a list: the code first, then the outputs):

==========================  =========================================================
call                        behaviour
==========================  =========================================================
``SCardEstablishContext``   ``E_NO_SERVICE`` while pcscd is stopped
``SCardListReaders``        ``E_NO_READERS_AVAILABLE`` when there is none
``SCardGetStatusChange``    ``(reader, event state, ATR)`` for each reader state
                            given; returns at once if one differs from the state
                            given (``STATE_CHANGED``), else waits for a change,
                            ``SCardCancel`` (``E_CANCELLED``), the timeout
                            (``E_TIMEOUT``) or pcscd's death (``F_COMM_ERROR``).
                            The high word of an event state counts the reader's
                            insertions and removals (0 at pcscd's start); a given
                            state with a non-zero count that differs is a change.
                            An unknown reader fails the call (``E_UNKNOWN_READER``);
                            the PnP pseudo-reader changes when the number of
                            readers does during the call
``SCardConnect``            shared, or exclusive (``E_SHARING_VIOLATION``); waits
                            for another handle's transaction to end;
                            ``E_NO_SMARTCARD``, ``W_UNPOWERED_CARD`` (a mute card);
                            the protocol is the ATR's first one preferred
``SCardTransmit``           the card's answer; after a removal, or a reset by
                            another handle: ``W_REMOVED_CARD``, ``W_RESET_CARD``.
                            A card leaving mid-APDU (it raises
                            :class:`~borne.vpcd.responder.CardPulled`) gives
                            ``E_NOT_TRANSACTED``, or with ``pulled_answer="empty"``
                            vpcd's quirk: success with an empty answer
the other calls             as pcsc-lite: a handle on an unplugged reader gets
                            ``E_INVALID_VALUE`` (``E_READER_UNAVAILABLE`` from
                            ``SCardStatus``), a context from before a pcscd restart
                            ``E_NO_SERVICE``
==========================  =========================================================

The test drives the machine: :meth:`~VirtualPcsc.plug` / :meth:`~VirtualPcsc.unplug`
readers, :meth:`~VirtualPcsc.insert` / :meth:`~VirtualPcsc.remove` /
:meth:`~VirtualPcsc.swap` cards, :meth:`~VirtualPcsc.stop` / :meth:`~VirtualPcsc.start`
pcscd. pcscd notices a card leaving at once (no presence poll), so a removal is
never seen late. Not modelled: reader groups, ``SCARD_SHARE_DIRECT`` control
commands, attributes, and pcsc-lite 2's reader-event counter on the PnP reader.
"""

from .machine import VirtualPcsc

__all__ = ["VirtualPcsc"]
