# Sourced by the sample scripts right after they set HERE (this folder): the paths and tools they
# share, die(), client() and wait_for(). client() uses the script's WORK folder and FAILURES counter.

ROOT=$(cd "$HERE/.." && pwd)
INGRESS="$ROOT/test/ingress/test-ingress.mjs"
PYCLIENT="$HERE/py-tls-client.py"
PYTHON=${PYTHON:-python3}
NODE=${NODE:-node}

# die MESSAGE: stops the script, naming it.
die() {
  echo "$(basename "$0" .sh): $*" >&2
  exit 1
}
#
# client WANT LABEL COMMAND...: runs one client, prints whether it was served or reset, and
# counts a failure when that is not WANT. CLIENT_PREFIX (an array, e.g. `ip netns exec NS`) is
# put in front of the command; CLIENT_PAUSE is the pause after it (default 0.2 s).
client() {
  local want=$1 label=$2 got rc=0
  shift 2
  "${CLIENT_PREFIX[@]}" "$@" >"$WORK/client.out" 2>&1 </dev/null || rc=$?
  if [[ $rc -eq 0 ]]; then
    got=served
  elif grep -qiE 'reset by peer|errno=104|ECONNRESET|reset during handshake' "$WORK/client.out"; then
    got=reset
  else
    got="failed($rc)"
  fi
  printf '    %-7s %s\n' "$got" "$label"
  if [[ $got != "$want" ]]; then
    echo "    expected $want; client said:" >&2
    sed 's/^/      /' "$WORK/client.out" >&2
    FAILURES=$((FAILURES + 1))
  fi
  sleep "${CLIENT_PAUSE:-0.2}"
}

# wait_for PID FILE PATTERN: until a line matching PATTERN appears in FILE (10 s at most), while
# process PID runs.
wait_for() {
  local pid=$1 file=$2 pattern=$3 i
  for ((i = 0; i < 100; i++)); do
    if grep -q -- "$pattern" "$file" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$file" >&2 || true
      die "$(basename "$file" .err) exited early"
    fi
    sleep 0.1
  done
  cat "$file" >&2 || true
  die "timed out waiting for '$pattern' in $(basename "$file")"
}
