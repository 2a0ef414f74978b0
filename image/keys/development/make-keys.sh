#!/usr/bin/env bash
# Re-make the DEVELOPMENT update keys of this folder (see README.md: never for a real box).
#
#   image/keys/development/make-keys.sh
#
# A CA (ca.key, ca.cert.pem), a signing key and certificate issued by it (signing.key,
# signing.cert.pem), and keyring.pem (the CA alone): what the image's
# /etc/rauc/keyring.pem holds in CI, and what image/bundle.sh signs with by default.
# Every subject says DEVELOPMENT. Bundles signed before a re-make no longer verify.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# P-256 keys: small and quick; RAUC verifies CMS signatures with OpenSSL, which takes
# them as it takes RSA. Twenty years: a development box's clock may be anywhere.
days=7305
openssl ecparam -name prime256v1 -genkey -noout -out "$work/ca.key"
openssl req -x509 -new -key "$work/ca.key" -days "$days" -sha256 \
  -subj "/O=borne DEVELOPMENT/CN=borne DEVELOPMENT update CA - NOT FOR A REAL BOX" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$work/ca.cert.pem"
openssl ecparam -name prime256v1 -genkey -noout -out "$work/signing.key"
# extendedKeyUsage: codeSigning for RAUC's "codesign" purpose (system.conf check-purpose),
# emailProtection for OpenSSL's default S/MIME purpose (`rauc info --keyring` without a
# system.conf): the certificate verifies both ways.
openssl req -new -key "$work/signing.key" \
  -subj "/O=borne DEVELOPMENT/CN=borne DEVELOPMENT bundle signing - NOT FOR A REAL BOX" \
  -out "$work/signing.csr"
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
  "extendedKeyUsage=critical,codeSigning,emailProtection" \
  "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" > "$work/signing.ext"
openssl x509 -req -in "$work/signing.csr" -CA "$work/ca.cert.pem" -CAkey "$work/ca.key" \
  -CAcreateserial -days "$days" -sha256 -extfile "$work/signing.ext" -out "$work/signing.cert.pem"
cp "$work/ca.cert.pem" "$work/keyring.pem"
openssl verify -CAfile "$work/keyring.pem" "$work/signing.cert.pem" >/dev/null
for file in ca.key ca.cert.pem signing.key signing.cert.pem keyring.pem; do
  install -m 644 "$work/$file" "$file"   # readable on purpose: a development key
done
echo "make-keys: new DEVELOPMENT keys in $(pwd)"
