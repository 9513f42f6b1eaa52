#!/usr/bin/env bash
# Hostile inputs for the records (issue 15, items 1–4 and part of 8): recovery files that must
# stay with their own database, forged or broken recovery files, a session that can be saved
# nowhere, read-only folders and mounts, a locked database, foreign SQLite files, huge handoff
# notes and malformed latencies. Usage: records.sh BIN SCRATCH (see scripts/hostile.sh).
set -uo pipefail
BIN="$1"
S="$2"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=../hostile-lib.sh
source "$ROOT/scripts/hostile-lib.sh"
A=records
SCEN="$ROOT/tests/fixtures/valid/vip-window.ron"
CALL=$'李总您好，非常抱歉，我马上帮您核实订单 DD20261118。\n/transfer 李总订单 DD20261118 重复扣款\n'
command -v sqlite3 >/dev/null || { report "$A" setup unclear "sqlite3 is needed (apt-get install sqlite3)"; exit 0; }

# A fresh folder for a case, with its own home (preferences, recovery files) and temp dir.
fresh() { D="$S/$1"; rm -rf "$D"; mkdir -p "$D/home" "$D/tmp"; H="$D/home"; }
# practice DB TRAINEE [INPUT] [extra args…]: one scripted call; sets $out, $rc, $verdict.
practice() {
    local db="$1" who="$2" input="${3:-$CALL}"
    shift 3 2>/dev/null || shift $#
    run_case_input 60 "$input" env PEILIAN_HOME="$H" TMPDIR="$D/tmp" "$BIN" practice "$SCEN" --seed 1 \
        --trainee "$who" --db "$db" "$@"
}
# Sessions of TRAINEE in DB (0 when the file is not a readable peilian database).
sessions() { sqlite3 "$1" "SELECT count(*) FROM sessions s JOIN trainees t ON t.id = s.trainee_id WHERE t.name = '$2'" 2>/dev/null || echo 0; }
# Recovery files (not .bad) and .bad files under the case's home.
waiting() { find "$H/recovery" "$D/tmp" -name '*.jsonl' 2>/dev/null | wc -l; }
bad_files() { find "$H/recovery" -name '*.jsonl.bad' 2>/dev/null | wc -l; }
# A prefix that runs a command with permission checks in force, also for root
# (CAP_DAC_OVERRIDE dropped).
STRICT=()
[ "$(id -u)" = 0 ] && STRICT=(setpriv --bounding-set -dac_override,-dac_read_search --)

# --- 1. Recovery files belong to one database -------------------------------------------
# The issue's repro: teamA is a bare file with user_version 99 (no tables, no identity): not a
# peilian database, so practice refuses it before the call, leaving it as it was.
fresh repro-bare-user-version
mkdir -p "$D/x"
sqlite3 "$D/x/teamA.db" "pragma user_version=99"
before="$(sha256sum <"$D/x/teamA.db")"
practice "$D/x/teamA.db" 甲
if [ -n "$verdict" ]; then report $A repro-bare-user-version "$verdict" "$out"
elif [ "$rc" != 2 ] || ! grep -q '不是 peilian 的数据库' <<<"$out" || ! grep -q -- '--db' <<<"$out"; then
    report $A repro-bare-user-version unclear "rc $rc: $out"
elif [ "$(waiting)" != 0 ] || [ "$before" != "$(sha256sum <"$D/x/teamA.db")" ]; then
    report $A repro-bare-user-version wrong-db "a recovery file was written, or the file was changed: $out"
else report $A repro-bare-user-version ok ""; fi

