"""Every word the screen shows, French first, English beside it, in one table.

Screen words are shorter than the API's error messages (``borne.errors.MESSAGES``):
they are read at a glance on a 128x64 panel, so each says one thing. Keys are
dotted (``screen.what``); values may hold ``str.format`` fields (``{count}``).
A test checks that every key has both languages and the same fields in each.
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "TEXTS", "channel_label", "counted", "error_texts", "profession_label", "text"]

#: Languages the screen speaks; the first is the default.
LANGUAGES: tuple[str, ...] = ("fr", "en")

#: key -> (French, English).
TEXTS: dict[str, tuple[str, str]] = {
    # Idle
    "idle.insert_cps": ("Insérez votre carte CPS", "Insert your CPS card"),
    "idle.ready": ("Prêt", "Ready"),
    "idle.mode.counter": ("Comptoir", "Counter"),
    "idle.mode.mobile": ("Mobile", "Mobile"),
    "idle.clients.none": ("Aucun poste", "No client"),
    "idle.clients.one": ("1 poste", "1 client"),
    "idle.clients.many": ("{count} postes", "{count} clients"),
    "idle.readers.none": ("Aucun lecteur", "No reader"),
    "idle.readers.fault": ("Lecteur HS", "Reader fault"),
    "idle.readers.one": ("1 lecteur", "1 reader"),
    "idle.readers.many": ("{count} lecteurs", "{count} readers"),
    "idle.offline": ("Hors ligne", "Offline"),
    # A CPS is in, its profession unknown and no site profession set: the install step to do.
    "idle.profession_unset": ("Réglez site_profession", "Set site_profession"),
    # Card reads
    "cps.read": ("Carte CPS lue", "CPS card read"),
    "vitale.read": ("Carte Vitale lue", "Carte Vitale read"),
    "vitale.beneficiaries.none": ("Aucun bénéficiaire", "No beneficiary"),
    "vitale.beneficiaries.one": ("1 bénéficiaire", "1 beneficiary"),
    "vitale.beneficiaries.many": ("{count} bénéficiaires", "{count} beneficiaries"),
    "apcv.read": ("Appli carte Vitale lue", "Appli carte Vitale read"),
    "prescription.scanned": ("Ordonnance scannée", "Prescription scanned"),
    "prescription.kind": ("Ordonnance numérique", "E-prescription"),
    # How a presentation arrived (ApcvPresentedView.channel)
    "channel.qr": ("QR code", "QR code"),
    "channel.scanner": ("Douchette", "Hand scanner"),
    "channel.nfc": ("NFC", "NFC"),
    "channel.contactless": ("Sans contact", "Contactless"),
    # apCV session
    "session.kind": ("Appli carte Vitale", "Appli carte Vitale"),
    "session.minutes": ("Session : {count} min", "Session: {count} min"),
    "session.seconds": ("Session : {count} s", "Session: {count} s"),
    "session.invoice": ("Facture {used}/{allowed}", "Invoice {used}/{allowed}"),
    "reauth.present_again": ("Représentez l'appli carte Vitale", "Present the appli carte Vitale again"),
    "reauth.quota": ("Factures utilisées", "Invoices used"),
    "reauth.expired": ("Session terminée", "Session over"),
    # Pairing
    "pairing.title": ("Code d'appairage", "Pairing code"),
    "pairing.hint": ("À saisir sur le poste", "Enter it on the PC"),
    # Someone else may be trying (issue 16): the owner reopens the window for a fresh code.
    "pairing.contested": ("Autre appareil en cours", "Another device trying"),
    "pairing.wrong_codes.none": ("Aucun code faux", "No wrong code"),
    "pairing.wrong_codes.one": ("1 code faux saisi", "1 wrong code entered"),
    "pairing.wrong_codes.many": ("{count} codes faux saisis", "{count} wrong codes entered"),
    # Mobile mode
    "mobile.offline": ("Hors ligne", "Offline"),
    "mobile.waiting.none": ("0 lecture en attente", "0 reads waiting"),
    "mobile.waiting.one": ("1 lecture en attente", "1 read waiting"),
    "mobile.waiting.many": ("{count} lectures en attente", "{count} reads waiting"),
    "mobile.battery_low": ("Batterie faible", "Battery low"),
    "mobile.charging": ("En charge", "Charging"),
    "battery.percent": ("{count} %", "{count}%"),
    # Updates (RAUC): the install, the reboot into it, then what the new boot came to
    "update.installing": ("Mise à jour… {count} %", "Updating… {count}%"),
    "update.ready": ("Mise à jour prête", "Update ready"),
    "update.waiting": ("Redémarrage en attente", "Restart pending"),
    "update.rebooting": ("Redémarrage", "Restarting"),
    "update.dont_unplug": ("Ne pas débrancher", "Do not unplug"),
    "update.committed": ("Mise à jour réussie", "Update done"),
    "update.rolled_back": ("Mise à jour annulée", "Update undone"),
    "update.version": ("Version {version}", "Version {version}"),
    # Errors: "error.<code>" is the main line, "error.<code>.hint" the small one.
    "error.generic": ("Erreur", "Error"),
    "error.pcsc_unavailable": ("Service carte à puce arrêté", "Smart-card service stopped"),
    "error.pcsc_unavailable.hint": ("Cartes illisibles", "Cards cannot be read"),
    "error.journal_recovered": ("Journal réparé", "Journal repaired"),
    "error.journal_recovered.hint": ("Ancien fichier conservé", "Old file kept"),
    "error.journal_retention": ("Lectures à collecter", "Reads to collect"),
    "error.journal_retention.hint": ("Bientôt effacées", "Deleted soon"),
    "error.config_invalid": ("Configuration invalide", "Invalid configuration"),
    "error.config_invalid.hint": ("Réglages par défaut", "Running on defaults"),
    "error.storage_full": ("Mémoire pleine", "Storage full"),
    "error.storage_full.hint": ("Lectures refusées", "Reads refused"),
    "error.storage_unavailable": ("Mémoire inaccessible", "Storage unavailable"),
    "error.storage_unavailable.hint": ("Lectures refusées", "Reads refused"),
    "error.reader_unavailable": ("Lecteur débranché", "Reader unplugged"),
    "error.reader_unavailable.hint": ("Rebranchez le lecteur", "Plug the reader back in"),
    "error.camera_unavailable": ("Caméra absente", "No camera"),
    "error.camera_unavailable.hint": ("Vérifiez son câble", "Check its cable"),
    "error.nfc_unavailable": ("Lecteur NFC absent", "No NFC reader"),
    "error.nfc_unavailable.hint": ("Utilisez le QR code", "Use the QR code"),
    "error.scanner_unavailable": ("Douchette absente", "No QR scanner"),
    "error.scanner_unavailable.hint": ("Vérifiez son câble USB", "Check its USB cable"),
    # A PIN command refused at the card's last try: the button allows one (borne.apdu.pin_guard).
    "error.pin_last_try_protected": ("Code CPS : dernier essai", "CPS PIN: last try left"),
    "error.pin_last_try_protected.hint": ("Bouton : autoriser 1 essai", "Button: allow 1 try"),
    "wifi.offer": ("Wi-Fi « {ssid} » ?", "Wi-Fi “{ssid}”?"),
    "wifi.confirm": ("Appuyez pour confirmer", "Press to confirm"),
    "wifi.joined": ("Wi-Fi « {ssid} »", "Wi-Fi “{ssid}”"),
    "wifi.address": ("Connectée : {address}", "Connected: {address}"),
    "wifi.no_address": ("Connectée", "Connected"),
    "error.network_wrong_password": ("Mot de passe Wi-Fi refusé", "Wi-Fi password refused"),
    "error.network_wrong_password.hint": ("Montrez le bon code", "Show the right code"),
    "error.network_not_found": ("Réseau Wi-Fi introuvable", "Wi-Fi network not found"),
    "error.network_not_found.hint": ("Trop loin ? Hors de portée ?", "Too far? Out of range?"),
    "error.network_timeout": ("Wi-Fi : pas de réponse", "Wi-Fi: no answer"),
    "error.network_failed": ("Connexion Wi-Fi impossible", "Wi-Fi connection failed"),
    "error.network_no_wifi": ("Pas de Wi-Fi ici", "No Wi-Fi here"),
    "error.network_service_unavailable": ("Réseau non géré", "Network not managed"),
    "error.wifi_code_malformed": ("Code Wi-Fi illisible", "Unreadable Wi-Fi code"),
    "error.wifi_wep_refused": ("Wi-Fi WEP refusé", "WEP Wi-Fi refused"),
    "error.wifi_wep_refused.hint": ("Chiffrement trop faible", "Encryption too weak"),
    "error.wifi_enterprise_refused": ("Wi-Fi entreprise refusé", "Enterprise Wi-Fi refused"),
    "error.battery_low": ("Batterie faible", "Battery low"),
    "error.battery_low.hint": ("Branchez le chargeur", "Plug the charger in"),
    "error.battery_critical": ("Batterie vide", "Battery empty"),
    "error.battery_critical.hint": ("Arrêt", "Shutting down"),
    "error.update_bad_signature": ("Mise à jour refusée", "Update refused"),
    "error.update_bad_signature.hint": ("Signature invalide", "Invalid signature"),
    "error.update_wrong_compatible": ("Mise à jour refusée", "Update refused"),
    "error.update_wrong_compatible.hint": ("Pour un autre modèle", "For another model"),
    "error.update_downgrade_refused": ("Mise à jour refusée", "Update refused"),
    "error.update_downgrade_refused.hint": ("Version plus ancienne", "Older version"),
    "error.update_invalid_bundle": ("Mise à jour refusée", "Update refused"),
    "error.update_invalid_bundle.hint": ("Fichier invalide", "Invalid file"),
    "error.update_battery_low": ("Mise à jour refusée", "Update refused"),
    "error.update_battery_low.hint": ("Branchez le chargeur", "Plug the charger in"),
    "error.update_no_space": ("Mise à jour impossible", "Update failed"),
    "error.update_no_space.hint": ("Place insuffisante", "Not enough space"),
    "error.update_failed": ("Mise à jour impossible", "Update failed"),
    "error.update_usb_several": ("Plusieurs mises à jour", "Several updates"),
    "error.update_usb_several.hint": ("Une seule sur la clé", "Keep one on the stick"),
    "error.card_removed": ("Carte retirée trop tôt", "Card removed too soon"),
    "error.card_removed.hint": ("Réinsérez la carte", "Insert the card again"),
    "error.card_data_invalid": ("Carte illisible", "Card unreadable"),
    "error.card_data_invalid.hint": ("Données invalides", "Invalid data"),
    "error.card_unresponsive": ("La carte ne répond pas", "Card not answering"),
    "error.card_unresponsive.hint": ("Réinsérez la carte", "Insert the card again"),
    "error.card_protocol_error": ("Carte non reconnue", "Card not recognised"),
    "error.card_protocol_error.hint": ("Réponse inattendue", "Unexpected answer"),
    "error.card_connect_failed": ("Connexion à la carte impossible", "Cannot reach the card"),
    "error.card_connect_failed.hint": ("Réinsérez la carte", "Insert the card again"),
    "error.capture_unrecognised": ("Code non reconnu", "Code not recognised"),
    "error.capture_unrecognised.hint": ("Ni appli, ni ordonnance", "App or prescription only"),
    "error.capture_empty": ("Code vide", "Empty code"),
    "error.capture_empty.hint": ("Scannez à nouveau", "Scan again"),
    "error.capture_too_large": ("Code trop long", "Code too long"),
    "error.capture_too_large.hint": ("Ni appli, ni ordonnance", "App or prescription only"),
    "error.nfc_target_lost": ("Téléphone retiré trop tôt", "Phone taken away too soon"),
    "error.nfc_target_lost.hint": ("Reposez le téléphone", "Hold the phone again"),
    "error.nfc_not_a_phone": ("Ce n'est pas un téléphone", "Not a phone"),
    "error.nfc_not_a_phone.hint": ("Présentez l'appli carte Vitale", "Present the appli carte Vitale"),
    "error.apcv_not_selected": ("Appli carte Vitale absente", "No appli carte Vitale"),
    "error.apcv_not_selected.hint": ("Ouvrez l'appli d'abord", "Open the app first"),
    "error.apcv_refused": ("Lecture refusée par l'appli", "Read refused by the app"),
    "error.apcv_refused.hint": ("Reposez le téléphone", "Hold the phone again"),
    "error.apcv_payload_too_large": ("Réponse de l'appli trop longue", "App's answer too long"),
    "error.apcv_payload_too_large.hint": ("Reposez le téléphone", "Hold the phone again"),
    "error.scanner_unknown_key": ("Code scanné illisible", "Scanned code unreadable"),
    "error.scanner_unknown_key.hint": ("Disposition clavier ?", "Keyboard layout?"),
    "error.scanner_untypable_character": ("Code scanné illisible", "Scanned code unreadable"),
    "error.scanner_untypable_character.hint": ("Disposition clavier ?", "Keyboard layout?"),
    "error.scanner_incomplete": ("Code scanné incomplet", "Scanned code incomplete"),
    "error.scanner_incomplete.hint": ("Scannez à nouveau", "Scan again"),
    "error.scanner_payload_too_large": ("Code scanné trop long", "Scanned code too long"),
    "error.scanner_payload_too_large.hint": ("Ni appli, ni ordonnance", "App or prescription only"),
    # Professions: the stable keys of borne.readers.cards.cps.PROFESSIONS.
    "profession.doctor": ("Médecin", "Doctor"),
    "profession.pharmacist": ("Pharmacien", "Pharmacist"),
    "profession.hearing_aid_specialist": ("Audioprothésiste", "Hearing-aid specialist"),
    "profession.optician": ("Opticien-lunetier", "Optician"),
    "profession.dentist": ("Chirurgien-dentiste", "Dentist"),
    "profession.midwife": ("Sage-femme", "Midwife"),
    "profession.nurse": ("Infirmier", "Nurse"),
    "profession.physiotherapist": ("Kinésithérapeute", "Physiotherapist"),
    "profession.podiatrist": ("Pédicure-podologue", "Podiatrist"),
    "profession.speech_therapist": ("Orthophoniste", "Speech therapist"),
    "profession.orthoptist": ("Orthoptiste", "Orthoptist"),
    # The rest of TRE_G15 and TRE_G16 (borne.readers.cards.professions).
    "profession.dental_assistant": ("Assistant dentaire", "Dental assistant"),
    "profession.medical_physicist": ("Physicien médical", "Medical physicist"),
    "profession.nursing_assistant": ("Aide-soignant", "Nursing assistant"),
    "profession.ambulance_technician": ("Ambulancier", "Ambulance technician"),
    "profession.childcare_assistant": ("Auxiliaire de puériculture", "Childcare assistant"),
    "profession.hospital_pharmacy_technician": ("Préparateur (hôpital)", "Hospital pharmacy technician"),
    "profession.pharmacy_technician": ("Préparateur en pharmacie", "Pharmacy technician"),
    "profession.psychiatric_nurse": ("Infirmier psychiatrique", "Psychiatric nurse"),
    "profession.prosthetist": ("Orthoprothésiste", "Prosthetist"),
    "profession.podiatric_orthotist": ("Podo-orthésiste", "Podiatric orthotist"),
    "profession.orthotist": ("Orthopédiste-orthésiste", "Orthotist"),
    "profession.ocularist": ("Oculariste", "Ocularist"),
    "profession.epithesist": ("Épithésiste", "Epithesist"),
    "profession.medical_laboratory_technician": ("Technicien de laboratoire", "Lab technician"),
    "profession.psychologist": ("Psychologue", "Psychologist"),
    "profession.occupational_therapist": ("Ergothérapeute", "Occupational therapist"),
    "profession.dietitian": ("Diététicien", "Dietitian"),
    "profession.psychomotor_therapist": ("Psychomotricien", "Psychomotor therapist"),
    "profession.radiographer": ("Manipulateur radio", "Radiographer"),
    "profession.doctor_in_training": ("Médecin en formation", "Doctor in training"),
    "profession.pharmacist_in_training": ("Pharmacien en formation", "Pharmacist in training"),
    "profession.dentist_in_training": ("Dentiste en formation", "Dentist in training"),
    "profession.midwife_in_training": ("Sage-femme en formation", "Midwife in training"),
}


def text(key: str, language: str = "fr", **values: object) -> str:
    """The words of ``key`` in ``language``, with ``values`` filled in.

    Raises ``KeyError`` for an unknown key and ``ValueError`` for a language the
    screen does not speak: a typo must show up in the tests, not on a counter.
    """
    if language not in LANGUAGES:
        raise ValueError(f"unknown screen language {language!r} (expected one of {LANGUAGES})")
    words = TEXTS[key][LANGUAGES.index(language)]
    return words.format(**values) if values else words


def counted(stem: str, count: int, language: str = "fr") -> str:
    """``stem.none`` / ``stem.one`` / ``stem.many``, chosen by ``count``."""
    form = "none" if count <= 0 else "one" if count == 1 else "many"
    return text(f"{stem}.{form}", language, count=count)


def profession_label(key: str | None, language: str = "fr") -> str | None:
    """The label of a profession's stable key; an unknown key is shown as it is."""
    if key is None:
        return None
    entry = f"profession.{key}"
    return text(entry, language) if entry in TEXTS else key


_CHANNEL_ALIASES = {"qr_camera": "qr", "qr_scanner": "scanner",
                    "pcsc_contactless": "contactless"}


def channel_label(channel: str, language: str = "fr") -> str:
    """How a presentation arrived (``qr``, ``nfc``...); an unknown channel as it is."""
    # The capture channels' names (borne.readers.capture.CHANNELS) map to the short ones.
    channel = _CHANNEL_ALIASES.get(channel, channel)
    entry = f"channel.{channel}"
    return text(entry, language) if entry in TEXTS else channel.upper()


def error_texts(code: str, language: str = "fr") -> tuple[str, str | None]:
    """(main line, small line) for an error code; unknown codes: "Erreur" and the code."""
    entry = f"error.{code}"
    if entry not in TEXTS:
        return text("error.generic", language), code
    hint = f"{entry}.hint"
    return text(entry, language), (text(hint, language) if hint in TEXTS else None)
