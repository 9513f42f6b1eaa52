//! Mining: inputs, redaction, analysis, drafts, determinism.
//!
//! The fixtures are small invented exports in `tests/fixtures/mining/` (written by
//! `make_fixtures.py` there); nothing here reads the shared development corpus.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use peilian::customer::MoodModel;
use peilian::mining::input::{self, Record};
use peilian::mining::redact::{PiiKind, Redactor};
use peilian::mining::{MineOptions, MineOutcome, Quiet, mine};
use peilian::scenario::library::lint_paths;
use peilian::scenario::parse_file;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::support::{bin, fixture, stderr, stdout};

fn fx(name: &str) -> PathBuf {
    fixture(&format!("mining/{name}"))
}

/// Personal data planted in the fixtures; none of it may reach any output file.
const PLANTED: [&str; 9] = [
    "13812345678",
    "13912345678",
    "13700001111",
    "370102199003071234",
    "DD20261118",
    "SF1234567890123",
    "泉城路188号",
    "王建国",
    "@客服小助手",
];

/// The personal data of `forms.jsonl`, in the forms people type or say it; none of it may reach
/// any output either.
const FORMS: [&str; 17] = [
    "135.1234.5678",
    "一三八一二三四五六七八",
    "1 3 5 8 8 8 8 6 6 6 6",
    "19900307",
    "高新南一道9号",
    "司马懿",
    "我是张伟",
    "刘德华",
    "孙悟空",
    "李四",
    "Zhang Wei",
    "鲁A12345",
    "192.168.1.100",
    "zhangsan",
    "28823141",
    "TH8823",
    "张三",
];

fn mine_into(inputs: &[PathBuf], dir: &Path, min_family: u64) -> MineOutcome {
    let mut opts = MineOptions::new(inputs.to_vec(), dir.join("drafts"));
    opts.report = Some(dir.join("report.html"));
    opts.min_family = min_family;
    opts.temp_dir = Some(dir.to_path_buf());
    mine(&opts, &Quiet).unwrap_or_else(|e| panic!("mining failed: {e}"))
}

fn all_fixtures() -> Vec<PathBuf> {
    ["small.jsonl", "small.jsonl.gz", "bom_crlf.jsonl", "gbk.jsonl", "mixed.jsonl", "malformed.jsonl", "export.csv"]
        .iter()
        .map(|n| fx(n))
        .collect()
}

/// Every file below `dir`, relative path → bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().display().to_string(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn records(name: &str) -> (Vec<Record>, input::FileStats) {
    let info = input::probe(&fx(name)).unwrap();
    let mut recs = Vec::new();
    let stats = input::read_file(0, &info, None, &mut |r| recs.push(r));
    (recs, stats)
}

fn first_customer_text(rec: &Record) -> String {
    match rec {
        Record::Json { text, .. } => input::parse_json_line(text).unwrap().turns[0].text.to_string(),
        Record::Dialogue { dialogue, .. } => dialogue.turns[0].text.to_string(),
        Record::Bad(b) => panic!("unexpected bad line {b:?}"),
    }
}

#[test]
fn encodings_bom_crlf_and_gzip_are_decoded() {
    let (utf8, _) = records("small.jsonl");
    let expected = first_customer_text(&utf8[0]);
    assert!(expected.starts_with("宽带又断了"), "{expected}");

    let (bom, stats) = records("bom_crlf.jsonl");
    assert!(stats.encoding.bom);
    assert_eq!(bom.len(), 3);
    let text = first_customer_text(&bom[0]);
    assert_eq!(text, "请问我的流量怎么查？@客服小助手", "BOM and CRLF are stripped");

    let (gb, stats) = records("gbk.jsonl");
    assert_eq!((stats.encoding.gb18030_lines, stats.encoding.utf8_lines), (3, 0));
    assert_eq!(first_customer_text(&gb[0]), "我的套餐一个月58元，这个月扣了我73元，凭什么多扣钱？@客服小助手");

    let (mixed, stats) = records("mixed.jsonl");
    assert_eq!((stats.encoding.utf8_lines, stats.encoding.gb18030_lines), (2, 2));
    assert!(stats.encoding.describe().contains("混合"));
    let bad: Vec<u64> = mixed.iter().filter_map(|r| if let Record::Bad(b) = r { Some(b.line) } else { None }).collect();
    assert_eq!(bad, vec![4], "the line that is neither UTF-8 nor GB18030");
    assert_eq!(first_customer_text(&mixed[1]), "快递单号SF1234567890123一直不更新，是不是丢了？好担心。");

    let info = input::probe(&fx("small.jsonl.gz")).unwrap();
    assert!(info.gzip);
    let (gz, _) = records("small.jsonl.gz");
    assert_eq!(gz.len(), 5);
}

