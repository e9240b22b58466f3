#!/bin/bash
# Builds and installs tock from this source tree, on Debian/Ubuntu (apt) or
# AlmaLinux/Rocky (dnf):
#   1. installs the build dependencies        5. sets owners and modes
#   2. builds (make)                           6. stops and disables other time daemons
#   3. installs (make install + packaging/)    7. enables and starts tockd
#   4. creates the system user tock            8. prints the firewall commands to run
#
# Usage: scripts/install.sh [options]
#   --dry-run          print every step, change nothing (and probe nothing)
#   --yes              do not ask before installing packages or stopping other daemons
#   --prefix DIR       installation prefix (default /usr/local; /usr for a system build)
#   --destdir DIR      stage the files under DIR (packaging); implies --no-user and
#                      --no-services: nothing outside DIR is touched
#   --no-deps          do not install build dependencies
#   --no-user          do not create the tock user
#   --no-services      no systemctl actions at all
#   --os-release FILE  read the distribution from FILE instead of /etc/os-release
#   --systemd yes|no   treat PID 1 as systemd or not (default: detect)
#   --firewall KIND    nftables, ufw, firewalld or none (default: detect)
#   -h, --help
#
# The dnf path (AlmaLinux 9, Rocky Linux 9) has been checked with dry runs only, not yet
# on a real host.
set -euo pipefail

DRY_RUN=0
YES=0
PREFIX=/usr/local
DESTDIR=
NO_DEPS=0
NO_USER=0
NO_SERVICES=0
OS_RELEASE=/etc/os-release
SYSTEMD=auto
FIREWALL=auto

USER_NAME=tock
CONFLICTING="systemd-timesyncd ntp ntpsec chrony chronyd"

die() {
    echo "install.sh: $*" >&2
    exit 2
}

usage() {
    # The comment block at the top of this file.
    sed -n '2,/^[^#]/{/^#/{s/^# \{0,1\}//;p}}' "$0"
    exit "${1:-0}"
}

while [ $# -gt 0 ]; do
    case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --yes | -y) YES=1 ;;
    --prefix) PREFIX=${2:?--prefix needs a directory}; shift ;;
    --prefix=*) PREFIX=${1#*=} ;;
    --destdir) DESTDIR=${2:?--destdir needs a directory}; shift ;;
    --destdir=*) DESTDIR=${1#*=} ;;
    --no-deps) NO_DEPS=1 ;;
    --no-user) NO_USER=1 ;;
    --no-services) NO_SERVICES=1 ;;
    --os-release) OS_RELEASE=${2:?--os-release needs a file}; shift ;;
    --os-release=*) OS_RELEASE=${1#*=} ;;
    --systemd) SYSTEMD=${2:?--systemd needs yes or no}; shift ;;
    --systemd=*) SYSTEMD=${1#*=} ;;
    --firewall) FIREWALL=${2:?--firewall needs a kind}; shift ;;
    --firewall=*) FIREWALL=${1#*=} ;;
    -h | --help) usage 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage 2 >&2 ;;
    esac
    shift
done

