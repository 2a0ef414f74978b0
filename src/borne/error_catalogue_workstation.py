"""The error codes of the workstation's side (``borne.client``, the SDK, the bridge): rows of
:data:`borne.error_catalogue.CATALOGUE`, kept apart to keep each file to one screenful of job."""

from __future__ import annotations

from .error_surfaces import WORKSTATION

__all__ = ["WORKSTATION_ROWS"]

#: ``(code, surfaces, French, English)``, as in :mod:`borne.error_catalogue`.
WORKSTATION_ROWS: tuple[tuple, ...] = (
    ("already_paired", WORKSTATION,
     "Ce dossier contient déjà un poste appairé : donnez-en un autre",
     "This folder already holds a paired workstation: give another one"),
    ("http_error", WORKSTATION,
     "Réponse HTTP inattendue : est-ce bien une borne à cette adresse ?",
     "Unexpected HTTP answer: is there a box at this address?"),
    ("box_url_invalid", WORKSTATION,
     "Adresse de borne invalide : écrivez https://ADRESSE:8443 (la borne ne parle que HTTPS)",
     "Invalid box address: write https://ADDRESS:8443 (the box speaks HTTPS only)"),
    ("box_unreachable", WORKSTATION,
     "Borne injoignable : vérifiez qu'elle est allumée, sur ce réseau, et son adresse "
     "(borne client find)",
     "Box unreachable: check that it is on, on this network, and its address (borne client find)"),
    ("box_host_unknown", WORKSTATION,
     "Nom de la borne inconnu (DNS) : donnez son adresse IP (borne client find la montre)",
     "Box name unknown (DNS): give its IP address (borne client find shows it)"),
    ("box_timeout", WORKSTATION,
     "La borne ne répond pas à temps : vérifiez le réseau (Wi-Fi, partage de connexion) "
     "et réessayez",
     "The box did not answer in time: check the network (Wi-Fi, hotspot) and try again"),
    ("box_not_trusted", WORKSTATION,
     "Ce n'est pas la borne appairée (certificat d'une autre autorité) : vérifiez l'adresse, "
     "ou appairez à nouveau",
     "Not the paired box (certificate from another authority): check the address, or pair again"),
    ("box_ca_changed", WORKSTATION,
     "La borne à cette adresse présente une autre autorité de certification que celle "
     "appairée (remplacée, ou une autre borne) : n'y envoyez rien, vérifiez l'empreinte sur "
     "son écran, puis appairez à nouveau",
     "The box at this address shows another certificate authority than the paired one "
     "(replaced, or another box): send it nothing, check the fingerprint on its screen, "
     "then pair again"),
    ("certificate_refused", WORKSTATION,
     "La borne refuse le certificat de ce poste (expiré, ou d'une autre borne) : "
     "appairez à nouveau",
     "The box refuses this workstation's certificate (expired, or another box's): pair again"),
    ("box_tls_failed", WORKSTATION,
     "Connexion TLS impossible : est-ce bien le port HTTPS de la borne (8443) ?",
     "TLS connection failed: is this the box's HTTPS port (8443)?"),
    ("box_answer_invalid", WORKSTATION,
     "Réponse incompréhensible : ce n'est sans doute pas une borne à cette adresse "
     "(vérifiez l'adresse et le port)",
     "Unintelligible answer: probably not a box at this address (check the address and port)"),
    ("pairing_files_unreadable", WORKSTATION,
     "Dossier d'appairage introuvable ou incomplet : donnez le dossier de « borne client "
     "pair », ou appairez ce poste",
     "Pairing folder missing or incomplete: give the folder of `borne client pair`, "
     "or pair this workstation"),
    ("network_unavailable", WORKSTATION,
     "Aucun réseau IPv4 sur ce poste : connectez-le au réseau de la borne",
     "No IPv4 network on this workstation: connect it to the box's network"),
    ("pairing_files_unwritable", WORKSTATION,
     "Impossible d'écrire les fichiers d'appairage dans ce dossier : donnez un dossier à vous",
     "Cannot write the pairing files in this folder: give a folder of your own"),
    ("bundle_unreadable", WORKSTATION, "Fichier de mise à jour illisible : donnez le chemin "
     "d'un bundle .raucb", "Update file unreadable: give the path of a .raucb bundle"),
    ("bridge_port_taken", WORKSTATION, "Port vpcd déjà utilisé par un autre pont ou lecteur",
     "vpcd port already used by another bridge or reader"),
    ("bridge_name_taken", WORKSTATION, "Nom de lecteur déjà utilisé sur ce poste",
     "Reader name already used on this workstation"),
)
