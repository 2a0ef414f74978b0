"""``borne status``: what the running daemon sees, as a table or as JSON."""

from __future__ import annotations

import json
from typing import Any

from ..control.client import call

__all__ = ["render_status", "status"]

_LABELS = {
    "fr": {"slot": "EMPLACEMENT", "kind": "TYPE", "state": "ÉTAT", "card": "CARTE",
           "none": "aucun lecteur", "synced": "horloge synchronisée",
           "unsynced": "horloge NON synchronisée", "benef": "bénéficiaire(s)",
           "key_ok": "clé OK", "key_bad": "CLÉ INVALIDE", "lunar": "date lunaire",
           "no_nir": "NIR non lu", "warnings": "{n} champ(s) non lu(s)",
           "vitale1": "carte Vitale 1 : non lisible sur la borne (canal APDU)",
           "unknown": "carte inconnue", "mode": "mode"},
    "en": {"slot": "SLOT", "kind": "KIND", "state": "STATE", "card": "CARD",
           "none": "no reader", "synced": "clock synchronised",
           "unsynced": "clock NOT synchronised", "benef": "beneficiary(ies)",
           "key_ok": "key OK", "key_bad": "INVALID KEY", "lunar": "lunar date",
           "no_nir": "NIR not read", "warnings": "{n} field(s) not read",
           "vitale1": "carte Vitale 1: not readable on the box (APDU channel)",
           "unknown": "unknown card", "mode": "mode"},
}


def _card_lines(card: dict[str, Any], words: dict[str, str]) -> tuple[str, list[str]]:
    kind = card.get("type")
    if kind == "vitale":
        people = card.get("beneficiaries", [])
        lines = []
        for person in people:
            # A field the card did not give is null (see the card's warnings): "?".
            key = {True: words["key_ok"], False: words["key_bad"]}.get(
                person.get("nir_key_valid"), words["no_nir"])
            lunar = f" ({words['lunar']})" if person.get("birth_date_lunar") else ""
            lines.append(f"{person.get('surname') or '?'} {person.get('first_name') or '?'}  "
                         f"{person.get('birth_date') or '?'}{lunar}  NIR {person.get('nir') or '?'} "
                         f"[{(person.get('nir_kind') or '?').upper()}, {key}]")
        title = f"carte Vitale 2: {len(people)} {words['benef']}"
        if card.get("warnings"):
            title += " (" + words["warnings"].format(n=len(card["warnings"])) + ")"
        return title, lines
    if kind == "cps":
        holder = card.get("holder") or {}
        who = f"{holder.get('surname', '?')} {holder.get('first_name', '')}".strip()
        label = card.get("profession_label") or card.get("profession") or "?"
        # The kind (CPE, CPF...) when the card gave it: a CPE is not a professional's card.
        title = " ".join(str(part) for part in (card.get("generation"), card.get("kind"), label) if part)
        return (title,
                [f"{who}  serial {card.get('serial') or '?'}"])
    if kind == "vitale1":
        return words["vitale1"], []
    names = card.get("names") or []
    return f"{words['unknown']} ATR {card.get('atr')}", [f"({n})" for n in names[:1]]


def render_status(state: dict[str, Any], language: str = "fr") -> str:
    """The state as a readable table (identity data included: this is the operator's view)."""
    words = _LABELS.get(language, _LABELS["fr"])
    devices = ", ".join(f"{name}: {d.get('state')}" for name, d in state.get("devices", {}).items())
    clock = words["synced"] if state.get("clock", {}).get("synchronised") else words["unsynced"]
    out = [f"borne {state.get('version')} - {words['mode']} {state.get('mode')} - {devices} - {clock}"]
    readers = state.get("readers", [])
    if not readers:
        out.append(f"  ({words['none']})")
        return "\n".join(out)
    rows = [(words["slot"], words["kind"], words["state"], words["card"])]
    details: dict[int, list[str]] = {}
    for reader in readers:
        card = reader.get("card")
        if card:
            summary, lines = _card_lines(card, words)
        elif reader.get("error"):
            summary, lines = f"{reader['error']['message']} [{reader['error']['code']}]", []
        else:
            summary, lines = "-", []
        details[len(rows)] = lines
        rows.append((reader["id"], reader["kind"], reader["state"], summary))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for index, row in enumerate(rows):
        out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])) + "  " + row[3])
        out.extend(" " * 4 + line for line in details.get(index, []))
    return "\n".join(out)


def status(config_path: str | None, *, as_json: bool, language: str) -> int:
    """Ask the daemon for its state and print it."""
    from ..config import load_config_for_tools

    config = load_config_for_tools(config_path)
    state = call(config.control_socket, "status")
    if as_json:
        print(json.dumps(state, ensure_ascii=False, indent=2))
    else:
        print(render_status(state, language))
    return 0
