"""The leased, transparent APDU channel: billing software drives a slot's card through the box.

The protocol is in ``docs/apdu-channel.md``. Runs on the box. One job per module:

- :mod:`borne.apdu.service`: :class:`ApduService`, the leases, their card
  connections and their channels (the WebSocket side is :mod:`borne.api.apdu_routes`);
- :mod:`borne.apdu.leases`: the lease book (pure);
- :mod:`borne.apdu.pin_guard`: a PIN's last try is kept for the person at the box (pure);
- :mod:`borne.apdu.exchange`: one exclusive card connection per lease (pyscard, own thread);
- :mod:`borne.apdu.validate`: command APDU checks and the journal line (pure).

Importing this package loads no pyscard: the first lease does.
"""

from .service import ApduService, Channel

__all__ = ["ApduService", "Channel"]
