//! The speaker's own anger: where a negator before an anger marker does not take the anger back.
//!
//! The tone stage marks a marker negated when a negator stands shortly before it in the same
//! clause ("不生气", "别骗我"). Angry speech often puts a negator before an accusation without
//! denying it; for the anger dimension only, such a marker counts after all:
//!
//! - an emoticon code ("[怒]"): a negator does not reach into a picture;
//! - a rhetorical question, which asserts what it seems to deny: "这不是乱收费吗？",
//!   "这不是坑爹是什么", "难道不是骗子？";
//! - an A-not-A question, which exclaims rather than asks: "你们恶不恶心", "要不要这么垃圾";
//! - "不是一般的", which intensifies: "还不是一般的垃圾".

use std::ops::Range;

use crate::text::normalize::is_clause_break;
use crate::text::tone::ToneEvidence;

/// Words before the marker (in its clause) that open a rhetorical question.
const RHETORICAL_OPENERS: [&str; 4] = ["不是", "难道", "能不", "不就"];
/// Words ending a clause that make it a question (besides a question mark).
const QUESTION_ENDINGS: [&str; 4] = ["吗", "么", "嘛", "呢"];
/// How many characters before the marker an A-not-A question ("恶不恶心", "要不要这么") may
/// start.
const A_NOT_A_REACH: usize = 8;

/// Clears `negated` on the anger evidence whose negation is rhetorical. `spans[i]` is the byte
/// range in `norm` of `evidence[i]`.
pub(crate) fn reconsider_negation<'a>(
    norm: &str,
    spans: impl IntoIterator<Item = &'a Range<usize>>,
    evidence: &mut [ToneEvidence],
) {
    for (e, span) in evidence.iter_mut().zip(spans) {
        if e.negated && e.dimension == "anger" && negation_is_rhetorical(norm, span, &e.matched) {
            e.negated = false;
        }
    }
}

/// True when the negator before the anger marker `phrase` at `span` of `norm` does not deny it
/// (see the module comment).
pub(crate) fn negation_is_rhetorical(norm: &str, span: &Range<usize>, phrase: &str) -> bool {
    if phrase.starts_with('[') {
        return true;
    }
    // The clause up to the marker, and from the marker to the clause's end.
    let before = norm[..span.start].rsplit(is_clause_break).next().unwrap_or_default();
    let (after, closing) = match norm[span.end..].find(is_clause_break) {
        Some(i) => (&norm[span.end..span.end + i], norm[span.end + i..].chars().next()),
        None => (&norm[span.end..], None),
    };
    if before.ends_with("不是一般的") || before.ends_with("不是一般") {
        return true;
    }
    let after = after.trim_end();
    let question =
        closing == Some('?') || QUESTION_ENDINGS.iter().any(|q| after.ends_with(q)) || after.contains("是什么");
    if question && RHETORICAL_OPENERS.iter().any(|w| before.contains(w)) {
        return true;
    }
    // A-not-A: "X不X" or "X没X" just before the marker, the marker's first character included.
    let mut tail: Vec<char> = before.chars().rev().take(A_NOT_A_REACH).collect();
    tail.reverse();
    tail.extend(phrase.chars().next());
    tail.windows(3).any(|w| (w[1] == '不' || w[1] == '没') && w[0] == w[2] && w[0] != '不' && w[0] != '没')
}

#[cfg(test)]
mod tests {
    use crate::text::analyzer::Analyzer;
    use std::sync::OnceLock;

