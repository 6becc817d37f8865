#!/usr/bin/env bash
# Re-creates the sample captures in this folder from real traffic on the loopback interface:
# starts the test ingress (test/ingress/test-ingress.mjs), starts a capture, drives real TLS
# clients (curl, openssl s_client, a Python ssl client), stops the capture and the ingress.
# Then regenerates expected.json and the facts section of README.md (make-expected.mjs).
#
#   sudo samples/make-samples.sh          # needs root (packet capture), tcpdump, dumpcap,
#                                         # tshark, curl, openssl, python3, node
#
# Idempotent: every output is written to a temporary folder first and then moved over the old
# one. Traffic stays on loopback: the ingress listens on 127.0.0.10:8443 and [::1]:8443, IPv4
# clients bind distinct 127.0.0.x source addresses, IPv6 clients use ::1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=client.sh
source "$HERE/client.sh"

PORT=8443
V4=127.0.0.10
V6=::1
HOSTS='api.example.com,*.apps.example.com'

WORK=$(mktemp -d)
INGRESS_PID=''
CAPTURE_PID=''
FAILURES=0

cleanup() {
  if [[ -n $CAPTURE_PID ]]; then kill -TERM "$CAPTURE_PID" 2>/dev/null || true; wait "$CAPTURE_PID" 2>/dev/null || true; fi
  if [[ -n $INGRESS_PID ]]; then kill -TERM "$INGRESS_PID" 2>/dev/null || true; wait "$INGRESS_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

[[ $(id -u) -eq 0 ]] || die 'run as root (packet capture needs it)'
for tool in tcpdump dumpcap tshark capinfos curl openssl "$PYTHON" "$NODE"; do
  command -v "$tool" >/dev/null || die "missing $tool"
done


# start_ingress strict|wildcard LOGFILE
start_ingress() {
  local mode=$1 log=$2
  local args=(--listen "$V4:$PORT" --listen "[$V6]:$PORT" --hosts "$HOSTS" --log)
  [[ $mode == wildcard ]] && args+=(--wildcard)
  "$NODE" "$INGRESS" "${args[@]}" >"$log" 2>"$WORK/ingress.err" &
  INGRESS_PID=$!
  wait_for "$INGRESS_PID" "$WORK/ingress.err" 'listening on'
}

stop_ingress() {
  kill -TERM "$INGRESS_PID"
  wait "$INGRESS_PID" || die 'ingress did not stop cleanly'
  INGRESS_PID=''
}

# start_capture KIND OUTFILE
#   lo        tcpdump -i lo (Ethernet, link type 1)
#   lo-ip6    tcpdump -i lo, IPv6 packets only
#   lo-s96    tcpdump -i lo -s 96 (cuts every packet after 96 bytes)
#   any       tcpdump -i any -y LINUX_SLL2 (link type 276)
#   dumpcap   dumpcap -i lo (pcapng)
start_capture() {
  local kind=$1 out=$2 filter="tcp port $PORT"
  local td=(tcpdump -Z root -n -U --immediate-mode -w "$out")
  case $kind in
    lo) "${td[@]}" -i lo "$filter" 2>"$WORK/capture.err" & ;;
    lo-ip6) "${td[@]}" -i lo "ip6 and $filter" 2>"$WORK/capture.err" & ;;
    lo-s96) "${td[@]}" -i lo -s 96 "$filter" 2>"$WORK/capture.err" & ;;
    any) "${td[@]}" -i any -y LINUX_SLL2 "$filter" 2>"$WORK/capture.err" & ;;
    dumpcap) dumpcap -i lo -f "$filter" -w "$out" 2>"$WORK/capture.err" & ;;
    *) die "unknown capture kind $kind" ;;
  esac
  CAPTURE_PID=$!
  if [[ $kind == dumpcap ]]; then
    wait_for "$CAPTURE_PID" "$WORK/capture.err" 'Capturing on'
  else
    wait_for "$CAPTURE_PID" "$WORK/capture.err" 'listening on'
  fi
  sleep 0.3
}

stop_capture() {
  sleep 0.5 # let the last FIN/RST packets arrive
  kill -TERM "$CAPTURE_PID"
  wait "$CAPTURE_PID" || true
  CAPTURE_PID=''
}

CLIENT_PREFIX=()

