//! Redaction of personal data: phone numbers, ID and bank cards, e-mail, URLs, @handles, order
//! and tracking numbers, street addresses and names before titles become typed placeholders
//! (`[手机号]`, `[地址]` …), while prices, dates, times and model numbers stay.
//!
//! Redaction runs first, on every text, before anything is analysed, kept or written. Each rule
//! is a regular expression plus checks the regex crate cannot express (digit boundaries, the
//! date inside an ID number, where a place name starts). Rules run in a fixed order and a later
//! rule never touches text an earlier one already claimed. `docs/mining.md` lists what each
//! type matches, with examples.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use jieba_rs::Jieba;
use regex::Regex;

use crate::mining::address::{
    AVENUE_END, AddressRules, BUILDING_ENDS, ESTATE_ENDS, ESTATE_NAMES, ROAD_ENDS, ROOM_ENDS, is_place_han,
};
use crate::mining::input::{BadLine, Role};
use crate::mining::literals::LiteralSets;
use crate::mining::pii_forms::{self, FormRules};
use serde::{Deserialize, Serialize};

/// The kinds of personal data, in the order their rules run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    Url,
    Email,
    Ip,
    IdCard,
    Tracking,
    Order,
    BankCard,
    Mobile,
    Landline,
    Account,
    Plate,
    Handle,
    Address,
    Name,
    /// A long digit string that fits no other rule (9 digits or more).
    Number,
}

impl PiiKind {
    pub const ALL: [PiiKind; 15] = [
        PiiKind::Url,
        PiiKind::Email,
        PiiKind::Ip,
        PiiKind::IdCard,
        PiiKind::Tracking,
        PiiKind::Order,
        PiiKind::BankCard,
        PiiKind::Mobile,
        PiiKind::Landline,
        PiiKind::Account,
        PiiKind::Plate,
        PiiKind::Handle,
        PiiKind::Address,
        PiiKind::Name,
        PiiKind::Number,
    ];

    /// The placeholder written in place of the data.
    pub fn placeholder(self) -> &'static str {
        match self {
            PiiKind::Url => "[网址]",
            PiiKind::Email => "[邮箱]",
            PiiKind::Ip => "[IP地址]",
            PiiKind::IdCard => "[身份证号]",
            PiiKind::Tracking => "[快递单号]",
            PiiKind::Order => "[订单号]",
            PiiKind::BankCard => "[银行卡号]",
            PiiKind::Mobile => "[手机号]",
            PiiKind::Landline => "[电话]",
            PiiKind::Account => "[账号]",
            PiiKind::Plate => "[车牌号]",
            PiiKind::Handle => "[@用户]",
            PiiKind::Address => "[地址]",
            PiiKind::Name => "[姓名]",
            PiiKind::Number => "[号码]",
        }
    }

    /// Stable key for reports.
    pub fn key(self) -> &'static str {
        match self {
            PiiKind::Url => "url",
            PiiKind::Email => "email",
            PiiKind::Ip => "ip",
            PiiKind::IdCard => "id_card",
            PiiKind::Tracking => "tracking",
            PiiKind::Order => "order",
            PiiKind::BankCard => "bank_card",
            PiiKind::Mobile => "mobile",
            PiiKind::Landline => "landline",
            PiiKind::Account => "account",
            PiiKind::Plate => "plate",
            PiiKind::Handle => "handle",
            PiiKind::Address => "address",
            PiiKind::Name => "name",
            PiiKind::Number => "number",
        }
    }

    /// Chinese label for reports.
    pub fn label(self) -> &'static str {
        match self {
            PiiKind::Url => "网址",
            PiiKind::Email => "邮箱",
            PiiKind::Ip => "IP 地址",
            PiiKind::IdCard => "身份证号",
            PiiKind::Tracking => "快递单号",
            PiiKind::Order => "订单号",
            PiiKind::BankCard => "银行卡号",
            PiiKind::Mobile => "手机号",
            PiiKind::Landline => "固定电话",
            PiiKind::Account => "QQ/微信等账号",
            PiiKind::Plate => "车牌号",
            PiiKind::Handle => "@用户名",
            PiiKind::Address => "地址",
            PiiKind::Name => "姓名",
            PiiKind::Number => "其他长号码",
        }
    }

    /// True for a placeholder text such as `[手机号]`.
    pub fn is_placeholder(text: &str) -> bool {
        PiiKind::ALL.iter().any(|k| k.placeholder() == text)
    }
}

/// How many items of each kind were replaced.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactionCounts(pub BTreeMap<PiiKind, u64>);

impl RedactionCounts {
    pub fn add(&mut self, kind: PiiKind, n: u64) {
        *self.0.entry(kind).or_insert(0) += n;
    }
    pub fn merge(&mut self, other: &RedactionCounts) {
        for (k, n) in &other.0 {
            self.add(*k, *n);
        }
    }
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }
    pub fn get(&self, kind: PiiKind) -> u64 {
        self.0.get(&kind).copied().unwrap_or(0)
    }
}

/// Common surnames (single and compound) for names written before a title (王先生, 欧阳女士).
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝";
const COMPOUND_SURNAMES: [&str; 14] =
    ["欧阳", "司马", "诸葛", "上官", "东方", "慕容", "令狐", "皇甫", "尉迟", "公孙", "夏侯", "长孙", "宇文", "司徒"];

/// Characters that do not occur in given names here: pronouns, particles, common verbs.
const NOT_NAME: &str = "你我他她它们的了是在不也都就和与及请谢给跟对这那个有没很好吗呢吧啊来去说看要会能装修送排系";

/// Titles after which a name is redacted (王先生 → [姓名]先生).
const TITLES: &str = "先生|女士|小姐|老师|经理|师傅|主任|阿姨|叔叔|大爷|大妈|同学|总";

/// The words after which a name is redacted (联系人：王建国 → 联系人：[姓名]).
const NAME_LABELS: &str =
    "我叫|本人叫|姓名|名字叫|名字|联系人|收货人|收件人|寄件人|机主|户主|户名|持卡人|客户|用户|顾客";

/// Bits of `Redactor::triggers`: what a text must hold for a rule to match at all.
const STREET_ENDING: u64 = 1;
const ADDRESS_ANCHOR: u64 = 2;
const NAME_LABEL: u64 = 4;
const TITLE: u64 = 8;
const INTRO: u64 = 16;
const PLACE_CUE: u64 = 32;
const NAME_CONTEXT: u64 = 64;
/// Words after which a speaker says where they live or where to send something: a clause
/// after them may be an address even without the markers the address rules need
/// (佛山顺德乐从水藤 names a village by its city, district and town). The labelled ones
/// (地址：, 住址是) may be followed by a longer address than the others.
const PLACE_CUES: [&str; 8] = ["我家在", "家就在", "家住", "住在", "寄到", "寄往", "住址", "地址"];
/// Characters a place name does not hold but a clause does (的, 了, 要, 才 …): a clause
/// after a cue with one of them says something else (住在离公司500米的地方, 地址是无法修改的).
const CLAUSE_CHARS: &str = "的了是吗呢吧啊呀要能才又就也不没很说看让把给我你他她您这哪什么怎啥谁想去被过着";
/// Most place-name characters in a clause after an unlabelled cue, and after a label.
const PLACE_MAX: usize = 10;
const LABELLED_PLACE_MAX: usize = 20;

const INTRO_WORDS: [&str; 4] = ["我是", "本人", "叫我", "姓"];

/// Characters that may follow a name said in an introduction (叫我李四就行, 我是张伟啊).
const AFTER_NAME: &str = "就吧啊呀哈呢哦嘛的，。,.!！?？ 叫";

/// Words right before a name said in running text (转告王建国, 老公叫陈志强, 是赵敏帮我下的单).
const BEFORE_NAME_WORDS: [&str; 28] = [
    "转告", "告诉", "通知", "联系", "找", "叫", "同事", "朋友", "老公", "老婆", "爱人", "丈夫", "妻子", "媳妇", "儿子",
    "女儿", "爸爸", "妈妈", "父亲", "母亲", "哥哥", "姐姐", "弟弟", "妹妹", "邻居", "领导", "家属", "亲戚",
];
/// Words right after one (张伟昨天打电话说, 赵敏帮我, 杨帆同事跟进). Function words that follow
/// any noun (是, 和, 也 …) are not among them: jieba tags some product names as names (安卓).
const AFTER_NAME_WORDS: [&str; 20] = [
    "说",
    "讲",
    "告诉",
    "打电话",
    "来电",
    "帮",
    "帮我",
    "同事",
    "本人",
    "昨天",
    "今天",
    "前天",
    "上午",
    "下午",
    "晚上",
    "刚才",
    "之前",
    "上次",
    "一声",
    "那边",
];

/// How many characters a name in running text may take (a compound surname and two given
/// characters).
const NAME_REACH: usize = 4;

/// Verbs jieba may join to an unknown name before them (王伟帮我, 李娜说): the name ends before.
const SWALLOWED_AFTER_NAME: &str = "帮说讲";

/// Characters that do not occur in given names introduced after 我是 (我是常客, 我是老客户).
const NOT_INTRODUCED: &str = "客户员工主家属人";

