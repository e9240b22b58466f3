#!/bin/sh
# Installs the Debian 12 packages tock needs to build and test, when they are missing.
# Idempotent and quiet when nothing is missing. Needs root to install; without root it
# says what is missing and how to install it.
#
# Safety: installing chrony would start chronyd, which adjusts the clock. Packages are
# installed only while /usr/sbin/policy-rc.d exits 101 (no service may start); if the
# machine has no such policy, one is put in place for the installation and removed after.
set -u

BUILD_PKGS="gcc make pkg-config libssl-dev nettle-dev libseccomp-dev libcap-dev libcmocka-dev"
TEST_PKGS="python3 python3-pytest python3-ntplib chrony ntpsec-ntpdig sntp ntpdate iproute2 \
strace binutils util-linux procps clang clang-format libclang-rt-14-dev logrotate debhelper lintian \
nftables ufw dpkg-dev fakeroot systemd"

# "deps.sh build" checks only what building needs (make run); no argument: everything.
wanted="$BUILD_PKGS $TEST_PKGS"
[ "${1:-}" = build ] && wanted="$BUILD_PKGS"

missing=""
for p in $wanted; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "tock: missing packages:$missing" >&2
    echo "tock: run this command as root to install them, or: sudo apt-get install$missing" >&2
    exit 1
fi

policy=/usr/sbin/policy-rc.d
created_policy=0
if [ -x "$policy" ]; then
    "$policy" >/dev/null 2>&1
    if [ $? -ne 101 ]; then
        echo "tock: $policy exists but does not forbid service starts (exit 101); refusing to" \
             "install packages that would start a time daemon" >&2
        exit 1
    fi
else
    printf '#!/bin/sh\n# tock: no service may start while test packages are installed\nexit 101\n' \
        >"$policy"
    chmod 755 "$policy"
    created_policy=1
fi

echo "tock: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $missing >/dev/null
rc=$?
[ $created_policy -eq 1 ] && rm -f "$policy"
if [ $rc -ne 0 ]; then
    echo "tock: package installation failed" >&2
    exit 1
fi
# The chrony package enables its service for the next boot; make sure none is running now.
if pgrep -x chronyd >/dev/null 2>&1; then
    echo "tock: warning: a chronyd is running on this machine (not started by tock)" >&2
fi
exit 0