# Clients. SRC is a local source address ("" for the default), DST the ingress address.
url_host() { if [[ $1 == *:* ]]; then echo "[$1]"; else echo "$1"; fi; }

curl_no_sni() { # SRC DST — an IP-literal URL: curl sends no server_name
  local src=$1 dst=$2 bind=()
  [[ -n $src ]] && bind=(--interface "$src")
  curl -sS -k --max-time 5 "${bind[@]}" "https://$(url_host "$dst"):$PORT/"
}

curl_sni() { # SRC DST NAME
  local src=$1 dst=$2 name=$3 bind=()
  [[ -n $src ]] && bind=(--interface "$src")
  curl -sS -k --max-time 5 "${bind[@]}" --resolve "$name:$PORT:$dst" "https://$name:$PORT/"
}

openssl_client() { # SRC DST NAME|'' — '' means -noservername
  local src=$1 dst=$2 name=$3 args=()
  [[ -n $src ]] && args+=(-bind "$src")
  if [[ -n $name ]]; then args+=(-servername "$name"); else args+=(-noservername); fi
  printf 'GET / HTTP/1.1\r\nHost: %s\r\n\r\n' "${name:-$dst}" |
    timeout 10 openssl s_client -quiet -connect "$(url_host "$dst"):$PORT" "${args[@]}"
}

python_client() { # SRC DST NAME|'' — '' means server_hostname=None
  local src=$1 dst=$2 name=$3 args=()
  [[ -n $src ]] && args+=(--bind "$src")
  [[ -n $name ]] && args+=(--sni "$name")
  "$PYTHON" "$PYCLIENT" --connect "$(url_host "$dst"):$PORT" "${args[@]}"
}

# sample NAME CAPTURE-KIND INGRESS-MODE CLIENTS-FUNCTION
sample() {
  local name=$1 kind=$2 mode=$3 clients=$4
  echo "$name  ($kind capture, $mode ingress on $V4:$PORT and [$V6]:$PORT)"
  start_ingress "$mode" "$WORK/$name.log"
  start_capture "$kind" "$WORK/$name"
  "$clients"
  stop_capture
  stop_ingress
  mv -f "$WORK/$name" "$HERE/$name"
  chmod 644 "$HERE/$name"
}

clients_non_sni_reset() {
  client reset '127.0.0.21 curl https://127.0.0.10:8443/ (no SNI)' curl_no_sni 127.0.0.21 "$V4"
  client served '127.0.0.22 curl --resolve api.example.com (SNI api.example.com)' curl_sni 127.0.0.22 "$V4" api.example.com
  client reset '127.0.0.23 openssl s_client -noservername' openssl_client 127.0.0.23 "$V4" ''
  client reset '127.0.0.24 python ssl, server_hostname=None' python_client 127.0.0.24 "$V4" ''
  client served '127.0.0.25 openssl s_client -servername shop.apps.example.com' openssl_client 127.0.0.25 "$V4" shop.apps.example.com
  client reset '127.0.0.21 curl https://127.0.0.10:8443/ again (no SNI)' curl_no_sni 127.0.0.21 "$V4"
}

clients_any_sll2() {
  client reset '127.0.0.31 curl https://127.0.0.10:8443/ (no SNI)' curl_no_sni 127.0.0.31 "$V4"
  client served '127.0.0.32 curl --resolve api.example.com (SNI)' curl_sni 127.0.0.32 "$V4" api.example.com
  client reset '127.0.0.33 python ssl, server_hostname=None' python_client 127.0.0.33 "$V4" ''
  client reset '::1 curl https://[::1]:8443/ (no SNI)' curl_no_sni '' "$V6"
}

clients_mixed() {
  client reset '127.0.0.41 curl https://127.0.0.10:8443/ (no SNI)' curl_no_sni 127.0.0.41 "$V4"
  client served '127.0.0.42 curl --resolve api.example.com (SNI)' curl_sni 127.0.0.42 "$V4" api.example.com
  client reset '::1 curl https://[::1]:8443/ (no SNI)' curl_no_sni '' "$V6"
  client served '::1 curl --resolve api.example.com:8443:[::1] (SNI)' curl_sni '' "$V6" api.example.com
  client reset '::1 python ssl, server_hostname=None' python_client '' "$V6" ''
}