#[test]
fn csv_rows_are_grouped_sorted_and_bad_rows_reported() {
    let (recs, stats) = records("export.csv");
    let dialogues: Vec<_> = recs
        .iter()
        .filter_map(|r| if let Record::Dialogue { line, dialogue, .. } = r { Some((*line, dialogue)) } else { None })
        .collect();
    assert_eq!(dialogues.len(), 3);
    let (line, c1) = dialogues[0];
    assert_eq!((line, c1.id.as_str()), (2, "C001"));
    // Turn 1 was written after turn 2; the quoted newline is kept.
    assert_eq!(c1.turns[0].role, input::Role::Customer);
    assert_eq!(c1.turns[0].text, "宽带断了，\n两天没人修，电话13812345678！");
    assert_eq!(c1.labels.satisfaction, Some(1.2));
    assert_eq!(dialogues[1].1.turns[1].text, "", "an empty turn is kept as empty");
    let bad: Vec<(u64, String)> = recs
        .iter()
        .filter_map(|r| if let Record::Bad(b) = r { Some((b.line, b.reason.clone())) } else { None })
        .collect();
    assert_eq!(bad.iter().map(|b| b.0).collect::<Vec<_>>(), vec![9, 10, 11], "{bad:?}");
    assert!(bad[0].1.contains("bot") && bad[1].1.contains("列") && bad[2].1.contains("x"), "{bad:?}");
    assert_eq!(stats.bad_lines, 3);
}

#[test]
fn a_csv_dialogue_is_capped_so_memory_stays_bounded() {
    // An export whose id column is the same on every row: one endless "dialogue".
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one-id.csv");
    let mut csv = String::from("dialogue_id,turn,role,text\n");
    let rows = input::MAX_DIALOGUE_ROWS + 5;
    for i in 0..rows {
        let role = if i % 2 == 0 { "customer" } else { "agent" };
        csv.push_str(&format!("X1,{},{role},第{i}句话\n", i + 1));
    }
    std::fs::write(&path, csv).unwrap();
    let info = input::probe(&path).unwrap();
    let mut recs = Vec::new();
    let stats = input::read_file(0, &info, None, &mut |r| recs.push(r));
    let turns: Vec<usize> = recs
        .iter()
        .filter_map(|r| if let Record::Dialogue { dialogue, .. } = r { Some(dialogue.turns.len()) } else { None })
        .collect();
    assert_eq!(turns, vec![input::MAX_DIALOGUE_ROWS], "the first rows are kept");
    let bad: Vec<u64> = recs.iter().filter_map(|r| if let Record::Bad(b) = r { Some(b.line) } else { None }).collect();
    let first_skipped = input::MAX_DIALOGUE_ROWS as u64 + 2; // after the header line
    assert_eq!(bad, (first_skipped..first_skipped + 5).collect::<Vec<_>>());
    assert_eq!(stats.bad_lines, 5);
    let reason = recs.iter().find_map(|r| if let Record::Bad(b) = r { Some(b.reason.clone()) } else { None }).unwrap();
    assert!(reason.contains("X1") && reason.contains("1000"), "{reason}");
}

#[test]
fn bad_lines_are_counted_with_their_numbers_and_never_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = mine_into(&[fx("malformed.jsonl"), fx("small.jsonl")], dir.path(), 3);
    let lines: Vec<(String, u64)> =
        out.bad_lines.iter().map(|(p, b)| (p.file_name().unwrap().to_string_lossy().into_owned(), b.line)).collect();
    let expected: Vec<(String, u64)> = [2, 4, 6, 8, 9].iter().map(|&l| ("malformed.jsonl".to_string(), l)).collect();
    assert_eq!(lines, expected);
    assert_eq!(out.bad_line_count, 5);
    assert_eq!(out.report.totals.dialogues, 4 + 35, "every good line of both files is mined");
    let reasons: Vec<&str> = out.bad_lines.iter().map(|(_, b)| b.reason.as_str()).collect();
    assert!(reasons[0].contains("JSON") && reasons[1].contains("turns") && reasons[2].contains("bot"), "{reasons:?}");
    assert!(out.bad_lines.iter().all(|(_, b)| !b.hint.is_empty()));
    // The report lists them too.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(json["totals"]["bad_lines"], 5);
    assert_eq!(json["bad_line_samples"][0]["line"], 2);
}

#[test]
fn a_ten_megabyte_line_is_mined_and_later_line_numbers_stay_right() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    let normal = std::fs::read_to_string(fx("small.jsonl")).unwrap();
    let first = normal.lines().next().unwrap();
    let huge = "宽带断了没人修。".repeat(10 * 1024 * 1024 / 24);
    let big = serde_json::json!({"id": "HUGE", "turns": [
        {"role": "customer", "text": format!("{huge}电话13812345678")},
        {"role": "agent", "text": "非常抱歉，马上为您处理。"}
    ]});
    let body = format!("{first}\n{big}\noops\n{first}\n");
    assert!(body.len() > 10 * 1024 * 1024);
    std::fs::write(&path, body).unwrap();
    let out = mine_into(&[path], dir.path(), 3);
    assert_eq!(out.report.totals.dialogues, 3);
    assert_eq!(out.report.totals.truncated_turns, 1);
    assert_eq!(out.bad_lines.iter().map(|(_, b)| b.line).collect::<Vec<_>>(), vec![3]);
}

/// A generated set of sentences, each with one piece of personal data or none, plus items
/// that must stay (prices, dates, times, model numbers).
struct Case {
    text: String,
    pii: Option<(PiiKind, String)>,
    keep: Vec<String>,
}

fn digits(rng: &mut ChaCha8Rng, n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect()
}

fn pick<'a>(rng: &mut ChaCha8Rng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