/// The redactor: compiled rules, shared by all workers (it is `Send + Sync`).
#[derive(Clone)]
pub struct Redactor {
    url: Regex,
    domain: Regex,
    email: Regex,
    id_card: Regex,
    masked: Regex,
    context_number: Regex,
    tracking: Regex,
    order_code: Regex,
    bank_card: Regex,
    mobile: Regex,
    landline: Regex,
    hotline: Regex,
    account: Regex,
    handle: Regex,
    /// The street-address rules (see `address`).
    address: AddressRules,
    /// One pass over a text says which of the rules written with words can match: street
    /// endings and address anchors, name labels, titles (`STREET_ENDING` …).
    triggers: LiteralSets,
    name_intro: Regex,
    title: Regex,
    long_number: Regex,
    /// A place after a cue (`PLACE_CUES`): the cue, then the clause.
    cued_place: Regex,
    /// Self-introductions: 我是张伟, 本人刘德华, 叫我李四就行, 我姓孙叫孙悟空.
    self_intro: Regex,
    /// A surname said alone: 我姓孙, 免贵姓王, 姓李.
    surname_said: Regex,
    /// Spelled e-mails, plates, English names (see `pii_forms`).
    forms: FormRules,
    /// Where the words of `BEFORE_NAME_WORDS` (pattern ids below their count) and
    /// `AFTER_NAME_WORDS` stand: the places a name in running text may be.
    name_context: aho_corasick::AhoCorasick,
    /// Part-of-speech tags: where a place name starts, names after 我是, names in running text.
    jieba: Arc<Jieba>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor")
    }
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("redaction pattern {pattern}: {e}"))
}

impl Default for Redactor {
    fn default() -> Self {
        Redactor::new()
    }
}

impl Redactor {
    /// Compiles the rules and loads jieba's dictionary (for place names); about 0.2 s, so
    /// build once and share.
    pub fn new() -> Self {
        Redactor::with_jieba(Arc::new(Jieba::new()))
    }

    /// Compiles the rules with a jieba that has the default dictionary and tags.
    pub fn with_jieba(jieba: Arc<Jieba>) -> Self {
        Redactor {
            url: re(r"(?i)(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+"),
            domain: re(
                r"(?i)(?-u:\b)(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+(?:com|cn|net|org|gov|edu|info|biz|io|me|cc|tv|co|top|xyz|vip|shop|club|site|online|wang|ren|mobi|asia|hk|tw|jp|us|uk)(?-u:\b)(?::[0-9]+)?(?:/[A-Za-z0-9\-._~:/?#@!$&'*+,;=%]*)?",
            ),
            email: re(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"),
            id_card: re(
                r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]|[1-9][0-9]{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}",
            ),
            masked: re(r"[0-9]{1,6}[*＊]{3,12}[0-9]{1,6}[Xx]?"),
            context_number: re(
                r"(快递单号|快递号|运单号|运单|物流单号|物流号|订单编号|订单号|订单|退货单号|交易单号|交易号|流水号|受理单号|受理号|投诉单号|服务单号|工单号|工单|单号|编号)[\s:：#]*(?:是|为)?[\s:：]*([A-Za-z0-9][A-Za-z0-9\-]{4,39})",
            ),
            tracking: re(
                r"(?-u:\b)(?:(?:SF|YT|ZT|JT|YD|JD|JDV|DPK|EMS|ZJS|STO|YTO|ZTO|HTKY|YUNDA)[0-9]{10,16}|[A-Z]{2}[0-9]{9}[A-Z]{2})(?-u:\b)",
            ),
            order_code: re(r"(?-u:\b)[A-Za-z]{1,4}-?[0-9]{8,22}(?-u:\b)"),
            bank_card: re(r"[1-9][0-9]{3}(?:[ \-]?[0-9]{4}){3}(?:[ \-]?[0-9]{1,3})?"),
            mobile: re(r"(?:\+?86[\- ]?)?1[3-9][0-9][\- ]?[0-9]{4}[\- ]?[0-9]{4}"),
            landline: re(
                r"(?:\(0[0-9]{2,3}\)|（0[0-9]{2,3}）|0[0-9]{2,3}[\- ]?)[ ]?[2-9][0-9]{6,7}(?:(?:-|转|ext\.?)[0-9]{1,5})?",
            ),
            hotline: re(r"[48]00(?:[\- ]?[0-9]){7}"),
            account: re(
                r"(?i)(qq号码|qq号|qq|扣扣|微信号|微信|wx号|wx|vx|wechat|支付宝账号|支付宝|账号|帐号|用户名|用户id|id号)[\s:：]*(?:是|为)?[\s:：]*([A-Za-z0-9][A-Za-z0-9_\-.]{4,29})",
            ),
            handle: re(r"@[\p{Han}A-Za-z0-9_\-·]{1,30}"),
            address: AddressRules::new(),
            triggers: LiteralSets::new(
                [ROAD_ENDS, ESTATE_ENDS, BUILDING_ENDS, ROOM_ENDS, ESTATE_NAMES]
                    .iter()
                    .flat_map(|e| e.split('|'))
                    .map(|w| (w.to_string(), STREET_ENDING))
                    .chain(ADDRESS_ANCHORS.chars().map(|c| (c.to_string(), ADDRESS_ANCHOR)))
                    .chain(NAME_LABELS.split('|').map(|w| (w.to_string(), NAME_LABEL)))
                    .chain(TITLES.split('|').map(|w| (w.to_string(), TITLE)))
                    .chain(INTRO_WORDS.iter().map(|w| (w.to_string(), INTRO)))
                    .chain(PLACE_CUES.iter().map(|w| (w.to_string(), PLACE_CUE)))
                    .chain(BEFORE_NAME_WORDS.iter().chain(&AFTER_NAME_WORDS).map(|w| (w.to_string(), NAME_CONTEXT))),
            ),
            name_intro: re(&format!(r"({NAME_LABELS})[\s:：是为]*((?:{})[\p{{Han}}]{{1,2}})", surname_alternation())),
            title: re(TITLES),
            long_number: re(r"[0-9]{9,}"),
            cued_place: re(
                r"(?:(我家在|家就在|家住在|家住|住在|寄到|寄往)|((?:住址|地址)[:：是为]))[:：]?\s*([^，。！？,.!?；;、\s()（）\[\]<>]+)",
            ),
            self_intro: re(&format!(
                r"(我是|我就是|本人是|本人|叫我|我姓(?:{s})[，, ]?叫|姓(?:{s})[，, ]?名?叫)[\s:：]*((?:{s})[\p{{Han}}]{{1,2}})",
                s = surname_alternation()
            )),
            surname_said: re(&format!(r"姓((?:{}))", surname_alternation())),
            forms: FormRules::new(),
            name_context: aho_corasick::AhoCorasick::new(BEFORE_NAME_WORDS.iter().chain(&AFTER_NAME_WORDS))
                .expect("a few dozen words"),
            jieba,
        }
    }

    /// Replaces every piece of personal data in `text` by its placeholder. Full-width digits
    /// and letters are folded to ASCII first so that "１３８…" is found too.
    pub fn redact(&self, text: &str) -> (String, RedactionCounts) {
        let folded = fold_ascii_forms(text);
        let folded = folded.as_ref();
        let mut spans = Spans::default();
        let shape = TextShape::of(folded);
        if shape.has_web {
            for m in self.url.find_iter(folded) {
                let end = m.start() + trim_url_tail(m.as_str());
                spans.add(m.start(), end, PiiKind::Url);
            }
        }
        if shape.has_at && shape.has_dot {
            for m in self.email.find_iter(folded) {
                spans.add(m.start(), m.end(), PiiKind::Email);
            }
        }
        if shape.has_dot {
            for m in self.domain.find_iter(folded) {
                let end = m.start() + trim_url_tail(m.as_str());
                spans.add(m.start(), end, PiiKind::Url);
            }
        }
        if shape.longest_id_run >= 2 {
            for (s, e, kind) in self.forms.spelled_emails(folded) {
                spans.add(s, e, kind);
            }
        }
        for (s, e, kind) in pii_forms::spelled_numbers(folded) {
            spans.add(s, e, kind);
        }
        if shape.digits > 0 {
            self.digits(folded, &shape, &mut spans);
        }
        if shape.digits >= 2 {
            for (s, e, kind) in self.forms.plates(folded) {
                spans.add(s, e, kind);
            }
        }
        if shape.longest_id_run >= 5 {
            self.accounts(folded, &mut spans);
        }
        if shape.has_at {
            for m in self.handle.find_iter(folded) {
                spans.add(m.start(), m.end(), PiiKind::Handle);
            }
        }
        let triggers = self.triggers.find(folded);
        if (triggers & STREET_ENDING != 0 || has_numbered_avenue(folded)) && triggers & ADDRESS_ANCHOR != 0 {
            self.addresses(folded, &mut spans);
        }
        self.names(folded, triggers, &mut spans);
        if triggers & PLACE_CUE != 0 {
            self.cued_places(folded, &mut spans);
        }
        if shape.longest_id_run >= 4 {
            for (s, e, kind) in self.forms.english_names(folded) {
                spans.add(s, e, kind);
            }
        }
        if shape.longest_run >= 9 {
            for m in self.long_number.find_iter(folded) {
                if digit_bounded(folded, m.start(), m.end()) {
                    spans.add(m.start(), m.end(), PiiKind::Number);
                }
            }
        }
        if shape.longest_run >= 7 {
            for (s, e, kind) in pii_forms::bare_numbers(folded) {
                spans.add(s, e, kind);
            }
        }
        spans.render(folded)
    }