# The same with a peilian database too new for this program: the call goes on into a
# recovery file of teamA's; teamB (fine) never sees it.
fresh repro-teamA-teamB
mkdir -p "$D/x"
practice "$D/x/teamA.db" 丙
version="$(sqlite3 "$D/x/teamA.db" "pragma user_version")"
sqlite3 "$D/x/teamA.db" "pragma user_version=99"
practice "$D/x/teamA.db" 甲
first_rc=$rc first="$out"
practice "$D/x/teamB.db" 乙
run_case 20 env PEILIAN_HOME="$H" "$BIN" replay --db "$D/x/teamB.db"
if [ -n "$verdict" ]; then report $A repro-teamA-teamB "$verdict" "$out"
elif grep -q 甲 <<<"$out" || [ "$(sessions "$D/x/teamB.db" 甲)" != 0 ]; then report $A repro-teamA-teamB wrong-db "teamA's session listed in teamB: $out"
elif [ "$(waiting)" != 1 ]; then report $A repro-teamA-teamB lost "teamA's session is in no recovery file (rc $first_rc): $first"
else
    # teamA fixed (back to a version this program reads, as an upgrade would): its session
    # comes home, to teamA only.
    sqlite3 "$D/x/teamA.db" "pragma user_version=$version"
    practice "$D/x/teamA.db" 甲
    if [ "$(sessions "$D/x/teamA.db" 甲)" = 2 ] && [ "$(sessions "$D/x/teamB.db" 甲)" = 0 ]; then report $A repro-teamA-teamB ok ""
    else report $A repro-teamA-teamB lost "after the fix teamA has $(sessions "$D/x/teamA.db" 甲) sessions: $out"; fi
fi

# Two databases in the same folder, both unusable in turn: each file goes home only.
fresh same-folder-two-dbs
printf 'garbage%.0s' {1..2000} >"$D/a.db"
printf 'garbage%.0s' {1..2000} >"$D/b.db"
practice "$D/a.db" 甲; practice "$D/b.db" 乙
rm "$D/a.db"; practice "$D/a.db" 丙
if [ "$(sessions "$D/a.db" 乙)" != 0 ]; then report $A same-folder-two-dbs wrong-db "b's session imported into a"
elif [ "$(sessions "$D/a.db" 甲)" = 1 ] && [ "$(waiting)" = 1 ]; then report $A same-folder-two-dbs ok ""
else report $A same-folder-two-dbs lost "a has $(sessions "$D/a.db" 甲) of 甲, $(waiting) files waiting"; fi

# A database replaced by another peilian database at the same path: files keyed by its
# identity wait for the original.
fresh replaced-by-another-db
practice "$D/r.db" 甲
python3 - "$D/r.db" <<'EOF' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None); c.execute("BEGIN EXCLUSIVE"); time.sleep(20)
EOF
locker=$!; sleep 1
practice "$D/r.db" 乙
kill $locker 2>/dev/null; wait $locker 2>/dev/null
deferred="$(waiting)"
mv "$D/r.db" "$D/r.orig"; rm -f "$D/r.db-wal" "$D/r.db-shm"
practice "$D/r.db" 丙
if [ "$deferred" != 1 ]; then report $A replaced-by-another-db unclear "the session on the locked database was not deferred to a recovery file"
elif [ "$(sessions "$D/r.db" 乙)" != 0 ]; then report $A replaced-by-another-db wrong-db "imported into a different database at the same path"
else
    mv "$D/r.orig" "$D/r.db"
    practice "$D/r.db" 丁
    if [ "$(sessions "$D/r.db" 乙)" = 1 ]; then report $A replaced-by-another-db ok ""
    else report $A replaced-by-another-db lost "the original got $(sessions "$D/r.db" 乙) of 乙's sessions: $out"; fi
fi

# Broken recovery files: each kept as *.bad and named, never applied, never blocking a good one.
# Makes two real recovery files for D/t.db (unusable at first), tampers the first with CMD.
tampered() {
    local case="$1" want="$2" script="$3"
    fresh "$case"
    printf 'garbage%.0s' {1..2000} >"$D/t.db"
    practice "$D/t.db" 坏
    practice "$D/t.db" 好
    mapfile -t files < <(find "$H/recovery" -name '*.jsonl' 2>/dev/null | sort)
    if [ "${#files[@]}" != 2 ]; then
        report $A "$case" lost "expected two recovery files in $H/recovery, found ${#files[@]}"
        return
    fi
    python3 - "${files[0]}" <<<"$script"
    rm "$D/t.db"
    practice "$D/t.db" 新
    if [ -n "$verdict" ]; then report $A "$case" "$verdict" "$out"
    elif [ "$(sessions "$D/t.db" 坏)" != 0 ]; then report $A "$case" wrong-db "a bad recovery file was applied"
    elif [ "$(sessions "$D/t.db" 好)" != 1 ]; then report $A "$case" lost "the good file was blocked: $out"
    elif [ "$(bad_files)" != 1 ] || ! grep -q "${files[0]##*/}.bad" <<<"$out" || ! grep -Eq -- "$want" <<<"$out"; then
        report $A "$case" unclear "$out"
    else report $A "$case" ok ""; fi
}
tampered recovery-no-start "没有开始记录" '
import sys; p = sys.argv[1]; l = open(p).read().splitlines(True); open(p, "w").writelines(l[:1] + l[2:])'
tampered recovery-forged-100-passed "不一致" '
import sys, json; p = sys.argv[1]; l = open(p).read().splitlines()
out = []
for x in l:
    o = json.loads(x)
    if o.get("op") == "finish": o["overall"] = 100.0; o["passed"] = True
    out.append(json.dumps(o, ensure_ascii=False))
