"""The error hierarchy and the catalogue of stable error codes.

Every error the box reports to a person or a program carries a stable ``code``
(snake_case, never renamed once shipped) and a message in French and English.
Lower-layer exceptions (pyscard, OS errors...) are translated into these at the
backend boundary, most specific first.

Hierarchy::

    BorneError
     ├── ConfigError (also ValueError)      a config file or value is wrong
     ├── BackendError                       a device backend cannot be loaded
     │    └── UnknownBackend (also LookupError)
     ├── CardError                          reading a card failed (see CARD_* codes)
     └── ControlError                       the local control socket refused or failed
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "MESSAGES",
    "BackendError",
    "BorneError",
    "CardError",
    "ConfigError",
    "ControlError",
    "UnknownBackend",
    "message_for",
]


@dataclass(frozen=True)
class Message:
    """One human message in both languages."""

    fr: str
    en: str

    def get(self, language: str) -> str:
        """The message in ``language`` ("fr" or "en"); French for anything else."""
        return self.en if language == "en" else self.fr


#: Stable codes and what they say to a person. French first: the box speaks French.
MESSAGES: dict[str, Message] = {
    # Configuration
    "config_invalid": Message("Configuration invalide", "Invalid configuration"),
    "config_unreadable": Message("Fichier de configuration illisible", "Configuration file unreadable"),
    # Card reading (card.error events)
    "card_removed": Message("Carte retirée pendant la lecture", "Card removed during the read"),
    "reader_unavailable": Message("Lecteur débranché pendant la lecture", "Reader unplugged during the read"),
    "pcsc_unavailable": Message("Service PC/SC (pcscd) indisponible", "PC/SC service (pcscd) unavailable"),
    "card_unresponsive": Message("La carte ne répond pas", "The card does not answer"),
    "card_protocol_error": Message(
        "Réponse inattendue de la carte", "Unexpected answer from the card"
    ),
    "card_data_invalid": Message(
        "Données de la carte illisibles ou corrompues", "Card data unreadable or corrupted"
    ),
    "card_connect_failed": Message("Connexion à la carte impossible", "Cannot connect to the card"),
    # Control socket
    "control_forbidden": Message(
        "Accès refusé : réservé à root et au groupe borne",
        "Access denied: root and the borne group only",
    ),
    "control_unavailable": Message(
        "Le service borne ne répond pas (est-il démarré ?)",
        "The borne daemon does not answer (is it running?)",
    ),
    "control_bad_request": Message("Requête invalide", "Invalid request"),
    "unknown_command": Message("Commande inconnue", "Unknown command"),
    # Secure channel: the box CA, client certificates, pairing
    "ca_unreadable": Message(
        "Autorité de certification de la borne illisible ou incohérente",
        "The box's certificate authority is unreadable or inconsistent",
    ),
    "client_cert_invalid": Message(
        "Certificat de poste invalide", "Invalid workstation certificate"
    ),
    "pairing_closed": Message(
        "Appairage fermé : ouvrez-le sur la borne", "Pairing is closed: open it on the box"
    ),
    "pairing_busy": Message(
        "Trop d'appairages en cours, réessayez", "Too many pairings in progress, try again"
    ),
    "pairing_bad_request": Message("Demande d'appairage invalide", "Invalid pairing request"),
    "pairing_session_unknown": Message(
        "Session d'appairage inconnue ou terminée : recommencez",
        "Unknown or finished pairing session: start again",
    ),
    "pairing_wrong_code": Message("Code d'appairage incorrect", "Wrong pairing code"),
    "pairing_bad_csr": Message(
        "Demande de certificat invalide (clé EC P-256/P-384 ou RSA ≥ 2048 attendue)",
        "Invalid certificate request (EC P-256/P-384 or RSA ≥ 2048 key expected)",
    ),
    "pairing_box_not_authenticated": Message(
        "La borne n'a pas prouvé connaître le code : appairage interrompu",
        "The box did not prove it knows the code: pairing aborted",
    ),
    "sim_unavailable": Message(
        "Le simulateur ne répond pas (lancez « borne sim run »)",
        "The simulator does not answer (start `borne sim run`)",
    ),
    "sim_bad_slot": Message("Emplacement inconnu", "Unknown slot"),
    "sim_no_screen": Message("Le simulateur n'a pas d'écran", "The simulator has no screen"),
    "sim_bad_channel": Message("Canal inconnu (qr, scanner, nfc, contactless)",
                               "Unknown channel (qr, scanner, nfc, contactless)"),
    "sim_no_twin": Message("Ce périphérique n'est pas celui du simulateur dans la configuration",
                           "This device is not the simulator's twin in the configuration"),
    "api_unavailable": Message("L'API de la borne n'est pas démarrée", "The box's API is not running"),
    "client_unknown": Message("Poste inconnu", "Unknown workstation"),
    "sim_unknown_card": Message("Carte de test inconnue", "Unknown test card"),
    # apCV, prescriptions and the presentation inputs (QR camera, scanner, NFC)
    "presentation_not_found": Message(
        "Présentation inconnue ou expirée (plus de 2 minutes) : représentez l'appli",
        "Unknown or expired presentation (over 2 minutes): present the app again"),
    "presentation_already_fetched": Message(
        "Présentation déjà récupérée", "Presentation already fetched"),
    "presentation_not_fetched": Message(
        "Récupérez et authentifiez la présentation avant d'ouvrir une session",
        "Fetch and authenticate the presentation before opening a session"),
    "presentation_used": Message(
        "Une session est déjà ouverte pour cette présentation",
        "A session is already open for this presentation"),
    "presentation_not_apcv": Message(
        "Cette présentation n'est pas une appli carte Vitale",
        "This presentation is not an appli carte Vitale"),
    "no_cps": Message("Insérez votre carte CPS", "Insert your CPS card"),
    "session_not_found": Message("Session inconnue", "Unknown session"),
    "session_expired": Message(
        "Session terminée (20 min) : représentez l'appli carte Vitale",
        "Session over (20 min): present the appli carte Vitale again"),
    "reauthentication_required": Message(
        "Factures de la session épuisées : représentez l'appli carte Vitale",
        "The session's invoices are used: present the appli carte Vitale again"),
    "capture_empty": Message("Code vide", "Empty code"),
    "capture_too_large": Message("Code trop long", "Code too long"),
    "capture_unrecognised": Message("Code non reconnu", "Unrecognised code"),
    "nfc_target_lost": Message(
        "Téléphone retiré pendant la lecture", "Phone taken away during the read"),
    "nfc_not_a_phone": Message(
        "Ce n'est pas un téléphone (appli carte Vitale)", "Not a phone (appli carte Vitale)"),
    "apcv_not_selected": Message(
        "Appli carte Vitale absente ou non activée sur ce téléphone",
        "No appli carte Vitale (or not enabled) on this phone"),
    "apcv_refused": Message("L'appli carte Vitale a refusé la lecture",
                            "The appli carte Vitale refused the read"),
    "apcv_payload_too_large": Message("Réponse de l'appli trop longue",
                                      "The app's answer is too long"),
    "scanner_unknown_key": Message(
        "Code scanné illisible : touche inconnue pour la disposition du clavier "
        "(vérifiez [scanner] layout)",
        "Scanned code unreadable: key unknown to the keyboard layout (check [scanner] layout)"),
    "scanner_payload_too_large": Message("Code scanné trop long", "Scanned code too long"),
    "scanner_incomplete": Message("Code scanné incomplet", "Scanned code incomplete"),
    "scanner_untypable_character": Message(
        "Caractère impossible à taper avec cette disposition",
        "Character cannot be typed in this layout"),
    # The screen and the GPIO panel
    "display_missing": Message(
        "Écran introuvable : vérifiez son branchement et son adresse",
        "Screen not found: check its wiring and its address"),
    "display_io_error": Message(
        "Erreur de communication avec l'écran", "Screen communication error"),
    "display_permission": Message(
        "Accès à l'écran refusé (droits sur le bus I2C/SPI)",
        "Access to the screen denied (I2C/SPI bus permissions)"),
    "panel_unavailable": Message(
        "Bouton, voyant et buzzer indisponibles (GPIO)",
        "Button, LED and buzzer unavailable (GPIO)"),
    # The battery (a UPS board's INA219 over I2C)
    "battery_missing": Message(
        "Carte batterie introuvable : vérifiez son branchement, l'I2C et son adresse",
        "Battery board not found: check its wiring, I2C and its address"),
    "battery_io_error": Message(
        "Erreur de communication avec la carte batterie", "Battery board communication error"),
    "battery_permission": Message(
        "Accès à la carte batterie refusé (droits sur le bus I2C)",
        "Access to the battery board denied (I2C bus permissions)"),
    # The leased APDU channel (docs/apdu-channel.md)
    "slot_busy": Message("Emplacement déjà réservé par un autre poste",
                         "Slot already leased by another workstation"),
    "lease_not_found": Message("Réservation inconnue ou terminée", "Unknown or ended lease"),
    "lease_expired": Message("Réservation de l'emplacement terminée", "The slot's lease is over"),
    "apdu_malformed": Message("Commande APDU mal formée (ISO 7816-4)",
                              "Malformed command APDU (ISO 7816-4)"),
    "apdu_too_large": Message("Commande APDU trop longue (65544 octets au plus)",
                              "Command APDU too long (65544 bytes at most)"),
    "pin_verification_forbidden": Message(
        "Vérification du code porteur interdite par la politique de la borne",
        "PIN verification forbidden by the box's policy"),
    "mode_unknown": Message("Mode inconnu (counter ou mobile)", "Unknown mode (counter or mobile)"),
    # The data partition
    "storage_full": Message(
        "Mémoire de la borne pleine : lectures refusées tant que de la place n'est pas libérée",
        "The box's storage is full: reads are refused until space is freed"),
    "storage_unavailable": Message(
        "Partition de données de la borne inaccessible : lectures refusées",
        "The box's data partition is unavailable: reads are refused"),
    # Audit journal
    "audit_unavailable": Message(
        "Journal d'audit introuvable ou illisible", "Audit journal missing or unreadable"
    ),
    "audit_write_failed": Message(
        "Écriture dans le journal d'audit impossible", "Cannot write to the audit journal"
    ),
    # The offline journal (borne.journal)
    "journal_full": Message(
        "Mémoire pleine : la lecture n'a pas pu être conservée dans le journal",
        "Storage full: the read could not be kept in the journal"),
    "journal_unavailable": Message("Journal hors ligne indisponible",
                                   "Offline journal unavailable"),
    "journal_write_failed": Message("Écriture dans le journal hors ligne impossible",
                                    "Cannot write to the offline journal"),
    "journal_record_unknown": Message(
        "Enregistrement du journal inconnu ou destiné à un autre poste : rien n'a été acquitté",
        "Journal record unknown or meant for another workstation: nothing was acknowledged"),
    "journal_record_unreadable": Message(
        "Enregistrement du journal indéchiffrable : modifié, ou chiffré pour un autre poste",
        "Journal record cannot be decrypted: altered, or encrypted for another workstation"),
    "journal_envelope_malformed": Message("Enregistrement du journal mal formé",
                                          "Malformed journal record"),
    "journal_key_unsupported": Message(
        "Clé non prise en charge par le journal (EC P-256/P-384 ou RSA 2048 bits et plus)",
        "Key not supported by the journal (EC P-256/P-384 or RSA 2048 bits or more)"),
}


def message_for(code: str, language: str = "fr") -> str:
    """The human message of ``code``; the code itself if the catalogue lacks it."""
    message = MESSAGES.get(code)
    return message.get(language) if message else code


class BorneError(Exception):
    """Root of every error raised by borne.

    ``code`` is stable and machine-readable; ``details`` never holds identity
    data (names, NIR, birth dates) nor a PIN.
    """

    code = "error"

    def __init__(self, detail: str = "", *, code: str | None = None, **details: Any) -> None:
        if code is not None:
            self.code = code
        self.detail = detail
        self.details = details
        super().__init__(detail or message_for(self.code, "en"))

    def message(self, language: str = "fr") -> str:
        """A sentence for a person: the catalogue message, then the detail."""
        base = message_for(self.code, language)
        return f"{base} : {self.detail}" if self.detail and language != "en" else (
            f"{base}: {self.detail}" if self.detail else base
        )


class ConfigError(BorneError, ValueError):
    """A configuration file or value is wrong; names the file and the key."""

    code = "config_invalid"

    def __init__(self, detail: str, *, file: str | None = None, key: str | None = None) -> None:
        where = ", ".join(p for p in (f"file {file}" if file else "", f"key {key}" if key else "") if p)
        super().__init__(f"{detail} ({where})" if where else detail, file=file, key=key)
        self.file = file
        self.key = key


class BackendError(BorneError):
    """A device backend could not be loaded or started."""

    code = "backend_error"


class UnknownBackend(BackendError, LookupError):
    """A path string names no registered backend."""

    code = "unknown_backend"


class CardError(BorneError):
    """Reading a card failed; ``code`` is one of the ``card_*``/reader codes above."""

    code = "card_protocol_error"


class ControlError(BorneError):
    """The local control socket refused a request or could not be reached."""

    code = "control_unavailable"
