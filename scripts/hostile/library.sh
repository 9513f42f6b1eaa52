#!/usr/bin/env bash
# Hostile inputs for the scenario library reader, lint and shared data (issue 15 items 5, 6, 8,
# 9): FIFOs, devices, symlink loops, huge files, changed lexicon kinds, broken mood models,
# duplicate ids, voice clips linked out of assets/, unclosed strings, parser English, control
# characters. Usage: library.sh BIN SCRATCH (see scripts/hostile.sh).
set -uo pipefail
bin="$1"; scratch="$2"
root="$(cd "$(dirname "$0")/../.." && pwd)"
source "$root/scripts/hostile-lib.sh"
A=library
minimal="$root/tests/fixtures/valid/minimal.ron"

# A fresh library: $1/scenarios with the shipped lexicons and the minimal scenario, $1/assets.
library() {
    rm -rf "$1"; mkdir -p "$1/scenarios" "$1/assets"
    cp -r "$root/scenarios/lexicons" "$1/scenarios/"
    cp "$minimal" "$1/scenarios/good.ron"
}
# A variant of the minimal scenario: replace(FROM, TO) > FILE.
variant() { python3 - "$minimal" "$1" "$2" "$3" <<'PY'
import sys
src, a, b, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
s = open(src).read()
assert a in s, a
open(out, "w").write(s.replace(a, b, 1))
PY
}
# ok when the output holds no parser English and no raw control character (besides newlines).
no_english() {
    if grep -Eq 'Expected|Unexpected|Non-whitespace|serde_stacker|instead|found ' <<<"$out"; then
        report "$A" "$1" unclear "English parser text: $out"; return 1; fi
    if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' <<<"$out"; then
        report "$A" "$1" unclear "raw control character in output"; return 1; fi
    return 0
}

# ---- Item 5: the reader must not hang or eat memory.
lib="$scratch/fifo"; library "$lib"; mkfifo "$lib/scenarios/pipe.ron"
run_case 20 "$bin" lint "$lib/scenarios"; expect "$A" lint-fifo 'pipe.ron:1:1: 错误\[not-a-file\].*命名管道'
run_case 20 "$bin" test "$lib/scenarios"; expect "$A" test-fifo 'pipe.ron：无法加载'
run_case 20 "$bin" practice --no-record "$lib/scenarios/pipe.ron"; expect "$A" practice-fifo 'pipe.ron.*(not-a-file|不是文件|不是普通文件)'

lib="$scratch/zero"; library "$lib"; ln -s /dev/zero "$lib/scenarios/zero.ron"
run_case 20 "$bin" lint "$lib/scenarios"; expect "$A" lint-dev-zero-symlink 'zero.ron:1:1: 错误\[not-a-file\].*/dev/zero'
ln -s /dev/zero "$lib/scenarios/lexicons/zero.ron"
run_case 20 "$bin" test "$lib/scenarios/good.ron"; expect "$A" lexicon-dev-zero-symlink 'lexicons/zero.ron.*not-a-file'

lib="$scratch/loop"; library "$lib"; mkdir "$lib/scenarios/sub"
ln -s .. "$lib/scenarios/sub/up"; ln -s "$lib/scenarios" "$lib/scenarios/sub/again"
run_case 20 "$bin" lint "$lib/scenarios"
expect "$A" dir-symlink-loop 'sub/up:1:1: 警告\[skipped\].*符号链接循环'
run_case 20 "$bin" test "$lib/scenarios"
if [ -z "$verdict" ] && [ "$(grep -c 'fixture-base（' <<<"$out")" = 1 ]; then report "$A" test-dir-loop-once ok ""
else report "$A" test-dir-loop-once "${verdict:-unclear}" "$out"; fi
ln -s a.ron "$lib/scenarios/b.ron"; ln -s b.ron "$lib/scenarios/a.ron"
run_case 20 "$bin" lint "$lib/scenarios"; expect "$A" file-symlink-loop 'a.ron:1:1: 错误\[io\].*符号链接循环'

lib="$scratch/huge"; library "$lib"; truncate -s 6G "$lib/scenarios/huge.ron"
out="$(timeout 20 /usr/bin/time -f 'RSS %M' "$bin" lint "$lib/scenarios" 2>&1)"; rc=$?; verdict=""
[ "$rc" = 124 ] && verdict=hang
rss="$(grep -o 'RSS [0-9]*' <<<"$out" | cut -d' ' -f2)"
if [ -z "$verdict" ] && grep -q 'huge.ron:1:1: 错误\[too-large\]: 文件有 6442450944 字节' <<<"$out" && [ "${rss:-999999}" -lt 400000 ]; then
    report "$A" sparse-6g-file ok ""