open(p, "w").write("\n".join(out) + "\n")'
tampered recovery-forged-scorecard-too "加权平均" '
import sys, json; p = sys.argv[1]; l = open(p).read().splitlines()
out = []
for x in l:
    o = json.loads(x)
    if o.get("op") == "finish":
        o["overall"] = 100.0; o["passed"] = True
        c = json.loads(o["scorecard"]); c["overall"] = 100.0; c["passed"] = True; c["capped"] = None
        o["scorecard"] = json.dumps(c, ensure_ascii=False)
    out.append(json.dumps(o, ensure_ascii=False))
open(p, "w").write("\n".join(out) + "\n")'
tampered recovery-score-out-of-range "0–100" '
import sys, json; p = sys.argv[1]; l = open(p).read().splitlines()
out = []
for x in l:
    o = json.loads(x)
    if o.get("op") == "turn": o["overall"] = 250.0
    out.append(json.dumps(o, ensure_ascii=False))
open(p, "w").write("\n".join(out) + "\n")'
tampered recovery-bad-uuid "格式不对" '
import sys; p = sys.argv[1]; t = open(p).read()
import re; u = re.search(r"\"uuid\":\"([0-9a-f-]+)\"", t).group(1); open(p, "w").write(t.replace(u, "x\x27 OR 1=1 --"))'
tampered recovery-control-chars-in-name "学员姓名" '
import sys; p = sys.argv[1]; t = open(p).read(); open(p, "w").write(t.replace("\"trainee\":\"坏\"", "\"trainee\":\"坏\\u001b]0;pwned\\u0007\""))'
tampered recovery-garbage-line "不是有效的记录" '
import sys; open(sys.argv[1], "a").write("{\"op\":\"turn\",\"uuid\":1}\n")'
tampered recovery-no-header "文件头" '
import sys; p = sys.argv[1]; l = open(p).read().splitlines(True); open(p, "w").writelines(l[1:])'
tampered recovery-other-database-header "另一个数据库" '
import sys, json; p = sys.argv[1]; l = open(p).read().splitlines(True)
h = json.loads(l[0]); h["database"]["path"] = "/elsewhere/team.db"; l[0] = json.dumps(h) + "\n"; open(p, "w").writelines(l)'
tampered recovery-empty-file "空" '
import sys; open(sys.argv[1], "w").close()'
tampered recovery-huge-file "超过上限" '
import sys; f = open(sys.argv[1], "r+"); f.truncate(70 * 1024 * 1024)'
tampered recovery-fifo "普通文件" '
import sys, os; os.remove(sys.argv[1]); os.mkfifo(sys.argv[1])'
tampered recovery-symlink-dev-zero "普通文件" '
import sys, os; os.remove(sys.argv[1]); os.symlink("/dev/zero", sys.argv[1])'