clients_ipv6() {
  client reset '::1 curl https://[::1]:8443/ (no SNI)' curl_no_sni '' "$V6"
  client served '::1 curl --resolve api.example.com:8443:[::1] (SNI)' curl_sni '' "$V6" api.example.com
  client reset '::1 openssl s_client -noservername' openssl_client '' "$V6" ''
  client reset '::1 python ssl, server_hostname=None' python_client '' "$V6" ''
}

clients_sni_ok() {
  client served '127.0.0.51 curl --resolve api.example.com (SNI)' curl_sni 127.0.0.51 "$V4" api.example.com
  client served '127.0.0.52 openssl s_client -servername api.example.com' openssl_client 127.0.0.52 "$V4" api.example.com
  client served '127.0.0.53 python ssl, server_hostname=shop.apps.example.com' python_client 127.0.0.53 "$V4" shop.apps.example.com
  client served '::1 curl --resolve api.example.com:8443:[::1] (SNI)' curl_sni '' "$V6" api.example.com
}

clients_wildcard() {
  client served '127.0.0.61 curl https://127.0.0.10:8443/ (no SNI)' curl_no_sni 127.0.0.61 "$V4"
  client served '127.0.0.62 openssl s_client -noservername' openssl_client 127.0.0.62 "$V4" ''
  client served '127.0.0.63 python ssl, server_hostname=None' python_client 127.0.0.63 "$V4" ''
  client served '127.0.0.64 curl --resolve api.example.com (SNI)' curl_sni 127.0.0.64 "$V4" api.example.com
  client served '127.0.0.65 openssl s_client -servername unknown.example' openssl_client 127.0.0.65 "$V4" unknown.example
}

clients_unknown_sni() {
  client reset '127.0.0.71 openssl s_client -servername unknown.example' openssl_client 127.0.0.71 "$V4" unknown.example
  client reset '127.0.0.72 curl --resolve www.unknown.example (SNI www.unknown.example)' curl_sni 127.0.0.72 "$V4" www.unknown.example
  client served '127.0.0.73 curl --resolve api.example.com (SNI)' curl_sni 127.0.0.73 "$V4" api.example.com
}

clients_snaplen() {
  client reset '127.0.0.81 curl https://127.0.0.10:8443/ (no SNI)' curl_no_sni 127.0.0.81 "$V4"
  client served '127.0.0.82 curl --resolve api.example.com (SNI)' curl_sni 127.0.0.82 "$V4" api.example.com
  client reset '127.0.0.83 openssl s_client -noservername' openssl_client 127.0.0.83 "$V4" ''
}

LOG_STAMP=$(date -u '+%Y-%m-%d %H:%M:%S.000') # the gateway's own log lines predate its access log
sample non-sni-reset.pcap lo strict clients_non_sni_reset
sample any-sll2.pcap any strict clients_any_sll2
sample mixed.pcapng dumpcap strict clients_mixed
sample ipv6-non-sni-reset.pcap lo-ip6 strict clients_ipv6
sample sni-ok.pcap lo strict clients_sni_ok
sample wildcard-ok.pcap lo wildcard clients_wildcard
sample unknown-sni-reset.pcap lo strict clients_unknown_sni
sample snaplen-cut.pcap lo-s96 strict clients_snaplen

# The ingress access log of the non-sni-reset.pcap run, with a few non-JSON lines mixed in
# the way `kubectl logs` shows the gateway's own messages between access-log lines.
{
  echo 'Defaulted container "ingress" out of: ingress, discovery (init)'
  echo "[$LOG_STAMP][1][info][main] test ingress listening on 127.0.0.10:8443 and [::1]:8443"
  head -n 3 "$WORK/non-sni-reset.pcap.log"
  echo "[$LOG_STAMP][1][warning][config] filter chains: api.example.com, *.apps.example.com; no default chain"
  tail -n +4 "$WORK/non-sni-reset.pcap.log"
} >"$WORK/ingress-logs.jsonl"
mv -f "$WORK/ingress-logs.jsonl" "$HERE/ingress-logs.jsonl"
chmod 644 "$HERE/ingress-logs.jsonl"

[[ $FAILURES -eq 0 ]] || die "$FAILURES client(s) did not behave as expected"

"$NODE" "$HERE/make-expected.mjs"