    /// The number rules, each tried only when the text has the digits it needs (`TextShape`):
    /// most texts with a digit hold a price, a date or a short count and need none of them.
    fn digits(&self, text: &str, shape: &TextShape, spans: &mut Spans) {
        for m in shape.has_star.then(|| self.masked.find_iter(text)).into_iter().flatten() {
            if !digit_bounded(text, m.start(), m.end()) {
                continue;
            }
            let s = m.as_str();
            let len = s.chars().count();
            let kind = match len {
                11 if s.starts_with('1') => PiiKind::Mobile,
                15 | 18 => PiiKind::IdCard,
                16 | 17 | 19 => PiiKind::BankCard,
                _ => PiiKind::Number,
            };
            spans.add(m.start(), m.end(), kind);
        }
        for m in shape.at_least(15, 15).then(|| self.id_card.find_iter(text)).into_iter().flatten() {
            if alnum_bounded(text, m.start(), m.end()) {
                spans.add(m.start(), m.end(), PiiKind::IdCard);
            }
        }
        // The value after the label is a run of at least 5 id characters with 4 digits.
        let context_number = shape.longest_id_run >= 5 && shape.digits >= 4;
        for c in context_number.then(|| self.context_number.captures_iter(text)).into_iter().flatten() {
            let (Some(label), Some(value)) = (c.get(1), c.get(2)) else { continue };
            let v = value.as_str();
            let digits = v.bytes().filter(u8::is_ascii_digit).count();
            if digits < 4 || !alnum_bounded(text, value.start(), value.end()) {
                continue;
            }
            let kind = if ["快递", "运单", "物流"].iter().any(|w| label.as_str().contains(w)) {
                PiiKind::Tracking
            } else {
                PiiKind::Order
            };
            spans.add(value.start(), value.end(), kind);
        }
        for m in shape.at_least(9, 9).then(|| self.tracking.find_iter(text)).into_iter().flatten() {
            spans.add(m.start(), m.end(), PiiKind::Tracking);
        }
        for m in shape.at_least(8, 8).then(|| self.order_code.find_iter(text)).into_iter().flatten() {
            spans.add(m.start(), m.end(), PiiKind::Order);
        }
        for m in shape.at_least(4, 16).then(|| self.bank_card.find_iter(text)).into_iter().flatten() {
            let digits = m.as_str().bytes().filter(u8::is_ascii_digit).count();
            if (16..=19).contains(&digits) && digit_bounded(text, m.start(), m.end()) {
                spans.add(m.start(), m.end(), PiiKind::BankCard);
            }
        }
        for m in shape.at_least(3, 11).then(|| self.mobile.find_iter(text)).into_iter().flatten() {
            if digit_bounded(text, m.start(), m.end()) {
                spans.add(m.start(), m.end(), PiiKind::Mobile);
            }
        }
        for m in shape.at_least(7, 7).then(|| self.landline.find_iter(text)).into_iter().flatten() {
            if digit_bounded(text, m.start(), m.end()) {
                spans.add(m.start(), m.end(), PiiKind::Landline);
            }
        }
        for m in shape.at_least(3, 10).then(|| self.hotline.find_iter(text)).into_iter().flatten() {
            if digit_bounded(text, m.start(), m.end()) {
                spans.add(m.start(), m.end(), PiiKind::Landline);
            }
        }
        if shape.at_least(7, 7) {
            for (start, end) in local_phones(text) {
                spans.add(start, end, PiiKind::Landline);
            }
        }
    }

    /// QQ numbers and WeChat ids after their label. A WeChat id may hold no digit at all
    /// ("微信号 zhang_san"), so this runs apart from the number rules, wherever a run of id
    /// characters stands.
    fn accounts(&self, text: &str, spans: &mut Spans) {
        for c in self.account.captures_iter(text) {
            if let Some(v) = c.get(2) {
                let s = v.as_str();
                let digits = s.bytes().filter(u8::is_ascii_digit).count();
                let letters = s.bytes().filter(u8::is_ascii_alphabetic).count();
                // A QQ number is digits; a WeChat id mixes letters with digits, `_` or `-`.
                // Plain words ("qq music") are not accounts.
                let id_like = digits >= 5 || (s.len() >= 6 && letters > 0 && (digits > 0 || s.contains(['_', '-'])));
                if id_like && alnum_bounded(text, v.start(), v.end()) {
                    spans.add(v.start(), v.end(), PiiKind::Account);
                }
            }
        }
    }

    fn addresses(&self, text: &str, spans: &mut Spans) {
        // The address rule is slow to try at every position, so it runs only on windows around
        // the characters every address ends in (路, 号, 室, 小区 …).
        for (ws, we) in anchor_windows(text) {
            self.addresses_in(text, ws, we, spans);
        }
    }

    fn addresses_in(&self, text: &str, ws: usize, we: usize, spans: &mut Spans) {
        let window = &text[ws..we];
        if self.triggers.find(window) & STREET_ENDING == 0 && !has_numbered_avenue(window) {
            return; // nothing here could be accepted (see `ROAD_ENDS`)
        }
        let (addresses, estates) = self.address.find(window);
        for m in addresses.into_iter().chain(estates) {
            // Where the first component starts may be too far left ("投诉济南市…"): let jieba's
            // place-name tags decide.
            let start = self.place_start(text, ws + m.start, ws + m.end);
            spans.add(start, ws + m.end, PiiKind::Address);
        }
    }

    /// The byte offset where a place name really starts inside `text[start..end]`: leading
    /// words that jieba tags as something other than a noun or place are dropped.
    fn place_start(&self, text: &str, start: usize, end: usize) -> usize {
        let snippet = &text[start..end];
        let mut offset = 0;
        for tag in self.jieba.tag(snippet, true) {
            // Verbs, prepositions, pronouns, adverbs, conjunctions and particles are not part
            // of a place name ("投诉", "位于", "我们"); the first other word starts it.
            let function_word =
                matches!(tag.tag.chars().next(), Some('v' | 'p' | 'r' | 'd' | 'c' | 'u' | 'y' | 'e' | 'o'))
                    && !tag.word.chars().any(is_address_anchor);
            if !function_word {
                break;
            }
            offset = tag.byte_end;
        }
        if offset >= snippet.len() { start } else { start + offset }
    }

    /// Names after a label and before a title; each rule only where one of its words stands.
    /// A place said after a cue (住在, 地址：, 寄到 …): the rest of the clause, when it starts
    /// with a place-name character, holds four to `PLACE_MAX` of them (`LABELLED_PLACE_MAX`
    /// after 地址：) and none of `CLAUSE_CHARS` — unless the address rules found an address
    /// there already. Numbers other rules claimed inside it keep their type; each other piece
    /// that starts as a place name becomes [地址].
    fn cued_places(&self, text: &str, spans: &mut Spans) {
        let place_like = |t: &str| t.chars().next().is_some_and(is_place_han);
        for c in self.cued_place.captures_iter(text) {
            let Some(place) = c.get(3) else { continue };
            let han = place.as_str().chars().filter(|&ch| is_place_han(ch)).count();
            let max = if c.get(2).is_some() { LABELLED_PLACE_MAX } else { PLACE_MAX };
            if !place_like(place.as_str())
                || !(4..=max).contains(&han)
                || place.as_str().chars().any(|ch| CLAUSE_CHARS.contains(ch))
            {
                continue;
            }
            let claimed = spans.claimed(place.start(), place.end());
            if claimed.iter().any(|&(_, _, kind)| kind == PiiKind::Address) {
                continue;
            }
            let mut at = place.start();
            let mut gaps = Vec::new();
            for &(s, e, _) in &claimed {
                gaps.push((at, s.max(at)));
                at = at.max(e);
            }
            gaps.push((at, place.end()));
            for (s, e) in gaps {
                if s < e && place_like(&text[s..e]) {
                    spans.add(s, e, PiiKind::Address);
                }
            }
        }
    }

    fn names(&self, text: &str, triggers: u64, spans: &mut Spans) {
        let labelled = (triggers & NAME_LABEL != 0).then(|| self.name_intro.captures_iter(text));
        for c in labelled.into_iter().flatten() {
            // The name must end the phrase: not "姓名和联系方式".
            if let Some(v) = c.get(2) {
                let given_ok = v.as_str().chars().skip(1).all(|ch| !NOT_NAME.contains(ch));
                if given_ok && !next_char(text, v.end()).is_some_and(is_han) {
                    spans.add(v.start(), v.end(), PiiKind::Name);
                }
            }
        }
        for c in (triggers & INTRO != 0).then(|| self.self_intro.captures_iter(text)).into_iter().flatten() {
            if let (Some(label), Some(v)) = (c.get(1), c.get(2))
                && let Some(end) = self.introduced_name(text, label.as_str(), v.start(), v.end())
            {
                spans.add(v.start(), end, PiiKind::Name);
            }
        }
        for c in (triggers & INTRO != 0).then(|| self.surname_said.captures_iter(text)).into_iter().flatten() {
            let (Some(all), Some(v)) = (c.get(0), c.get(1)) else { continue };
            let before_ok = prev_char(text, all.start()).is_none_or(|p| !is_han(p) || "我他她贵您就是人".contains(p));
            let after_ok = next_char(text, v.end()).is_none_or(|n| !is_han(n) || "叫名的啊吧呀哈，".contains(n));
            if before_ok && after_ok {
                spans.add(v.start(), v.end(), PiiKind::Name);
            }
        }
        for m in (triggers & TITLE != 0).then(|| self.title.find_iter(text)).into_iter().flatten() {
            if m.as_str() == "总" {
                // 总 is a title only when it ends the phrase: 李总, 李总您好 — not 提高总额.
                let next = text[m.end()..].chars().next();
                if next.is_some_and(|c| is_han(c) && !"您你好说，".contains(c)) {
                    continue;
                }
            }
            if let Some((s, e)) = name_before(text, m.start()) {
                spans.add(s, e, PiiKind::Name);
            }
        }
        if triggers & NAME_CONTEXT != 0 {
            self.names_in_running_text(text, spans);
        }
    }
}

