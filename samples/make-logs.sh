#!/usr/bin/env bash
# Re-creates the sample access logs ingress-access.log and ingress-access-prefixed.log from real
# TLS clients: starts two instances of the test ingress (test/ingress/test-ingress.mjs) in strict
# mode, standing for two ingress gateway pods, drives curl, openssl s_client and the Python ssl
# client against them, and keeps what each instance writes (its --log access-log lines and its
# own messages, as `kubectl logs` shows a container's stdout and stderr together).
#
#   samples/make-logs.sh        # needs curl, openssl, python3, node; no root (no capture)
#
# ingress-access.log is pod A's output as `kubectl logs POD` prints it. ingress-access-prefixed.log
# is pods A and B as `kubectl logs -l app=apigee-ingressgateway --prefix --timestamps` prints them:
# each line prefixed with [pod/NAME/CONTAINER] and the time it was written (RFC 3339, nanoseconds),
# one pod after the other. Traffic stays on loopback: pod A listens on 127.0.0.10:8443, pod B on
# 127.0.0.11:8443; clients bind distinct 127.0.0.x source addresses.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=client.sh
source "$HERE/client.sh"

PORT=8443
POD_A=127.0.0.10
POD_B=127.0.0.11
POD_A_NAME=apigee-ingressgateway-ext-ingress-myorg-hyb-8f2c412-dvrcp
POD_B_NAME=apigee-ingressgateway-ext-ingress-myorg-hyb-8f2c412-wg26k
HOSTS='api.example.com,*.apps.example.com'

WORK=$(mktemp -d)
PIDS=()
FAILURES=0

cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in curl openssl "$PYTHON" "$NODE"; do
  command -v "$tool" >/dev/null || die "missing $tool"
done

# Reads lines on stdin and writes them with the time each arrived, as the kubelet stores them.
TIMESTAMPER='
const rl = require("node:readline").createInterface({ input: process.stdin });
rl.on("line", (line) => {
  const ns = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
  const s = ns / 1000000000n, frac = (ns % 1000000000n).toString().padStart(9, "0");
  process.stdout.write(new Date(Number(s) * 1000).toISOString().slice(0, 19) + "." + frac + "Z " + line + "\n");
});'

# start_pod ADDRESS OUTFILE: the ingress, stdout and stderr together, each line time-stamped.
start_pod() {
  local address=$1 out=$2
  "$NODE" "$INGRESS" --listen "$address:$PORT" --hosts "$HOSTS" --log > >("$NODE" -e "$TIMESTAMPER" >"$out") 2>&1 &
  PIDS+=($!)
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q 'listening on' "$out" 2>/dev/null && return 0
    sleep 0.1
  done
  die "the ingress on $address did not start"
}

# Stops the ingress processes (by the ids kept at start); each prints a last line and exits, and
# its time-stamper ends with its output.
stop_pods() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid"; done
  for pid in "${PIDS[@]}"; do wait "$pid" || die 'an ingress did not stop cleanly'; done
  PIDS=()
  sleep 0.5
}

CLIENT_PREFIX=()
CLIENT_PAUSE=0.05

curl_no_sni() { curl -sS -k --max-time 5 --interface "$1" "https://$2:$PORT/"; }                  # SRC DST
curl_sni() { curl -sS -k --max-time 5 --interface "$1" --resolve "$3:$PORT:$2" "https://$3:$PORT/"; } # SRC DST NAME
curl_xff() { curl -sS -k --max-time 5 --interface "$1" --resolve "$3:$PORT:$2" -H "X-Forwarded-For: $4" "https://$3:$PORT/"; } # SRC DST NAME XFF
openssl_client() { # SRC DST NAME|'' ('' means -noservername)
  local args=(-bind "$1")
  if [[ -n $3 ]]; then args+=(-servername "$3"); else args+=(-noservername); fi
  printf 'GET / HTTP/1.1\r\nHost: %s\r\n\r\n' "${3:-$2}" | timeout 10 openssl s_client -quiet -connect "$2:$PORT" "${args[@]}"
}
python_client() { # SRC DST NAME|'' ('' means server_hostname=None)
  local args=(--bind "$1")
  [[ -n $3 ]] && args+=(--sni "$3")
  "$PYTHON" "$PYCLIENT" --connect "$2:$PORT" "${args[@]}"
}

