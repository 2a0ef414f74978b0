"""``borne doctor``'s check of the board secret that wraps the box's keys (``[daemon] keys``).

=======================  ======  ==========================================================
what is found            status  code
=======================  ======  ==========================================================
OTP key programmed       ok      ``ok``
OTP key all zeros        fail    ``box_secret_unprogrammed``: the API does not start; a
                                 person programs the key once (irreversible), never borne
OTP key unreadable       fail    ``box_secret_unavailable`` (not a Pi 4/5/CM4, no access)
a file (the twin)        warn    ``box_secret_file``: a copy of the whole card opens the keys
=======================  ======  ==========================================================

Run by ``borne doctor`` only (it reads the secret, which the daemon's status never does).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import BorneError
from .check import Check

__all__ = ["check_box_secret"]

_PROGRAM_FR = ("programmez-la une fois, en root : rpi-otp-private-key -w $(openssl rand -hex 32) "
               "(irréversible ; docs/security.md), puis systemctl restart borne")
_PROGRAM_EN = ("program it once, as root: rpi-otp-private-key -w $(openssl rand -hex 32) "
               "(irreversible; docs/security.md), then systemctl restart borne")


def check_box_secret(config: Any, data_dir: Path) -> Check:
    """Whether the board secret of ``[daemon] keys`` can be read, and what it protects against."""
    from ..secure_channel.key_source import FileKeySource, key_source

    try:
        source = key_source(config.daemon.keys, data_dir)
    except BorneError as error:  # the configuration check says it too, with the file
        return Check("keys", "fail", error.message("fr"), error.message("en"),
                     "corrigez [daemon] keys", "fix [daemon] keys", code="config_invalid")
    if isinstance(source, FileKeySource):
        return Check(
            "keys", "warn", f"secret de la carte dans un fichier ({source.path}) : une copie de "
            "toute la carte SD ouvre les clés de la borne",
            f"board secret in a file ({source.path}): a copy of the whole SD card opens the "
            "box's keys", "sur un Pi 4/5/CM4 : [daemon] keys = \"rpi-otp\" (docs/security.md)",
            "on a Pi 4/5/CM4: [daemon] keys = \"rpi-otp\" (docs/security.md)",
            code="box_secret_file")
    try:
        source.secret()
    except BorneError as error:
        if error.code == "box_secret_unprogrammed":
            return Check("keys", "fail", "clé OTP de la carte non programmée : l'API ne démarre "
                         "pas", "the board's OTP key is not programmed: the API does not start",
                         _PROGRAM_FR, _PROGRAM_EN, code="box_secret_unprogrammed")
        return Check("keys", "fail", f"clé OTP illisible ({error.message('en')})",
                     f"OTP key unreadable ({error.message('en')})",
                     "lancez borne doctor en root ; sur un Pi sans clé OTP (Pi 3, Zero 2) "
                     "réglez [daemon] keys = \"file:/chemin/hors/données\"",
                     "run borne doctor as root; on a Pi without OTP key (Pi 3, Zero 2) set "
                     "[daemon] keys = \"file:/path/off/the/data\"", code="box_secret_unavailable")
    return Check("keys", "ok", f"clé OTP de la carte lue ({source.describe()})",
                 f"board OTP key read ({source.describe()})")