impl Redactor {
    /// A person's name in running text, without a label or title (麻烦转告王建国一声, 张伟昨天打电话说,
    /// 是赵敏帮我下的单), read from jieba's words and tags. A name is one of:
    ///
    /// - a word tagged as a person's name, starting with a surname and with one or two
    ///   given-name characters, that jieba's dictionary does not know, or knows as a full name
    ///   of three characters (王建国); an unknown one that swallowed the verb after it (王伟帮)
    ///   gives the verb back;
    /// - a surname standing alone, then a given name jieba tags as a name or a place (王 秀英,
    ///   杨 建国), or any word after a compound surname (欧阳 伟);
    /// - a two-character name the dictionary knows (李强), only between a word that introduces
    ///   a person and one that follows a person (转告李强一声): the dictionary tags many ordinary
    ///   words as names (明白, 阳光, 师傅 — 叫师傅来查).
    ///
    /// It must stand next to a word that goes with a person (告诉, 同事, 说, 昨天 …): that keeps
    /// out the words jieba wrongly tags as names (安卓手机, 查话费).
    fn names_in_running_text(&self, text: &str, spans: &mut Spans) {
        // Only the few characters next to a context word can hold such a name: jieba tags
        // those windows, not the whole text.
        for (start, end) in self.name_windows(text) {
            self.names_in_window(text, start, end, spans);
        }
    }

    /// Windows of `text` around its context words that have a surname where a name would
    /// stand (up to `NAME_REACH` characters after a word before a name, or before a word
    /// after one), widened by `NAME_REACH` characters so that jieba reads the name's
    /// neighbours; overlapping windows are merged.
    fn name_windows(&self, text: &str) -> Vec<(usize, usize)> {
        let back = |at: usize, n: usize| text[..at].char_indices().rev().nth(n - 1).map_or(0, |(i, _)| i);
        let ahead = |at: usize, n: usize| text[at..].char_indices().nth(n).map_or(text.len(), |(i, _)| at + i);
        let mut windows: Vec<(usize, usize)> = Vec::new();
        for m in self.name_context.find_overlapping_iter(text) {
            let before_name = m.pattern().as_usize() < BEFORE_NAME_WORDS.len();
            let reach =
                if before_name { m.end()..ahead(m.end(), NAME_REACH) } else { back(m.start(), NAME_REACH)..m.start() };
            if !text[reach].chars().any(is_running_text_surname) {
                continue;
            }
            let (start, end) = (back(m.start(), 2 * NAME_REACH), ahead(m.end(), 2 * NAME_REACH));
            match windows.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => windows.push((start, end)),
            }
        }
        windows
    }

    /// The names in running text inside `text[start..end]` (see `names_in_running_text`); a
    /// word touching the window's edge, where the text goes on, is not read.
    fn names_in_window(&self, text: &str, start: usize, end: usize, spans: &mut Spans) {
        let tags = self.jieba.tag(&text[start..end], true);
        let is_name_tag = |tag: &str| tag.starts_with("nr");
        let cut_at_edge =
            |t: &jieba_rs::Tag| (t.byte_start == 0 && start > 0) || (start + t.byte_end == end && end < text.len());
        for (i, t) in tags.iter().enumerate() {
            let before = i.checked_sub(1).map(|b| tags[b].word);
            let introduced = before.is_some_and(|w| BEFORE_NAME_WORDS.contains(&w));
            let followed = |next: usize| tags.get(next).is_some_and(|n| AFTER_NAME_WORDS.contains(&n.word));
            let span = if surname_at_start(t.word) == Some(t.word.len()) {
                // A surname alone, then the given name.
                let Some(given) = tags.get(i + 1) else { continue };
                // The given name may have swallowed the verb after it (欧阳 伟说).
                let given_word = without_swallowed_verb(given.word).unwrap_or(given.word);
                let verb_len = given.word.len() - given_word.len();
                let shaped = is_person_name_shape(&format!("{}{given_word}", t.word));
                // After a compound surname any word is a given name (欧阳 伟); after a single one,
                // a word tagged as a name or as a place (杨 建国).
                let given_tag_ok = t.word.chars().count() == 2 || is_name_tag(given.tag) || given.tag == "ns";
                let whole = !cut_at_edge(t) && !cut_at_edge(given);
                (whole && shaped && given_tag_ok && (introduced || verb_len > 0 || followed(i + 2)))
                    .then_some((t.byte_start, given.byte_end - verb_len))
            } else if is_name_tag(t.tag) && !cut_at_edge(t) {
                let known = self.jieba.has_word(t.word);
                match without_swallowed_verb(t.word) {
                    Some(name) if !known && is_person_name_shape(name) => {
                        Some((t.byte_start, t.byte_start + name.len()))
                    }
                    _ if !is_person_name_shape(t.word) => None,
                    _ if !known || t.word.chars().count() == 3 => {
                        (introduced || followed(i + 1)).then_some((t.byte_start, t.byte_end))
                    }
                    _ => (introduced && followed(i + 1)).then_some((t.byte_start, t.byte_end)),
                }
            } else {
                None
            };
            if let Some((s, e)) = span {
                spans.add(start + s, start + e, PiiKind::Name);
            }
        }
    }

    /// Where the name said after an introduction (`label`) and starting at `start` ends, if it
    /// is one: a surname and one or two given-name characters, then the end of the phrase or
    /// a particle (叫我李四就行). After 我是 or 本人 jieba must not read it as another word
    /// (我是高兴, 我是江苏人).
    fn introduced_name(&self, text: &str, label: &str, start: usize, end: usize) -> Option<usize> {
        let candidate = &text[start..end];
        // The rule's match starts with a surname.
        let surname_len = surname_at_start(candidate)?;
        let given: Vec<(usize, char)> = candidate[surname_len..].char_indices().collect();
        let weak = matches!(label, "我是" | "我就是" | "本人" | "本人是");
        for n in (1..=given.len().min(2)).rev() {
            let name_end = start + surname_len + given[..n].iter().map(|(_, c)| c.len_utf8()).sum::<usize>();
            let given_ok =
                given[..n].iter().all(|&(_, c)| is_han(c) && !NOT_NAME.contains(c) && !NOT_INTRODUCED.contains(c));
            let ends = next_char(text, name_end).is_none_or(|c| !is_han(c) || AFTER_NAME.contains(c));
            if !(given_ok && ends) {
                continue;
            }
            if weak {
                let window_end = text[name_end..].char_indices().nth(4).map_or(text.len(), |(b, _)| name_end + b);
                let window = &text[start..window_end];
                let name_len = name_end - start;
                let read_as_other = self.jieba.tag(window, true).iter().any(|t| {
                    (t.byte_start == 0 && t.byte_end > name_len)
                        || (t.byte_start == 0 && t.byte_end == name_len && !t.tag.starts_with("nr"))
                });
                if read_as_other {
                    continue;
                }
            }
            return Some(name_end);
        }
        None
    }

    /// Redacts a customer's reply to an agent who asked for `asked` (an order number, a phone
    /// number …): besides every other rule, a code or number sent alone (TH8823, 20261109) is
    /// what was asked for.
    pub fn redact_reply(&self, text: &str, asked: Option<PiiKind>) -> (String, RedactionCounts) {
        let (out, mut counts) = self.redact(text);
        let Some(kind) = asked else { return (out, counts) };
        if kind == PiiKind::Name {
            return match name_said_alone(&out) {
                Some((s, e)) => {
                    counts.add(PiiKind::Name, 1);
                    (format!("{}{}{}", &out[..s], PiiKind::Name.placeholder(), &out[e..]), counts)
                }
                None => (out, counts),
            };
        }
        let bytes = out.as_bytes();
        let is_id = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        let mut spans = Spans::default();
        let mut i = 0;
        while i < bytes.len() {
            if !is_id(bytes[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < bytes.len() && is_id(bytes[i]) {
                i += 1;
            }
            let token = &bytes[start..i];
            let digits = token.iter().filter(|b| b.is_ascii_digit()).count();
            let amount = prev_char(&out, start).is_some_and(|c| matches!(c, '¥' | '￥' | '$'))
                || next_char(&out, i).is_some_and(|c| "元块万%".contains(c));
            if token.len() >= 5 && digits >= 4 && !amount {
                spans.add(start, i, kind);
            }
        }
        let (out, more) = spans.render(&out);
        counts.merge(&more);
        (out, counts)
    }

    /// A dialogue id as it may be written when it holds personal data (a phone number, a long
    /// post number): `id-` and its FNV-1a hash, stable across runs and machines so that the
    /// centre can match it to its own records; `None` when the id holds none.
    pub fn safe_id(&self, id: &str) -> Option<String> {
        (self.redact(id).1.total() > 0).then(|| format!("id-{:016x}", crate::mining::input::hash_id(id)))
    }

    /// A bad line's message as it may be shown and kept: the messages quote no input (see
    /// `input::shown`), and are redacted all the same.
    pub fn redact_bad_line(&self, bad: BadLine) -> BadLine {
        BadLine { reason: self.redact(&bad.reason).0, hint: self.redact(&bad.hint).0, ..bad }
    }

    /// Redaction that follows a dialogue turn by turn (see `DialogueRedaction`).
    pub fn dialogue(&self) -> DialogueRedaction<'_> {
        DialogueRedaction { redactor: self, asked: None }
    }
}

