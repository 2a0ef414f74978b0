"""This boot's id: monotonic times are comparable only within one boot.

The kernel gives a new random id at every boot (``/proc/sys/kernel/random/boot_id``,
random(4)). ``BORNE_BOOT_ID`` names another file to read instead, as it does for the
image's tryboot-backend: a container shares its host's kernel, and so its boot id, so the
image check (image/check-update.sh), which boots the box's slots one after the other in
containers, gives each boot its own, as a real reboot would.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

__all__ = ["KERNEL_BOOT_ID", "read_boot_id"]

#: The kernel's id of this boot.
KERNEL_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def read_boot_id(path: Path | None = None) -> str:
    """This boot's id, from ``path``, else ``BORNE_BOOT_ID``'s file, else the kernel's.

    Where there is none (not Linux) a new per-process id: it still separates monotonic
    clocks, and never matches an id kept by another process.
    """
    path = path or Path(os.environ.get("BORNE_BOOT_ID") or KERNEL_BOOT_ID)
    try:
        return path.read_text().strip()
    except OSError:
        return f"process-{uuid.uuid4()}"