    fn analyzer() -> &'static Analyzer {
        static A: OnceLock<Analyzer> = OnceLock::new();
        A.get_or_init(Analyzer::with_embedded_lexicons)
    }

    fn anger(text: &str) -> f32 {
        analyzer().tone(text).anger
    }

    /// Each angry text must reach 0.5 and show only counted evidence for it.
    fn assert_angry(texts: &[&str]) {
        for text in texts {
            let t = analyzer().tone(text);
            assert!(t.anger >= 0.5, "{text}: {t:?}");
            assert!(t.evidence.iter().any(|e| e.dimension == "anger" && !e.negated), "{text}: {t:?}");
        }
    }

    fn assert_calm(texts: &[&str]) {
        for text in texts {
            let t = analyzer().tone(text);
            assert!(t.anger < 0.5, "{text}: {t:?}");
        }
    }

    #[test]
    fn customers_who_are_angry_reach_one_half() {
        assert_angry(&[
            "气死我了，快递又丢了！",
            "你们这是什么态度？我要投诉！",
            "凭什么扣我话费",
            "什么玩意，一个月了还不给退款",
            "卧槽，又停机了",
            "我操，扣了两次钱",
            "乱收费到这个地步，简直令人发指",
            "tmd，客服电话一直打不通",
            "滚！别再给我打电话",
            "受够了你们的破网络",
            "你们是不是有病吧，天天发垃圾短信",
            "我已经忍无可忍了，明天就去消协起诉你们",
            "说好的今天发货，又延期[怒]",
            "骗子公司，退钱！",
        ]);
    }

    #[test]
    fn sadness_disgust_surprise_and_joy_stay_under_one_half() {
        assert_calm(&[
            // sadness
            "好失望，他终究还是走了",
            "一个人的夜晚好难过[泪]",
            // disgust without anger
            "那个广告有点恶心",
            "最讨厌下雨天",
            // surprise
            "真的吗？太意外了",
            // 操 inside other words
            "我操心孩子的学习",
            "下午去操场跑步",
            // a happy post shouting
            "我们赢了！！！太开心了！！！",
            "生日快乐！！！爱你们[心]",
            // calm questions
            "请问我的快递什么时候到？",
            "我想了解一下这个套餐到底包含多少流量",
        ]);
    }

    #[test]
    fn negated_anger_is_not_anger() {
        assert_calm(&[
            "我不生气，慢慢来",
            "别生气，没关系的",
            "我没有投诉的意思，就是问问",
            "这不是投诉，只是一个建议。",
        ]);
        let t = analyzer().tone("我不生气");
        assert!(t.evidence.iter().any(|e| e.matched == "生气" && e.negated), "{t:?}");
        assert_eq!(t.anger, 0.0);
    }

    #[test]
    fn rhetorical_negations_still_accuse() {
        assert_angry(&[
            "这不是乱收费吗？",
            "这不是坑爹是什么？",
            "每个月多扣我十块，不是欺骗消费者吗",
            "你们坑不坑人啊",
            "联通还不是一般的垃圾",
        ]);
        let t = analyzer().tone("你们恶不恶心");
        assert!(t.evidence.iter().any(|e| e.matched == "恶心" && !e.negated), "{t:?}");
        // A plain negation of the same words, and a question that is not rhetorical.
        assert_calm(&["我们这里不乱收费", "这个不是垃圾短信。"]);
    }

    #[test]
    fn emoticon_codes_are_not_negated() {
        let t = analyzer().tone("到现在还没发货[怒]");
        assert!(t.evidence.iter().any(|e| e.matched == "[怒]" && !e.negated), "{t:?}");
        assert!(t.anger >= 0.5, "{t:?}");
    }

    #[test]
    fn two_weaker_cues_make_anger_where_one_does_not() {
        // A frustration emoticon alone is not anger; with a run of "!!!" it is.
        assert!(anger("又要加班[抓狂]") < 0.5);
        assert!(anger("又要加班！！！[抓狂]") >= 0.5);
        // A swear word used as an intensifier is borderline alone, angry with a second cue.
        assert!(anger("卧槽，这也太难了吧，你们搞什么") >= 0.5);
    }

    #[test]
    fn an_indignant_question_mark_counts() {
        let t = analyzer().tone("你们到底管不管？！");
        assert!(t.evidence.iter().any(|e| e.matched == "?!" && !e.negated), "{t:?}");
        assert!(t.anger > anger("你们到底管不管？"), "{t:?}");
    }

    #[test]
    fn my_mothers_birthday_is_no_swearing() {
        // "妈的" inside "我妈的", "他妈" inside "其他妈妈": the segmenter keeps the words apart.
        assert_calm(&["我妈的生日快到了", "其他妈妈都来了", "他妈妈住院了", "你妹妹呢", "我想去你的城市看看"]);
        // A literal word listed at 0 hides the insult inside it.
        assert_eq!(anger("垃圾桶满了，记得倒垃圾"), 0.0);
    }
}
