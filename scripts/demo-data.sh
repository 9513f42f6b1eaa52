#!/usr/bin/env bash
# Fills a database with a small team's practice sessions (scripted answers, good and bad), for
# trying the reports and the dashboard. Usage: scripts/demo-data.sh [DB]   (default: demo.db)
set -euo pipefail
cd "$(dirname "$0")/.."
db="${1:-demo.db}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/peilian-target}"
bin="${PEILIAN_BIN:-$CARGO_TARGET_DIR/release/peilian}"
[ -x "$bin" ] || cargo build --release --locked --quiet
export PEILIAN_HOME="$(mktemp -d)"   # keep the user's remembered trainee untouched

good_refund='@4s 王先生，非常抱歉让您等了这么久，换作是我也会着急。麻烦您告诉我退货单号，我马上帮您查一下。
@6s 谢谢王先生，商家已经签收，正在质检，质检 1-2 个工作日，通过后 3 个工作日内原路退回，我帮您加急处理。
@5s 理解您的心情，确实让您久等了。我马上给您提交加急质检并全程跟进，明天下午前一定给您回电，请您放心。
@4s 好的王先生，明天下午前一定给您回电，给您添麻烦了，感谢您的理解。'
so_so_refund='@12s 您好，请问退货单号是多少？
@15s 质检完成后会退款的，您再等等。
@9s 我帮您催一下吧。'
bad_refund='@25s 单号多少
@30s 不归我管，你自己联系商家。'
good_reset='@5s 林女士您好，让您折腾半天了，不好意思。服务密码我这边就能帮您重置。先核实一下身份，麻烦您提供机主姓名和身份证后六位。
@7s 谢谢林女士，身份核实好了。服务密码已经重置，6位临时密码已经用短信发到您的号码上。您用它登录后，请马上改成您自己的新密码。
@6s 您先看一下手机的骚扰拦截记录，这类短信常被当成垃圾短信拦下来。如果拦截记录里也没有，等一分钟我再给您发一次。
@6s 太好了。新密码是6位数字，不要用生日，也不要用123456这种连续数字。密码您自己记好，不要告诉任何人，我们客服也不会问您要。'
promise_refund='@4s 王先生，非常抱歉让您等了这么久，换作是我也会着急。麻烦您告诉我退货单号，我马上帮您查一下。
@6s 谢谢王先生，商家已经签收，正在质检，我帮您加急处理，今天就给您退款，我保证准点到账。
@5s 理解您的心情，确实让您久等了。我马上给您提交加急质检并全程跟进，明天下午前一定给您回电，请您放心。'
early_fraud='@4s 刘女士，您先别着急，我马上帮您把卡冻结，冻结后就不会再被转走了。为了尽快操作，麻烦您报一下卡号后四位和身份证后四位。
/transfer 客户刘女士被冒充航空公司诈骗，验证码泄露，被转走4800元，卡尾号3391，需登记争议交易。'
bad_reset='@8s 您好，密码的问题我这边处理不了，给您转到专席。
/transfer 客户忘记服务密码，收不到验证码。'

play() { # trainee team scenario seed answers
  printf '%s\n' "$5" | "$bin" practice "$3" --seed "$4" --trainee "$1" --team "$2" --db "$db" >/dev/null
}
for i in 1 2 3; do
  play 张敏 一组 angry-late-delivery-refund "$i" "$good_refund"
  play 张敏 一组 password-reset-solve-yourself "$i" "$good_reset"
  play 李强 一组 angry-late-delivery-refund "$i" "$so_so_refund"
  play 李强 一组 password-reset-solve-yourself "$i" "$bad_reset"
  play 王芳 二组 angry-late-delivery-refund "$i" "$bad_refund"
  play 王芳 二组 password-reset-solve-yourself "$i" "$good_reset"
done
play 李强 一组 angry-late-delivery-refund 9 "$good_refund"
# 赵磊: good refunds, one false promise, one transfer before the card is frozen (the scorer
# passes that call; the reports show it as an incident).
play 赵磊 一组 angry-late-delivery-refund 1 "$good_refund"
play 赵磊 一组 angry-late-delivery-refund 2 "$promise_refund"
play 赵磊 一组 anxious-bank-card-fraud-freeze 1 "$early_fraud"
play 王芳 二组 angry-late-delivery-refund 9 "$so_so_refund"
play 王芳 二组 angry-late-delivery-refund 10 "$good_refund"
echo "demo sessions written to $db"