fn pick_pair<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn pii_cases(n_per_kind: usize) -> Vec<Case> {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "欧阳", "司马"];
    let given = ["伟", "芳", "建国", "秀英", "磊", "静", "强", "敏", "海燕", "军"];
    let cities = ["济南市", "北京市", "上海市", "广州市", "深圳市", "杭州市", "成都市", "武汉市"];
    let districts = ["历下区", "朝阳区", "浦东新区", "天河区", "南山区", "西湖区", "锦江区", "江汉区"];
    let roads = ["泉城路", "建国路", "世纪大道", "中山大道", "科技园路", "文三路", "人民南路", "解放大道"];
    let estates = ["阳光花园", "幸福家园", "康景园", "金色小区", "翠苑"];
    let keeps = [
        "¥199",
        "99元",
        "1299元",
        "2026年11月21日",
        "11-21",
        "2026-11-21",
        "19:30",
        "iPhone 15",
        "Mate60",
        "RTX4090",
        "小米14 Pro",
        "10010",
        "3个工作日",
        "500M流量",
    ];
    let kinds = [
        PiiKind::Account,
        PiiKind::Mobile,
        PiiKind::Landline,
        PiiKind::IdCard,
        PiiKind::BankCard,
        PiiKind::Email,
        PiiKind::Url,
        PiiKind::Handle,
        PiiKind::Order,
        PiiKind::Tracking,
        PiiKind::Address,
        PiiKind::Name,
        PiiKind::Ip,
        PiiKind::Plate,
        PiiKind::Number,
    ];
    let mut cases = Vec::new();
    for kind in kinds {
        for i in 0..n_per_kind {
            let (value, template): (String, String) = match kind {
                PiiKind::Mobile => {
                    let raw = format!("1{}{}", rng.random_range(3..10u8), digits(&mut rng, 9));
                    let v = match i % 9 {
                        0 => raw.clone(),
                        1 => format!("{}-{}-{}", &raw[..3], &raw[3..7], &raw[7..]),
                        2 => format!("{} {} {}", &raw[..3], &raw[3..7], &raw[7..]),
                        3 => format!("+86 {raw}"),
                        // Full-width digits, as some input methods type them.
                        4 => raw.chars().map(|c| char::from_u32(c as u32 - 0x30 + 0xFF10).unwrap()).collect(),
                        5 => format!("{}****{}", &raw[..3], &raw[7..]),
                        6 => format!("{}.{}.{}", &raw[..3], &raw[3..7], &raw[7..]),
                        // Read out in Chinese numerals, or digit by digit with spaces.
                        7 => raw
                            .chars()
                            .map(|c| "零一二三四五六七八九".chars().nth(c as usize - 0x30).unwrap())
                            .collect(),
                        _ => raw.chars().map(String::from).collect::<Vec<_>>().join(" "),
                    };
                    (
                        v,
                        pick(
                            &mut rng,
                            &["我的手机号是{}，麻烦尽快回电", "有事打{}找我", "联系电话：{}", "号码{}一直收不到短信"],
                        )
                        .to_string(),
                    )
                }
                PiiKind::Landline => {
                    let area = pick(&mut rng, &["010", "021", "0531", "0755", "0571"]);
                    let local = format!(
                        "{}{}",
                        rng.random_range(2..10u8),
                        digits(&mut rng, if area.len() == 3 { 7 } else { 6 })
                    );
                    let v = if i % 2 == 0 { format!("{area}-{local}") } else { format!("({area}){local}") };
                    (v, pick(&mut rng, &["座机{}没人接", "家里电话是{}", "请拨打{}联系我"]).to_string())
                }
                PiiKind::IdCard => {
                    let year = rng.random_range(1950..2005u32);
                    let v = format!(
                        "{}{}{:02}{:02}{}{}",
                        rng.random_range(110000..660000u32),
                        year,
                        rng.random_range(1..13u32),
                        rng.random_range(1..29u32),
                        digits(&mut rng, 3),
                        if i % 3 == 0 { "X".to_string() } else { digits(&mut rng, 1) }
                    );
                    // Some write it in groups: region, birth date, the rest.
                    let v = if i % 4 == 2 { format!("{} {} {}", &v[..6], &v[6..14], &v[14..]) } else { v };
                    (v, pick(&mut rng, &["身份证号{}", "我的身份证是{}，帮我查一下", "证件号码：{}"]).to_string())
                }
                PiiKind::BankCard => {
                    let len = rng.random_range(16..20usize);
                    let raw = format!("6{}", digits(&mut rng, len - 1));
                    let v = if i % 2 == 0 {
                        raw
                    } else {
                        raw.as_bytes().chunks(4).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join(" ")
                    };
                    (v, pick(&mut rng, &["退款请退到卡号{}", "银行卡{}被扣款了", "我的卡是{}"]).to_string())
                }
                PiiKind::Account => {
                    let len = rng.random_range(6..11usize);
                    let v = if i % 2 == 0 {
                        digits(&mut rng, len)
                    } else {
                        format!("wx_{}{}", pick(&mut rng, &["lily", "tom", "zhang"]), digits(&mut rng, 3))
                    };
                    let t = if i % 2 == 0 {
                        pick(&mut rng, &["加我QQ：{}", "QQ号{}，在线等", "我的qq是{}"])
                    } else {
                        pick(&mut rng, &["微信号：{}", "加微信{}详聊"])
                    };
                    (v, t.to_string())
                }
                PiiKind::Email => {
                    let user =
                        format!("{}{}", pick(&mut rng, &["zhang", "li.na", "wang_2026", "kefu"]), digits(&mut rng, 3));
                    let v = if i % 3 == 2 {
                        // Written out against harvesters.
                        let (at, dot) =
                            *pick_pair(&mut rng, &[(" at ", " dot "), ("(at)", "(dot)"), ("艾特", "点"), ("#", ".")]);
                        format!("{user}{at}{}{dot}com", pick(&mut rng, &["qq", "163", "example"]))
                    } else {
                        format!("{user}@{}", pick(&mut rng, &["qq.com", "163.com", "example.cn", "mail.example.com"]))
                    };
                    (v, pick(&mut rng, &["发到我邮箱{}", "邮箱：{}", "请回复到{}谢谢"]).to_string())
                }
                PiiKind::Url => {
                    let v = match i % 3 {
                        0 => format!("https://www.example.com/order?id={}", digits(&mut rng, 6)),
                        1 => format!("http://t.cn/R{}x", digits(&mut rng, 5)),
                        _ => format!("www.shop{}.cn/item", digits(&mut rng, 3)),
                    };
                    (v, pick(&mut rng, &["看这里{}，太坑了", "链接{}打不开", "官网{}上写的不一样"]).to_string())
                }
                PiiKind::Handle => {
                    let v = format!(
                        "@{}{}",
                        pick(&mut rng, &["小明", "张三丰", "CoolUser", "吃货小王", "lucky_star"]),
                        digits(&mut rng, 2)
                    );
                    (v, pick(&mut rng, &["{} 你们管不管", "{} 快看看这个", "转发给{} 一起看看"]).to_string())
                }
                PiiKind::Order => {
                    let v =
                        if i % 2 == 0 { format!("DD{}", digits(&mut rng, 8)) } else { digits(&mut rng, 12 + i % 7) };
                    (v, pick(&mut rng, &["订单号{}还没发货", "我的订单号是：{}", "订单编号 {} 一直没动静"]).to_string())
                }
                PiiKind::Tracking => {
                    let v = if i % 2 == 0 { format!("SF{}", digits(&mut rng, 13)) } else { digits(&mut rng, 12) };
                    (v, pick(&mut rng, &["快递单号{}不更新", "运单号是{}", "物流单号：{}查不到"]).to_string())
                }
                PiiKind::Address => {
                    let k = rng.random_range(0..cities.len());
                    let v = if i % 5 == 3 {
                        // A village named by its city, district and town, without 市/区/镇/村.
                        [
                            ["佛山", "东莞", "江门", "泉州", "温州", "保定", "绵阳", "赣州"],
                            ["顺德", "长安", "新会", "晋江", "瑞安", "涿州", "江油", "南康"],
                            ["乐从", "霄边", "司前", "池店", "塘下", "松林", "青莲", "唐江"],
                            ["水藤", "上沙", "天等", "东石", "韩田", "北蔡", "双河", "坪市"],
                        ]
                        .iter()
                        .map(|names| pick(&mut rng, names))
                        .collect()
                    } else if i % 5 == 4 {
                        // A road named with 道 and its number.
                        format!(
                            "{}{}{}道{}号",
                            cities[k],
                            districts[k],
                            pick(&mut rng, &["高新南一", "滨海", "深南", "科苑北二"]),
                            rng.random_range(1..999u32)
                        )
                    } else if i % 2 == 0 {
                        format!(
                            "{}{}{}{}号",
                            cities[k],
                            districts[k],
                            pick(&mut rng, &roads),
                            rng.random_range(1..999u32)
                        )
                    } else {
                        format!(
                            "{}{}栋{}单元{}室",
                            pick(&mut rng, &estates),
                            rng.random_range(1..30u32),
                            rng.random_range(1..6u32),
                            rng.random_range(101..2999u32)
                        )
                    };
                    (v, pick(&mut rng, &["我家在{}，宽带断了", "请寄到{}", "地址：{}，尽快上门"]).to_string())
                }
                PiiKind::Name if i % 6 == 0 => {
                    // A full name in running text, with no label or title, next to a word
                    // that goes with a person.
                    let name = format!("{}{}", pick(&mut rng, &surnames), pick(&mut rng, &given));
                    let template = pick(
                        &mut rng,
                        &["麻烦转告{}一声", "{}昨天打电话说要退", "我老婆叫{}", "上次{}说给我退", "是{}帮我办的"],
                    );
                    (name, template.to_string())
                }
                PiiKind::Name if i % 3 == 1 => {
                    // Introducing oneself, in Chinese or in English.
                    let name = format!("{}{}", pick(&mut rng, &surnames), pick(&mut rng, &given));
                    match rng.random_range(0..5u8) {
                        0 => (name, "我是{}".to_string()),
                        1 => (name, "本人{}，要投诉".to_string()),
                        2 => (name, "叫我{}就行".to_string()),
                        3 => (name, "我姓什么不重要，我叫{}".to_string()),
                        _ => {
                            let en = pick(&mut rng, &["Zhang Wei", "Li Na", "Wang Fang", "Chen Jie"]);
                            (en.to_string(), format!("{}. {{}} called", pick(&mut rng, &["Mr", "Ms", "Mrs"])))
                        }
                    }
                }
                PiiKind::Ip => {
                    let v = format!(
                        "{}.{}.{}.{}",
                        pick(&mut rng, &["192", "10", "172", "61"]),
                        rng.random_range(0..256u32),
                        rng.random_range(0..256u32),
                        rng.random_range(1..255u32)
                    );
                    (v, pick(&mut rng, &["我家路由器 {} 连不上", "IP 是{}", "登录地址{}打不开"]).to_string())
                }
                PiiKind::Plate => {
                    let letters = "ABCDEFGHJKLMNPQRSTUVWXYZ";
                    let letter =
                        |rng: &mut ChaCha8Rng| letters.chars().nth(rng.random_range(0..letters.len())).unwrap();
                    let v = format!(
                        "{}{}{}{}",
                        pick(&mut rng, &["鲁", "京", "粤", "沪", "川", "苏"]),
                        letter(&mut rng),
                        if i % 2 == 0 { String::new() } else { letter(&mut rng).to_string() },
                        digits(&mut rng, 5 - i % 2)
                    );
                    (v, pick(&mut rng, &["车牌{}，停车费扣了两次", "我的车是{}", "{}被拖走了"]).to_string())
                }
                PiiKind::Number => {
                    // A local number sent bare, without a label.
                    let v = format!("{}{}", rng.random_range(2..10u8), digits(&mut rng, 6 + i % 2));
                    (v, pick(&mut rng, &["{} 找一下", "有事打 {}", "回拨{}，谢谢"]).to_string())
                }
                PiiKind::Name => {
                    let name = format!(
                        "{}{}",
                        pick(&mut rng, &surnames),
                        if i % 2 == 0 { pick(&mut rng, &given) } else { "" }
                    );
                    let title = pick(&mut rng, &["先生", "女士", "小姐", "经理"]);
                    // The name is personal data; the title stays.
                    let template = match rng.random_range(0..3u8) {
                        0 => format!("您好{{}}{title}，请问有什么可以帮您"),
                        1 => format!("{{}}{title}说今天会回电"),
                        _ if i % 3 == 2 => format!("您好，{{}}{title}"),
                        _ => format!("我是客户{{}}{title}，要投诉"),
                    };
                    (name, template)
                }
            };
            let keep = pick(&mut rng, &keeps).to_string();
            let text = format!("{}，{keep}", template.replace("{}", &value));
            cases.push(Case { text, pii: Some((kind, value)), keep: vec![keep] });
        }
    }
    // Sentences with nothing to redact, only things that must stay, some of them close to
    // personal data in shape (a district name, 小区, 线路, 谢谢先生, a model like SM-G9550).
    for _ in 0..(n_per_kind * 3) {
        let a = pick(&mut rng, &keeps).to_string();
        let b = pick(&mut rng, &keeps).to_string();
        let t = pick(
            &mut rng,
            &[
                "套餐{a}，{b}内处理",
                "{a}买的，{b}坏了",
                "我在{a}下单，{b}还没到",
                "线路故障，{a}后再试，{b}",
                "小区没信号，{a}，{b}",
                "北京市朝阳区的用户都断网了，{a}，{b}",
                "谢谢先生，{a}，{b}",
                "客户经理说{a}就到，{b}",
                "型号SM-G9550，{a}，{b}",
                "提高总额度，{a}，{b}",
                "第3次打10086了，{a}，{b}",
                "我是江苏人，{a}，{b}",
                "我知道了，{a}，{b}",
                "套餐有 38 58 88 128 几档，{a}，{b}",
                "2026.11.21 到的，{a}，{b}",
                "版本 1.2.3 的问题，{a}，{b}",
                "我是老用户了，{a}，{b}",
            ],
        );
        cases.push(Case { text: t.replace("{a}", &a).replace("{b}", &b), pii: None, keep: vec![a, b] });
    }
    cases
}

