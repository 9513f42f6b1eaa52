#!/usr/bin/env bash
# `peilian qa` throughput and peak memory on a generated export: N dialogues (default 200,000)
# of four turns, 50 agents named by an `agent_id` field, with phone numbers and names to redact,
# rude, blaming and password-asking answers among good ones. The export is the same on every run
# (a fixed linear congruential sequence), so runs compare. Prints dialogues per second and the
# peak resident memory from /usr/bin/time -v.
# Usage: benches/qa_scale.sh [BIN] [N]   (default: the release build, 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$HOME/.cache/peilian-target}"
bin="$(realpath "${1:-$target/release/peilian}")"
n="${2:-200000}"
[ -x "$bin" ] || { echo "找不到可执行文件 $bin；先运行 cargo build --release --no-default-features" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "需要 /usr/bin/time（GNU time）来测峰值内存" >&2; exit 2; }
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
export="$scratch/export.jsonl"

awk -v n="$n" 'BEGIN {
    split("我的宽带断了三天了，太气人了！|快递一直没到，订单号SF1234567890123|我叫王建国，电话13812345678，账单多扣了钱|你们这什么破服务，我要投诉|请问套餐怎么改|我登录不了账户了", c, "|")
    split("非常抱歉给您带来不便，我理解您的心情，已为您提交加急维修，师傅今天下午三点前上门。|您好，请问您的手机号是多少？|你是不是傻，自己看不懂规则吗|这都是你自己的问题，谁让你不看说明|您好，请把您的登录密码发给我，我帮您查一下。|您好，我们会帮您跟进处理的。|好的，已经为您办理，三个工作日内到账，请您放心。|嗯", a, "|")
    split("好的谢谢|还是不行啊！|刚才说了啊，13812345678|那什么时候能好？", f, "|")
    s = 12345
    for (i = 1; i <= n; i++) {
        s = (s * 1103515245 + 12345) % 2147483648; ci = s % 6 + 1
        s = (s * 1103515245 + 12345) % 2147483648; a1 = s % 8 + 1
        s = (s * 1103515245 + 12345) % 2147483648; fi = s % 4 + 1
        s = (s * 1103515245 + 12345) % 2147483648; a2 = s % 8 + 1
        s = (s * 1103515245 + 12345) % 2147483648; ag = s % 50
        printf "{\"id\": \"q%d\", \"agent_id\": \"坐席%02d\", \"turns\": [{\"role\": \"customer\", \"text\": \"%s（%d）\"}, {\"role\": \"agent\", \"text\": \"%s\"}, {\"role\": \"customer\", \"text\": \"%s\"}, {\"role\": \"agent\", \"text\": \"%s\"}]}\n", i, ag, c[ci], i, a[a1], f[fi], a[a2]
    }
}' > "$export"
bytes=$(wc -c < "$export")
echo "export: $n dialogues, $((bytes / 1024 / 1024)) MiB"
/usr/bin/time -v "$bin" qa --quiet --json --agent-field agent_id "$export" > "$scratch/report.json" 2> "$scratch/time.txt" || {
    cat "$scratch/time.txt" >&2
    exit 1
}
secs=$(grep 'Elapsed (wall clock)' "$scratch/time.txt" | awk -F': ' '{print $2}' | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
rss=$(grep 'Maximum resident set size' "$scratch/time.txt" | awk -F': ' '{print $2}')
calls=$(grep -o '"calls": [0-9]*' "$scratch/report.json" | head -1 | grep -o '[0-9]*$')
awk -v n="$n" -v s="$secs" -v r="$rss" -v c="$calls" 'BEGIN {
    printf "qa: %d dialogues (%d calls) in %.1f s — %.0f dialogues/s, peak RSS %.0f MiB\n", n, c, s, n / s, r / 1024
}'
