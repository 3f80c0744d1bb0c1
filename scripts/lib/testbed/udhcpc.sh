#!/bin/sh
# udhcpc script for testbed clients. It sets the address and the default
# route only: the stock script rewrites /etc/resolv.conf, which would be the
# host's own file. DNS comes from /etc/netns/<ns>/resolv.conf instead.
# busybox udhcpc passes $interface, $ip, $mask (prefix length) and $router
# in the environment, and a requested option N (-O N) as $optN.
# shellcheck disable=SC2154
case "$1" in
  deconfig)
    ip -4 addr flush dev "$interface" scope global
    ;;
  bound|renew)
    # RFC 8910 Captive Portal API URI (DHCP option 114), when requested with -O 114; logged for tests.
    if [ -n "${QLINK_DHCP_LOG:-}" ]; then echo "opt114=${opt114:-}" >> "$QLINK_DHCP_LOG"; fi
    ip -4 addr replace "$ip/${mask:-24}" dev "$interface"
    for r in $router; do
      ip -4 route replace default via "$r" dev "$interface"
      break
    done
    ;;
esac
exit 0
