#!/usr/bin/env bash
# Install every Debian 12 package cntpd needs to build, test and benchmark.
# Idempotent: packages already present are skipped; no service is started
# (a policy-rc.d that forbids starts is put in place for the duration of the
# install when the machine has none, and removed again afterwards).
set -euo pipefail

packages=(
  build-essential pkg-config
  libsnmp-dev snmpd snmp snmptrapd smitools
  libevent-dev libcmocka-dev libssl-dev
  chrony monitoring-plugins-basic python3-ntp
  iproute2 util-linux valgrind
  pps-tools
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  # Without this, installing chrony or snmpd would start them as system
  # services; chronyd would then try to discipline this machine's clock.
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  made_policy=1
fi
cleanup() { [ $made_policy -eq 0 ] || $SUDO rm -f "$policy"; }
trap cleanup EXIT

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
