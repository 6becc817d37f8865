#!/usr/bin/env bash
# Re-creates node-dnat.pcap: what `tcpdump -i any` on a Kubernetes node records when clients
# reach an ingress pod through a service address that the node translates (DNAT) to the pod.
# Every connection is in the capture twice: on the client's interface with the service address
# (10.233.0.100:443) and on the pod's interface with the pod address (10.233.2.2:8443).
#
#   sudo samples/make-dnat-sample.sh      # needs root, ip (iproute2), nft or iptables,
#                                         # tcpdump, tshark, curl, openssl, node
#   sudo OUT=/tmp/x.pcap samples/make-dnat-sample.sh   # the same, written elsewhere
#
# Set-up, all of it removed again at the end (also on failure):
#   - network namespaces snipcap-client and snipcap-pod, each joined to the root namespace by a
#     veth pair (root side snipcap-c0 10.233.1.1/24 and snipcap-p0 10.233.2.1/24);
#   - clients 10.233.1.2, .3, .4 in snipcap-client; the test ingress (strict, --hosts
#     api.example.com) on 10.233.2.2:8443 in snipcap-pod; each namespace routes only
#     10.233.0.0/16, towards the root namespace;
#   - in the root namespace: IPv4 forwarding, an nftables table snipcap_dnat (or an iptables nat
#     rule when nft is missing) translating 10.233.0.100:443 to 10.233.2.2:8443, and an
#     `unreachable 10.233.0.0/16` route so that nothing addressed to 10.233.x.x can leave the
#     machine if the translation were missing;
#   - tcpdump -i any in the root namespace, filter 'net 10.233.0.0/16 and tcp'.
# Traffic never leaves these namespaces.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=client.sh
source "$HERE/client.sh"
OUT=${OUT:-$HERE/node-dnat.pcap} # OUT=FILE writes elsewhere (to try the script without replacing the sample)

NS_CLIENT=snipcap-client
NS_POD=snipcap-pod
VETH_CLIENT=snipcap-c0
VETH_POD=snipcap-p0
NET=10.233.0.0/16
SERVICE=10.233.0.100
SERVICE_PORT=443
POD=10.233.2.2
POD_PORT=8443
NFT_TABLE=snipcap_dnat

WORK=$(mktemp -d)
INGRESS_PID=''
CAPTURE_PID=''
FORWARD_BEFORE=''
NAT_WITH=''
FORWARD_RULE=0
UNREACHABLE_ROUTE=0
FAILURES=0

cleanup() {
  set +e
  if [[ -n $CAPTURE_PID ]]; then kill -TERM "$CAPTURE_PID" 2>/dev/null; wait "$CAPTURE_PID" 2>/dev/null; fi
  if [[ -n $INGRESS_PID ]]; then kill -TERM "$INGRESS_PID" 2>/dev/null; wait "$INGRESS_PID" 2>/dev/null; fi
  case $NAT_WITH in
    nft) nft delete table ip "$NFT_TABLE" 2>/dev/null ;;
    iptables) iptables -t nat -D PREROUTING -d "$SERVICE" -p tcp --dport "$SERVICE_PORT" -j DNAT --to-destination "$POD:$POD_PORT" 2>/dev/null ;;
  esac
  if [[ $FORWARD_RULE -eq 1 ]]; then iptables -D FORWARD -s "$NET" -d "$NET" -j ACCEPT 2>/dev/null; fi
  if [[ $UNREACHABLE_ROUTE -eq 1 ]]; then ip route del unreachable "$NET" 2>/dev/null; fi
  ip netns del "$NS_CLIENT" 2>/dev/null # removes the veth pairs with it
  ip netns del "$NS_POD" 2>/dev/null
  if [[ -n $FORWARD_BEFORE ]]; then sysctl -q -w "net.ipv4.ip_forward=$FORWARD_BEFORE" >/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

[[ $(id -u) -eq 0 ]] || die 'run as root (namespaces, address translation and packet capture need it)'
for tool in ip tcpdump tshark curl openssl sysctl "$NODE"; do
  command -v "$tool" >/dev/null || die "missing $tool"
done
command -v nft >/dev/null || command -v iptables >/dev/null || die 'missing nft and iptables'
for ns in "$NS_CLIENT" "$NS_POD"; do
  ! ip netns list | grep -qw "$ns" || die "namespace $ns exists already (left over from an earlier run? remove it with: ip netns del $ns)"
done
! ip -4 addr show | grep -q ' 10\.233\.' || die "10.233.x.x is already in use on this machine"
! ip -4 route show | grep -q '^10\.233\.' || die "a route for 10.233.x.x exists already on this machine"


echo 'namespaces, veth pairs and addresses'
ip netns add "$NS_CLIENT"
ip netns add "$NS_POD"
ip link add "$VETH_CLIENT" type veth peer name eth0 netns "$NS_CLIENT"
ip link add "$VETH_POD" type veth peer name eth0 netns "$NS_POD"
ip addr add 10.233.1.1/24 dev "$VETH_CLIENT"
ip addr add 10.233.2.1/24 dev "$VETH_POD"
ip link set "$VETH_CLIENT" up
ip link set "$VETH_POD" up
for a in 10.233.1.2 10.233.1.3 10.233.1.4; do ip -n "$NS_CLIENT" addr add "$a/24" dev eth0; done
ip -n "$NS_POD" addr add "$POD/24" dev eth0
for ns in "$NS_CLIENT" "$NS_POD"; do
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
done
ip -n "$NS_CLIENT" route add "$NET" via 10.233.1.1
ip -n "$NS_POD" route add "$NET" via 10.233.2.1