case "$PREFIX" in
/*) PREFIX=${PREFIX%/}; [ -n "$PREFIX" ] || PREFIX=/ ;;
*) die "--prefix must be an absolute path" ;;
esac
case "$DESTDIR" in
"" | /*) DESTDIR=${DESTDIR%/} ;;
*) die "--destdir must be an absolute path" ;;
esac
case "$SYSTEMD" in auto | yes | no) ;; *) die "--systemd takes yes or no" ;; esac
case "$FIREWALL" in auto | nftables | ufw | firewalld | none) ;;
*) die "--firewall takes nftables, ufw, firewalld or none" ;;
esac

# The source tree: this script lives in scripts/.
SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"

# ---- what to run, and how to show it ------------------------------------------------

# Prints a command the way a shell would read it back.
show() {
    local out="+" a
    for a in "$@"; do
        case "$a" in
        *[!A-Za-z0-9_./:=@%+,-]* | "") out="$out '${a//\'/\'\\\'\'}'" ;;
        *) out="$out $a" ;;
        esac
    done
    echo "$out"
}

# Runs a command that changes the system (or only shows it in a dry run).
run() {
    show "$@"
    [ "$DRY_RUN" = 1 ] || "$@"
}

note() {
    echo "   $*"
}

step() {
    echo "== $*"
}

ask() {
    # ask QUESTION: 0 = yes. --yes answers yes; no terminal answers no.
    [ "$YES" = 1 ] && return 0
    [ -t 0 ] || { note "(no terminal to ask on: use --yes)"; return 1; }
    local reply
    read -r -p "   $1 [y/N] " reply
    case "$reply" in y | Y | yes | YES) return 0 ;; *) return 1 ;; esac
}

# ---- the distribution -----------------------------------------------------------------

[ -r "$OS_RELEASE" ] || die "cannot read $OS_RELEASE"
os_field() {
    # The value of KEY in os-release, without quotes; never evaluated as shell.
    sed -n "s/^$1=//p" "$OS_RELEASE" | head -n 1 | sed 's/^"\(.*\)"$/\1/; s/^'"'"'\(.*\)'"'"'$/\1/'
}
OS_ID=$(os_field ID)
OS_LIKE=$(os_field ID_LIKE)
OS_NAME=$(os_field PRETTY_NAME)

PKG=
case " $OS_ID $OS_LIKE " in
*" debian "* | *" ubuntu "*) PKG=apt ;;
*" rhel "* | *" centos "* | *" fedora "* | *" almalinux "* | *" rocky "*) PKG=dnf ;;
esac
[ -n "$PKG" ] || die "unsupported distribution '${OS_NAME:-$OS_ID}': Debian, Ubuntu, AlmaLinux and Rocky Linux are supported"

# ---- where things go ------------------------------------------------------------------

BINDIR=$PREFIX/bin
SBINDIR=$PREFIX/sbin
DOCDIR=$PREFIX/share/doc/tock
# systemd reads units, sysusers.d and tmpfiles.d from /usr/lib (the distribution's) and
# /etc (the administrator's), never from /usr/local.
if [ "$PREFIX" = /usr ]; then
    SYSTEMD_DIR=/usr/lib/systemd/system
    SYSUSERS_DIR=/usr/lib/sysusers.d
    TMPFILES_DIR=/usr/lib/tmpfiles.d
else
    SYSTEMD_DIR=/etc/systemd/system
    SYSUSERS_DIR=/etc/sysusers.d
    TMPFILES_DIR=/etc/tmpfiles.d
fi
CONF_DIR=/etc/tock
CONF_FILE=$CONF_DIR/tock.conf
KEY_FILE=$CONF_DIR/tock.keys
STATE_DIR=/var/lib/tock
LOG_DIR=/var/log/tock

if [ -n "$DESTDIR" ]; then
    [ "$NO_USER" = 1 ] || note "staging into $DESTDIR: the tock user is created on the target system, not here"
    [ "$NO_SERVICES" = 1 ] || note "staging into $DESTDIR: no service actions"
    NO_USER=1
    NO_SERVICES=1
fi

if [ "$DRY_RUN" = 0 ] && [ "$(id -u)" != 0 ] && [ -z "$DESTDIR" ]; then
    die "run as root (or use --dry-run, or --destdir to stage without root)"
fi

is_systemd() {
    case "$SYSTEMD" in
    yes) return 0 ;;
    no) return 1 ;;
    esac
    # sd_booted(): this directory exists only when systemd is PID 1.
    [ -d /run/systemd/system ]
}

echo "tock installer: ${OS_NAME:-$OS_ID} ($PKG)"
echo "prefix $PREFIX, destdir ${DESTDIR:-(none)}$([ "$DRY_RUN" = 1 ] && echo ', dry run: nothing is changed')"

# ---- 1. build dependencies ------------------------------------------------------------

step "1. build dependencies"
if [ "$NO_DEPS" = 1 ]; then
    note "skipped (--no-deps)"
elif [ "$PKG" = apt ]; then
    APT_YES=()
    [ "$YES" = 1 ] && APT_YES=(-y)
    run apt-get update
    run apt-get install "${APT_YES[@]}" --no-install-recommends make gcc libc6-dev pkg-config \
        libssl-dev nettle-dev libseccomp-dev libcap-dev
else
    DNF_YES=()
    [ "$YES" = 1 ] && DNF_YES=(-y)
    # The -devel packages of nettle and libseccomp are in CRB on EL 9 (not on Fedora).
    if [ "$OS_ID" != fedora ]; then
        run dnf install "${DNF_YES[@]}" dnf-plugins-core
        run dnf config-manager --set-enabled crb
    fi
    run dnf install "${DNF_YES[@]}" make gcc pkgconf-pkg-config openssl-devel nettle-devel \
        libseccomp-devel libcap-devel
fi

# ---- 2. build -------------------------------------------------------------------------

step "2. build"
run make

# ---- 3. install -----------------------------------------------------------------------

step "3. install"
run make install PREFIX="$PREFIX" DESTDIR="$DESTDIR"

# Installs a packaging file, pointing its /usr/sbin/tockd and /usr/bin/tockctl at PREFIX.
install_file() {
    local mode=$1 src=$2 dest=$3
    if [ "$PREFIX" = /usr ] || ! grep -q -e /usr/sbin/tockd -e /usr/bin/tockctl "$src"; then
        run install -D -m "$mode" "$src" "$DESTDIR$dest"
        return
    fi
    echo "$(show sed -e "s#/usr/sbin/tockd#$SBINDIR/tockd#g" \
        -e "s#/usr/bin/tockctl#$BINDIR/tockctl#g" "$src") > $DESTDIR$dest.tmp"
    if [ "$DRY_RUN" = 0 ]; then
        mkdir -p "$(dirname "$DESTDIR$dest")"
        sed -e "s#/usr/sbin/tockd#$SBINDIR/tockd#g" -e "s#/usr/bin/tockctl#$BINDIR/tockctl#g" \
            "$src" >"$DESTDIR$dest.tmp"
    fi
    run chmod "$mode" "$DESTDIR$dest.tmp"
    run mv -f "$DESTDIR$dest.tmp" "$DESTDIR$dest"
}

install_file 0644 packaging/tockd.service "$SYSTEMD_DIR/tockd.service"
install_file 0644 packaging/tockd-wait.service "$SYSTEMD_DIR/tockd-wait.service"
install_file 0644 packaging/sysusers.d/tock.conf "$SYSUSERS_DIR/tock.conf"
install_file 0644 packaging/tmpfiles.d/tock.conf "$TMPFILES_DIR/tock.conf"
install_file 0644 packaging/logrotate.d/tock /etc/logrotate.d/tock
for f in packaging/tockd.service.d/*.example; do
    install_file 0644 "$f" "$DOCDIR/systemd/$(basename "$f")"
done

# The configuration is the administrator's: never overwritten.
if [ "$DRY_RUN" = 1 ]; then
    note "unless $DESTDIR$CONF_FILE exists (then it is kept as it is):"
    run install -D -m 0644 packaging/tock.conf "$DESTDIR$CONF_FILE"
elif [ -e "$DESTDIR$CONF_FILE" ]; then
    note "keeping the existing $DESTDIR$CONF_FILE; the shipped default is $DOCDIR/tock.conf"
else
    run install -D -m 0644 packaging/tock.conf "$DESTDIR$CONF_FILE"
fi
run install -D -m 0644 packaging/tock.conf "$DESTDIR$DOCDIR/tock.conf"

# ---- 4. the system user ---------------------------------------------------------------

step "4. system user $USER_NAME"
if [ "$NO_USER" = 1 ]; then
    note "skipped (--no-user)"
elif [ "$DRY_RUN" = 1 ] || command -v systemd-sysusers >/dev/null 2>&1; then
    run systemd-sysusers "$SYSUSERS_DIR/tock.conf"
elif getent passwd "$USER_NAME" >/dev/null; then
    note "user $USER_NAME exists"
else
    run useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home \
        --shell /usr/sbin/nologin --comment "tock NTP daemon" "$USER_NAME"
fi

# ---- 5. owners and modes --------------------------------------------------------------

step "5. owners and modes"
# Owners need root and an existing tock group; modes are set either way.
OWN=1
if [ "$DRY_RUN" = 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        OWN=0
        note "not root: modes only, owners are set on the target system (systemd-tmpfiles)"
    elif ! getent group "$USER_NAME" >/dev/null; then
        OWN=0
        note "no group $USER_NAME here: modes only, owners are set on the target system (systemd-tmpfiles)"
    fi
fi
own() {
    # own USER:GROUP PATH
    if [ "$OWN" = 1 ]; then run chown "$1" "$2"; fi
}
run install -d -m 0750 "$DESTDIR$STATE_DIR" "$DESTDIR$LOG_DIR"
own "$USER_NAME:$USER_NAME" "$DESTDIR$STATE_DIR"
own "$USER_NAME:$USER_NAME" "$DESTDIR$LOG_DIR"
run chmod 0750 "$DESTDIR$STATE_DIR" "$DESTDIR$LOG_DIR"
# The keyfile holds secrets: readable by tockd's group, writable by root only.
if [ "$DRY_RUN" = 1 ] || [ ! -e "$DESTDIR$KEY_FILE" ]; then
    [ "$DRY_RUN" = 1 ] && note "unless $DESTDIR$KEY_FILE exists:"
    run install -D -m 0640 /dev/null "$DESTDIR$KEY_FILE"
fi
own "root:$USER_NAME" "$DESTDIR$KEY_FILE"
run chmod 0640 "$DESTDIR$KEY_FILE"

# ---- 6, 7. services -------------------------------------------------------------------

step "6. other time daemons"
SERVICES=1
if [ "$NO_SERVICES" = 1 ]; then
    note "skipped (--no-services)"
    SERVICES=0
elif ! is_systemd; then
    note "skipped: PID 1 is not systemd (stop other NTP daemons by hand)"
    SERVICES=0
elif [ "$DRY_RUN" = 1 ]; then
    for s in $CONFLICTING; do
        note "if $s.service is installed, enabled or running (and you agree, or --yes):"
        run systemctl disable --now "$s.service"
    done
else
    for s in $CONFLICTING; do
        # Only real units (chronyd is an alias of chrony on Debian), only when in use.
        id=$(systemctl show -p Id --value "$s.service" 2>/dev/null || true)
        [ "$id" = "$s.service" ] || continue
        load=$(systemctl show -p LoadState --value "$s.service" 2>/dev/null || true)
        [ "$load" = loaded ] || continue
        if ! systemctl is-enabled --quiet "$s.service" 2>/dev/null &&
            ! systemctl is-active --quiet "$s.service" 2>/dev/null; then
            continue
        fi
        if ask "$s.service is in use and would fight tockd over the clock. Stop and disable it?"; then
            run systemctl disable --now "$s.service"
        else
            note "left $s.service alone: tockd.service conflicts with it, so starting one stops the other"
        fi
    done
fi

step "7. enable tockd"
if [ "$SERVICES" = 1 ]; then
    run systemctl daemon-reload
    run systemctl enable --now tockd.service
else
    note "skipped; later: systemctl daemon-reload && systemctl enable --now tockd.service"
fi

# ---- 8. firewall ----------------------------------------------------------------------

step "8. firewall"
if [ "$FIREWALL" = auto ]; then
    if [ "$DRY_RUN" = 0 ] && command -v firewall-cmd >/dev/null 2>&1 &&
        firewall-cmd --state >/dev/null 2>&1; then
        FIREWALL=firewalld
    elif [ "$DRY_RUN" = 0 ] && command -v ufw >/dev/null 2>&1 &&
        ufw status 2>/dev/null | grep -q '^Status: active'; then
        FIREWALL=ufw
    elif [ "$DRY_RUN" = 0 ] && command -v nft >/dev/null 2>&1; then
        FIREWALL=nftables
    else
        # Nothing probed (dry run) or found: the distribution's usual one.
        case "$OS_ID" in
        ubuntu) FIREWALL=ufw ;;
        debian) FIREWALL=nftables ;;
        *) [ "$PKG" = dnf ] && FIREWALL=firewalld || FIREWALL=nftables ;;
        esac
        note "firewall not detected; assuming $FIREWALL, the usual one on ${OS_NAME:-$OS_ID}"
    fi
fi
CTL=$BINDIR/tockctl
case "$FIREWALL" in
none)
    note "no firewall: tockd itself answers only the clients its allow lines name"
    ;;
nftables)
    note "tockd serves nobody until you add allow lines to $CONF_FILE. Then open UDP 123"
    note "(and TCP 4460 for NTS) to exactly those clients:"
    note "  $CTL firewall --nftables -f $CONF_FILE > $CONF_DIR/tock.nft"
    note "  nft -f $CONF_DIR/tock.nft    (to keep it: include \"$CONF_DIR/tock.nft\" in /etc/nftables.conf)"
    ;;
ufw)
    note "tockd serves nobody until you add allow lines to $CONF_FILE. Then open UDP 123"
    note "(and TCP 4460 for NTS) to exactly those clients:"
    note "  $CTL firewall --ufw -f $CONF_FILE     (review, then run the commands it prints)"
    ;;
firewalld)
    note "tockd serves nobody until you add allow lines to $CONF_FILE. Then open UDP 123"
    note "(and TCP 4460 for NTS) to exactly those clients:"
    note "  $CTL firewall --firewalld -f $CONF_FILE     (review, then run the commands it prints)"
    ;;
esac

echo "done$([ "$DRY_RUN" = 1 ] && echo ' (dry run)')"
