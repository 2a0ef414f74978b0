"""QR decoders behind one small interface: ``decode(gray) -> list[bytes]``.

==========  =====================================  ===================================
name        library                                raw bytes of binary payloads
==========  =====================================  ===================================
``zxing``   zxing-cpp (``zxingcpp``, PyPI wheel)   exact (``Barcode.bytes``)
``pyzbar``  zbar (Debian ``libzbar0``) via pyzbar  exact with zbar >= 0.23 (see below)
==========  =====================================  ===================================

``gray`` is a 2-D ``uint8`` numpy array (height x width, one byte per pixel:
the camera's Y plane). Only QR codes are looked for. Each library is imported
when its decoder is built, never when this module is imported, so ``import
borne`` stays light; a missing library raises :class:`ImportError` then.

zbar and binary payloads: ``pyzbar.pyzbar.decode`` returns zbar's *text*,
which zbar makes by guessing the payload's character set (ISO-8859-1, Shift
JIS, UTF-8...) and converting it to UTF-8: a binary token comes back mangled,
and so does plain UTF-8 text such as ``"héllo"`` (measured with libzbar0
0.23.92: both changed). zbar 0.23 added ``ZBAR_CFG_BINARY`` ("don't convert
binary data to text"), which pyzbar 0.1.9 does not know; this decoder drives
zbar through pyzbar's ctypes bindings and sets it, then reads
``data_length`` bytes (so NUL bytes survive). With a zbar older than 0.23 the
option is refused: the decoder still works, but :attr:`ZbarDecoder.exact`
is False and non-ASCII payloads may be altered. Each segment's bytes are
concatenated as zxing does; ECI designators are not applied by either.

A decoder object keeps library state between calls: use one per thread.
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

__all__ = ["DECODERS", "QrDecoder", "ZbarDecoder", "ZxingDecoder", "make_decoder"]

#: zbar_config_t value of ZBAR_CFG_BINARY in zbar >= 0.23 (zbar.h); pyzbar's enum predates it.
_ZBAR_CFG_BINARY = 4


class QrDecoder(Protocol):
    """Finds the QR codes in a grayscale frame and returns their raw payloads."""

    name: str

    def decode(self, gray: np.ndarray) -> list[bytes]:
        """Payloads of the QR codes found in ``gray`` (uint8, HxW), in no particular order."""
        ...


class ZxingDecoder:
    """zxing-cpp: QR only, raw bytes of each result.

    zxing-cpp's own retries stay on: a downscaled pass (large modules, noise)
    and an inverted pass (light code on dark screen) run only when the plain
    pass found nothing, so they cost nothing on frames that decode.
    """

    name = "zxing"

    def __init__(self) -> None:
        import zxingcpp

        self._read = zxingcpp.read_barcodes
        self._formats = zxingcpp.BarcodeFormat.QRCode

    def decode(self, gray: np.ndarray) -> list[bytes]:
        return [result.bytes for result in self._read(gray, formats=self._formats)]


class ZbarDecoder:
    """zbar through pyzbar's bindings, QR only, with binary payloads kept as bytes.

    :attr:`exact` tells whether zbar accepted ``ZBAR_CFG_BINARY`` (module docstring).
    """

    name = "pyzbar"

    def __init__(self) -> None:
        from pyzbar import wrapper as zbar

        self._zbar = zbar
        self._scanner = zbar.zbar_image_scanner_create()
        if not self._scanner:
            raise MemoryError("zbar_image_scanner_create failed")
        qr = zbar.ZBarSymbol.QRCODE
        zbar.zbar_image_scanner_set_config(self._scanner, zbar.ZBarSymbol.NONE,
                                           zbar.ZBarConfig.CFG_ENABLE, 0)
        zbar.zbar_image_scanner_set_config(self._scanner, qr, zbar.ZBarConfig.CFG_ENABLE, 1)
        # set_config returns 0 on success, 1 for an option this zbar does not know.
        self.exact = zbar.zbar_image_scanner_set_config(
            self._scanner, qr, _ZBAR_CFG_BINARY, 1) == 0
        self._y800 = int.from_bytes(b"Y800", "little")

    def __del__(self) -> None:
        scanner, self._scanner = getattr(self, "_scanner", None), None
        if scanner:
            self._zbar.zbar_image_scanner_destroy(scanner)

    def decode(self, gray: np.ndarray) -> list[bytes]:
        import numpy as np

        zbar = self._zbar
        pixels = np.ascontiguousarray(gray, dtype=np.uint8)
        height, width = pixels.shape
        image = zbar.zbar_image_create()
        if not image:
            raise MemoryError("zbar_image_create failed")
        try:
            zbar.zbar_image_set_format(image, self._y800)
            zbar.zbar_image_set_size(image, width, height)
            # No cleanup handler: zbar borrows ``pixels``, which outlives the scan.
            zbar.zbar_image_set_data(image, pixels.ctypes.data_as(ctypes.c_void_p),
                                     pixels.nbytes, None)
            if zbar.zbar_scan_image(self._scanner, image) < 0:
                raise ValueError("zbar refused the image")
            payloads = []
            symbol = zbar.zbar_image_first_symbol(image)
            while symbol:
                payloads.append(ctypes.string_at(zbar.zbar_symbol_get_data(symbol),
                                                 zbar.zbar_symbol_get_data_length(symbol)))
                symbol = zbar.zbar_symbol_next(symbol)
            return payloads
        finally:
            zbar.zbar_image_destroy(image)


#: Decoder classes by :attr:`borne.config.CameraConfig.decoder` name.
DECODERS: dict[str, type] = {"zxing": ZxingDecoder, "pyzbar": ZbarDecoder}


def make_decoder(name: str) -> QrDecoder:
    """Build the decoder called ``name`` (imports its library; ImportError if missing)."""
    try:
        cls = DECODERS[name]
    except KeyError:
        raise ValueError(f"no QR decoder named {name!r} (known: {', '.join(DECODERS)})") from None
    return cls()
