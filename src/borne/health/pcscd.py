"""pcscd and its readers, asked directly: what ``borne doctor`` sees from outside the daemon.

Blocking (pyscard talks to pcscd over its socket): for the CLI only. The daemon
never calls this; its view of pcscd is the ``pcsc`` device state its backend
keeps (see :mod:`borne.health.devices`).
"""

from __future__ import annotations

from .check import Check

__all__ = ["pcscd_checks", "probe_pcscd", "readers_check"]


def readers_check(count: int, names: list[str] | None = None) -> Check:
    """Whether there is at least one card reader (slot); ``names`` listed when known."""
    if not count:
        return Check("readers", "warn", "aucun lecteur de cartes", "no card reader",
                     "branchez un lecteur PC/SC (CCID) ; lsusb doit le lister",
                     "plug in a PC/SC (CCID) reader; lsusb must list it", code="no_reader")
    listed = f" : {', '.join(names)}" if names else ""
    return Check("readers", "ok", f"{count} lecteur(s){listed}",
                 f"{count} reader(s){listed.replace(' : ', ': ')}")


def pcscd_checks(error: str | None, readers: list[str]) -> list[Check]:
    """Words for a probe's result: ``error`` is why pcscd did not answer (None: it did)."""
    if error is not None:
        return [Check("pcscd", "fail", f"pcscd ne répond pas ({error})",
                      f"pcscd does not answer ({error})",
                      "systemctl restart pcscd (apt-get install pcscd s'il manque)",
                      "systemctl restart pcscd (apt-get install pcscd if it is missing)",
                      code="pcscd_down")]
    return [Check("pcscd", "ok", "pcscd répond", "pcscd answers"),
            readers_check(len(readers), readers)]


def probe_pcscd() -> list[Check]:
    """Establish a PC/SC context and list the readers (blocks for as long as pcscd takes)."""
    try:
        from smartcard import scard
    except ImportError as error:
        return [Check("pcscd", "fail", f"pyscard absent ({error})", f"pyscard missing ({error})",
                      "réinstallez borne (pip install pyscard)",
                      "reinstall borne (pip install pyscard)",
                      code="pyscard_missing")]
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return pcscd_checks(scard.SCardGetErrorMessage(hresult), [])
    try:
        hresult, readers = scard.SCardListReaders(context, [])
    finally:
        scard.SCardReleaseContext(context)
    # SCARD_E_NO_READERS_AVAILABLE is an answer too: pcscd is there, with no reader.
    return pcscd_checks(None, list(readers) if hresult == scard.SCARD_S_SUCCESS else [])