/// Redacts the turns of one dialogue in order, remembering what the agent last asked for, so
/// that a reply holding only the order number the agent asked for is redacted too.
pub struct DialogueRedaction<'r> {
    redactor: &'r Redactor,
    asked: Option<PiiKind>,
}

impl DialogueRedaction<'_> {
    pub fn turn(&mut self, role: Role, text: &str) -> (String, RedactionCounts) {
        match role {
            Role::Agent => {
                self.asked = asked_identifier(text);
                self.redactor.redact(text)
            }
            Role::Customer => {
                let asked = self.asked.take();
                self.redactor.redact_reply(text, asked)
            }
        }
    }
}

/// A reply that is only a name (李四, 王建国。, 欧阳娜娜吧): a surname and one or two given-name
/// characters, with nothing but punctuation and a particle around; its byte range.
fn name_said_alone(reply: &str) -> Option<(usize, usize)> {
    let start = reply.len() - reply.trim_start().len();
    let name = reply[start..].trim_end_matches(|c: char| c.is_whitespace() || "，。,.!！~～吧啊呀哈的".contains(c));
    let surname = surname_at_start(name)?;
    let given: Vec<char> = name[surname..].chars().collect();
    let ok = (1..=2).contains(&given.len()) && given.iter().all(|&c| is_han(c) && !NOT_NAME.contains(c));
    ok.then_some((start, start + name.len()))
}

/// The byte length of the surname `name` starts with (a compound one first: 欧阳娜娜), if any.
fn surname_at_start(name: &str) -> Option<usize> {
    COMPOUND_SURNAMES
        .iter()
        .find(|c| name.starts_with(*c))
        .map(|c| c.len())
        .or_else(|| name.chars().next().filter(|&c| is_surname(c)).map(char::len_utf8))
}

/// The identifier an agent's turn asks for, if it asks for one (请提供一下订单号, 手机号多少？).
pub fn asked_identifier(text: &str) -> Option<PiiKind> {
    const ASKING: [&str; 16] = [
        "请",
        "麻烦",
        "提供",
        "告诉",
        "报一下",
        "报下",
        "发一下",
        "发下",
        "发我",
        "输入",
        "多少",
        "是什么",
        "？",
        "?",
        "给我",
        "说一下",
    ];
    const WANTED: [(&str, PiiKind); 24] = [
        ("快递单号", PiiKind::Tracking),
        ("运单号", PiiKind::Tracking),
        ("物流单号", PiiKind::Tracking),
        ("订单号", PiiKind::Order),
        ("订单编号", PiiKind::Order),
        ("单号", PiiKind::Order),
        ("手机号", PiiKind::Mobile),
        ("电话号码", PiiKind::Mobile),
        ("联系电话", PiiKind::Mobile),
        ("联系方式", PiiKind::Mobile),
        ("身份证", PiiKind::IdCard),
        ("证件号", PiiKind::IdCard),
        ("卡号", PiiKind::BankCard),
        ("银行卡", PiiKind::BankCard),
        ("账号", PiiKind::Account),
        ("会员号", PiiKind::Account),
        ("QQ", PiiKind::Account),
        ("微信号", PiiKind::Account),
        ("编号", PiiKind::Order),
        ("号码", PiiKind::Number),
        ("贵姓", PiiKind::Name),
        ("称呼", PiiKind::Name),
        ("姓名", PiiKind::Name),
        ("名字", PiiKind::Name),
    ];
    if !ASKING.iter().any(|a| text.contains(a)) {
        return None;
    }
    WANTED.iter().find(|(w, _)| text.contains(w)).map(|&(_, k)| k)
}

/// `TextShape::of` under way: the shape so far and the current runs.
#[derive(Default)]
struct ShapeScan {
    shape: TextShape,
    run: usize,
    id_run: usize,
}

impl ShapeScan {
    /// Takes byte `b`, followed by `rest`.
    fn byte(&mut self, b: u8, rest: &[u8]) {
        let shape = &mut self.shape;
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.') {
            self.id_run += 1;
            shape.longest_id_run = shape.longest_id_run.max(self.id_run);
        } else {
            self.id_run = 0;
        }
        if b.is_ascii_digit() {
            shape.digits += 1;
            self.run += 1;
            shape.longest_run = shape.longest_run.max(self.run);
            return;
        }
        self.run = 0;
        match b {
            b'*' => shape.has_star = true,
            // U+FF0A, the full-width asterisk.
            0xEF if rest.starts_with(&[0xBC, 0x8A]) => shape.has_star = true,
            b'@' => shape.has_at = true,
            b'.' => shape.has_dot |= rest.first().is_some_and(|&n| n.is_ascii_alphabetic() || n == 0xC5),
            b'h' | b'H' => shape.has_web |= rest.get(..3).is_some_and(|r| r.eq_ignore_ascii_case(b"ttp")),
            b'w' | b'W' => shape.has_web |= rest.get(..3).is_some_and(|r| r.eq_ignore_ascii_case(b"ww.")),
            _ => {}
        }
    }
}

/// What the rules need to find in a text before they are worth trying, from one pass over its
/// bytes: most texts hold no URL, no e-mail, and digits only for a price, a date or a count.
#[derive(Debug, Default, PartialEq)]
struct TextShape {
    /// ASCII digits in the text, and the longest run of them (a mobile number needs 11 digits,
    /// a bank card 16 in groups of 4, a landline a run of 7 …).
    digits: usize,
    longest_run: usize,
    /// The longest run of ASCII letters, digits, `_`, `-` and `.` (an account id needs 5).
    longest_id_run: usize,
    /// `*` or `＊` (masked numbers: 138****5678).
    has_star: bool,
    has_at: bool,
    /// A dot before a letter: every domain and e-mail has one. (0xC5 leads U+017F, the long s,
    /// which the case-insensitive domain rule takes for "s".)
    has_dot: bool,
    /// "http" or "www." in any case: every URL starts so.
    has_web: bool,
}

impl TextShape {
    fn of(text: &str) -> TextShape {
        let bytes = text.as_bytes();
        let mut scan = ShapeScan::default();
        for (i, &b) in bytes.iter().enumerate() {
            scan.byte(b, &bytes[i + 1..]);
        }
        scan.shape
    }

    /// At least one run of `run` digits and `total` digits in all: what a rule needs to match.
    fn at_least(&self, run: usize, total: usize) -> bool {
        self.longest_run >= run && self.digits >= total
    }
}

fn surname_alternation() -> String {
    let mut parts: Vec<String> = COMPOUND_SURNAMES.iter().map(|s| s.to_string()).collect();
    parts.push(format!("[{SURNAMES}]"));
    parts.join("|")
}

/// A surname (single or compound) and one or two given-name characters, all Han, none of
/// them a function word (`NOT_NAME`).
fn is_person_name_shape(word: &str) -> bool {
    let Some(surname) = surname_at_start(word) else { return false };
    if surname == word.chars().next().map_or(0, char::len_utf8)
        && !word.chars().next().is_some_and(is_running_text_surname)
    {
        return false;
    }
    let given: Vec<char> = word[surname..].chars().collect();
    (1..=2).contains(&given.len()) && given.iter().all(|&c| is_han(c) && !NOT_NAME.contains(c))
}

/// `word` without the verb jieba joined to its end (伟说 → 伟, 王伟帮 → 王伟), if it has one.
fn without_swallowed_verb(word: &str) -> Option<&str> {
    let verb = word.chars().next_back().filter(|c| SWALLOWED_AFTER_NAME.contains(*c))?;
    (word.chars().count() > 1).then(|| &word[..word.len() - verb.len_utf8()])
}

/// Surnames that are also common verbs or function words (查话费, 解卡, 和您): in running text,
/// without a title or label, a word starting with one is not taken for a name.
const VERB_SURNAMES: &str = "查解包连管和应成时于全车路向";

fn is_running_text_surname(c: char) -> bool {
    is_surname(c) && !VERB_SURNAMES.contains(c)
}