else report "$A" sparse-6g-file "${verdict:-unclear}" "rss=${rss}KB $out"; fi
rm -f "$lib/scenarios/huge.ron"
head -c 9000000 /dev/zero | tr '\0' ' ' > "$lib/scenarios/spaces.ron"
run_case 20 "$bin" lint "$lib/scenarios"; expect "$A" dense-9mb-file 'spaces.ron:1:1: 错误\[too-large\]'
rm -f "$lib/scenarios/spaces.ron"; mkdir "$lib/scenarios/dir.ron"; ln -s nowhere "$lib/scenarios/dangling.ron"
run_case 20 "$bin" lint "$lib/scenarios/dangling.ron"; expect "$A" dangling-symlink 'dangling.ron:1:1: 错误\[io\]: 无法读取文件：不存在'
run_case 20 "$bin" lint "$lib/scenarios/dir.ron"; ALLOW_ZERO=1 expect "$A" directory-named-ron '检查了 0 个文件'
mkdir -p "$lib/assets/customer"; mkfifo "$lib/assets/customer/reactions.ron"
run_case 20 "$bin" test "$lib/scenarios/good.ron"; expect "$A" reactions-fifo 'reactions.ron.*not-a-file'

# ---- Item 6: broken shared data.
lib="$scratch/kind"; library "$lib"
sed -i 's/kind: Politeness/kind: Hostility/' "$lib/scenarios/lexicons/politeness.ron"
run_case 30 "$bin" lint "$lib/scenarios"
if [ -z "$verdict" ] && [ "$rc" = 1 ] && grep -q 'politeness.ron:4:5: 错误\[lexicon-kind\]:.*hostility.ron 和 .*politeness.ron 都是 Hostility' <<<"$out" \
    && grep -q '错误\[lexicon-kind\]: 词库目录里没有 Politeness' <<<"$out"; then report "$A" lexicon-kind-changed ok ""
else report "$A" lexicon-kind-changed "${verdict:-unclear}" "$out"; fi
run_case 30 "$bin" test "$lib/scenarios/good.ron"; expect "$A" lexicon-kind-changed-test 'lexicon-kind'
library "$lib"; rm "$lib/scenarios/lexicons/negation.ron"
run_case 30 "$bin" lint "$lib/scenarios/lexicons"; expect "$A" lexicon-kind-missing 'lexicons:1:1: 错误\[lexicon-kind\]: 词库目录里没有 Negation'
library "$lib"; cp "$lib/scenarios/lexicons/empathy.ron" "$lib/scenarios/lexicons/empathy2.ron"
sed -i 's/name: "empathy"/name: "empathy2"/' "$lib/scenarios/lexicons/empathy2.ron"
run_case 30 "$bin" lint "$lib/scenarios/lexicons"; expect "$A" lexicon-kind-twice 'empathy2.ron:[0-9]+:[0-9]+: 错误\[lexicon-kind\].*empathy.ron 和'
library "$lib"; python3 - "$lib/scenarios/lexicons/anger.ron" <<'PY'
import sys, re
p = sys.argv[1]; s = open(p).read()
s = re.sub(r'markers: \{', 'markers: {"你自己看": 0.8, "不归我管": 0.9, "跟我没关系": 0.9, "不关我的事": 0.9,', s, count=1)
s = re.sub(r'"(愤怒|气愤|怒火|火冒三丈|怒不可遏|暴怒)": [0-9.]+,', '', s)
open(p, "w").write(s)
PY
run_case 30 "$bin" lint "$lib/scenarios/lexicons"; expect "$A" lexicon-content-of-other-kind 'anger.ron:[0-9]+:[0-9]+: 错误\[lexicon-content\].*敌意'

mood="$root/assets/customer/mood.ron"
for c in "NaN:hostility_inflame: NaN:不是数字" "inf:curt_inflame: inf:无穷大" "-inf:empathy_calm: -inf:无穷大" \
         "1e30:red_line_inflame: 1e30:不在 0–150" "negative:politeness_calm: -4.0:不在 0–150" \
         "chance-7:demand_after_empathy: 7.0:不在 0–1" "floor-500:demand_mood_floor: 500.0:不在 0–100"; do
    name="${c%%:*}"; rest="${c#*:}"; line="${rest%:*}"; want="${rest##*:}"; field="${line%%:*}"
    sed "s/^    $field: .*/    $line,/" "$mood" > "$scratch/mood-$name.ron"
    run_case 20 "$bin" lint "$scratch/mood-$name.ron"; expect "$A" "mood-$name-lint" "错误\[bad-value\]: 情绪模型的 $field .*$want"