/// True when any part of `value` long enough to identify it is still in `out`.
fn leaked(kind: PiiKind, value: &str, out: &str) -> bool {
    let value = peilian::mining::redact::fold_ascii_forms(value);
    let value = value.as_ref();
    if out.contains(value) {
        return true;
    }
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    let out_digits: String = out.chars().filter(char::is_ascii_digit).collect();
    if digits.len() >= 7 && digits.as_bytes().windows(7).any(|w| out_digits.contains(std::str::from_utf8(w).unwrap())) {
        return true;
    }
    match kind {
        PiiKind::Address => {
            // Any five characters of it that hold a house, building or room number; for a
            // village without numbers, any three characters.
            let chars: Vec<char> = value.chars().collect();
            if chars.iter().any(char::is_ascii_digit) {
                chars
                    .windows(5)
                    .any(|w| w.iter().any(char::is_ascii_digit) && out.contains(&w.iter().collect::<String>()))
            } else {
                chars.windows(3).any(|w| out.contains(&w.iter().collect::<String>()))
            }
        }
        PiiKind::Email | PiiKind::Url | PiiKind::Handle => {
            let core: String = value.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            core.len() >= 6 && out.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().contains(&core)
        }
        _ => false,
    }
}

#[test]
fn redaction_recall_and_precision_on_a_generated_set() {
    let r = Redactor::new();
    let cases = pii_cases(100);
    let (mut items, mut removed, mut typed) = (0usize, 0usize, 0usize);
    let (mut tp, mut fp) = (0usize, 0usize);
    let (mut keeps, mut kept) = (0usize, 0usize);
    let mut misses: Vec<String> = Vec::new();
    let mut per_kind: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for c in &cases {
        let (out, counts) = r.redact(&c.text);
        let placeholders = counts.total() as usize;
        match &c.pii {
            Some((kind, value)) => {
                items += 1;
                let e = per_kind.entry(kind.key()).or_insert((0, 0));
                e.0 += 1;
                if leaked(*kind, value, &out) {
                    misses.push(format!("{} → {}", c.text, out));
                } else {
                    removed += 1;
                    e.1 += 1;
                    tp += 1;
                    fp += placeholders.saturating_sub(1);
                    if placeholders > 1 {
                        misses.push(format!("extra: {} → {}", c.text, out));
                    }
                    // Order and tracking numbers, and an 18-digit run, may be typed either way.
                    let ok_type = out.contains(kind.placeholder())
                        || matches!(kind, PiiKind::Order | PiiKind::Tracking | PiiKind::BankCard)
                            && (out.contains("[订单号]") || out.contains("[快递单号]") || out.contains("[银行卡号]"));
                    typed += usize::from(ok_type);
                }
            }
            None => {
                fp += placeholders;
                if placeholders > 0 {
                    misses.push(format!("extra: {} → {}", c.text, out));
                }
            }
        }
        for k in &c.keep {
            keeps += 1;
            if out.contains(k.as_str()) {
                kept += 1;
            } else {
                misses.push(format!("kept? {k}: {} → {}", c.text, out));
            }
        }
    }
    let recall = removed as f64 / items as f64;
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let keep_rate = kept as f64 / keeps as f64;
    let type_rate = typed as f64 / removed.max(1) as f64;
    eprintln!(
        "redaction on {} generated sentences ({items} items): recall {:.4}, precision {:.4}, right type {:.4}, kept {:.4} ({kept}/{keeps})\n  per kind (items, removed): {per_kind:?}",
        cases.len(),
        recall,
        precision,
        type_rate,
        keep_rate
    );
    assert!(recall >= 0.995, "recall {recall:.4}; misses:\n{}", misses.join("\n"));
    assert!(precision >= 0.97, "precision {precision:.4}; misses:\n{}", misses.join("\n"));
    assert!(keep_rate >= 0.99, "prices, dates, times and models must stay: {keep_rate:.4}\n{}", misses.join("\n"));
    assert!(type_rate >= 0.95, "placeholder type {type_rate:.4}");
}

