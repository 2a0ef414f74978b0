"""The catalogue of stable error codes: each code once, with its words and where it shows.

A code is snake_case and never renamed once shipped: programs switch on it. Its
French and English words are what a person reads (on the screen, in the CLI as
``borne: <message> [<code>]``, in the API's error body and the APDU channel's
messages), word for word. A few codes have no words yet: their message is the
code itself.

Adding a code is one line in :data:`CATALOGUE`: the code, the :class:`Surface`
values where it can show, then its French and English words. A code the API
answers (``API``) also takes its HTTP status in :mod:`borne.api.statuses`, the
one place that knows HTTP. ``tests/unit/test_error_catalogue.py`` walks the
source and fails on a code raised somewhere but missing here, or answered by the
API or the APDU channel without being marked (and so documented) for it.

The health checks' codes (:data:`borne.health.CODES`) are another vocabulary:
states of the box, not errors. The few strings both use mean the same thing there
(the test lists them).
"""

from __future__ import annotations

from .error_catalogue_workstation import WORKSTATION_ROWS
from .error_surfaces import (
    API, CAPTURE, CARD, CHANNEL, CLI, CONFIG, DAEMON, LEASE_LOST, SIM, WORKSTATION, Entry,
    Message, Surface, catalogue,
)

__all__ = ["CATALOGUE", "MESSAGES", "Entry", "Message", "Surface", "codes", "message_for"]