echo "root namespace: forwarding, DNAT $SERVICE:$SERVICE_PORT -> $POD:$POD_PORT"
ip route add unreachable "$NET"
UNREACHABLE_ROUTE=1
FORWARD_BEFORE=$(sysctl -n net.ipv4.ip_forward)
sysctl -q -w net.ipv4.ip_forward=1 >/dev/null
if command -v iptables >/dev/null && iptables -S FORWARD 2>/dev/null | grep -q '^-P FORWARD DROP'; then
  iptables -I FORWARD -s "$NET" -d "$NET" -j ACCEPT
  FORWARD_RULE=1
fi
if command -v nft >/dev/null; then
  NAT_WITH=nft
  nft -f - <<EOF
table ip $NFT_TABLE {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr $SERVICE tcp dport $SERVICE_PORT dnat to $POD:$POD_PORT
  }
}
EOF
else
  NAT_WITH=iptables
  iptables -t nat -A PREROUTING -d "$SERVICE" -p tcp --dport "$SERVICE_PORT" -j DNAT --to-destination "$POD:$POD_PORT"
fi

echo "ingress (strict, api.example.com) on $POD:$POD_PORT in $NS_POD"
ip netns exec "$NS_POD" "$NODE" "$INGRESS" --listen "$POD:$POD_PORT" --hosts api.example.com --log >"$WORK/ingress.log" 2>"$WORK/ingress.err" &
INGRESS_PID=$!
wait_for "$INGRESS_PID" "$WORK/ingress.err" 'listening on'

echo 'capture: tcpdump -i any in the root namespace'
tcpdump -Z root -n -U --immediate-mode -i any -w "$WORK/node-dnat.pcap" "net $NET and tcp" 2>"$WORK/capture.err" &
CAPTURE_PID=$!
wait_for "$CAPTURE_PID" "$WORK/capture.err" 'listening on'
sleep 0.3

CLIENT_PREFIX=(ip netns exec "$NS_CLIENT")

openssl_no_sni() { # SRC
  printf 'GET / HTTP/1.1\r\nHost: %s\r\n\r\n' "$SERVICE" |
    timeout 10 openssl s_client -quiet -connect "$SERVICE:$SERVICE_PORT" -bind "$1" -noservername
}

echo 'clients (in order)'
client reset "10.233.1.2 curl https://$SERVICE/ (no SNI)" curl -sS -k --max-time 5 --interface 10.233.1.2 "https://$SERVICE/"
client served '10.233.1.3 curl --resolve api.example.com (SNI api.example.com)' \
  curl -sS -k --max-time 5 --interface 10.233.1.3 --resolve "api.example.com:$SERVICE_PORT:$SERVICE" https://api.example.com/
client reset '10.233.1.4 openssl s_client -noservername' bash -c "$(declare -f openssl_no_sni); SERVICE=$SERVICE SERVICE_PORT=$SERVICE_PORT openssl_no_sni 10.233.1.4"

sleep 1 # the last FIN/RST packets
kill -TERM "$CAPTURE_PID"
wait "$CAPTURE_PID" || true
CAPTURE_PID=''
kill -TERM "$INGRESS_PID"
wait "$INGRESS_PID" || die 'ingress did not stop cleanly'
INGRESS_PID=''

[[ $FAILURES -eq 0 ]] || die "$FAILURES client(s) did not behave as expected"

# What tshark sees, for samples/README.md and the tests: every ClientHello and every RST.
echo 'tshark: ClientHellos (frame, src, sport, dst, dport, server_name)'
tshark -n -r "$WORK/node-dnat.pcap" -d "tcp.port==$POD_PORT,tls" -d "tcp.port==$SERVICE_PORT,tls" -Y 'tls.handshake.type == 1' \
  -T fields -e frame.number -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport -e tls.handshake.extensions_server_name -e tls.handshake.random
echo 'tshark: RSTs (frame, src, sport, dst, dport)'
tshark -n -r "$WORK/node-dnat.pcap" -Y 'tcp.flags.reset == 1' -T fields -e frame.number -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport
hellos=$(tshark -n -r "$WORK/node-dnat.pcap" -d "tcp.port==$POD_PORT,tls" -d "tcp.port==$SERVICE_PORT,tls" -Y 'tls.handshake.type == 1' 2>/dev/null | wc -l)
server_resets=$(tshark -n -r "$WORK/node-dnat.pcap" -Y "tcp.flags.reset == 1 && (tcp.srcport == $POD_PORT || tcp.srcport == $SERVICE_PORT)" 2>/dev/null | wc -l)
echo "ClientHellos: $hellos, RSTs from the ingress side: $server_resets"
# Each of the 3 connections twice; the 2 without SNI reset, each RST seen from both addresses.
[[ $hellos -eq 6 && $server_resets -eq 4 ]] || die 'the capture is incomplete (expected 6 ClientHellos and 4 RSTs from the ingress); run again'

mv -f "$WORK/node-dnat.pcap" "$OUT"
chmod 644 "$OUT"
echo "wrote $OUT"
