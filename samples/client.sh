# Sourced by the sample scripts. Uses their WORK folder and FAILURES counter.
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
