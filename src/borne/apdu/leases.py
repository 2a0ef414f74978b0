"""The lease book: who holds which slot until when. Pure: a monotonic ``now`` is passed in.

At most one live lease per slot; a lease belongs to one paired client and is
only visible to it (another client's lease id is "not found", not "forbidden",
so ids cannot be probed). A lease past its deadline is dead even before
:meth:`LeaseBook.expire` sweeps it: it never blocks a slot nor answers a call.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from ..errors import BorneError

__all__ = ["Lease", "LeaseBook", "LeaseError"]


class LeaseError(BorneError):
    """A lease request refused: ``slot_busy``, ``slot_leased_by_you``, ``lease_not_found``,
    ``not_found`` (no such slot) or ``bad_request`` (seconds out of range)."""

    def __init__(self, code: str, detail: str = "", **details: object) -> None:
        super().__init__(detail, code=code, **details)


@dataclass
class Lease:
    """One slot leased to one client until ``deadline`` (monotonic seconds)."""

    id: str
    slot: str
    client_id: str
    client_name: str
    deadline: float

    def seconds_left(self, now: float) -> float:
        """Seconds until the lease ends (0 once over)."""
        return max(0.0, self.deadline - now)

    def view(self, now: float) -> dict[str, object]:
        """The lease as the API shows it to its holder."""
        return {"lease_id": self.id, "slot": self.slot,
                "expires_in_s": round(self.seconds_left(now), 3),
                "holder": {"client_id": self.client_id, "name": self.client_name}}


class LeaseBook:
    """Exclusive, expiring leases on slots."""

    def __init__(self, *, max_s: float = 300, default_s: float = 60) -> None:
        self.max_s = max_s
        self.default_s = default_s
        self._by_id: dict[str, Lease] = {}
        self._by_slot: dict[str, str] = {}

    def refusal(self) -> LeaseError:
        """What a ``seconds`` the book does not take is answered: which field, what it takes."""
        return LeaseError("bad_request", field="seconds", type="integer", minimum=1,
                          maximum=self.max_s)

    def _seconds(self, seconds: object) -> float:
        """``seconds`` (None: the default) if it is a whole number of seconds within bounds:
        JSON Schema's integers, so ``60.0`` is one and ``1.5`` or ``true`` are not."""
        if seconds is None:
            return self.default_s
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) \
                or (isinstance(seconds, float) and not seconds.is_integer()) \
                or not 1 <= seconds <= self.max_s:
            raise self.refusal()
        return float(seconds)

    def take(self, slot: str, client_id: str, client_name: str, seconds: object,
             now: float, *, admin: bool = False) -> Lease:
        """Lease ``slot`` to the client, or ``slot_busy`` with how long it stays leased
        (``slot_leased_by_you`` with its lease id when that is the client itself).

        Only an ``admin`` client is told who holds the slot (``holder``, ``client_id``):
        admins see every client anyway (``GET /v1/clients``), while a paired client gone bad
        would learn which workstations use the box, and when, and their client ids.
        """
        duration = self._seconds(seconds)
        holder = self.for_slot(slot, now)
        if holder is not None and holder.client_id == client_id:
            raise LeaseError("slot_leased_by_you", slot=slot, lease_id=holder.id,
                             until_s=round(holder.seconds_left(now), 3))
        if holder is not None:
            who = {"holder": holder.client_name, "client_id": holder.client_id} if admin else {}
            raise LeaseError("slot_busy", slot=slot, **who,
                             until_s=round(holder.seconds_left(now), 3))
        self.expire(now)
        lease = Lease(secrets.token_urlsafe(12), slot, client_id, client_name, now + duration)
        self._by_id[lease.id] = lease
        self._by_slot[slot] = lease.id
        return lease

    def get(self, lease_id: str, client_id: str, now: float) -> Lease:
        """The client's live lease ``lease_id``, or ``lease_not_found``."""
        lease = self._by_id.get(lease_id)
        if lease is None or lease.client_id != client_id or lease.deadline <= now:
            raise LeaseError("lease_not_found", lease_id=lease_id[:64])
        return lease

    def renew(self, lease_id: str, client_id: str, seconds: object, now: float) -> Lease:
        """Push the deadline to ``now + seconds``."""
        duration = self._seconds(seconds)
        lease = self.get(lease_id, client_id, now)
        lease.deadline = now + duration
        return lease

    def release(self, lease_id: str, client_id: str, now: float) -> Lease:
        """End the client's lease now."""
        lease = self.get(lease_id, client_id, now)
        return self._remove(lease)

    def drop(self, lease_id: str) -> Lease | None:
        """End a lease whoever holds it (reader gone, client revoked); None if unknown."""
        lease = self._by_id.get(lease_id)
        return self._remove(lease) if lease is not None else None

    def for_slot(self, slot: str, now: float) -> Lease | None:
        """The live lease on ``slot``, if any."""
        lease = self._by_id.get(self._by_slot.get(slot, ""))
        return lease if lease is not None and lease.deadline > now else None

    def of_client(self, client_id: str, now: float | None = None) -> list[Lease]:
        """The client's leases (live ones only when ``now`` is given)."""
        return [lease for lease in self._by_id.values() if lease.client_id == client_id
                and (now is None or lease.deadline > now)]

    def all(self) -> list[Lease]:
        """Every lease in the book, swept or not."""
        return list(self._by_id.values())

    def expire(self, now: float) -> list[Lease]:
        """Remove and return the leases whose deadline has passed."""
        return [self._remove(lease) for lease in list(self._by_id.values())
                if lease.deadline <= now]

    def next_deadline(self) -> float | None:
        """The earliest deadline in the book."""
        return min((lease.deadline for lease in self._by_id.values()), default=None)

    def _remove(self, lease: Lease) -> Lease:
        self._by_id.pop(lease.id, None)
        if self._by_slot.get(lease.slot) == lease.id:
            del self._by_slot[lease.slot]
        return lease
