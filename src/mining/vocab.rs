//! The corpus vocabulary: which tokens count as words, stop words, part-of-speech filters, and
//! TF-IDF with document frequencies counted on the corpus itself.

use std::ops::Range;
use std::sync::Arc;

use jieba_rs::Jieba;

/// Function words and chat filler that are never keywords.
const STOP: &str = "\
我们 你们 他们 她们 它们 咱们 自己 这个 那个 这些 那些 这样 那样 这么 那么 这里 那里 哪里 什么 怎么 怎样 怎么样 为什么 为啥 \
如何 多少 哪个 哪些 一个 一下 一些 一直 一样 一点 一次 已经 还是 就是 但是 可是 然后 而且 并且 或者 还有 以及 因为 所以 如果 \
虽然 不过 只是 只有 只能 也是 都是 不是 没有 不能 不会 不要 不用 可以 可能 应该 需要 能够 知道 觉得 认为 希望 感觉 时候 现在 \
今天 昨天 明天 之前 之后 以后 以前 当时 目前 最近 刚才 马上 非常 真的 特别 比较 实在 确实 其实 直接 已经 还要 还有 就要 \
有点 有些 其他 其它 另外 关于 对于 通过 进行 出现 发现 表示 告诉 说明 一般 同时 由于 以便 及时 尽快 随时 的话 是否 是不是 \
有没有 能不能 会不会 为了 这种 那种 每次 每天 一天 两天 几天 好像 貌似 而已 啊啊 哈哈 呵呵 嘻嘻 嘿嘿 哈哈哈 呜呜 谢谢 感谢 \
您好 你好 亲亲 请问 麻烦 您们 不好意思 大家 各位 小编 小伙伴 朋友 回复 转发 微博 评论 网页 链接 网页链接 图片 视频 分享 \
东西 事情 时间 地方 方面 情况 问题 原因 结果 样子 部分 之类 左右 以上 以下 上面 下面 里面 外面 后面 前面 中间 不了 起来 出来 \
下去 过来 过去 回来 一切 所有 任何 各种 很多 许多 太多 更多 不少 一定 肯定 当然 终于 居然 竟然 简直 根本 完全 本来 原来 \
还是 只要 只好 于是 接着 而是 并不 并没有 不再 再次 再说 然而 毕竟 难道 何况 甚至 尤其 总是 经常 往往 多次 无数 好几 几个 \
两个 三个 这是 那是 就是说 也就是 怎么回事 什么样 那就 这就 就算 也许 或许 大概 差不多 一会 一会儿 稍后 之间 以来 如此";

/// Generic words that say nothing about what a dialogue is about (never a topic).
const TOPIC_GENERIC: &str = "\
客服 服务 用户 客户 工作人员 人员 官方 公司 联系 联系方式 联系电话 电话 手机号 手机号码 号码 私信 提供 反馈 反映 处理 解决 \
核实 核查 查询 查看 回复 答复 帮助 支持 使用 操作 咨询 了解 建议 记录 详细 具体 信息 相关 部门 方式 尝试 办法 方法 希望 \
要求 需要 告知 通知 留意 关注 体验 不便 带来 抱歉 歉意 理解 满意 投诉 举报 说法 态度 效率 责任 骗子 垃圾 坑人 无语 失望 \
生气 愤怒 着急 担心 期待 等待 继续 开始 结束 成功 失败 正常 不行 打电话 打不通 工作 时间段 小时 分钟 一周 星期 天天 整天 \
以上 以下 好的 可以 谢谢 您好 亲爱 小U 小沃 小美 微博 官微 账号 地址 姓名 老子 劳资 老娘 你妈 他妈 妈的 \
解释 负责 回应 说法 欺骗 无耻 坑爹 鄙视 骗人 流氓 恶心 差劲 太差 怎么办 求助 救命 求救";

/// The stop-word set, built once.
pub struct StopWords {
    stop: rustc_hash::FxHashSet<&'static str>,
    topic_generic: rustc_hash::FxHashSet<&'static str>,
}

impl StopWords {
    fn get() -> &'static StopWords {
        static S: std::sync::OnceLock<StopWords> = std::sync::OnceLock::new();
        S.get_or_init(|| StopWords {
            stop: STOP.split_whitespace().collect(),
            topic_generic: TOPIC_GENERIC.split_whitespace().collect(),
        })
    }

    fn is_stop(&self, word: &str) -> bool {
        self.stop.contains(word)
    }
}

/// True for a token worth counting: two characters or more, with a Chinese character or a
/// Latin letter ("4g", "wifi"), no punctuation, not a stop word.
pub fn is_term(word: &str) -> bool {
    let mut chars = 0;
    let (mut han, mut letter) = (false, false);
    for c in word.chars() {
        chars += 1;
        if is_cjk(c) {
            han = true;
        } else if c.is_ascii_alphabetic() {
            letter = true;
        } else if !c.is_ascii_digit() {
            return false;
        }
    }
    // A Latin-only token of more than 20 letters is a hash or a URL piece, not a word.
    let long_latin = !han && chars > 20;
    chars >= 2 && (han || letter) && !long_latin && !StopWords::get().is_stop(word)
}

