//! Unit tests of the act rules (`scenarios/lexicons/acts.ron`): every act in answers as agents
//! say them, and the near misses that must not count — negated before or after, asked, the
//! customer's words, the same word in another sense — each hit with the words that show it.

use std::sync::OnceLock;

use proptest::prelude::*;

use super::Act::{self, *};
use super::{ActReport, CompiledRule};
use crate::text::analyzer::Analyzer;
use crate::text::pattern::Pattern;

fn analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(Analyzer::with_embedded_lexicons)
}

fn acts(text: &str) -> ActReport {
    let a = analyzer();
    a.acts_of(&a.analyze(text))
}

/// The acts found, as one line: `Act「matched」`, negated ones marked, for failure messages.
fn found(report: &ActReport) -> String {
    let hits: Vec<String> = report
        .hits
        .iter()
        .map(|h| {
            let mut s = format!("{:?}「{}」", h.act, h.matched);
            if let Some(d) = &h.detail {
                s.push_str(&format!("({d})"));
            }
            if h.negated {
                s.push_str("(negated)");
            }
            if h.question {
                s.push('?');
            }
            s
        })
        .collect();
    if hits.is_empty() { "nothing".to_string() } else { hits.join(" ") }
}

/// Checks every case and reports all failures at once.
fn check_all<T>(cases: &[T], check: impl Fn(&T) -> Option<String>) {
    let failures: Vec<String> = cases.iter().filter_map(check).collect();
    assert!(failures.is_empty(), "{} of {} cases fail:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// Every act in answers as agents say them (`true`, with the words the hit's quote must hold)
/// and in near misses where it must not count (`false`): negated before or after the verb,
/// asked rather than done, the customer's words, the same word in another sense.
const CASES: &[(Act, &str, bool, &str)] = &[
    // Greet
    (Greet, "您好，这里是移动客服，工号1023为您服务。", true, "您好"),
    (Greet, "早上好，请问有什么可以帮您？", true, "早上好"),
    (Greet, "喂，你好，请讲。", true, "你好"),
    (Greet, "晚上好王先生，您的来电已经接通了。", true, "晚上好"),
    (Greet, "您好！我是客服小王。", true, "您好"),
    (Greet, "您好呀，欢迎致电。", true, "您好"),
    (Greet, "您好好回忆一下，当时是在哪个页面点的付款？", false, ""),
    (Greet, "下午好几位客户都反映过这个问题，我们正在排查。", false, ""),
    (Greet, "您好歹先把单号给我，我才能查。", false, ""),
    // Address
    (Address, "您先别急，我帮您看一下。", true, "您"),
    (Address, "王先生，订单我已经查到了。", true, "先生"),
    (Address, "阿姨，我慢慢跟您说。", true, "阿姨"),
    (Address, "李总，专属经理明天一早联系您。", true, "李总"),
    (Address, "你等一下，我查查。", false, ""),
    (Address, "我们会安排维修师傅明天上门检测。", false, ""),
    (Address, "这个网络总是时好时坏，我们已经派单了。", false, ""),
    // Apologize
    (Apologize, "非常抱歉，让您遇到这样的情况。", true, "抱歉"),
    (Apologize, "这件事是我们的失误，给您赔个不是。", true, "失误"),
    (Apologize, "真对不起，我刚才没听清楚，能再说一遍吗？", true, "对不起"),
    (Apologize, "给您添麻烦了，实在不好意思。", true, "添麻烦"),
    (Apologize, "这次是我们工作没做到位。", true, "没做到位"),
    (Apologize, "让您受委屈了，是我们没做好。", true, "没做好"),
    (Apologize, "这确实是我们这边搞错了，向您道歉。", true, "道歉"),
    (Apologize, "我没有什么好道歉的，规定就是这样。", false, ""),
    (Apologize, "您要的不是一句对不起，是把问题解决，对吧？", false, ""),
    (Apologize, "我们不会跟您道歉的，流程没有问题。", false, ""),
    (Apologize, "这确实是我们的不是。", true, "我们的不是"),
    (Apologize, "是我们考虑不周，没提前通知您。", true, "考虑不周"),
    (Apologize, "不是我们服务不到位，是系统在升级。", false, ""),
    (Apologize, "我们这边解释得不清楚吗？", false, ""),
    // Empathize
    (Empathize, "我特别理解您现在的心情，换谁遇到这种事都会着急。", true, "理解您现在的心情"),
    (Empathize, "让您久等了，这么热的天还白跑一趟。", true, "让您久等了"),
    (Empathize, "听得出来您是真的很着急。", true, "听得出来"),
    (Empathize, "您说得对，这种情况确实不应该发生。", true, "您说得对"),
    (Empathize, "换作是我，我也会很生气的。", true, "换作是我"),
    (Empathize, "这事搁谁身上都受不了。", true, "搁谁身上都受不了"),
    (Empathize, "您的心情我完全能理解。", true, "理解"),
    (Empathize, "大老远跑一趟还没办成，换我也窝火。", true, "换我也窝火"),
    (Empathize, "请您理解，这是公司的规定。", false, ""),
    (Empathize, "我不是不理解，只是这个规定我改不了。", false, ""),
    (Empathize, "您为什么这么激动，我真的理解不了。", false, ""),
    (Empathize, "您要理解，我们也有难处。", false, ""),
    (Empathize, "您可能理解错我的意思了，这个套餐不是不限量的。", false, ""),
    (Empathize, "我不能理解您为什么要骂人。", false, ""),
    (Empathize, "碰上这种事确实挺闹心的。", true, "闹心"),
    (Empathize, "摊上这事，谁都不痛快。", true, "谁都"),
    (Empathize, "这一趟趟跑的，真是难为您了。", true, "难为您"),
    (Empathize, "您这一路确实不容易。", true, "不容易"),
    (Empathize, "我也挺委屈的，天天被骂。", false, ""),
    (Empathize, "这个设置不容易出错，您放心。", false, ""),
    // Reassure
    (Reassure, "您放心，这笔钱一分都不会少。", true, "您放心"),
    (Reassure, "别着急，我一步一步帮您弄。", true, "别着急"),
    (Reassure, "卡已经冻结了，钱是安全的。", true, "安全"),
    (Reassure, "这事交给我，有我在。", true, "交给我"),
    (Reassure, "这不是您的错，骗子的手法很专业。", true, "不是您的错"),
    (Reassure, "您别慌，卡已经冻结了，谁也动不了。", true, "别慌"),
    (Reassure, "不用担心，这种情况很多人第一次都不会。", true, "不用担心"),
    (Reassure, "您放心不下的话，可以随时打过来问进度。", false, ""),
    (Reassure, "我没法让您放心，结果要等审核。", false, ""),
    (Reassure, "这样处理您放心吗？", false, ""),
    // Blame and dismissal in ordinary words
    (Blame, "验证码收不到那是你自己手机的问题。", true, "手机"),
    (ShiftBlame, "这跟我们有什么关系？", true, "关系"),
    (Dismiss, "嫌贵你转呗，又没人拦你。", true, "转呗"),
    (Dismiss, "要是嫌麻烦，我可以帮您一次办好。", false, ""),
    // Done, not a promise
    (Done, "好的，给您改好了。", true, "改好了"),
    (Commit, "好的，给您改好了。", false, ""),
    // Ask
    (Ask, "麻烦您提供一下订单号。", true, "提供"),
    (Ask, "您的手机号是多少？", true, "是多少"),
    (Ask, "请问您的收货地址是哪里？", true, "收货地址"),
    (Ask, "您方便告诉我身份证后四位吗？", true, "告诉"),
    (Ask, "您把当时的情况跟我说一下好吗？", true, "说一下"),
    (Ask, "您能不能告诉我订单号？", true, "告诉我"),
    (Ask, "能不能麻烦您报一下手机号？", true, "报一下"),
    (Ask, "请问怎么称呼您？", true, "称呼"),
    (Ask, "您是哪天下的单？", true, "是哪"),
    (Ask, "收件人的电话留一下。", true, "留一下"),
    (Ask, "订单号我这边已经有了，不用您再报。", false, ""),
    (Ask, "您家在哪个小区？", true, "哪个"),
    (Ask, "请问您平时流量用得多吗？", true, "平时"),
    (Ask, "您家小区的信号我们正在查。", false, ""),
    (Ask, "我不需要您的密码，千万别告诉任何人。", false, ""),
    (Ask, "您不用提供任何信息，我这边都能查到。", false, ""),
    // Confirm
    (Confirm, "您的订单号是20240315，对吗？", true, "对吗"),
    (Confirm, "我看到您昨天已经申请过退款了。", true, "看到您"),
    (Confirm, "您刚才说的情况我都记下了。", true, "您刚才说的"),
    (Confirm, "身份核实通过了。", true, "核实通过"),
    (Confirm, "跟您核对一下，收货地址是朝阳区建国路88号，没错吧？", true, "没错吧"),
    (Confirm, "我没看到您的退款申请记录。", false, ""),
    (Confirm, "我还没核实完，您稍等。", false, ""),
    (Confirm, "您的订单号是多少？", false, ""),
    // Explain
    (Explain, "因为暴雨，航班被空管限制起飞了。", true, "因为"),
    (Explain, "系统显示包裹昨天已经到了您所在城市的网点。", true, "系统显示"),
    (Explain, "按照规定，特价机票退票要收百分之三十的手续费。", true, "按照规定"),
    (Explain, "一般退款需要三到五个工作日到账。", true, "一般退款需要"),
    (Explain, "通常情况下，补卡需要本人带身份证办理。", true, "通常情况下"),
    (Explain, "这笔扣费是您上个月开通的视频会员产生的。", true, "产生的"),
    (Explain, "“使用时确认”指的是每次用到这项功能都要先经过您同意。", true, "指的是"),
    (Explain, "具体原因我这边查不到。", false, ""),
    (Explain, "您指的是哪一笔扣费呢？", false, ""),
    (Explain, "您是因为什么原因要退订呢？", false, ""),
    (Explain, "请问是什么原因导致的呢？", false, ""),
    // Guide
    (Guide, "您先打开手机银行，点右下角的“我的”。", true, "打开"),
    (Guide, "我一步一步教您，您跟着我操作就行。", true, "一步一步教您"),
    (Guide, "然后点击“确认提交”，就可以了。", true, "点击"),
    (Guide, "建议您先重启一下路由器。", true, "建议您"),
    (Guide, "您看一下短信里的链接，不要点，直接删掉。", true, "看一下"),
    (Guide, "咱们先点开首页，再找到“账单查询”。", true, "点开"),
    (Guide, "您在设置里找到移动网络，把它打开。", true, "找到"),
    (Guide, "您在这个页面勾选“自动续费”就可以关掉了。", true, "勾选"),
    (Guide, "使用时确认需要您在这个页面设置。", true, "设置"),
    (Guide, "您稍等，我帮您看一下订单。", false, ""),
    (Guide, "您在设置里的时候有没有看到提示？", false, ""),
    (Guide, "我这边查看一下您的账单明细。", false, ""),
    (Guide, "这个我教不了您，得去营业厅。", false, ""),
    // Commit
    (Commit, "明天下午三点前给您回电，告诉您处理结果。", true, "给您回电"),
    (Commit, "我会亲自跟进，直到问题解决。", true, "亲自跟进"),
    (Commit, "我马上帮您提交加急处理。", true, "帮您提交"),
    (Commit, "两个工作日内给您答复。", true, "给您答复"),
    (Commit, "这件事我负责到底。", true, "负责到底"),
    (Commit, "我明天上午给您回电，好吗？", true, "给您回电"),
    (Commit, "今天之内一定给您一个答复。", true, "答复"),
    (Commit, "您放心，我这边会一直跟进到退款到账。", true, "跟进"),
    (Commit, "退款我这边给不了。", false, ""),
    (Commit, "我没法保证明天给您回电。", false, ""),
    (Commit, "我们不会主动给您打电话，请注意防骗。", false, ""),
    (Commit, "您要不要我明天给您回个电话？", false, ""),
    // Done
    (Done, "已经帮您提交了加急申请。", true, "已经帮您提交"),
    (Done, "退款已经原路退回了，您注意查收。", true, "已经原路退回"),
    (Done, "您的卡我已经冻结了。", true, "冻结"),
    (Done, "业务给您办好了。", true, "办好了"),
    (Done, "加急工单我已经帮您提交了。", true, "已经帮您提交"),
    (Done, "刚才已经给您发了短信，您查收一下。", true, "已经给您发"),
    (Done, "还没有提交，我现在就帮您提交。", false, ""),
    (Done, "您的申请还没处理完，预计明天出结果。", false, ""),
    (Done, "您那边改好了吗？", false, ""),
    // Offer
    (Offer, "我可以给您免费改签到明天最早的航班。", true, "可以给您"),
    (Offer, "给您两个方案：一是全额退款，二是换一件新的。", true, "两个方案"),
    (Offer, "要不要我帮您转人工？", true, "要不要我帮您"),
    (Offer, "您看这样处理行不行？", true, "您看这样"),
    (Offer, "或者也可以给您补发一件。", true, "也可以给您"),
    (Offer, "您要不要我明天给您回个电话？", true, "要不要我明天给您"),
    (Offer, "实在不行的话，我们可以先给您换一台备用机。", true, "可以先给您"),
    (Offer, "退款我这边给不了。", false, ""),
    (Offer, "我没办法给您改签。", false, ""),
    (Offer, "这个不能给您退款。", false, ""),
    (Offer, "我能为您做的已经都做了。", false, ""),
    // Refuse
    (Refuse, "双倍赔偿我这边确实给不了。", true, "给不了"),
    (Refuse, "这个要求我们没办法满足。", true, "没办法"),
    (Refuse, "很抱歉，特价票不支持退改。", true, "不支持"),
    (Refuse, "这个超出了我的权限范围。", true, "超出了我的权限"),
    (Refuse, "这个钱我们是不会退的。", true, "不会退"),
    (Refuse, "您能不能告诉我订单号？", false, ""),
    (Refuse, "我查一下有没有办法给您加急。", false, ""),
    (Refuse, "可不可以麻烦您再说一遍？", false, ""),
    // Refer
    (Refer, "您可以带上身份证去营业厅办理。", true, "去营业厅"),
    (Refer, "这个需要您联系快递公司确认。", true, "联系快递"),
    (Refer, "您到最近的网点柜台办一下就行。", true, "网点"),
    (Refer, "这个得您本人去银行柜台办理。", true, "柜台"),
    (Refer, "我帮您联系快递，您不用自己跑。", false, ""),
    (Refer, "不用去营业厅，线上就能办。", false, ""),
    (Refer, "您之前去过营业厅了吗？", false, ""),
    // Transfer
    (Transfer, "我现在帮您转接主管。", true, "帮您转接"),
    (Transfer, "这个问题我给您转到专席处理。", true, "给您转到"),
    (Transfer, "我把您的问题升级给投诉部门，他们会尽快联系您。", true, "升级给投诉部门"),
    (Transfer, "我让主管给您回电话。", true, "主管"),
    (Transfer, "我没有转接，是您那边断线了。", false, ""),
    (Transfer, "不用转人工，我这边就能处理。", false, ""),
    (Transfer, "我不能帮您转接，这个必须本人来办。", false, ""),
    // Hold
    (Hold, "请您稍等，我查一下。", true, "稍等"),
    (Hold, "麻烦您等一下，系统有点慢。", true, "等一下"),
    (Hold, "请耐心等待，马上就好。", true, "耐心等待"),
    (Hold, "您先别挂，我查一下马上回来。", true, "别挂"),
    (Hold, "您不用等了，我这边已经处理好了。", false, ""),
    (Hold, "让您等了这么久，真不好意思。", false, ""),
    (Hold, "我们不需要您等待，结果会短信通知。", false, ""),
    (Hold, "我不让您等，现在就给您办。", false, ""),
    // Thank
    (Thank, "谢谢您的耐心等待。", true, "谢谢"),
    (Thank, "感谢您对我们工作的支持。", true, "感谢"),
    (Thank, "多谢您提醒，我马上改过来。", true, "多谢"),
    (Thank, "感谢您的理解和配合。", true, "感谢"),
    (Thank, "不用谢，这是我应该做的。", false, ""),
    (Thank, "您不用感谢我，这是我的本职工作。", false, ""),
    (Thank, "谢什么谢，赶紧说事。", false, ""),
    // Close
    (Close, "祝您生活愉快，再见。", true, "祝您生活愉快"),
    (Close, "请问还有其他需要帮您的吗？", true, "还有其他需要帮您"),
    (Close, "后续有问题随时联系我们。", true, "随时联系我们"),
    (Close, "再见，祝您一路顺风。", true, "再见"),
    (Close, "还有什么我可以帮您的吗？", true, "还有什么我可以帮您"),
    (Close, "那就不打扰您了，再见。", true, "再见"),
    (Close, "以后再见到这种链接，千万别点开。", false, ""),
    (Close, "您的宽带还有别的问题需要修，师傅明天一起处理。", false, ""),
    // Affirm
    (Affirm, "好的，我明白了。", true, "好的"),
    (Affirm, "嗯嗯，收到，我记一下。", true, "嗯嗯"),
    (Affirm, "没问题，这个马上给您办。", true, "没问题"),
    (Affirm, "可以，我现在就给您办。", true, "可以"),
    (Affirm, "对，就是这个订单。", true, "对"),
    (Affirm, "我帮您改到明天上午，可以吗？", false, ""),
    (Affirm, "我不明白您说的是哪个订单。", false, ""),
    (Affirm, "您好，请问有什么可以帮您？", false, ""),
    (Affirm, "您明白了吗？", false, ""),
    (Affirm, "系统那边没问题，是线路故障。", false, ""),
    // Insult
    (Insult, "你是不是有病啊？", true, "有病"),
    (Insult, "你脑子进水了吧，这都看不懂。", true, "脑子进水"),
    (Insult, "闭嘴，听我说完。", true, "闭嘴"),
    (Insult, "少废话，订单号报一下。", true, "少废话"),
    (Insult, "你这人怎么这么笨啊。", true, "这人怎么"),
    (Insult, "您别着急，滚动条拉到最下面就能看到。", false, ""),
    (Insult, "您手机可能有病毒，建议先杀毒。", false, ""),
    (Insult, "请问您寄的是什么东西，易碎品吗？", false, ""),
    // Attack
    (Attack, "你到底想怎么样？", true, "想怎么样"),
    (Attack, "吓唬谁呢？投诉就投诉。", true, "吓唬谁"),
    (Attack, "你吼什么吼？", true, "吼什么"),
    (Attack, "听不懂人话吗？", true, "听不懂人话"),
    (Attack, "你以为你是谁啊？", true, "以为你是谁"),
    (Attack, "您想怎样处理这件事，我听听您的想法。", false, ""),
    (Attack, "您最着急什么时候能收到？我先帮您催。", false, ""),
    (Attack, "有什么看不懂的地方随时问我。", false, ""),
    (Attack, "我都解释了，您还要我怎样？", true, "要我怎样"),
    (Attack, "您能不能讲点道理？", true, "讲点道理"),
    (Attack, "这么大岁数了，这都不会用？", true, "岁数"),
    (Attack, "您别冲我吼，又不是我定的。", true, "冲我吼"),
    (Attack, "您看要我怎么帮您办理比较方便？", false, ""),
    (Attack, "讲道理，这件事确实是我们的责任。", false, ""),
    (Attack, "您这么大岁数还亲自跑一趟，辛苦您了。", false, ""),
    (Attack, "这也不会影响您的正常使用。", false, ""),
    (Attack, "我明白您冲我发火是因为着急，完全理解。", false, ""),
    // Blame
    (Blame, "这是你自己的问题，跟我们没关系。", true, "你自己的问题"),
    (Blame, "谁让你自己乱点链接的？", true, "谁让你"),
    (Blame, "是不是你自己设置错了？", true, "是不是你自己"),
    (Blame, "早干嘛去了，现在才来问。", true, "早干嘛"),
    (Blame, "不是您自己的问题，是系统故障。", false, ""),
    (Blame, "怪不得您着急，这事搁谁都窝火。", false, ""),
    (Blame, "这事不怪您，是我们没提醒到位。", false, ""),
    // ShiftBlame
    (ShiftBlame, "这个不归我们管，你找快递去。", true, "不归我们管"),
    (ShiftBlame, "是商家那边的问题，我们也没办法。", true, "是商家那边的问题"),
    (ShiftBlame, "规定就是这样的，我也没办法。", true, "规定就是这样"),
    (ShiftBlame, "这是银行那边的规定，跟我们没关系。", true, "跟我们没关系"),
    (ShiftBlame, "我帮您联系快递，催他们尽快派送。", false, ""),
    (ShiftBlame, "这不是快递的问题，是我们仓库发错了。", false, ""),
    (ShiftBlame, "是我们的问题，我们负责到底。", false, ""),
    (ShiftBlame, "退款不是我们部门管的，您打别的电话。", true, "不是我们部门管的"),
    (ShiftBlame, "我就是个小客服，我能怎么办？", true, "小客服"),
    (ShiftBlame, "我能怎么帮您呢？", false, ""),
    // Dismiss
    (Dismiss, "爱等不等，反正就这么个流程。", true, "爱等不等"),
    (Dismiss, "随便你，你想投诉就去投诉。", true, "随便你"),
    (Dismiss, "不满意你就去投诉吧。", true, "不满意你就去投诉"),
    (Dismiss, "那你爱找谁找谁去。", true, "爱找谁找谁"),
    (Dismiss, "上门时间随便您定，我们配合您。", false, ""),
    (Dismiss, "我们不怕麻烦，一定帮您查清楚。", false, ""),
    (Dismiss, "如果您对处理结果不满意，可以拨打12315反映。", false, ""),
    (Dismiss, "您想投诉就投诉吧。", true, "投诉就投诉"),
    (Dismiss, "反正我无所谓。", true, "无所谓"),
    (Dismiss, "嫌贵您可以不用。", true, "嫌贵"),
    (Dismiss, "不信您自己去营业厅问。", true, "不信"),
    (Dismiss, "您再这样我就挂电话了。", true, "挂电话"),
    (Dismiss, "我快下班了，明天再说吧。", true, "明天再说吧"),
    (Dismiss, "需要的话我就帮您办，不需要也没关系。", false, ""),
    (Dismiss, "您不相信的话，我把明细发到您手机上。", false, ""),
    (Dismiss, "您先别挂电话，我帮您查一下。", false, ""),
    (Dismiss, "请您不要挂电话，马上为您转接。", false, ""),
    (Dismiss, "嫌麻烦的话，我直接帮您在线上办好。", false, ""),
    (Dismiss, "我们营业厅晚上九点下班，您明天上午来就行。", false, ""),
    // Sarcasm
    (Sarcasm, "呵呵，您可真行。", true, "呵呵"),
    (Sarcasm, "您可真有本事，一天打八个电话。", true, "您可真有本事"),
    (Sarcasm, "脾气还不小啊。", true, "脾气还不小"),
    (Sarcasm, "哟，您还挺懂行啊。", true, "哟"),
    (Sarcasm, "您可行使七天无理由退货的权利。", false, ""),
    (Sarcasm, "这个套餐流量够大的，够您用一个月。", false, ""),
    (Sarcasm, "连续几天都不会再停电了。", false, ""),
    (Sarcasm, "搞得好像我们故意扣您钱似的。", true, "似的"),
    (Sarcasm, "好像我们之前给您发过短信，您看一下。", false, ""),
    // Minimize
    (Minimize, "这点小事，至于吗？", true, "这点小事"),
    (Minimize, "多大点事，没必要生气。", true, "多大点事"),
    (Minimize, "不就是晚了一天嘛。", true, "不就是晚了一天嘛"),
    (Minimize, "才几块钱的事，您至于吗？", true, "至于吗"),
    (Minimize, "这不是小事，我们一定重视。", false, ""),
    (Minimize, "这个不至于影响您的征信。", false, ""),
    (Minimize, "我想多了解一下当时的情况。", false, ""),
    (Minimize, "这有什么大不了的。", true, "大不了"),
    (Minimize, "这种事也值得投诉？", true, "值得投诉"),
    (Minimize, "您发火有什么用呢？", true, "有什么用"),
    (Minimize, "大不了我们给您全额退款，您放心。", false, ""),
    (Minimize, "这个问题确实值得重视，我马上登记。", false, ""),
    // Impatience
    (Impatience, "我都说了三遍了，您怎么还不明白？", true, "说了三遍"),
    (Impatience, "快点说，后面还有人排队。", true, "快点说"),
    (Impatience, "烦不烦啊，一直打过来。", true, "烦不烦"),
    (Impatience, "我刚才不是说过了吗？", true, "说过了"),
    (Impatience, "麻烦您再说一遍，我刚才没听清。", false, ""),
    (Impatience, "让您重复说了好几遍，真抱歉。", false, ""),
    (Impatience, "您放心，我们会抓紧的。", false, ""),
    (Impatience, "行了行了，我知道了。", true, "行了行了"),
    (Impatience, "我已经说得很清楚了。", true, "说得很清楚了"),
    (Impatience, "您先听我说完好不好？", true, "听我说完"),
    (Impatience, "我刚才解释得不太清楚，我再说一遍。", false, ""),
    (Impatience, "不好意思打断您一下，您的手机号是多少？", false, ""),
    (Impatience, "行，我知道了，马上帮您处理。", false, ""),
    // Overpromise
    (Overpromise, "我保证明天航班准点起飞。", true, "准点"),
    (Overpromise, "这笔钱百分之百能追回来。", true, "追回"),
    (Overpromise, "主管那边肯定会同意的。", true, "肯定会"),
    (Overpromise, "您放心，这次绝对不会再出问题了。", true, "不会再出问题"),
    (Overpromise, "我没法保证航班准点。", false, ""),
    (Overpromise, "这个不能保证一定能追回，我们尽力。", false, ""),
    // SecurityBreach
    (SecurityBreach, "请把您的银行卡密码告诉我，我帮您核实。", true, "密码"),
    (SecurityBreach, "您手机收到的验证码报一下。", true, "验证码"),
    (SecurityBreach, "麻烦您提供一下完整的银行卡号。", true, "银行卡号"),
    (SecurityBreach, "我帮您记下密码，下次就不用输了。", true, "密码"),
    (SecurityBreach, "请报一下身份证后四位，用来核实身份。", false, ""),
    (SecurityBreach, "请报一下银行卡号后四位。", false, ""),
    (SecurityBreach, "验证码千万不要告诉任何人，包括我们客服。", false, ""),
    (SecurityBreach, "密码您自己输入就行，不用告诉我。", false, ""),
    (SecurityBreach, "系统会给您发一个临时密码，用它登录后再改。", false, ""),
];

#[test]
fn every_act_has_answers_and_near_misses() {
    let mut missing = Vec::new();
    for act in Act::ALL {
        let yes = CASES.iter().filter(|c| c.0 == act && c.2).count();
        let no = CASES.iter().filter(|c| c.0 == act && !c.2).count();
        if yes < 3 || no < 2 {
            missing.push(format!("{act:?}: {yes} answers, {no} near misses"));
        }
    }
    assert!(missing.is_empty(), "too few cases:\n{}", missing.join("\n"));
    let no_evidence: Vec<&str> = CASES.iter().filter(|c| c.2 && c.3.is_empty()).map(|c| c.1).collect();
    assert!(no_evidence.is_empty(), "answers without the words that show the act: {no_evidence:?}");
}

#[test]
fn acts_in_answers_and_near_misses() {
    check_all(CASES, |&(act, text, expected, evidence)| {
        let report = acts(text);
        let hits: Vec<_> = report.performed().filter(|h| h.act == act).collect();
        if expected && hits.is_empty() {
            Some(format!("{act:?} missed in 「{text}」: found {}", found(&report)))
        } else if !expected && !hits.is_empty() {
            Some(format!("{act:?} counted in the near miss 「{text}」: found {}", found(&report)))
        } else if expected && !hits.iter().any(|h| h.quote.contains(evidence) && !h.matched.is_empty()) {
            let quotes: Vec<&str> = hits.iter().map(|h| h.quote.as_str()).collect();
            Some(format!("{act:?} in 「{text}」 quotes {quotes:?}, without 「{evidence}」"))
        } else {
            None
        }
    });
}

/// What an `Ask` asks for (its detail), and whether asking it is a security breach.
const ASKED: &[(&str, &str, bool)] = &[
    ("麻烦您提供一下订单号。", "订单号", false),
    ("您好，您手机是什么机型？", "设备型号", false),
    ("请问现在手机系统版本是多少呢？", "设备型号", false),
    ("您的手机号是多少？", "手机号", false),
    ("请问您的收货地址是哪里？", "地址", false),
    ("您方便告诉我身份证后四位吗？", "身份证号", false),
    ("请报一下银行卡号后四位。", "卡号后四位", false),
    ("请问怎么称呼您？", "姓名", false),
    ("您把当时的情况跟我说一下好吗？", "问题经过", false),
    ("请把您的银行卡密码告诉我，我帮您核实。", "密码", true),
    ("您手机收到的验证码报一下。", "验证码", true),
    ("麻烦您提供一下完整的银行卡号。", "完整卡号", true),
    ("您能不能告诉我卡背面的三位安全码？", "安全码", true),
    ("您把收到的验证码念一下，我帮您核对。", "验证码", true),
    ("把短信里那六位数字告诉我就行。", "验证码", true),
    ("方便的话把银行卡正面拍照发我看看。", "完整卡号", true),
    ("您把卡号从头到尾报一遍。", "完整卡号", true),
    ("请您报一下身份证后六位数字。", "身份证号", false),
];

#[test]
fn an_ask_says_what_it_asks_for_and_a_secret_is_a_breach() {
    check_all(ASKED, |&(text, info, breach)| {
        let report = acts(text);
        let Some(ask) = report.first(Ask) else {
            return Some(format!("no Ask in 「{text}」: found {}", found(&report)));
        };
        if !ask.detail.as_deref().is_some_and(|d| d.split('、').any(|d| d == info)) {
            return Some(format!("「{text}」 asks for {:?}, not {info}", ask.detail));
        }
        match (breach, report.first(SecurityBreach)) {
            (true, None) => Some(format!("asking for {info} is no breach in 「{text}」: found {}", found(&report))),
            (true, Some(b)) if !b.detail.as_deref().is_some_and(|d| d.contains(info)) => {
                Some(format!("the breach in 「{text}」 names {:?}, not {info}", b.detail))
            }
            (false, Some(_)) => Some(format!("asking for {info} counted as a breach in 「{text}」")),
            _ => None,
        }
    });
}

/// A commitment carries the time by which it is to be kept.
const DEADLINES: &[(&str, &str)] = &[
    ("明天下午三点前给您回电，告诉您处理结果。", "明天下午三点前"),
    ("两个工作日内给您答复。", "两个工作日内"),
    ("我今晚八点之前一定联系您。", "今晚八点之前"),
    ("24小时内会有专人给您回电。", "24小时内"),
];

#[test]
fn a_commitment_carries_its_deadline() {
    check_all(DEADLINES, |&(text, by)| {
        let report = acts(text);
        match report.first(Commit) {
            None => Some(format!("no Commit in 「{text}」: found {}", found(&report))),
            Some(c) if c.detail.as_deref() != Some(by) => {
                Some(format!("the Commit in 「{text}」 is due {:?}, not {by}", c.detail))
            }
            _ => None,
        }
    });
    // Without a time, no deadline is made up.
    assert_eq!(acts("我会亲自跟进这件事。").first(Commit).map(|c| c.detail.clone()), Some(None));
}

#[test]
fn negation_in_both_word_orders_is_reported_but_does_not_count() {
    // Before the act: the hit is reported, negated.
    for (text, act) in [("我没看到您的退款申请记录。", Confirm), ("我不能帮您转接，这个必须本人来办。", Transfer)]
    {
        let report = acts(text);
        assert!(report.hits.iter().any(|h| h.act == act && h.negated), "「{text}」: {}", found(&report));
        assert!(!report.has(act), "「{text}」: {}", found(&report));
    }
    // After it: 退款我这边给不了 refuses, and promises nothing.
    let report = acts("退款我这边给不了。");
    assert!(report.has(Refuse) && !report.has(Commit) && !report.has(Offer), "{}", found(&report));
    // An A-not-A question negates nothing: 是不是有病 is an insult, 能不能告诉我 an ask.
    assert!(acts("你是不是有病啊？").has(Insult));
    assert!(acts("您能不能告诉我订单号？").has(Ask));
}

#[test]
fn questions_are_marked() {
    let asked = acts("要不要我帮您转接主管？");
    let told = acts("我现在帮您转接主管。");
    let transfer = |r: &ActReport| r.first(Transfer).map(|h| h.question);
    assert_eq!(transfer(&asked), Some(true), "{}", found(&asked));
    assert_eq!(transfer(&told), Some(false), "{}", found(&told));
    assert!(asked.has(Offer), "{}", found(&asked));
}

#[test]
fn conduct_in_quotation_marks_is_the_customers_words() {
    for quoted in ["“机器人听不懂、让您来回重复”这个问题我记下了。", "您说上一个客服说「您有病吧」，这件事我一定反映。"]
    {
        let r = acts(quoted);
        assert!(r.conduct().next().is_none(), "{quoted}: {}", found(&r));
    }
    let said = acts("您有病吧，机器人听不懂还来问我。");
    assert!(said.conduct().next().is_some(), "{}", found(&said));
}

/// Every answer of the shipped scenarios: their samples and sample calls.
fn scenario_answers() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("the scenarios directory")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    paths.sort();
    let mut answers = Vec::new();
    for path in paths {
        let parsed = crate::scenario::parse_file(&path).unwrap_or_else(|d| panic!("{}: {d}", path.display()));
        answers.extend(parsed.scenario.samples.iter().map(|s| s.answer.clone()));
        answers.extend(parsed.scenario.sample_calls.iter().flat_map(|c| c.answers.iter().cloned()));
    }
    answers
}

fn prefilter_differs(text: &str) -> Option<String> {
    let an = analyzer();
    let a = an.analyze(text);
    let (filtered, all) = (an.acts_of(&a), an.act_rules().find_unfiltered(&a, an.negators()));
    (filtered != all).then(|| format!("「{text}」: prefiltered {} / unfiltered {}", found(&filtered), found(&all)))
}

#[test]
fn the_prefilter_finds_what_every_pattern_finds() {
    let answers = scenario_answers();
    assert!(answers.len() > 100, "only {} scenario answers", answers.len());
    let texts: Vec<&str> = CASES
        .iter()
        .map(|c| c.1)
        .chain(ASKED.iter().map(|c| c.0))
        .chain(DEADLINES.iter().map(|c| c.0))
        .chain(answers.iter().map(String::as_str))
        .collect();
    check_all(&texts, |t| prefilter_differs(t));
}

/// Clauses of the table's answers, to mix.
fn fragments() -> Vec<&'static str> {
    CASES.iter().flat_map(|c| c.1.split(['，', '。', '？', '！', '：'])).filter(|f| !f.is_empty()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_prefilter_agrees_on_mixed_answers(
        picks in prop::collection::vec((any::<prop::sample::Index>(), 0usize..4), 1..6)
    ) {
        let pieces = fragments();
        let text: String = picks
            .iter()
            .map(|(i, sep)| format!("{}{}", i.get(&pieces), ["，", "。", "？", ""][*sep]))
            .collect();
        prop_assert_eq!(prefilter_differs(&text), None);
    }
}

#[test]
fn required_literals_are_held_by_every_match() {
    use super::required_literals;
    let lits = |re: &str| {
        required_literals(re).map(|ls| ls.into_iter().map(|l| String::from_utf8(l).unwrap()).collect::<Vec<_>>())
    };
    assert_eq!(lits("(?:我|我们)会"), Some(vec!["我会".to_string(), "我们会".to_string()]));
    // A leading gap has no prefix: the literals every match ends with are taken.
    assert_eq!(lits("[^,.]*回电"), Some(vec!["回电".to_string()]));
    // Neither end fixed, or a possibly empty match: always tried.
    assert_eq!(lits("\\p{Han}+"), None);
    assert_eq!(lits("(?:好)?"), None);
    // Every match of each pattern holds one of its literals (on texts the rules find).
    let an = analyzer();
    let with_literals: Vec<(&CompiledRule, &Pattern, Vec<Vec<u8>>)> = an
        .act_rules()
        .rules
        .iter()
        .flat_map(|rule| rule.patterns.iter().map(move |p| (rule, p)))
        .filter_map(|(rule, p)| Some((rule, p, p.prefilter_source().and_then(required_literals)?)))
        .collect();
    let mut checked = 0;
    for text in CASES.iter().map(|c| c.1).chain(scenario_answers().iter().map(String::as_str)) {
        let a = an.analyze(text);
        for (rule, p, literals) in &with_literals {
            {
                let on = if rule.rule.exact { &a.norm } else { &a.key };
                for m in p.find_all(on, |_, _| true) {
                    let found = &on[m];
                    assert!(
                        literals.iter().any(|l| found.as_bytes().windows(l.len()).any(|w| w == l.as_slice())),
                        "{} matched 「{found}」 without any of its literals",
                        p.source
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 200, "only {checked} matches checked");
}

#[test]
fn few_patterns_escape_the_prefilter() {
    let p = &analyzer().act_rules().prefilter;
    assert!(p.always.len() * 10 < p.ids.len(), "{} of {} patterns always tried", p.always.len(), p.ids.len());
}

#[test]
fn lint_reports_a_rule_too_large_to_build_where_it_is_though_loading_defers_it() {
    use crate::diagnostic::SourceText;
    let text = "ActRules(\n    name: \"test\", rules: [\n        (act: Apologize, patterns: [\"\\\\w{500}\\\\w{500}\"]),\n    ],\n)\n";
    let rules: super::ActRules = crate::ron_file::options().from_str(text).unwrap();
    let src = SourceText::new("acts.ron", text);
    // Loading checks the syntax only: the rules compile, their automata wait for first use.
    let (diagnostics, compiled) = super::check_and_compile(&rules, &src);
    assert!(diagnostics.iter().all(|d| d.code != "bad-pattern"), "{diagnostics:?}");
    let compiled = compiled.expect("syntax is valid");
    assert!(compiled.check_compiles().is_err_and(|e| e.rule == 1 && e.act == Some(Apologize)));
    // Lint builds every automaton, and names the rule's line.
    let bad: Vec<_> = super::check(&rules, &src).into_iter().filter(|d| d.code == "bad-pattern").collect();
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert_eq!(bad[0].line, 3);
    assert!(bad[0].message.contains("规则 1"), "{}", bad[0].message);
}

#[test]
fn lint_warns_of_a_filler_matched_as_a_piece_of_its_own() {
    use crate::diagnostic::SourceText;
    let text = "ActRules(\n    name: \"test\",\n    classes: {\"填充\": [\"确实\", \"很\"]},\n    rules: [\n        (act: Empathize, patterns: [\"(确实|真)闹心\"]),\n        (act: Empathize, exact: true, patterns: [\"(确实|真)糟心\"]),\n        (act: Minimize, patterns: [\"很多人都有\"]),\n    ],\n)\n";
    let rules: super::ActRules = crate::ron_file::options().from_str(text).unwrap();
    let src = SourceText::new("acts.ron", text);
    let warned: Vec<_> = super::check(&rules, &src).into_iter().filter(|d| d.code == "filler-in-pattern").collect();
    // Only the first rule: the second matches the text as written, and 很多 is a word.
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert_eq!(warned[0].line, 5);
    assert!(warned[0].message.contains("第 1 条规则") && warned[0].message.contains("“确实”"), "{}", warned[0].message);
}