#: Every error code, once. French first: the box speaks French.
CATALOGUE: dict[str, Entry] = catalogue(
    # Any error that names no code of its own (borne.errors.BorneError)
    ("error", CLI | DAEMON, "Erreur", "Error"),
    # Device backends (borne.registry)
    ("backend_error", CONFIG | DAEMON, "Périphérique impossible à démarrer",
     "Device backend cannot be started"),
    ("unknown_backend", CONFIG | DAEMON, "Périphérique inconnu ou mal décrit dans la configuration",
     "Device unknown or badly described in the configuration"),
    ("backend_unavailable", CONFIG | DAEMON, "Périphérique indisponible", "Device unavailable"),
    # Configuration
    ("config_invalid", CONFIG, "Configuration invalide", "Invalid configuration"),
    ("config_unreadable", CONFIG, "Fichier de configuration illisible",
     "Configuration file unreadable"),
    # Card reading (card.error events, a slot's error); the APDU channel reports the same codes
    ("card_removed", CARD | CHANNEL, "Carte retirée pendant la lecture",
     "Card removed during the read"),
    ("reader_unavailable", CARD | CHANNEL | LEASE_LOST, "Lecteur débranché pendant la lecture",
     "Reader unplugged during the read"),
    ("pcsc_unavailable", CARD | CHANNEL, "Service PC/SC (pcscd) indisponible",
     "PC/SC service (pcscd) unavailable"),
    ("card_unresponsive", CARD | CHANNEL, "La carte ne répond pas", "The card does not answer"),
    ("card_protocol_error", CARD | CHANNEL, "Réponse inattendue de la carte",
     "Unexpected answer from the card"),
    ("card_data_invalid", CARD, "Données de la carte illisibles ou corrompues",
     "Card data unreadable or corrupted"),
    ("card_connect_failed", CARD | CHANNEL, "Connexion à la carte impossible",
     "Cannot connect to the card"),
    # The control socket and the borne command
    ("control_forbidden", CLI, "Accès refusé : réservé à root et au groupe borne",
     "Access denied: root and the borne group only"),
    ("control_unavailable", CLI, "Le service borne ne répond pas (est-il démarré ?)",
     "The borne daemon does not answer (is it running?)"),
    ("control_bad_request", CLI | SIM, "Requête invalide", "Invalid request"),
    ("unknown_command", CLI, "Commande inconnue", "Unknown command"),
    ("control_error", CLI,  # an answer of the control socket that names no code, or none
     "Réponse inattendue sur le socket de contrôle : est-ce bien celui du service borne ?",
     "Unexpected answer on the control socket: is it the borne daemon's?"),
    ("control_in_use", CLI | DAEMON, "Un autre service borne écoute déjà sur ce socket",
     "Another borne daemon already listens on this socket"),
    ("api_unavailable", CLI, "L'API de la borne n'est pas démarrée",
     "The box's API is not running"),
    ("client_unknown", CLI, "Poste inconnu", "Unknown workstation"),
    # Secure channel: the box CA, client certificates, pairing
    ("ca_unreadable", DAEMON, "Autorité de certification de la borne illisible ou incohérente",
     "The box's certificate authority is unreadable or inconsistent"),
    ("box_secret_unavailable", DAEMON | CLI,
     "Secret de la carte de la borne illisible : ses clés restent fermées ([daemon] keys)",
     "The box's board secret cannot be read: its keys stay locked ([daemon] keys)"),
    ("box_secret_unprogrammed", DAEMON | CLI,
     "Clé OTP de la carte non programmée : programmez-la une fois (docs/security.md) ou "
     "réglez [daemon] keys",
     "The board's OTP key is not programmed: program it once (docs/security.md) or set "
     "[daemon] keys"),
    ("client_cert_invalid", DAEMON, "Certificat de poste invalide",
     "Invalid workstation certificate"),
    ("pairing_closed", API | WORKSTATION, "Appairage fermé : ouvrez-le sur la borne",
     "Pairing is closed: open it on the box"),
    ("pairing_busy", API | WORKSTATION, "Trop d'appairages en cours, réessayez",
     "Too many pairings in progress, try again"),
    ("pairing_bad_request", API | WORKSTATION, "Demande d'appairage invalide",
     "Invalid pairing request"),
    ("pairing_session_unknown", API | WORKSTATION,
     "Session d'appairage inconnue ou terminée : recommencez",
     "Unknown or finished pairing session: start again"),
    ("pairing_wrong_code", API | WORKSTATION, "Code d'appairage incorrect", "Wrong pairing code"),
    ("pairing_bad_csr", API | WORKSTATION,
     "Demande de certificat invalide (clé EC P-256/P-384 ou RSA ≥ 2048 attendue)",
     "Invalid certificate request (EC P-256/P-384 or RSA ≥ 2048 key expected)"),
    ("pairing_box_not_authenticated", WORKSTATION,
     "La borne n'a pas prouvé connaître le code : appairage interrompu",
     "The box did not prove it knows the code: pairing aborted"),
    # The simulator
    ("sim_unavailable", SIM, "Le simulateur ne répond pas (lancez « borne sim run »)",
     "The simulator does not answer (start `borne sim run`)"),
    ("sim_bad_slot", SIM, "Emplacement inconnu", "Unknown slot"),
    ("sim_no_screen", SIM, "Le simulateur n'a pas d'écran", "The simulator has no screen"),
    ("sim_bad_channel", SIM, "Canal inconnu (qr, scanner, nfc, contactless)",
     "Unknown channel (qr, scanner, nfc, contactless)"),
    ("sim_no_twin", SIM, "Ce périphérique n'est pas celui du simulateur dans la configuration",
     "This device is not the simulator's twin in the configuration"),
    ("sim_unknown_card", SIM, "Carte de test inconnue", "Unknown test card"),
    ("sim_needs_root", SIM, "Le simulateur doit tourner en root (espaces de noms privés)",
     "The simulator must run as root (private namespaces)"),
    ("sim_namespace_failed", SIM, "Espaces de noms privés du simulateur impossibles",
     "The simulator's private namespaces cannot be set up"),
    ("sim_pcscd_running", SIM, "Un pcscd ou un port vpcd est déjà utilisé ici",
     "A pcscd or a vpcd port is already in use here"),
    ("sim_pcscd_failed", SIM, "Le pcscd du simulateur n'a pas démarré",
     "The simulator's pcscd did not start"),
    # apCV, prescriptions and the presentation inputs (QR camera, scanner, NFC)
    ("presentation_not_found", API,
     "Présentation inconnue ou expirée (plus de 2 minutes) : représentez l'appli",
     "Unknown or expired presentation (over 2 minutes): present the app again"),
    ("presentation_already_fetched", API, "Présentation déjà récupérée par ce poste",
     "Presentation already fetched by this workstation"),
    ("presentation_taken", API, "Présentation déjà récupérée par un autre poste",
     "Presentation already fetched by another workstation"),
    ("presentation_not_fetched", API,
     "Récupérez et authentifiez la présentation avant d'ouvrir une session",
     "Fetch and authenticate the presentation before opening a session"),
    ("presentation_used", API, "Une session est déjà ouverte pour cette présentation",
     "A session is already open for this presentation"),
    ("presentation_not_apcv", API, "Cette présentation n'est pas une appli carte Vitale",
     "This presentation is not an appli carte Vitale"),
    ("no_cps", API, "Insérez votre carte CPS", "Insert your CPS card"),
    ("session_not_found", API, "Session inconnue", "Unknown session"),
    ("session_expired", API, "Session terminée (20 min) : représentez l'appli carte Vitale",
     "Session over (20 min): present the appli carte Vitale again"),
    ("reauthentication_required", API,
     "Factures de la session épuisées : représentez l'appli carte Vitale",
     "The session's invoices are used: present the appli carte Vitale again"),
    ("invoice_not_found", API, "Facture inconnue dans cette session",
     "No such invoice in this session"),
    ("invoice_released", API, "Facture déjà rendue", "Invoice already released"),
    ("invoice_confirmed", API, "Facture confirmée : elle ne peut plus être rendue",
     "Invoice confirmed: it can no longer be released"),
    ("capture_empty", CAPTURE, "Code vide", "Empty code"),
    ("capture_too_large", CAPTURE, "Code trop long", "Code too long"),
    ("capture_unrecognised", CAPTURE, "Code non reconnu", "Unrecognised code"),
    # A phone's Wi-Fi code shown to the camera or the scanner (borne.network.wifi_code)
    ("wifi_code_malformed", CAPTURE, "Code Wi-Fi illisible ou incomplet",
     "Unreadable or incomplete Wi-Fi code"),
    ("wifi_wep_refused", CAPTURE, "Réseau WEP refusé : ce chiffrement n'est plus sûr",
     "WEP network refused: this encryption is no longer safe"),
    ("wifi_enterprise_refused", CAPTURE, "Réseau d'entreprise (WPA-Entreprise) non pris en charge",
     "Enterprise network (WPA-Enterprise) not supported"),
    ("nfc_target_lost", CAPTURE, "Téléphone retiré pendant la lecture",
     "Phone taken away during the read"),
    ("nfc_not_a_phone", CAPTURE, "Ce n'est pas un téléphone (appli carte Vitale)",
     "Not a phone (appli carte Vitale)"),
    ("apcv_not_selected", CAPTURE, "Appli carte Vitale absente ou non activée sur ce téléphone",
     "No appli carte Vitale (or not enabled) on this phone"),
    ("apcv_refused", CAPTURE, "L'appli carte Vitale a refusé la lecture",
     "The appli carte Vitale refused the read"),
    ("apcv_payload_too_large", CAPTURE, "Réponse de l'appli trop longue",
     "The app's answer is too long"),
    ("scanner_unknown_key", CAPTURE,
     "Code scanné illisible : touche inconnue pour la disposition du clavier (vérifiez [scanner] layout)",
     "Scanned code unreadable: key unknown to the keyboard layout (check [scanner] layout)"),
    ("scanner_payload_too_large", CAPTURE, "Code scanné trop long", "Scanned code too long"),
    ("scanner_incomplete", CAPTURE, "Code scanné incomplet", "Scanned code incomplete"),
    ("scanner_untypable_character", SIM, "Caractère impossible à taper avec cette disposition",
     "Character cannot be typed in this layout"),
    # The screen and the GPIO panel
    ("display_missing", DAEMON, "Écran introuvable : vérifiez son branchement et son adresse",
     "Screen not found: check its wiring and its address"),
    ("display_io_error", DAEMON, "Erreur de communication avec l'écran",
     "Screen communication error"),
    ("display_permission", DAEMON, "Accès à l'écran refusé (droits sur le bus I2C/SPI)",
     "Access to the screen denied (I2C/SPI bus permissions)"),
    ("panel_unavailable", DAEMON, "Bouton, voyant et buzzer indisponibles (GPIO)",
     "Button, LED and buzzer unavailable (GPIO)"),
    # The battery (a UPS board's INA219 over I2C)
    ("battery_missing", DAEMON,
     "Carte batterie introuvable : vérifiez son branchement, l'I2C et son adresse",
     "Battery board not found: check its wiring, I2C and its address"),
    ("battery_io_error", DAEMON, "Erreur de communication avec la carte batterie",
     "Battery board communication error"),
    ("battery_permission", DAEMON, "Accès à la carte batterie refusé (droits sur le bus I2C)",
     "Access to the battery board denied (I2C bus permissions)"),
    # The leased APDU channel (docs/apdu-channel.md)
    ("slot_busy", API, "Emplacement déjà réservé par un autre poste",
     "Slot already leased by another workstation"),
    ("slot_leased_by_you", API,
     "Emplacement déjà réservé par ce poste : utilisez cette réservation (details.lease_id)",
     "Slot already leased by this workstation: use that lease (details.lease_id)"),
    ("lease_not_found", API, "Réservation inconnue ou terminée", "Unknown or ended lease"),
    ("lease_expired", CHANNEL | LEASE_LOST, "Réservation de l'emplacement terminée",
     "The slot's lease is over"),
    ("apdu_malformed", CHANNEL, "Commande APDU mal formée (ISO 7816-4)",
     "Malformed command APDU (ISO 7816-4)"),
    ("apdu_too_large", CHANNEL, "Commande APDU trop longue (65544 octets au plus)",
     "Command APDU too long (65544 bytes at most)"),
    ("revoked", LEASE_LOST),  # the holder's workstation was revoked
    ("released", LEASE_LOST),  # the holder released the lease (or the box stops)
    ("pin_verification_forbidden", CHANNEL,
     "Vérification du code porteur interdite par la politique de la borne",
     "PIN verification forbidden by the box's policy"),
    ("pin_last_try_protected", CHANNEL,
     "Dernier essai du code porteur : à autoriser sur la borne (bouton), la carte garde cet essai",
     "Last PIN try left: allow it on the box (button); the card keeps that try"),
    # The box's mode and clock
    # Updates (RAUC): refused before anything is written, or failed while writing (their HTTP
    # statuses: api/statuses.py)
    ("update_bad_signature", API | CLI | DAEMON,
     "Mise à jour refusée : signature invalide ou paquet modifié",
     "Update refused: invalid signature or tampered bundle"),
    ("update_wrong_compatible", API | CLI | DAEMON,
     "Mise à jour refusée : paquet prévu pour un autre matériel",
     "Update refused: the bundle is for another kind of box"),
    ("update_downgrade_refused", API | CLI | DAEMON,
     "Mise à jour refusée : version plus ancienne ou identique (un administrateur peut l'autoriser)",
     "Update refused: older or same version (an admin may allow it)"),
    ("update_no_space", API | CLI | DAEMON, "Mise à jour impossible : place insuffisante",
     "Update impossible: not enough space"),
    ("update_battery_low", API | CLI | DAEMON, "Mise à jour refusée : batterie faible, branchez la borne",
     "Update refused: battery low, plug the box in"),
    ("update_busy", API | CLI | DAEMON, "Une mise à jour est déjà en cours",
     "An update is already under way"),
    ("update_invalid_bundle", API | CLI | DAEMON, "Mise à jour refusée : ce fichier n'est pas un paquet valide",
     "Update refused: this file is not a valid bundle"),
    ("update_unavailable", API | CLI | DAEMON, "Mises à jour indisponibles sur cette borne (RAUC absent)",
     "Updates unavailable on this box (no RAUC)"),
    ("update_failed", API | CLI | DAEMON, "Échec de l'installation de la mise à jour",
     "The update's install failed"),
    ("update_not_installed", API, "Aucune mise à jour installée : rien vers quoi redémarrer",
     "No update installed: nothing to reboot into"),
    ("update_usb_several", DAEMON,
     "Plusieurs mises à jour sur la clé USB : n'en laissez qu'une",
     "Several updates on the USB stick: keep only one"),
    # Joining a Wi-Fi network through NetworkManager (borne.network.nm_reasons says which
    # NMDeviceStateReason is which)
    ("network_wrong_password", DAEMON, "Mot de passe Wi-Fi refusé", "Wi-Fi password refused"),
    ("network_not_found", DAEMON, "Réseau Wi-Fi introuvable", "Wi-Fi network not found"),
    ("network_timeout", DAEMON, "Wi-Fi : pas de connexion à temps", "Wi-Fi: no connection in time"),
    ("network_failed", DAEMON, "Connexion Wi-Fi impossible", "Wi-Fi connection failed"),
    ("network_no_wifi", DAEMON, "Pas de Wi-Fi sur ce boîtier", "No Wi-Fi on this box"),
    ("network_unknown", CLI, "Réseau Wi-Fi inconnu de la borne", "Wi-Fi network unknown to the box"),
    ("network_window_invalid", CLI, "Durée de la fenêtre Wi-Fi : de 1 à 600 s",
     "Wi-Fi window: 1 to 600 s"),
    ("network_service_unavailable", CAPTURE | DAEMON,
     "Cette borne ne gère pas son réseau (NetworkManager absent)",
     "This box does not manage its network (no NetworkManager)"),
    ("mode_unknown", API | CLI, "Mode inconnu (counter ou mobile)",
     "Unknown mode (counter or mobile)"),
    ("clock_synchronised", API,
     "L'horloge de la borne est déjà synchronisée (NTP) : elle ne peut pas être changée",
     "The box's clock is already synchronised (NTP): it cannot be changed"),
    ("clock_before_last_known", API,
     "Heure refusée : antérieure à la dernière heure connue de la borne, qui ne recule pas",
     "Time refused: earlier than the box's last known time (its clock never goes back)"),
    ("clock_too_far_ahead", API,
     "Heure refusée : trop en avance sur l'heure connue de la borne (un poste admin le peut)",
     "Time refused: too far ahead of the box's known time (an admin workstation may)"),
    ("clock_implausible", API,
     "Heure refusée : antérieure à la fabrication de la borne, trop lointaine, ou sans fuseau",
     "Time refused: before the box was built, too far ahead, or without a time zone"),
    # The data partition
    ("storage_full", API | DAEMON,
     "Mémoire de la borne pleine : lectures refusées tant que de la place n'est pas libérée",
     "The box's storage is full: reads are refused until space is freed"),
    ("storage_unavailable", API | DAEMON,
     "Partition de données de la borne inaccessible : lectures refusées",
     "The box's data partition is unavailable: reads are refused"),
    # The audit journal
    ("audit_unavailable", DAEMON | CLI, "Journal d'audit introuvable ou illisible",
     "Audit journal missing or unreadable"),
    ("audit_write_failed", API | DAEMON, "Écriture dans le journal d'audit impossible",
     "Cannot write to the audit journal"),
    # The offline journal (borne.journal)
    ("journal_full", API | DAEMON,
     "Mémoire pleine : la lecture n'a pas pu être conservée dans le journal",
     "Storage full: the read could not be kept in the journal"),
    ("journal_unavailable", API | DAEMON, "Journal hors ligne indisponible",
     "Offline journal unavailable"),
    ("journal_write_failed", API | DAEMON, "Écriture dans le journal hors ligne impossible",
     "Cannot write to the offline journal"),
    ("journal_record_unknown", API,
     "Enregistrement du journal inconnu ou destiné à un autre poste : rien n'a été acquitté",
     "Journal record unknown or meant for another workstation: nothing was acknowledged"),
    ("journal_record_unreadable", WORKSTATION,
     "Enregistrement du journal indéchiffrable : modifié, ou chiffré pour un autre poste",
     "Journal record cannot be decrypted: altered, or encrypted for another workstation"),
    ("journal_record_forged", WORKSTATION,
     "Enregistrement du journal falsifié : sa signature n'est pas celle de la borne appairée",
     "Forged journal record: its signature is not the paired box's"),
    ("journal_record_unsigned", WORKSTATION,
     "Enregistrement du journal sans signature de la borne : origine inconnue, refusé",
     "Journal record without the box's signature: unknown origin, refused"),
    ("journal_envelope_malformed", WORKSTATION, "Enregistrement du journal mal formé",
     "Malformed journal record"),
    ("journal_key_unsupported", DAEMON | WORKSTATION,
     "Clé non prise en charge par le journal (EC P-256/P-384 ou RSA 2048 bits et plus)",
     "Key not supported by the journal (EC P-256/P-384 or RSA 2048 bits or more)"),
    # The HTTP API
    ("unauthenticated", API, "Certificat client de cette borne requis (appairez le poste)",
     "A client certificate issued by this box is required (pair the workstation)"),
    ("client_revoked", API | WORKSTATION,
     "Ce poste a été révoqué : appairez-le à nouveau avec un code de la borne "
     "(borne client pair)",
     "This workstation has been revoked: pair it again with a code from the box "
     "(borne client pair)"),
    ("forbidden", API, "Action réservée à un poste administrateur",
     "Action reserved to an admin workstation"),
    ("last_admin", API,
     "Dernier poste administrateur : appairez-en d'abord un autre (sur la borne : "
     "borne pair open --admin)",
     "The last admin workstation: pair another one first (on the box: borne pair open --admin)"),
    ("not_found", API, "Ressource introuvable", "Resource not found"),
    ("method_not_allowed", API, "Méthode non autorisée", "Method not allowed"),
    ("bad_request", API | CHANNEL, "Requête invalide", "Invalid request"),
    ("payload_too_large", API, "Requête trop volumineuse", "Request too large"),
    ("header_too_large", API, "En-têtes de requête trop volumineux", "Request headers too large"),
    ("no_camera", API, "Cette borne n'a pas de caméra", "This box has no camera"),
    ("no_card", API | CHANNEL, "Aucune carte lue dans cet emplacement",
     "No card read in this slot"),
    ("internal_error", API | CLI, "Erreur interne de la borne", "Internal error of the box"),
    *WORKSTATION_ROWS,
)

#: The words of every code that has some (what :func:`message_for` reads).
MESSAGES: dict[str, Message] = {code: entry.message for code, entry in CATALOGUE.items()
                                if entry.message is not None}


def codes(surface: Surface) -> tuple[str, ...]:
    """The codes that can show on ``surface``, in catalogue order."""
    return tuple(code for code, entry in CATALOGUE.items() if surface in entry.surfaces)


def message_for(code: str, language: str = "fr") -> str:
    """The human message of ``code``; the code itself if it has no words."""
    message = MESSAGES.get(code)
    return message.get(language) if message else code
