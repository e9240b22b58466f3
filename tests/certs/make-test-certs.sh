#!/bin/sh
# Makes throw-away certificates for the NTS-KE tests in the directory given as argument
# (never commit its output: it holds private keys). All keys are EC P-256.
#   ca.pem/ca.key              a test CA
#   server.pem/server.key      CN localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1 (1 year)
#   wrong.pem/wrong.key        CN/SAN DNS:wrong.example (same CA)
#   expired.pem/expired.key    like server.pem, valid only in January 2020
#   selfsigned.pem/.key        like server.pem but self-signed (not from the CA)
#   server-chain.pem           server.pem followed by ca.pem
set -eu
dir=${1:?usage: make-test-certs.sh DIR}
command -v openssl >/dev/null 2>&1 || { echo "openssl not found" >&2; exit 2; }
mkdir -p "$dir"
cd "$dir"
umask 077

cat > ca.cnf <<CNF
[ca]
default_ca = test_ca
[test_ca]
dir = .
database = ./index.txt
new_certs_dir = ./newcerts
serial = ./serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
[policy_any]
commonName = supplied
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
[wrong]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:wrong.example
CNF
mkdir -p newcerts
: > index.txt
echo 1000 > serial

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca.key
openssl req -new -x509 -config ca.cnf -extensions v3_ca -key ca.key -subj "/CN=tock test CA" \
    -days 3650 -out ca.pem 2>/dev/null

sign() { # name CN extensions [extra openssl ca options]
    name=$1 cn=$2 ext=$3
    shift 3
    key "$name.key"
    openssl req -new -config ca.cnf -key "$name.key" -subj "/CN=$cn" -out "$name.csr" 2>/dev/null
    openssl ca -batch -notext -config ca.cnf -cert ca.pem -keyfile ca.key -extensions "$ext" \
        -in "$name.csr" -out "$name.pem" "$@" 2>/dev/null
    rm -f "$name.csr"
}

# Start a day early so that small clock differences never make them "not yet valid".
start=$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ)
end=$(date -u -d '365 days' +%Y%m%d%H%M%SZ)
sign server localhost server -startdate "$start" -enddate "$end"
sign wrong wrong.example wrong -startdate "$start" -enddate "$end"
sign expired localhost server -startdate 20200101000000Z -enddate 20200201000000Z

key selfsigned.key
openssl req -new -x509 -config ca.cnf -extensions server -key selfsigned.key \
    -subj "/CN=localhost" -days 365 -out selfsigned.pem 2>/dev/null

cat server.pem ca.pem > server-chain.pem
echo "test certificates in $dir"
