#!/usr/bin/env bash
# Shared by scripts/hostile/*.sh: run one case and classify panics and hangs.
# run_case SECONDS CMD...   runs CMD with a time limit; sets $out (stdout+stderr), $rc and
#                           $verdict (panic, hang or empty when neither happened).
# report AREA CASE RESULT DETAIL   prints one result line.
run_case() {
    local limit="$1"; shift
    out="$(timeout --kill-after=5 "$limit" "$@" 2>&1 </dev/null)"
    rc=$?
    verdict=""
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then verdict=hang
    elif [ "$rc" = 101 ] || grep -q "panicked at" <<<"$out"; then verdict=panic
    fi
}
# As run_case, with INPUT fed on stdin.
run_case_input() {
    local limit="$1" input="$2"; shift 2
    out="$(printf '%s' "$input" | timeout --kill-after=5 "$limit" "$@" 2>&1)"
    rc=$?
    verdict=""
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then verdict=hang
    elif [ "$rc" = 101 ] || grep -q "panicked at" <<<"$out"; then verdict=panic
    fi
}
report() {
    local detail="${4//$'\n'/ }"
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${detail:0:200}"
}
# expect AREA CASE WANT_PATTERN: after run_case, ok when no panic/hang, rc != 0 unless
# ALLOW_ZERO=1, and the output matches WANT_PATTERN (grep -E); otherwise panic, hang or unclear.
expect() {
    if [ -n "$verdict" ]; then report "$1" "$2" "$verdict" "$out"; return; fi
    if [ "${ALLOW_ZERO:-0}" != 1 ] && [ "$rc" = 0 ]; then report "$1" "$2" unclear "exit 0: $out"; return; fi
    if grep -Eq -- "$3" <<<"$out"; then report "$1" "$2" ok ""; else report "$1" "$2" unclear "$out"; fi
}