done
PEILIAN_MOOD_MODEL="$scratch/mood-NaN.ron" run_case 30 "$bin" test "$minimal"
expect "$A" mood-NaN-load 'mood-NaN.ron:11:5: 错误\[bad-value\]: 情绪模型的 hostility_inflame 不是数字'

# ---- Item 8: duplicate ids, lint time, voice links.
lib="$scratch/dup"; library "$lib"; cp "$minimal" "$lib/scenarios/copy.ron"
run_case 60 "$bin" test "$lib/scenarios"
expect "$A" test-duplicate-ids 'good.ron:1:1: 错误\[duplicate-id\]: 场景 id “fixture-base” 已被 .*copy.ron 使用'
run_case 60 "$bin" lint "$lib/scenarios"; expect "$A" lint-duplicate-ids 'duplicate-id.*copy.ron'

awk 'BEGIN {
    n = 20000
    print "Scenario(id: \"long\", title: \"长场景\", version: 1, skills: [Empathy], difficulty: 2, channel: Phone,"
    print "  provenance: [\"x\"], persona: (kind: Normal, name: \"赵雷\", title: \"赵先生\", mood: 30, patience_secs: 60),"
    print "  concepts: { \"apology\": (label: \"致歉\", groups: [\"道歉\"]) }, turns: ["
    for (i = 0; i < n; i++) printf "(id: \"t%d\", customer: [(text: \"第%d个问题\")], expect: (required: [\"apology\"], model_answer: \"非常抱歉，我马上帮您查。\"), next: [(when: MoodAtLeast(95), goto: \"angry\"), (when: Always, goto: \"%s\")]),\n", i, i, (i + 1 < n) ? "t" (i + 1) : "done"
    print "], endings: [(id: \"done\", kind: Resolved), (id: \"angry\", kind: HungUp)], escalation: (policy: SolveYourself),"
    print "  samples: [(turn: \"t0\", answer: \"非常抱歉。\", score: (0, 100))])"
}' > "$scratch/long.ron"

run_case 10 "$bin" lint "$scratch/long.ron"
ALLOW_ZERO=1 expect "$A" lint-20000-turns-under-10s '检查了 1 个文件'

lib="$scratch/voice"; library "$lib"; mkdir -p "$lib/assets/voice/v" "$scratch/outside"
echo OggS > "$scratch/outside/secret.ogg"; ln -s "$scratch/outside/secret.ogg" "$lib/assets/voice/v/linked.ogg"
ln -s "$scratch/outside" "$lib/assets/voice/elsewhere"
variant '(text: "你好，我的快递丢了。")' '(text: "你好，我的快递丢了。", voice: "voice/v/linked.ogg")' "$lib/scenarios/good.ron"
run_case 30 "$bin" lint "$lib/scenarios/good.ron"; expect "$A" voice-file-symlink-out 'audio-outside-assets\]: 语音路径“voice/v/linked.ogg”经符号链接指向 assets/ 之外'
(cd "$lib" && run_case 30 "$bin" voice scenarios/good.ron --force; expect "$A" voice-command-refuses-link '不会写入')
variant '(text: "你好，我的快递丢了。")' '(text: "你好，我的快递丢了。", voice: "voice/elsewhere/new.ogg")' "$lib/scenarios/good.ron"
run_case 30 "$bin" lint "$lib/scenarios/good.ron"; expect "$A" voice-dir-symlink-out 'audio-outside-assets'
variant '(text: "你好，我的快递丢了。")' '(text: "你好，我的快递丢了。", voice: "../../etc/passwd.ogg")' "$lib/scenarios/good.ron"
(cd "$lib" && run_case 30 "$bin" voice scenarios/good.ron; expect "$A" voice-command-dotdot '不在 assets/ 之内')
variant 'id: "fixture-base"' 'id: "../../escape"' "$lib/scenarios/good.ron"
(cd "$lib" && run_case 30 "$bin" voice scenarios/good.ron; expect "$A" voice-command-bad-id '场景 id “../../escape” 不合规')