/// True for a word that may name a topic: not generic chat or service vocabulary.
pub fn is_topic_word(word: &str) -> bool {
    !StopWords::get().topic_generic.contains(word)
        && !word.starts_with(['我', '你', '他', '她', '给', '让', '被', '把', '没', '不', '无', '未', '别'])
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Byte ranges of short bracketed runs (`[呵呵]` emoticons, `[手机号]` placeholders): their
/// tokens are not words of the dialogue.
pub fn bracket_ranges(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    // Most texts hold no opening bracket: two byte searches instead of a walk over the characters.
    if !text.as_bytes().contains(&b'[') && !text.contains('【') {
        return out;
    }
    let mut open: Option<(usize, usize)> = None;
    for (i, c) in text.char_indices() {
        match c {
            '[' | '【' => open = Some((i, 0)),
            ']' | '】' => {
                if let Some((s, _)) = open.take() {
                    out.push(s..i + c.len_utf8());
                }
            }
            _ => {
                if let Some((s, n)) = open {
                    open = if n >= 12 { None } else { Some((s, n + 1)) };
                }
            }
        }
    }
    out
}

/// Part-of-speech tags from jieba's dictionary (one word at a time).
pub struct PosTagger {
    jieba: Arc<Jieba>,
}

impl PosTagger {
    pub fn new(jieba: Arc<Jieba>) -> Self {
        PosTagger { jieba }
    }

    /// The tag of a single word ("n", "v", "vn", "nz", "eng" …); "x" when jieba splits it.
    pub fn tag(&self, word: &str) -> String {
        let tags = self.jieba.tag(word, true);
        match tags.as_slice() {
            [one] => one.tag.to_string(),
            _ => "x".to_string(),
        }
    }
}

/// Nouns, verbal nouns, idioms and Latin words may name a topic; verbs too (退款, 维修); but not
/// proper nouns (person, place, organisation and brand names), which say who, not what.
pub fn topic_pos(tag: &str) -> bool {
    matches!(tag, "n" | "vn" | "an" | "eng" | "v")
}

/// What a keyword describing a family may be: nouns (and verbal or adjectival nouns, Latin).
pub fn keyword_pos(tag: &str) -> bool {
    matches!(tag, "n" | "vn" | "an" | "eng")
}

/// What a concept phrase may be: nouns and verbs (and idioms), as the issue asks.
pub fn concept_pos(tag: &str) -> bool {
    matches!(tag, "n" | "vn" | "nz" | "v" | "l" | "eng" | "j")
}

/// The interned words of the corpus with their document frequencies per role.
#[derive(Debug, Default)]
pub struct Vocab {
    /// The id of each word. Fx hashing: fast, and the same in every run (the map is never
    /// iterated).
    ids: rustc_hash::FxHashMap<String, u32>,
    pub words: Vec<String>,
    /// Dialogues in whose customer turns the word occurs.
    pub df_customer: Vec<u32>,
    /// Dialogues in whose agent turns the word occurs.
    pub df_agent: Vec<u32>,
}

impl Vocab {
    pub fn intern(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.ids.get(word) {
            return id;
        }
        let id = self.words.len() as u32;
        self.ids.insert(word.to_string(), id);
        self.words.push(word.to_string());
        self.df_customer.push(0);
        self.df_agent.push(0);
        id
    }

    pub fn get(&self, word: &str) -> Option<u32> {
        self.ids.get(word).copied()
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    pub fn word(&self, id: u32) -> &str {
        &self.words[id as usize]
    }

    /// Smoothed inverse document frequency: ln((N + 1) / (df + 1)) + 1.
    pub fn idf(df: u32, n: u64) -> f64 {
        ((n as f64 + 1.0) / (f64::from(df) + 1.0)).ln() + 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms() {
        assert!(is_term("宽带"));
        assert!(is_term("4g"));
        assert!(is_term("wifi"));
        assert!(!is_term("我们"));
        assert!(!is_term("的"));
        assert!(!is_term("2026"));
        assert!(!is_term("，。"));
    }

    #[test]
    fn stop_words() {
        let stop = StopWords::get();
        assert!(STOP.split_whitespace().all(|w| stop.is_stop(w)));
        assert!(!stop.is_stop("宽带") && !stop.is_stop("我们的") && !stop.is_stop("我") && !stop.is_stop(""));
    }

    #[test]
    fn words_are_interned_once() {
        let mut v = Vocab::default();
        let words = ["宽带", "宽带故障", "宽带故障报修", "宽带故障报修单号", "a", "a\u{0}", "宽带"];
        let ids: Vec<u32> = words.iter().map(|w| v.intern(w)).collect();
        assert_eq!(ids, [0, 1, 2, 3, 4, 5, 0]);
        assert_eq!(v.len(), 6);
        for (w, id) in words.iter().zip(&ids) {
            assert_eq!((v.get(w), v.word(*id)), (Some(*id), *w));
        }
        assert_eq!(v.get("宽带故障报修单"), None);
    }

    #[test]
    fn brackets() {
        let t = "太差了[怒][手机号]【公告】[没有闭合";
        let r = bracket_ranges(t);
        assert_eq!(r.len(), 3);
        assert_eq!(&t[r[0].clone()], "[怒]");
        assert_eq!(&t[r[2].clone()], "【公告】");
        // Either opening bracket alone starts a run; closing ones alone do not.
        assert_eq!(bracket_ranges("看【公告】"), vec![3..15]);
        assert_eq!(bracket_ranges("a[b]"), vec![1..4]);
        assert!(bracket_ranges("没有括号]】").is_empty() && bracket_ranges("").is_empty());
    }

    #[test]
    fn pos_tags() {
        let t = PosTagger::new(Arc::new(Jieba::new()));
        assert_eq!(t.tag("宽带"), "n");
        assert!(topic_pos(&t.tag("退款")), "{}", t.tag("退款"));
        assert!(!topic_pos(&t.tag("北京")));
    }
}