#[test]
fn no_planted_personal_data_reaches_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = all_fixtures();
    inputs.push(fx("forms.jsonl"));
    let out = mine_into(&inputs, dir.path(), 3);
    assert!(out.report.redactions.iter().map(|c| c.count).sum::<u64>() >= 25);
    // The bad lines of forms.jsonl are reported, without what they quote.
    let forms_bad: Vec<&input::BadLine> =
        out.bad_lines.iter().filter(|(p, _)| p.ends_with("forms.jsonl")).map(|(_, b)| b).collect();
    assert_eq!(forms_bad.len(), 2, "{forms_bad:?}");
    let mut texts: Vec<(String, String)> = files(dir.path())
        .into_iter()
        .map(|(name, bytes)| (name, String::from_utf8_lossy(&bytes).into_owned()))
        .collect();
    texts.extend(forms_bad.iter().map(|b| ("bad line".to_string(), format!("{} {}", b.reason, b.hint))));
    for (name, text) in &texts {
        for p in PLANTED.iter().chain(&FORMS) {
            assert!(!text.contains(p), "{name} holds {p}");
        }
    }
}

/// `peilian redact` on every fixture: each written back under its own name, in its own format
/// (the same lines, the CSV header kept), with no planted value left.
#[test]
fn redact_writes_exports_back_without_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("shared");
    let mut inputs = all_fixtures();
    inputs.push(fx("forms.jsonl"));
    let o = bin().arg("redact").args(&inputs).arg("--out").arg(&out).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("forms.jsonl") && stdout(&o).contains("去除个人信息"), "{}", stdout(&o));
    for input in &inputs {
        let name = input.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(out.join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let text = if name.ends_with(".gz") {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(&bytes[..]), &mut s).unwrap();
            s
        } else {
            String::from_utf8(bytes).unwrap_or_else(|_| panic!("{name} is written as UTF-8"))
        };
        for p in PLANTED.iter().chain(&FORMS) {
            assert!(!text.contains(p), "{name} holds {p}:\n{text}");
        }
        let original = std::fs::read(input).unwrap();
        if name.ends_with(".jsonl") && !name.starts_with("gbk") {
            let original = String::from_utf8_lossy(&original);
            assert_eq!(text.lines().count(), original.lines().count(), "{name}: one line for each line");
        }
        if name.ends_with(".csv") {
            let header = String::from_utf8_lossy(&original).lines().next().unwrap().to_string();
            assert_eq!(text.lines().next(), Some(header.as_str()));
        }
    }
    // The redacted copy mines as the original does: the same number of dialogues (mixed.jsonl
    // has a line that is no encoding at all: it is written decoded with replacement
    // characters, and then reads as a dialogue).
    assert!(stderr(&o).contains("1 行无法按 UTF-8"), "{}", stderr(&o));
    inputs.retain(|i| !i.ends_with("mixed.jsonl"));
    let shared: Vec<PathBuf> = inputs.iter().map(|i| out.join(i.file_name().unwrap())).collect();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (original, copy) = (mine_into(&inputs, a.path(), 3), mine_into(&shared, b.path(), 3));
    assert_eq!(original.report.totals.dialogues, copy.report.totals.dialogues);
    // An export is never written over.
    let forms = dir.path().join("forms.jsonl");
    std::fs::copy(fx("forms.jsonl"), &forms).unwrap();
    let o = bin().arg("redact").arg(&forms).arg("--out").arg(&forms).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("既是输入又是输出"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&forms).unwrap(), std::fs::read(fx("forms.jsonl")).unwrap());
    // A missing export is named, and the others are still written.
    let o = bin()
        .arg("redact")
        .arg(dir.path().join("nope.jsonl"))
        .arg(&forms)
        .arg("--out")
        .arg(dir.path().join("two"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope.jsonl"), "{}", stderr(&o));
    assert!(dir.path().join("two/forms.jsonl").exists());
}

#[test]
fn drafts_lint_clean_and_carry_their_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let out = mine_into(&all_fixtures(), dir.path(), 3);
    assert!(out.drafts.len() >= 2, "{:?}", out.report.families);
    let lint = lint_paths(&out.drafts).unwrap();
    assert_eq!(lint.diagnostics, vec![], "drafts must lint clean");
    let fixture_ids = ["BB", "BL", "DT", "OD", "GZ", "BO", "GB", "MX", "ML", "C0", "EM"];
    for path in &out.drafts {
        let parsed = parse_file(path).unwrap();
        let s = &parsed.scenario;
        assert!(s.draft, "{}", path.display());
        assert!(!s.provenance.is_empty());
        assert!(s.provenance.iter().all(|id| fixture_ids.iter().any(|p| id.starts_with(p))), "{:?}", s.provenance);
        assert!(s.turns.iter().all(|t| !t.expect.model_answer.is_empty()));
        assert!(!s.samples.is_empty());
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains("// 对话 ") && text.contains("满意度"), "evidence comments: {}", path.display());
    }
    // The broadband family is angry, opens with a real angry line and soothes first.
    let bb = out
        .drafts
        .iter()
        .map(|p| parse_file(p).unwrap().scenario)
        .find(|s| {
            s.provenance.iter().any(|id| id.starts_with("BB"))
                && s.persona.kind == peilian::scenario::schema::PersonaKind::Angry
        })
        .expect("a draft from the broadband dialogues");
    assert!(bb.persona.mood >= 50, "{}", bb.persona.mood);
    let open = &bb.turns[0];
    assert!(open.customer.iter().any(|l| l.text.contains("宽带")), "{:?}", open.customer);
    assert!(open.expect.tone.contains(&peilian::scenario::schema::ToneGoal::SootheFirst));
    // Concepts are acts and synonym groups named for people, never bare keywords.
    assert!(bb.concepts.keys().all(|k| !k.starts_with("kw_")), "{:?}", bb.concepts.keys());
    assert!(bb.concepts.values().all(|c| !c.acts.is_empty() || !c.groups.is_empty()), "{:?}", bb.concepts);
    // Red lines are conduct that poorly rated agents of the fixtures really showed, each
    // quoted in its comment from what they said.
    let small = std::fs::read_to_string(fx("small.jsonl")).unwrap();
    let mut red_lines = 0;
    for path in &out.drafts {
        let s = parse_file(path).unwrap().scenario;
        assert!(s.forbidden_acts.iter().all(|f| f.act.is_conduct()), "{:?}", s.forbidden_acts);
        let text = std::fs::read_to_string(path).unwrap();
        let quotes: Vec<&str> = text
            .lines()
            .filter(|l| l.trim_start().starts_with("//") && l.contains("差评代表对话"))
            .filter_map(|l| l.split('「').nth(1)?.split('」').next())
            .collect();
        assert_eq!(quotes.len(), s.forbidden_acts.len(), "{text}");
        for q in quotes {
            let head: String = q.trim_end_matches('…').chars().take(6).collect();
            assert!(small.contains(&head), "{q} is not from the fixtures");
        }
        red_lines += s.forbidden_acts.len();
    }
    assert!(red_lines > 0, "some family's poorly rated agents blamed, brushed off or mocked");
    // The drafts pass their own tests (samples and model answers) — the broadband one and
    // most others — and the report counts exactly what `peilian test` finds.
    let bb_report = out.report.drafts.iter().find(|d| d.id == bb.id).unwrap();
    assert!(bb_report.tests >= 2 && bb_report.failed_tests == 0, "{bb_report:?}");
    let passing = out.report.drafts.iter().filter(|d| d.failed_tests == 0).count();
    assert!(passing * 4 >= out.report.drafts.len() * 3, "{:?}", out.report.drafts);
    let tested = bin().arg("test").args(&out.drafts).output().unwrap();
    let stdout = String::from_utf8_lossy(&tested.stdout);
    let failed: usize = out.report.drafts.iter().map(|d| d.failed_tests).sum();
    let tests: usize = out.report.drafts.iter().map(|d| d.tests).sum();
    assert!(
        stdout.contains(&format!("、{tests} 个样例")) && stdout.contains(&format!("：{failed} 个不在范围内")),
        "{stdout}"
    );
}