repeat() { # N COMMAND...
  local n=$1 i
  shift
  for ((i = 0; i < n; i++)); do "$@"; done
}

start_pod "$POD_A" "$WORK/pod-a.log"
start_pod "$POD_B" "$WORK/pod-b.log"

echo "pod A ($POD_A:$PORT)"
for round in 1 2 3; do
  for n in 21 22 23 24 25 26 27 28; do
    client served "127.0.0.$n curl SNI api.example.com (round $round)" curl_sni "127.0.0.$n" "$POD_A" api.example.com
  done
  client reset "127.0.0.41 python, server_hostname=None (round $round)" python_client 127.0.0.41 "$POD_A" ''
  client reset "127.0.0.43 curl https://$POD_A:$PORT/ (round $round)" curl_no_sni 127.0.0.43 "$POD_A"
  repeat 5 client reset "127.0.0.99 health check without SNI (round $round)" curl_no_sni 127.0.0.99 "$POD_A"
done
for n in 31 32 33; do
  repeat 3 client served "127.0.0.$n python SNI shop.apps.example.com" python_client "127.0.0.$n" "$POD_A" shop.apps.example.com
done
repeat 2 client reset '127.0.0.41 python, server_hostname=None' python_client 127.0.0.41 "$POD_A" ''
repeat 3 client reset '127.0.0.42 openssl -noservername' openssl_client 127.0.0.42 "$POD_A" ''
client reset '127.0.0.43 curl, no SNI' curl_no_sni 127.0.0.43 "$POD_A"
repeat 2 client reset '127.0.0.51 curl SNI old.example.net (no route)' curl_sni 127.0.0.51 "$POD_A" old.example.net
client reset '127.0.0.52 openssl -servername api.example.org (no route)' openssl_client 127.0.0.52 "$POD_A" api.example.org
repeat 2 client served '127.0.0.61 curl SNI api.example.com' curl_sni 127.0.0.61 "$POD_A" api.example.com
repeat 2 client reset '127.0.0.61 curl, no SNI' curl_no_sni 127.0.0.61 "$POD_A"
repeat 2 client served '127.0.0.71 curl SNI, X-Forwarded-For 198.51.100.23' curl_xff 127.0.0.71 "$POD_A" api.example.com 198.51.100.23
repeat 5 client reset '127.0.0.99 health check without SNI' curl_no_sni 127.0.0.99 "$POD_A"

echo "pod B ($POD_B:$PORT)"
repeat 3 client reset '127.0.0.44 python, server_hostname=None' python_client 127.0.0.44 "$POD_B" ''
repeat 2 client served '127.0.0.22 curl SNI api.example.com' curl_sni 127.0.0.22 "$POD_B" api.example.com
repeat 10 client reset '127.0.0.99 health check without SNI' curl_no_sni 127.0.0.99 "$POD_B"
client served '127.0.0.45 openssl -servername eu.apps.example.com' openssl_client 127.0.0.45 "$POD_B" eu.apps.example.com

sleep 0.5
stop_pods
[[ $FAILURES -eq 0 ]] || die "$FAILURES clients did not behave as expected"

# ingress-access.log: pod A without the timestamps (kubectl logs POD).
cut -d' ' -f2- "$WORK/pod-a.log" >"$WORK/ingress-access.log"
# ingress-access-prefixed.log: both pods, --prefix --timestamps, one pod after the other.
{
  sed "s|^|[pod/$POD_A_NAME/istio-proxy] |" "$WORK/pod-a.log"
  sed "s|^|[pod/$POD_B_NAME/istio-proxy] |" "$WORK/pod-b.log"
} >"$WORK/ingress-access-prefixed.log"

for f in ingress-access.log ingress-access-prefixed.log; do
  mv -f "$WORK/$f" "$HERE/$f"
  chmod 644 "$HERE/$f"
  echo "$f: $(wc -l <"$HERE/$f") lines, $(grep -c filter_chain_not_found "$HERE/$f") filter_chain_not_found"
done