# ---- Item 9: messages a trainer can act on.
lib="$scratch/exists"; library "$lib"; echo x > "$lib/assets/voice"
cd "$lib" && run_case 30 "$bin" voice scenarios/good.ron; cd - >/dev/null
if [ -z "$verdict" ] && [ "$rc" != 0 ] && grep -q 'assets/voice 已经是一个文件，不是目录' <<<"$out" && ! grep -q 'os error' <<<"$out"; then
    report "$A" file-exists-os-error-17 ok ""; else report "$A" file-exists-os-error-17 "${verdict:-unclear}" "$out"; fi

variant '"测试：最小场景",' '"测试：最小场景,' "$scratch/unclosed.ron"
run_case 20 "$bin" lint "$scratch/unclosed.ron"; expect "$A" unclosed-string-line 'unclosed.ron:4:12: 错误\[unclosed-string\]: 第 4 行的字符串没有结束的引号'
variant '(text: "查到了吗？")' '(text: "查到了吗？)' "$scratch/unclosed-eof.ron"
run_case 20 "$bin" lint "$scratch/unclosed-eof.ron"; expect "$A" unclosed-string-to-eof 'unclosed-eof.ron:[0-9]+:[0-9]+: 错误\[unclosed-string\]'

i=0
while IFS='|' read -r name from to want; do
    i=$((i + 1)); f="$scratch/english-$name.ron"
    if [ "$from" = APPEND ]; then cp "$minimal" "$f"; printf '%s\n' "$to" >> "$f"; else variant "$from" "$to" "$f"; fi
    run_case 20 "$bin" lint "$f"
    if [ -n "$verdict" ]; then report "$A" "english-$name" "$verdict" "$out"; continue; fi
    no_english "english-$name" && expect "$A" "english-$name" "$want"
done <<'CASES'
struct-for-persona|persona: (|persona: [|错误\[wrong-type\]: 这里需要一组用圆括号
trailing-characters|APPEND|)|错误\[syntax\]: 文件在最外层的右括号之后还有多余的内容
recursion-limit|(when: Always, goto: "done")|(when: Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Not(Always)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))), goto: "done")|错误\[syntax\]: 括号嵌套太深
string-expected|title: "测试：最小场景"|title: 5|错误\[wrong-type\]: 这里需要一段文字
number-in-quotes|version: 1,|version: "1",|错误\[wrong-type\]: 这里需要一个（范围内的）数字
list-for-map|concepts: {|concepts: [|错误\[wrong-type\]: 这里需要一个映射
map-colon|"apology": (|"apology" (|错误\[syntax\]: 映射的键后面缺少冒号
bad-escape|"你好，我的快递丢了。"|"你好\q"|错误\[syntax\]: 字符串里的反斜杠转义写法不对
unclosed-comment|Scenario(|/* 注释\nScenario(|错误\[syntax\]
no-such-extension|Scenario(|#![enable(nothing)]\nScenario(|没有名为 `nothing` 的 RON 扩展
wrong-struct-name|persona: (|persona: Customer(|错误\[wrong-kind\]: 这里需要 `Persona\(…\)`
CASES
# The unclosed-comment and extension cases need a real line break.
for f in "$scratch/english-unclosed-comment.ron" "$scratch/english-no-such-extension.ron"; do sed -i 's/\\n/\n/' "$f"; done
for name in unclosed-comment no-such-extension; do
    run_case 20 "$bin" lint "$scratch/english-$name.ron"
    no_english "english-$name-2" && expect "$A" "english-$name-2" '错误\[syntax\]'
done
: > "$scratch/english-empty.ron"
run_case 20 "$bin" lint "$scratch/english-empty.ron"; expect "$A" english-empty-2 '错误\[syntax\]: 文件是空的'
printf 'Scenario(id: "x"\x00)' > "$scratch/nul.ron"
run_case 20 "$bin" lint "$scratch/nul.ron"; expect "$A" nul-byte '错误\[binary\]'

mkdir -p "$scratch/ctl"; name=$'\e]0;pwned\a\e[2J.ron'
variant 'required: ["apology"]' 'required: ["apology\u{1b}[31m"]' "$scratch/ctl/$name"
run_case 20 "$bin" lint "$scratch/ctl"
no_english control-chars-in-name-and-text && expect "$A" control-chars-in-name-and-text '\\x1b\]0;pwned\\x07\\x1b\[2J.ron.*apology\\x1b\[31m'
run_case 20 "$bin" test "$scratch/ctl"
no_english control-chars-in-test-output && expect "$A" control-chars-in-test-output '\\x1b\]0;pwned'