#[test]
fn calibration_is_a_loadable_mood_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = mine_into(&all_fixtures(), dir.path(), 3);
    let model = MoodModel::load(&out.calibration).unwrap_or_else(|d| panic!("{d}"));
    assert!(model.source.contains("挖掘") && model.source.contains("段真实对话"), "{}", model.source);
    assert!((0.0..=1.0).contains(&model.demand_after_no_empathy));
    let text = std::fs::read_to_string(&out.calibration).unwrap();
    assert_eq!(text.matches("// [").count(), 16, "every field says how it was obtained");
    // `peilian lint` accepts it as a mood model.
    assert_eq!(lint_paths(std::slice::from_ref(&out.calibration)).unwrap().diagnostics, vec![]);
}

#[test]
fn same_input_same_output_byte_for_byte_whatever_the_threads() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let mut inputs: Vec<String> = all_fixtures().iter().map(|p| p.display().to_string()).collect();
    inputs.extend(["--min-family".into(), "3".into(), "--quiet".into()]);
    for (dir, threads) in [(&a, "1"), (&b, "3")] {
        let out = bin()
            .arg("mine")
            .args(&inputs)
            .arg("--out")
            .arg(dir.path().join("drafts"))
            .arg("--report")
            .arg(dir.path().join("report.html"))
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let (fa, fb) = (files(a.path()), files(b.path()));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    assert!(fa.len() >= 5, "{:?}", fa.keys());
    for (name, bytes) in &fa {
        assert!(bytes == &fb[name], "{name} differs between runs");
    }
}