# A recovery file copied from another database's folder into this one's.
fresh recovery-copied-between-dbs
printf 'garbage%.0s' {1..2000} >"$D/a.db"; printf 'garbage%.0s' {1..2000} >"$D/b.db"
practice "$D/a.db" 甲
adir="$(dirname "$(find "$H/recovery" -name '*.jsonl' 2>/dev/null | head -1)")"
practice "$D/b.db" 乙
bdir="$(find "$H/recovery" -mindepth 1 -maxdepth 1 -type d ! -path "$adir" 2>/dev/null | head -1)"
[ -n "$bdir" ] && cp "$adir"/*.jsonl "$bdir/copied.jsonl"
rm "$D/b.db"; practice "$D/b.db" 丙
if [ "$(sessions "$D/b.db" 甲)" != 0 ]; then report $A recovery-copied-between-dbs wrong-db "a's file imported into b"
elif [ "$(sessions "$D/b.db" 乙)" = 1 ] && grep -q "copied.jsonl" <<<"$out" && grep -q "另一个数据库" <<<"$out"; then report $A recovery-copied-between-dbs ok ""
else report $A recovery-copied-between-dbs unclear "$out"; fi

# Permissions: private folders, 0600 files, nothing in the shared temp directory.
fresh recovery-permissions
mkdir -p "$H/recovery"; chmod 777 "$H/recovery"
printf 'garbage%.0s' {1..2000} >"$D/c.db"
practice "$D/c.db" 甲
f="$(find "$H/recovery" -name '*.jsonl' 2>/dev/null | head -1)"
modes="$(stat -c %a "$H/recovery" "$(dirname "$f")" "$f" 2>/dev/null | tr '\n' ' ')"
if [ "$modes" = "700 700 600 " ] && [ ! -e "$D/tmp/peilian-recovery" ]; then report $A recovery-permissions ok ""
else report $A recovery-permissions unclear "modes: $modes"; fi

# A symlink planted where the recovery folder goes: not followed; the next private folder is used.
fresh recovery-root-symlink
mkdir -p "$D/elsewhere"; ln -s "$D/elsewhere" "$H/recovery"
printf 'garbage%.0s' {1..2000} >"$D/c.db"
practice "$D/c.db" 甲
if [ -n "$(ls -A "$D/elsewhere")" ]; then report $A recovery-root-symlink wrong-db "wrote through the symlink"
elif [ "$(find "$D/tmp" -name '*.jsonl' | wc -l)" = 1 ] && grep -q "恢复文件" <<<"$out"; then report $A recovery-root-symlink ok ""
else report $A recovery-root-symlink lost "$out"; fi

# --- 2. A session saved nowhere ------------------------------------------------------------
fresh saved-nowhere
echo x >"$D/file"
run_case_input 60 "$CALL" env PEILIAN_HOME="$D/file/home" TMPDIR="$D/file/tmp" "$BIN" practice "$SCEN" --seed 1 \
    --trainee 甲 --db "$D/file/r.db"
if [ -n "$verdict" ]; then report $A saved-nowhere "$verdict" "$out"
elif [ "$rc" = 0 ]; then report $A saved-nowhere lost "exit 0: $out"
elif grep -q "本次练习没有保存" <<<"$out" && grep -q '"transcript"' <<<"$out" && ! grep -q "已保存到恢复文件" <<<"$out"; then
    report $A saved-nowhere ok ""
else report $A saved-nowhere lost "$out"; fi
run_case_input 60 "$CALL" env PEILIAN_HOME="$D/file/home" TMPDIR="$D/file/tmp" "$BIN" practice "$SCEN" --seed 1 \
    --trainee 甲 --db "$D/file/r.db" --save-transcript "$D/kept.json"
if [ -n "$verdict" ]; then report $A saved-nowhere-save-transcript "$verdict" "$out"
elif [ "$rc" != 0 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["record"]["saved"]=="nowhere" and d["transcript"]' "$D/kept.json" 2>/dev/null; then
    report $A saved-nowhere-save-transcript ok ""
else report $A saved-nowhere-save-transcript lost "rc $rc: $out"; fi

# --- 3. Read-only databases --------------------------------------------------------------
fresh read-only-folder
mkdir "$D/ro"; practice "$D/ro/r.db" 读
chmod 555 "$D/ro"
# succeeded CASE PATTERN: after run_case, ok when it exited 0 and printed PATTERN.
succeeded() {
    if [ -n "$verdict" ]; then report $A "$1" "$verdict" "$out"
    elif [ "$rc" != 0 ]; then report $A "$1" unclear "exit $rc: $out"
    elif grep -Eq -- "$2" <<<"$out"; then report $A "$1" ok ""
    else report $A "$1" unclear "$out"; fi
}
if ! "${STRICT[@]}" touch "$D/ro/probe" 2>/dev/null; then
    for cmd in "report|1\\. 读 [0-9]" "report --trainee 读 --json|\"completed\": 1" "replay|读.*已转接" \
        "replay 1 --json|\"outcome\": \"transferred\""; do
        # shellcheck disable=SC2086
        run_case 20 "${STRICT[@]}" env PEILIAN_HOME="$H" "$BIN" ${cmd%%|*} --db "$D/ro/r.db"
        succeeded "read-only-folder: ${cmd%%|*}" "${cmd#*|}"
    done
else report $A read-only-folder unclear "cannot make a read-only folder here (setpriv missing?)"; fi
chmod 755 "$D/ro"

fresh read-only-file
practice "$D/r.db" 读
chmod 444 "$D/r.db"
run_case 20 "${STRICT[@]}" env PEILIAN_HOME="$H" "$BIN" report --trainee 读 --json --db "$D/r.db"
succeeded read-only-file '"completed": 1'
# Practice on it: the session goes to a recovery file, and comes home when it is writable.
run_case_input 60 "$CALL" "${STRICT[@]}" env PEILIAN_HOME="$H" TMPDIR="$D/tmp" "$BIN" practice "$SCEN" --seed 1 \
    --trainee 写 --db "$D/r.db"
said="$out"
chmod 644 "$D/r.db"
practice "$D/r.db" 又
n="$(sessions "$D/r.db" 写)"
if [ "$n" = 1 ] && grep -q "恢复文件" <<<"$said"; then report $A read-only-file-practice ok ""
else report $A read-only-file-practice lost "写 has $n sessions: $said"; fi

fresh read-only-mount
mkdir "$D/ro"; practice "$D/ro/r.db" 读
if unshare --mount --propagation private sh -c 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1"' sh "$D/ro" 2>/dev/null; then
    run_case 20 unshare --mount --propagation private sh -c \
        'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && PEILIAN_HOME="$3" exec "$2" report --trainee 读 --json --db "$1/r.db"' \
        sh "$D/ro" "$BIN" "$H"
    succeeded read-only-mount '"completed": 1'
else report $A read-only-mount unclear "no private read-only mount possible here"; fi

# --- 4. A locked database ------------------------------------------------------------------
fresh locked-db
practice "$D/l.db" 甲
python3 - "$D/l.db" <<'EOF' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None); c.execute("BEGIN EXCLUSIVE"); time.sleep(40)
EOF
locker=$!; sleep 1
answers=$'李总您好，非常抱歉。\n我马上帮您核实。\n请您稍等。\n已经在查了。\n/transfer 李总订单 DD20261118 重复扣款\n'
# Before: 15 s per action (about 90 s here). Now: one short wait, one more at the finish.
started=$SECONDS
run_case_input 25 "$answers" env PEILIAN_HOME="$H" TMPDIR="$D/tmp" "$BIN" practice "$SCEN" --seed 1 --trainee 乙 --db "$D/l.db"
took=$((SECONDS - started))
kill $locker 2>/dev/null; wait $locker 2>/dev/null
if [ -n "$verdict" ]; then report $A locked-db "$verdict" "$out"
elif [ "$took" -gt 12 ]; then report $A locked-db hang "took ${took}s"
elif [ "$(waiting)" != 1 ]; then report $A locked-db lost "no recovery file: $out"
else
    practice "$D/l.db" 丙
    if [ "$(sessions "$D/l.db" 乙)" = 1 ]; then report $A locked-db ok ""; else report $A locked-db lost "not imported: $out"; fi
fi

# --- 8. Foreign SQLite files, limits ------------------------------------------------------
fresh foreign-sqlite-tables
sqlite3 "$D/f.db" "CREATE TABLE invoices (id INTEGER); INSERT INTO invoices VALUES (1);"
sum="$(sha256sum <"$D/f.db")"
practice "$D/f.db" 甲
if [ "$(sha256sum <"$D/f.db")" != "$sum" ] || [ -e "$D/f.db-wal" ]; then report $A foreign-sqlite-tables wrong-db "the foreign file was changed"
elif ! grep -q "不是 peilian 的数据库" <<<"$out"; then report $A foreign-sqlite-tables unclear "$out"
else
    run_case 20 env PEILIAN_HOME="$H" "$BIN" report --db "$D/f.db"
    expect $A foreign-sqlite-tables "不是 peilian 的数据库.*invoices"
fi

fresh foreign-application-id
sqlite3 "$D/f.db" "PRAGMA application_id = 42;"
run_case 20 env PEILIAN_HOME="$H" "$BIN" report --db "$D/f.db"
expect $A foreign-application-id "不是 peilian 的数据库.*application_id"

fresh newer-peilian-db
sqlite3 "$D/n.db" "PRAGMA application_id = 1346718028; PRAGMA user_version = 99;"
run_case 20 env PEILIAN_HOME="$H" "$BIN" report --db "$D/n.db"
expect $A newer-peilian-db "版本 99 比本程序支持的 [0-9]+ 新"

fresh empty-file-as-db
: >"$D/e.db"
practice "$D/e.db" 甲
if [ "$(sessions "$D/e.db" 甲)" != 1 ]; then report $A empty-file-as-db lost "$out"
elif [ "$(sqlite3 "$D/e.db" 'PRAGMA application_id')" != 1346718028 ]; then report $A empty-file-as-db unclear "no peilian identity given"
else report $A empty-file-as-db ok ""; fi

fresh transfer-note-40mb
{ printf '/transfer '; head -c 40000000 /dev/zero | tr '\0' 'a'; printf '\n%s' "$CALL"; } >"$D/in"
run_case 60 env PEILIAN_HOME="$H" TMPDIR="$D/tmp" /usr/bin/time -f 'maxrss=%M' sh -c '"$1" practice "$2" --seed 1 --trainee 甲 --db "$3" <"$4"' sh "$BIN" "$SCEN" "$D/t.db" "$D/in"
rss="$(grep -o 'maxrss=[0-9]*' <<<"$out" | cut -d= -f2)"
if [ -n "$verdict" ]; then report $A transfer-note-40mb "$verdict" "${out: -300}"
elif [ "${rss:-0}" -gt 600000 ]; then report $A transfer-note-40mb unclear "max RSS ${rss} kB"
elif grep -q "转接说明有 40000000 个字，超过上限" <<<"$out" && [ "$(sqlite3 "$D/t.db" 'SELECT max(length(text)) FROM turns')" -le 2000 ]; then
    report $A transfer-note-40mb ok ""
else report $A transfer-note-40mb unclear "${out: -300}"; fi

fresh latency-u64-max
practice "$D/t.db" 甲 $'@18446744073709551615ms 李总您好，非常抱歉。\n'"$CALL"
if [ "$(sqlite3 "$D/t.db" 'SELECT count(*) FROM turns WHERE latency_ms < 0 OR latency_ms > 3600000')" != 0 ]; then
    report $A latency-u64-max unclear "a latency out of range was stored"
else ALLOW_ZERO=1 expect $A latency-u64-max "超过用时上限 3600 秒"; fi

for prefix in '@12x' '@-3s' '@s' '@ms' '@1e99s' '@1.2.3s' '@12' '@+3s' '@NaN5s' '@0x10s'; do
    fresh "latency-$prefix"
    practice "$D/t.db" 甲 "$prefix 李总您好，非常抱歉。"$'\n'"$CALL"
    stored="$(sqlite3 "$D/t.db" "SELECT count(*) FROM turns WHERE text LIKE '%@%'")"
    if [ "$stored" != 0 ]; then report $A "latency-$prefix" unclear "kept as answer text with zero latency"
    else ALLOW_ZERO=1 expect $A "latency-$prefix" "“${prefix//+/\\+}”不是有效的用时.*@12s"; fi
done
fresh latency-silence-huge
practice "$D/t.db" 甲 $'/silence 99999999s\n'"$CALL"
ALLOW_ZERO=1 expect $A latency-silence-huge "/silence 的时长.*超过上限"