fn is_surname(c: char) -> bool {
    SURNAMES.contains(c)
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// The name standing right before a title at `title_at`: a surname (王先生), a compound
/// surname (欧阳女士) or a full name of two or three characters when it starts the phrase
/// (王建国先生).
fn name_before(text: &str, title_at: usize) -> Option<(usize, usize)> {
    let before: Vec<(usize, char)> = text[..title_at].char_indices().rev().take(4).collect();
    let (i1, c1) = *before.first()?;
    if !is_han(c1) {
        return None;
    }
    // Compound surname directly before the title.
    if let Some(&(i2, c2)) = before.get(1) {
        let pair: String = [c2, c1].iter().collect();
        if COMPOUND_SURNAMES.contains(&pair.as_str()) {
            return Some((i2, title_at));
        }
    }
    // A compound surname and a given name of one or two characters: 司马懿先生, 欧阳娜娜女士.
    for given in [1usize, 2] {
        if let (Some(&(is, c_a)), Some(&(_, c_b))) = (before.get(given + 1), before.get(given)) {
            let pair: String = [c_a, c_b].iter().collect();
            let given_ok = before[..given].iter().all(|&(_, c)| is_han(c) && !NOT_NAME.contains(c));
            if COMPOUND_SURNAMES.contains(&pair.as_str()) && given_ok {
                return Some((is, title_at));
            }
        }
    }
    // "谢谢先生", "感谢老师" are thanks, not Mr Xie.
    if c1 == '谢' && before.get(1).is_some_and(|&(_, p)| "谢感多道致答".contains(p)) {
        return None;
    }
    let starts_phrase = |k: usize| -> bool {
        match before.get(k + 1) {
            None => true,
            Some(&(_, p)) => !is_han(p) || "叫是给和跟与及请问找位的对向好您谢系让由户员主人".contains(p),
        }
    };
    // A surname right after the start of a phrase: 谢谢王先生.
    if is_surname(c1) && starts_phrase(0) {
        return Some((i1, title_at));
    }
    // Full names: surname + one or two given-name characters that are not function words
    // (王建国先生, 张伟先生; not 谢谢你大爷, 安装的师傅).
    for given in [2usize, 1] {
        if let Some(&(is, cs)) = before.get(given) {
            let given_ok = before[..given].iter().all(|&(_, c)| is_han(c) && !NOT_NAME.contains(c));
            if is_surname(cs) && given_ok && (given == 2 || starts_phrase(given)) {
                return Some((is, title_at));
            }
        }
    }
    // 和经理, 向老师: a conjunction or preposition before the title, not a surname.
    if is_surname(c1) && !"和向".contains(c1) {
        return Some((i1, title_at));
    }
    None
}

/// Byte ranges around address anchors: up to 24 characters before and 16 after each, merged,
/// and only where another address part stands within 12 characters (an address has two
/// components or more; "10000号" alone is not one).
fn anchor_windows(text: &str) -> Vec<(usize, usize)> {
    // The address parts as (character index, byte offset, is an anchor): a few per text, so
    // the text's characters are not collected.
    let parts: Vec<(usize, usize, bool)> = text
        .char_indices()
        .enumerate()
        .filter(|(_, (_, c))| is_address_part(*c))
        .map(|(k, (at, c))| (k, at, is_address_anchor(c)))
        .collect();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (i, &(k, at, anchor)) in parts.iter().enumerate() {
        if !anchor {
            continue;
        }
        let near = |j: usize| parts.get(j).is_some_and(|&(o, _, _)| o.abs_diff(k) <= 12);
        if !(near(i + 1) || (i > 0 && near(i - 1))) {
            continue;
        }
        // From the 24th character before the anchor (or the start) to the 17th after it.
        let start = text[..at].char_indices().rev().nth(23).map_or(0, |(b, _)| b);
        let end = text[at..].char_indices().nth(17).map_or(text.len(), |(b, _)| at + b);
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

/// A road named with 道 and its number (高新南一道9号): 道 alone ends too many words to be a
/// trigger (知道, 频道).
fn has_numbered_avenue(text: &str) -> bool {
    text.match_indices(AVENUE_END).any(|(at, w)| {
        next_char(text, at + w.len()).is_some_and(|c| c.is_ascii_digit() || "一二三四五六七八九十".contains(c))
    })
}

/// Characters that end an address component of any level (an anchor, or 市, 省, 道 …).
fn is_address_part(c: char) -> bool {
    is_address_anchor(c) || matches!(c, '市' | '省' | '县' | '镇' | '乡' | '道' | '城' | '府' | '湾' | '楼' | '层')
}

/// The characters every address ends near (see `anchor_windows`).
const ADDRESS_ANCHORS: &str = "路街巷弄号栋幢室单区苑村园厦寓";

fn is_address_anchor(c: char) -> bool {
    matches!(c, '路' | '街' | '巷' | '弄' | '号' | '栋' | '幢' | '室' | '单' | '区' | '苑' | '村' | '园' | '厦' | '寓')
}

/// Folds full-width digits, letters and the ASCII symbols used in numbers, addresses and URLs
/// to ASCII; Chinese punctuation (，。！) is kept as written.
pub fn fold_ascii_forms(text: &str) -> Cow<'_, str> {
    // Full-width forms are U+FF01..U+FF5E (UTF-8 EF BC xx or EF BD xx); most texts have only
    // the full-width punctuation that is kept (，！？), and are borrowed as they are.
    let bytes = text.as_bytes();
    let mut from = 0;
    let first = loop {
        let Some(k) = bytes[from..].iter().position(|&b| b == 0xEF) else {
            return Cow::Borrowed(text);
        };
        let at = from + k;
        if text[at..].chars().next().and_then(ascii_form).is_some() {
            break at;
        }
        from = at + 1;
    };
    let mut folded = String::with_capacity(text.len());
    folded.push_str(&text[..first]);
    folded.extend(text[first..].chars().map(|c| ascii_form(c).unwrap_or(c)));
    Cow::Owned(folded)
}

/// The ASCII character a full-width digit, letter or number/address/URL symbol stands for.
fn ascii_form(c: char) -> Option<char> {
    match c {
        '０'..='９'
        | 'Ａ'..='Ｚ'
        | 'ａ'..='ｚ'
        | '＠'
        | '．'
        | '－'
        | '＿'
        | '／'
        | '＋'
        | '＊'
        | '＃'
        | '％'
        | '＆'
        | '＝' => char::from_u32(c as u32 - 0xFEE0),
        _ => None,
    }
}

fn trim_url_tail(s: &str) -> usize {
    s.trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '[', '\'', '(']).len()
}

pub(crate) fn prev_char(text: &str, at: usize) -> Option<char> {
    text[..at].chars().next_back()
}

pub(crate) fn next_char(text: &str, at: usize) -> Option<char> {
    text[at..].chars().next()
}

/// No ASCII digit right before or after.
fn digit_bounded(text: &str, start: usize, end: usize) -> bool {
    !prev_char(text, start).is_some_and(|c| c.is_ascii_digit())
        && !next_char(text, end).is_some_and(|c| c.is_ascii_digit())
}

/// The words that announce a local number without area code ("电话：2345678", "打 8765432").
const LOCAL_PHONE_LABELS: [&str; 7] = ["电话", "座机", "固话", "联系方式", "致电", "拨打", "打"];

/// Local landline numbers: a run of 7 or 8 digits, the first 2–9, right after one of
/// `LOCAL_PHONE_LABELS`, separators (white space, `:`, `：`) and one optional "是" between.
/// Found from the digits backwards: the labels' first characters are in most texts (打), the
/// digit runs are rare. (`tests` checks this against the same rule as a regex.)
fn local_phones(text: &str) -> Vec<(usize, usize)> {
    let is_separator = |c: char| c.is_whitespace() || c == ':' || c == '：';
    let mut found = Vec::new();
    for (start, i) in local_number_runs(text) {
        // A label's last character is neither a separator nor 是, so the separators and 是
        // before the digits are taken greedily.
        let mut before = text[..start].trim_end_matches(is_separator);
        if let Some(rest) = before.strip_suffix('是') {
            before = rest.trim_end_matches(is_separator);
        }
        if LOCAL_PHONE_LABELS.iter().any(|label| before.ends_with(label)) {
            found.push((start, i));
        }
    }
    found
}

/// The runs of exactly 7 or 8 ASCII digits whose first digit is 2–9 (a local number's shape),
/// as byte ranges.
pub(crate) fn local_number_runs(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if (7..=8).contains(&(i - start)) && bytes[start] >= b'2' {
            runs.push((start, i));
        }
    }
    runs
}

/// No ASCII letter or digit right before or after.
fn alnum_bounded(text: &str, start: usize, end: usize) -> bool {
    !prev_char(text, start).is_some_and(|c| c.is_ascii_alphanumeric())
        && !next_char(text, end).is_some_and(|c| c.is_ascii_alphanumeric())
}

/// Claimed byte ranges, never overlapping, in text order (so their ends are in order too).
#[derive(Default)]
struct Spans(Vec<(usize, usize, PiiKind)>);

impl Spans {
    /// Claims `start..end` unless part of it is claimed already (the first rule to claim
    /// a piece of text keeps it).
    fn add(&mut self, start: usize, end: usize, kind: PiiKind) {
        if start >= end {
            return;
        }
        // The first span that ends after `start` is the only one that can overlap.
        let i = self.0.partition_point(|&(_, e, _)| e <= start);
        if self.0.get(i).is_some_and(|&(s, _, _)| s < end) {
            return;
        }
        self.0.insert(i, (start, end, kind));
    }

    /// The spans that overlap `start..end`, in order.
    fn claimed(&self, start: usize, end: usize) -> Vec<(usize, usize, PiiKind)> {
        self.0.iter().filter(|&&(s, e, _)| s < end && e > start).copied().collect()
    }