#[test]
fn cli_exit_codes_and_messages() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("drafts");
    // Some bad lines: exit 0, the count and the lines reported.
    let out = bin()
        .args([
            "mine",
            "tests/fixtures/mining/malformed.jsonl",
            "tests/fixtures/mining/small.jsonl",
            "--quiet",
            "--out",
        ])
        .arg(&out_dir)
        .arg("--report")
        .arg(dir.path().join("r.html"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("5 行有问题"), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("malformed.jsonl:2: ") && err.contains("malformed.jsonl:9: "), "{err}");
    assert!(err.contains("提示："), "{err}");
    let html = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert!(html.contains("<svg") && !html.contains("<script") && !html.contains("<link") && !html.contains("src="));
    assert!(dir.path().join("r.json").is_file());

    // No input can be read: exit 2, naming the file.
    let out = bin().args(["mine", "no/such/export.jsonl", "--out"]).arg(&out_dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no/such/export.jsonl") && stderr(&out).contains("不存在"), "{}", stderr(&out));

    // --out names a file: said in words, with what to do (not "File exists (os error 17)").
    let a_file = dir.path().join("drafts.txt");
    std::fs::write(&a_file, "x").unwrap();
    let out =
        bin().args(["mine", "tests/fixtures/mining/small.jsonl", "--quiet", "--out"]).arg(&a_file).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("drafts.txt") && err.contains("已经有同名的文件") && err.contains("--out 要给一个目录"),
        "{err}"
    );
    assert!(!err.contains("os error"), "{err}");
    assert_eq!(std::fs::read(&a_file).unwrap(), b"x", "the file is left alone");

    // Every line bad: exit 2 with the lines.
    let out = bin().args(["mine", "tests/fixtures/mining/bad_only.jsonl", "--out"]).arg(&out_dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("bad_only.jsonl:1:") && stderr(&out).contains("没有读到任何可用的对话"),
        "{}",
        stderr(&out)
    );

    // A missing file beside a good one: the good one is mined, exit 0, the missing one named.
    let out = bin()
        .args(["mine", "nope.csv", "tests/fixtures/mining/export.csv", "--quiet", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("nope.csv"), "{}", stderr(&out));
    assert!(stdout(&out).contains("3 段对话"), "{}", stdout(&out));
}

#[test]
fn the_report_counts_what_the_fixtures_hold() {
    let dir = tempfile::tempdir().unwrap();
    let out = mine_into(&all_fixtures(), dir.path(), 3);
    let r = &out.report;
    assert_eq!(r.inputs.len(), 7);
    let by_path: BTreeMap<String, &peilian::mining::report::InputReport> =
        r.inputs.iter().map(|i| (Path::new(&i.path).file_name().unwrap().to_string_lossy().into_owned(), i)).collect();
    assert_eq!(by_path["small.jsonl"].dialogues, 35);
    assert_eq!(by_path["gbk.jsonl"].encoding, "GB18030/GBK（已转换）");
    assert!(by_path["bom_crlf.jsonl"].encoding.contains("BOM"));
    assert!(by_path["small.jsonl.gz"].gzip);
    assert_eq!(by_path["export.csv"].dialogues, 3);
    assert_eq!(r.totals.dialogues, 35 + 5 + 3 + 3 + 4 + 4 + 3);
    assert_eq!(r.totals.empty_turns, 2, "the empty agent turn of EM001 and of C002");
    let angry = r.personas.iter().find(|p| p.key == "angry").unwrap();
    assert!(angry.count >= 10, "{:?}", r.personas);
    assert!(r.rates.supervisor_demand > 0.0 && r.rates.complaint > 0.0);
    assert!(r.emotion_curves.iter().any(|c| c.name == "愤怒客户"));
    assert!(r.topics.iter().any(|t| t.word == "宽带" || t.keywords.iter().any(|k| k == "宽带")), "{:?}", r.topics);
    assert!(r.redactions.iter().any(|c| c.key == "mobile" && c.count >= 3));
}