    fn render(self, text: &str) -> (String, RedactionCounts) {
        let mut counts = RedactionCounts::default();
        if self.0.is_empty() {
            return (text.to_string(), counts);
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (s, e, kind) in self.0 {
            out.push_str(&text[at..s]);
            out.push_str(kind.placeholder());
            counts.add(kind, 1);
            at = e;
        }
        out.push_str(&text[at..]);
        (out, counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::texts_of_pieces;
    use std::sync::OnceLock;

    #[test]
    fn local_phones_are_what_the_regex_finds() {
        // The rule as it was written before: a regex over the labels, then the digits.
        let rule = regex::Regex::new(&format!(
            r"({})[\s:：]*(?:是)?[\s:：]*([2-9][0-9]{{6,7}})",
            super::LOCAL_PHONE_LABELS.join("|")
        ))
        .unwrap();
        let by_regex = |t: &str| -> Vec<(usize, usize)> {
            rule.captures_iter(t)
                .filter_map(|c| c.get(2))
                .filter(|v| super::digit_bounded(t, v.start(), v.end()))
                .map(|v| (v.start(), v.end()))
                .collect()
        };
        let pieces = [
            "电话",
            "座机",
            "固话",
            "联系方式",
            "致电",
            "拨打",
            "打",
            "打开",
            "是",
            "为",
            " ",
            "：",
            ":",
            "\u{3000}",
            "\n",
            "2345678",
            "23456789",
            "123456789",
            "1234567",
            "0234567",
            "234567",
            "9876543210",
            "5",
            "号",
            "a",
            "电",
        ];
        // Every text of up to four pieces (475,254 texts).
        let texts = texts_of_pieces(&pieces, 4);
        assert_eq!(texts.len(), 26 + 26 * 26 + 26 * 26 * 26 + 26 * 26 * 26 * 26);
        for t in &texts {
            assert_eq!(super::local_phones(t), by_regex(t), "{t:?}");
        }
        let found = super::local_phones("请打 8765432 或者致电：是 23456789，打开1234567");
        assert_eq!(found.len(), 2, "{found:?}");
    }

    /// `anchor_windows` as first written, on a copy of the text's characters.
    fn anchor_windows_on_a_copy(text: &str) -> Vec<(usize, usize)> {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let parts: Vec<usize> =
            chars.iter().enumerate().filter(|(_, (_, c))| is_address_part(*c)).map(|(k, _)| k).collect();
        let mut out: Vec<(usize, usize)> = Vec::new();
        for (i, &k) in parts.iter().enumerate() {
            if !is_address_anchor(chars[k].1) {
                continue;
            }
            let near = |j: usize| parts.get(j).is_some_and(|&o| o.abs_diff(k) <= 12);
            if !(near(i + 1) || (i > 0 && near(i - 1))) {
                continue;
            }
            let start = chars[k.saturating_sub(24)].0;
            let end = chars.get(k + 17).map_or(text.len(), |&(i, _)| i);
            match out.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => out.push((start, end)),
            }
        }
        out
    }

    #[test]
    fn anchor_windows_are_those_found_on_a_copy_of_the_characters() {
        let fillers = ["很".repeat(5), "很".repeat(11), "a".repeat(9), "\u{20000}".repeat(7), "，".into()];
        let parts = ["号", "路", "市", "楼", "单"];
        let pieces: Vec<&str> = parts.iter().copied().chain(fillers.iter().map(String::as_str)).collect();
        let mut with_window = 0;
        for t in texts_of_pieces(&pieces, 5) {
            let windows = anchor_windows(&t);
            assert_eq!(windows, anchor_windows_on_a_copy(&t), "{t}");
            with_window += usize::from(!windows.is_empty());
        }
        assert!(with_window > 10_000, "{with_window}");
    }

    #[test]
    fn spans_keep_the_first_claim_and_stay_in_order() {
        let mut spans = Spans::default();
        for (s, e) in [(10, 20), (0, 5), (18, 25), (5, 10), (20, 22), (3, 4), (30, 30), (25, 40), (9, 11)] {
            spans.add(s, e, PiiKind::Number);
        }
        let claimed: Vec<(usize, usize)> = spans.0.iter().map(|&(s, e, _)| (s, e)).collect();
        assert_eq!(claimed, [(0, 5), (5, 10), (10, 20), (20, 22), (25, 40)]);
    }

    fn r() -> &'static Redactor {
        static R: OnceLock<Redactor> = OnceLock::new();
        R.get_or_init(Redactor::new)
    }

    fn red(s: &str) -> String {
        r().redact(s).0
    }

    #[test]
    fn phones() {
        assert_eq!(red("我的手机13812345678，打不通"), "我的手机[手机号]，打不通");
        assert_eq!(red("电话 138-1234-5678"), "电话 [手机号]");
        assert_eq!(red("+86 139 1234 5678"), "[手机号]");
        assert_eq!(red("座机0531-88776655转123"), "座机[电话]");
        assert_eq!(red("（010）62345678"), "[电话]");
        assert_eq!(red("号码138****5678"), "号码[手机号]");
        assert_eq!(red("手机１３８１２３４５６７８"), "手机[手机号]");
    }

    #[test]
    fn cards_ids_orders() {
        assert_eq!(red("身份证370102199003071234"), "身份证[身份证号]");
        assert_eq!(red("身份证11010519491231002X"), "身份证[身份证号]");
        assert_eq!(red("卡号6222 0212 3456 7890"), "卡号[银行卡号]");
        assert_eq!(red("卡号6222021234567890123"), "卡号[银行卡号]");
        assert_eq!(red("订单号：DD20261118"), "订单号：[订单号]");
        assert_eq!(red("订单123456789012345678还没发货"), "订单[订单号]还没发货");
        assert_eq!(red("快递单号SF1234567890123"), "快递单号[快递单号]");
        assert_eq!(red("运单号是 773012345678"), "运单号是 [快递单号]");
    }

    #[test]
    fn accounts_with_and_without_digits() {
        assert_eq!(red("QQ：123456789"), "QQ：[账号]");
        assert_eq!(red("微信号：wx_lily123"), "微信号：[账号]");
        // A WeChat id without a digit, in a text without any digit.
        assert_eq!(red("加我微信号 zhang_san 吧"), "加我微信号 [账号] 吧");
        assert_eq!(red("wx: wang-li，谢谢"), "wx: [账号]，谢谢");
        assert_eq!(red("用qq music听歌"), "用qq music听歌");
    }

    #[test]
    fn web() {
        assert_eq!(red("邮箱1550179050@qq.com"), "邮箱[邮箱]");
        assert_eq!(red("看这里http://t.cn/RxYz12，气死"), "看这里[网址]，气死");
        assert_eq!(red("详见t.cn/RxYz12"), "详见[网址]");
        assert_eq!(red("@中国电信客服 你们管不管"), "[@用户] 你们管不管");
        assert_eq!(red("QQ：123456789"), "QQ：[账号]");
        assert_eq!(red("打开HTTP://WWW.EXAMPLE.COM/A看看"), "打开[网址]看看");
        assert_eq!(red("网址www.10086.cn"), "网址[网址]");
        assert_eq!(red("写信给A.Bo@Mail.CN"), "写信给[邮箱]");
        // The case-insensitive rule reads U+017F (long s) as "s", so ".\u{17F}hop" is ".shop".
        assert_eq!(red("网址example.\u{17F}hop看看"), "网址[网址]看看");
        // Ellipses and decimals are not the dot of a domain.
        assert_eq!(red("价格是99.5元...好吧"), "价格是99.5元...好吧");
    }

    #[test]
    fn the_triggers_see_the_words_each_rule_needs() {
        let anchors: String = (0..0x1_0000u32).filter_map(char::from_u32).filter(|&c| is_address_anchor(c)).collect();
        assert_eq!(
            anchors,
            ADDRESS_ANCHORS.chars().collect::<std::collections::BTreeSet<_>>().iter().collect::<String>()
        );
        let r = r();
        assert_eq!(r.triggers.find("寄到泉城路"), STREET_ENDING | ADDRESS_ANCHOR | PLACE_CUE);
        assert_eq!(r.triggers.find("我住在佛山顺德"), PLACE_CUE);
        assert_eq!(r.triggers.find("订单号"), ADDRESS_ANCHOR);
        assert_eq!(r.triggers.find("联系人王先生"), NAME_LABEL | TITLE | NAME_CONTEXT);
        assert_eq!(r.triggers.find("转告王建国"), NAME_CONTEXT);
        assert_eq!(r.triggers.find("你好"), 0);
        // A name rule's match starts with its label or is found at its title, and a name in
        // running text stands next to a word of `NAME_CONTEXT`, so a text without any of
        // them has nothing for them: the gate only skips work.
        assert_eq!(r.triggers.find("王建国来了"), 0);
        assert!(!r.name_intro.is_match("王建国来了") && !r.title.is_match("王建国来了"));
        assert_eq!(red("联系人：王建国"), "联系人：[姓名]");
    }

    #[test]
    fn text_without_a_street_level_ending_is_not_tried_for_addresses() {
        let r = Redactor::new();
        for ends in [ROAD_ENDS, ESTATE_ENDS, BUILDING_ENDS, ROOM_ENDS, ESTATE_NAMES] {
            for word in ends.split('|') {
                assert!(r.triggers.find(word) & STREET_ENDING != 0, "{word}");
            }
        }
        assert_eq!(r.triggers.find("我知道了，同意退款，订单号呢") & STREET_ENDING, 0);
        // "订单号" and "手机号" hold anchors but nothing street-level: no address is tried.
        assert_eq!(red("订单号是多少？手机号呢？"), "订单号是多少？手机号呢？");
        assert_eq!(red("寄到济南市历下区泉城路188号"), "寄到[地址]");
        assert!(!has_numbered_avenue("我知道了，频道") && has_numbered_avenue("高新南一道9号"));
    }

    #[test]
    fn addresses_and_names() {
        assert_eq!(red("位于济南市新泺大街雅居园小区门对面"), "位于[地址]门对面");
        assert_eq!(red("寄到济南市历下区泉城路188号"), "寄到[地址]");
        assert_eq!(red("我住在阳光小区3栋2单元501室"), "我住在[地址]");
        assert_eq!(red("王先生您好"), "[姓名]先生您好");
        assert_eq!(red("联系人：王建国"), "联系人：[姓名]");
        assert_eq!(red("谢谢王建国先生"), "谢谢[姓名]先生");
        assert_eq!(red("欧阳女士"), "[姓名]女士");
        assert_eq!(red("看来冯友兰先生说得对"), "看来[姓名]先生说得对");
        assert_eq!(red("静安区余姚路487弄70号这里"), "[地址]这里");
        assert_eq!(red("静安区余姚路487弄70\u{865F}这里"), "[地址]这里", "traditional hao (U+865F)");
        assert_eq!(red("北京市西城区牛街西里二区12号楼地下室二层,信号"), "[地址],信号");
        assert_eq!(red("湖南省长沙市雨花区黎郡新宇康景园8栋1单元9楼"), "[地址]");
        assert_eq!(red("户名王洋,断线"), "户名[姓名],断线");
        assert_eq!(red("广东省深圳市南山区科技园南区高新南一道9号"), "[地址]");
        assert_eq!(red("寄到深圳市南山区高新南一道9号"), "寄到[地址]");
        assert_eq!(red("司马懿先生您好"), "[姓名]先生您好");
        assert_eq!(red("欧阳娜娜女士"), "[姓名]女士");
        assert_eq!(red("我是张伟"), "我是[姓名]");
        assert_eq!(red("寄到广东省深圳市南山区科技园南区高新南一道9号，我是张伟"), "寄到[地址]，我是[姓名]");
        assert_eq!(red("客户王建国 手机"), "客户[姓名] 手机");
        assert_eq!(red("本人刘德华，要投诉"), "本人[姓名]，要投诉");
        assert_eq!(red("我姓孙叫孙悟空"), "我姓[姓名]叫[姓名]");
        assert_eq!(red("叫我李四就行"), "叫我[姓名]就行");
        assert_eq!(red("28823141 姓李"), "[号码] 姓[姓名]");
        assert_eq!(red("免贵姓欧阳"), "免贵姓[姓名]");
        assert_eq!(red("Mr. Zhang Wei called"), "Mr. [姓名] called");
        // A place after a cue, without the markers (市, 区, 镇, 村) the address rules need.
        assert_eq!(red("我家在佛山顺德乐从水藤，宽带断了"), "我家在[地址]，宽带断了");
        assert_eq!(red("地址是东莞长安霄边，电话28823141"), "地址是[地址]，电话[电话]");
        assert_eq!(red("地址：贵州六盘水盘县平关中学旁边,姓名"), "地址：[地址],姓名");
        assert_eq!(red("我住在广州番禺大石，信号差"), "我住在[地址]，信号差");
        assert_eq!(red("请寄到江门新会司前天等"), "请寄到[地址]");
        // A number inside keeps its type; an address the rules found stays one.
        assert_eq!(red("寄到泉州晋江池店13812345678收"), "寄到[地址][手机号]收");
        assert_eq!(red("我住在静安区余姚路487弄70号这里"), "我住在[地址]这里");
        // What follows a cue that is no place.
        for s in ["我住在这里好几年了", "您的地址是什么", "请把地址发给我", "家在外地", "寄到您的邮箱里面"]
        {
            assert_eq!(red(s), s);
        }
        for s in [
            "提供您的姓名和联系方式",
            "小区线路问题",
            "感谢老师",
            "以便详细记录并安排师傅联系您",
            "谢谢你大爷",
            "后来给安装的师傅打电话",
            "贵司师傅",
            "我司老师",
            "我是常客",
            "我是高兴",
            "我是江苏人",
            "我是机主本人",
            "我是本人",
            "我是说",
            "老百姓了",
            "我知道1号会到",
            "频道3号台",
            "请提供姓名",
            "反复和经理确认",
        ] {
            assert_eq!(red(s), s);
        }
    }

    #[test]
    fn names_in_running_text_next_to_a_word_that_goes_with_a_person() {
        for (text, want) in [
            ("麻烦转告王秀英一声", "麻烦转告[姓名]一声"),
            ("张伟昨天打电话说快递没到", "[姓名]昨天打电话说快递没到"),
            ("是赵敏帮我下的单", "是[姓名]帮我下的单"),
            ("老公叫陈志强", "老公叫[姓名]"),
            ("我们这边杨帆同事跟进", "我们这边[姓名]同事跟进"),
            ("上次刘晓梅说给我退", "上次[姓名]说给我退"),
            ("我妈妈李秀英的卡", "我妈妈[姓名]的卡"),
            ("麻烦转告杨建国一声", "麻烦转告[姓名]一声"),
            ("上次欧阳伟说给我退", "上次[姓名]说给我退"),
            ("转告李强一声", "转告[姓名]一声"),
        ] {
            assert_eq!(red(text), want, "{text}");
        }
        // Words jieba tags as names, and names of things, where no person is meant.
        for text in [
            "安卓系统打不开",
            "是安卓还是苹果的手机",
            "语音查话费说我有41元",
            "老婆查岗总是不在岗",
            "实在不行叫师傅来查",
            "我可以叫阳光海景",
            "客服已帮我联系师傅上门维修",
            "我明白您的意思",
            "谢谢您的耐心",
            "顾客说的没错",
            "给我办张卡",
        ] {
            assert_eq!(red(text), text);
        }
    }

    #[test]
    fn a_reply_holding_only_what_the_agent_asked_for_is_redacted() {
        let mut d = r().dialogue();
        assert_eq!(d.turn(Role::Customer, "我的快递还没到").0, "我的快递还没到");
        assert_eq!(d.turn(Role::Agent, "麻烦您提供一下订单号").0, "麻烦您提供一下订单号");
        let (out, counts) = d.turn(Role::Customer, "TH8823");
        assert_eq!((out.as_str(), counts.get(PiiKind::Order)), ("[订单号]", 1));
        // Only the reply right after the question: later a bare code is left as it is.
        assert_eq!(d.turn(Role::Customer, "TH8823").0, "TH8823");
        d.turn(Role::Agent, "您的手机号是多少？");
        assert_eq!(d.turn(Role::Customer, "就这个 2026 1109 哦，还有 A77881").0, "就这个 2026 1109 哦，还有 [手机号]");
        // Amounts and short numbers in the reply stay.
        d.turn(Role::Agent, "请告诉我订单号");
        assert_eq!(d.turn(Role::Customer, "付了12345元，单子找不到了").0, "付了12345元，单子找不到了");
        assert_eq!(asked_identifier("我帮您查一下物流"), None);
        // A name sent alone after the agent asked how to address the customer.
        d.turn(Role::Agent, "请问您怎么称呼？");
        assert_eq!(d.turn(Role::Customer, "李建国。").0, "[姓名]。");
        d.turn(Role::Agent, "请问您贵姓？");
        assert_eq!(d.turn(Role::Customer, "好的，我不想说").0, "好的，我不想说");
        d.turn(Role::Agent, "请问您贵姓？");
        assert_eq!(d.turn(Role::Customer, "欧阳娜娜吧").0, "[姓名]吧");
        d.turn(Role::Agent, "请问您贵姓？");
        assert_eq!(d.turn(Role::Customer, "   ").0, "   ");
        // Ids: kept unless they hold personal data, then hashed the same way every time.
        assert_eq!(r().safe_id("BB001"), None);
        let hashed = r().safe_id("13812345678").unwrap();
        assert!(hashed.starts_with("id-") && hashed.len() == 19, "{hashed}");
        assert_eq!(r().safe_id("13812345678"), Some(hashed));
        assert_eq!(asked_identifier("请报一下快递单号"), Some(PiiKind::Tracking));
    }

    #[test]
    fn text_shape_sees_what_the_rules_need() {
        let s = TextShape::of("价格99元，单号SF1234567890，邮箱a.b@x.Cn 看 HTTP://x ＊");
        assert_eq!((s.digits, s.longest_run), (12, 10));
        assert!(s.has_at && s.has_dot && s.has_web && s.has_star);
        let s = TextShape::of("3.5元 www");
        assert!(!s.has_at && !s.has_dot && !s.has_web && !s.has_star);
        assert_eq!((s.digits, s.longest_run), (2, 1));
        assert!(s.at_least(1, 2) && !s.at_least(2, 2));
        assert_eq!(s.longest_id_run, 3);
        assert_eq!(TextShape::of("微信 zhang_san").longest_id_run, 9);
        assert!(TextShape::of("wWw.x").has_web && TextShape::of("a.\u{17F}").has_dot);
    }

    #[test]
    fn keeps_prices_dates_times_models() {
        for s in [
            "¥199的套餐",
            "99元一个月",
            "2026年11月21日",
            "11-21晚上",
            "19:30到20:00",
            "iPhone 15",
            "Mate60",
            "RTX4090",
            "2026-11-21",
            "拨打10010",
            "提高总额度",
            "谢谢先生",
            "网络线路有问题",
            "小区没信号",
            "北京市朝阳区的用户",
        ] {
            let (out, counts) = r().redact(s);
            assert_eq!(out, s, "{counts:?}");
        }
    }
}
