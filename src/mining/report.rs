//! The corpus report: counts, persona mix, complaint and escalation rates, top topics, emotion
//! curves, families and drafts, calibration, redactions and bad lines; as JSON and as one
//! self-contained HTML page with SVG charts, in the shell and charts of `crate::html` that the
//! coaching reports use too.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use std::path::PathBuf;

use crate::diagnostic::display_path;
use crate::html::charts::{self, Axis, Line, LineChart, NEUTRAL, Point, RGBColor, count_bars_svg};
use crate::html::{esc, page};
use crate::mining::analyze::Persona;
use crate::mining::calibrate::Calibration;
use crate::mining::corpus::Corpus;
use crate::mining::drafting::Drafted;
use crate::mining::family::{CURVE_LEN, FamilyTable, Topics};
use crate::mining::input::{self, InputInfo};
use crate::mining::redact::PiiKind;
use crate::mining::round3;
use crate::mining::vocab::Vocab;

/// One input file.
#[derive(Debug, Clone, Serialize)]
pub struct InputReport {
    pub path: String,
    pub format: String,
    pub gzip: bool,
    pub bytes: u64,
    pub lines: u64,
    pub dialogues: u64,
    pub bad_lines: u64,
    pub encoding: String,
    /// Set when the encoding of lines that are not UTF-8 was a guess: which was used, how to
    /// force the other.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding_note: Option<String>,
    /// Set when the file could not be opened or read to the end.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub dialogues: u64,
    pub turns: u64,
    pub customer_turns: u64,
    pub agent_turns: u64,
    pub empty_turns: u64,
    pub truncated_turns: u64,
    pub bad_lines: u64,
    /// Dialogues with an outcome label (satisfaction).
    pub labelled: u64,
    pub well_rated: u64,
    pub poorly_rated: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BadLineReport {
    pub path: String,
    pub line: u64,
    pub reason: String,
    pub hint: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Count {
    pub key: String,
    pub label: String,
    pub count: u64,
    pub share: f32,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Rates {
    /// Dialogues where the customer threatens or files a complaint.
    pub complaint: f32,
    /// Dialogues where the customer demands a supervisor or a human.
    pub supervisor_demand: f32,
    /// Dialogues where an agent hands the case on (转接, 相关部门 …).
    pub transfer: f32,
    /// Dialogues where an agent sends the customer to another channel (私信, 热线 …).
    pub channel_move: f32,
    /// Dialogues where the customer mentions a VIP status.
    pub vip_mention: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct CurvePoint {
    pub turn: usize,
    pub mean_anger: f32,
    pub dialogues: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Curve {
    pub name: String,
    pub points: Vec<CurvePoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Bin {
    pub from: f32,
    pub to: f32,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Satisfaction {
    pub mean: f32,
    pub histogram: Vec<Bin>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TopicReport {
    pub word: String,
    pub dialogues: u64,
    /// Dialogues that ranked the word among their top three customer keywords.
    pub leads: u64,
    pub personas: BTreeMap<String, u64>,
    pub keywords: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FamilyReport {
    pub id: String,
    pub topic: String,
    pub persona: String,
    pub dialogues: u64,
    pub well_rated: u64,
    pub poorly_rated: u64,
    pub mean_satisfaction: Option<f32>,
    pub complaint_rate: f32,
    pub demand_rate: f32,
    pub transfer_rate: f32,
    pub mean_first_anger: f32,
    /// The draft file written for it, or why none was.
    pub draft: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DraftReport {
    pub id: String,
    pub file: String,
    pub title: String,
    pub turns: usize,
    pub provenance: usize,
    /// (turn, "good"/"bad", score at mining time)
    pub samples: Vec<(String, String, f32)>,
    /// The draft's own tests (`peilian test`: its samples and model answers) and how many
    /// failed.
    pub tests: usize,
    pub failed_tests: usize,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub inputs: Vec<InputReport>,
    pub totals: Totals,
    pub bad_line_samples: Vec<BadLineReport>,
    pub redactions: Vec<Count>,
    pub personas: Vec<Count>,
    pub rates: Rates,
    /// `transfer_positions[i]`: dialogues whose first transfer was at agent answer i + 1.
    pub transfer_positions: Vec<u64>,
    /// `demand_positions[i]`: dialogues whose first supervisor demand was at customer turn i + 1.
    pub demand_positions: Vec<u64>,
    pub satisfaction: Option<Satisfaction>,
    pub emotion_curves: Vec<Curve>,
    pub topics: Vec<TopicReport>,
    pub families: Vec<FamilyReport>,
    pub drafts: Vec<DraftReport>,
    pub calibration: Calibration,
}

/// A fixed colour per known curve (well rated green, poorly rated and angry red), else by order.
fn color_for(name: &str, i: usize) -> RGBColor {
    match name {
        n if n.starts_with("好评") => charts::GOOD,
        n if n.starts_with("差评") || n.starts_with("愤怒") => charts::POOR,
        n if n.starts_with("普通") => charts::SLATE,
        n if n.starts_with("VIP") => charts::VIOLET,
        n if n.starts_with("焦虑") => charts::FAIR,
        n if n.starts_with("老年") => charts::TEAL,
        _ => charts::SERIES[i % charts::SERIES.len()],
    }
}

/// Lines of mean anger per customer turn, one per curve, with a legend.
pub fn curves_svg(title: &str, curves: &[Curve], width: u32, height: u32) -> String {
    let max_turn = curves.iter().flat_map(|c| c.points.iter().map(|p| p.turn)).max().unwrap_or(2).max(2);
    charts::line_chart(&LineChart {
        title,
        width,
        height,
        x: Axis {
            desc: "客户第几句",
            range: 1.0..max_turn as f64,
            labels: max_turn,
            area: 30,
            format: &|x| format!("{x:.0}"),
        },
        y: Axis { desc: "平均愤怒", range: 0.0..1.0, labels: 6, area: 40, format: &|y| format!("{y:.1}") },
        guide: None,
        lines: curves
            .iter()
            .enumerate()
            .map(|(i, c)| Line {
                label: Some(&c.name),
                color: color_for(&c.name, i),
                points: c.points.iter().map(|p| Point { x: p.turn as f64, y: p.mean_anger, flagged: false }).collect(),
            })
            .collect(),
        legend: true,
    })
}

fn pct(x: f32) -> String {
    format!("{:.1}%", x * 100.0)
}

impl Report {
    /// The report of a run from what its stages gathered.
    pub(crate) fn assemble(
        infos: &[InputInfo],
        unreadable: &[(PathBuf, String)],
        corpus: &Corpus,
        topics: &Topics,
        table: &FamilyTable,
        drafted: Drafted,
        calibration: Calibration,
    ) -> Report {
        let n = corpus.dialogues();
        let inputs: Vec<InputReport> = infos
            .iter()
            .zip(&corpus.file_stats)
            .zip(&corpus.dialogues_per_file)
            .map(|((info, st), &d)| InputReport {
                path: display_path(&info.path).to_string(),
                format: match info.format {
                    input::Format::Jsonl => "JSON Lines".into(),
                    input::Format::Csv => "CSV".into(),
                },
                gzip: info.gzip,
                bytes: info.bytes,
                lines: st.lines,
                dialogues: d,
                bad_lines: st.bad_lines + (st.records - d.min(st.records)),
                encoding: st.encoding.describe(),
                encoding_note: st.encoding.note(),
                error: st.error.clone(),
            })
            .chain(unreadable.iter().map(|(p, e)| InputReport {
                path: display_path(p).to_string(),
                format: "—".into(),
                gzip: false,
                bytes: 0,
                lines: 0,
                dialogues: 0,
                bad_lines: 0,
                encoding: "—".into(),
                encoding_note: None,
                error: Some(e.clone()),
            }))
            .collect();
        let share = |k: u64| if n == 0 { 0.0 } else { k as f32 / n as f32 };
        let personas = Persona::ALL
            .iter()
            .map(|p| {
                let c = corpus.stats.personas.get(p).copied().unwrap_or(0);
                Count { key: p.key().into(), label: p.label().into(), count: c, share: share(c) }
            })
            .collect();
        let redactions = PiiKind::ALL
            .iter()
            .filter(|k| corpus.stats.redactions.get(**k) > 0)
            .map(|k| {
                let c = corpus.stats.redactions.get(*k);
                Count { key: k.key().into(), label: k.label().into(), count: c, share: 0.0 }
            })
            .collect();
        let mut emotion_curves: Vec<Curve> = Vec::new();
        // Well and poorly rated first, then the personas in their fixed order.
        for k in [5usize, 6, 1, 2, 3, 4, 0] {
            let (sum, cnt) = &corpus.stats.curves[k];
            let label = match k {
                5 => "好评对话".to_string(),
                6 => "差评对话".to_string(),
                p => format!("{}客户", Persona::from_u8(p as u8).label()),
            };
            let points: Vec<CurvePoint> = (0..CURVE_LEN)
                .filter(|&i| cnt[i] >= 5)
                .map(|i| CurvePoint {
                    turn: i + 1,
                    mean_anger: round3((sum[i] / cnt[i] as f64) as f32),
                    dialogues: cnt[i],
                })
                .collect();
            if !points.is_empty() {
                emotion_curves.push(Curve { name: label, points });
            }
        }
        let satisfaction = (corpus.stats.totals.labelled > 0).then(|| Satisfaction {
            mean: round3((corpus.stats.satisfaction_sum / corpus.stats.totals.labelled as f64) as f32),
            histogram: (0..8)
                .map(|i| Bin {
                    from: -2.0 + 0.5 * i as f32,
                    to: -1.5 + 0.5 * i as f32,
                    count: corpus.stats.satisfaction_bins[i],
                })
                .collect(),
        });
        let topic_reports = (0..topics.len())
            .map(|t| {
                let mut words: Vec<(u32, u32)> = table.topic_words[t].iter().map(|(&w, &c)| (w, c)).collect();
                let seed = topics.seeds[t];
                let tn = table.topic_dialogues[t].max(1);
                let score =
                    |w: u32, c: u32| f64::from(c) / tn as f64 * Vocab::idf(corpus.vocab.df_customer[w as usize], n);
                words.sort_by(|a, b| score(b.0, b.1).total_cmp(&score(a.0, a.1)).then(a.0.cmp(&b.0)));
                TopicReport {
                    word: corpus.vocab.word(seed).to_string(),
                    dialogues: table.topic_dialogues[t],
                    leads: topics.leads[t],
                    personas: Persona::ALL
                        .iter()
                        .filter(|p| table.topic_personas[t][usize::from(p.as_u8())] > 0)
                        .map(|p| (p.label().to_string(), table.topic_personas[t][usize::from(p.as_u8())]))
                        .collect(),
                    keywords: words
                        .iter()
                        .filter(|w| w.0 != seed && w.1 >= 2)
                        .take(6)
                        .map(|w| corpus.vocab.word(w.0).to_string())
                        .collect(),
                }
            })
            .collect::<Vec<_>>();
        let mut topic_reports = topic_reports;
        topic_reports.sort_by(|a, b| b.dialogues.cmp(&a.dialogues).then(a.word.cmp(&b.word)));
        Report {
            inputs,
            totals: corpus.stats.totals.clone(),
            bad_line_samples: corpus
                .bad_lines
                .iter()
                .take(200)
                .map(|(p, b)| BadLineReport {
                    path: display_path(p).to_string(),
                    line: b.line,
                    reason: b.reason.clone(),
                    hint: b.hint.clone(),
                })
                .collect(),
            redactions,
            personas,
            rates: Rates {
                complaint: round3(share(corpus.stats.complaints)),
                supervisor_demand: round3(share(corpus.stats.demands)),
                transfer: round3(share(corpus.stats.transfers)),
                channel_move: round3(share(corpus.stats.channel_moves)),
                vip_mention: round3(share(corpus.stats.vip)),
            },
            transfer_positions: corpus.stats.transfer_at.clone(),
            demand_positions: corpus.stats.demand_at.clone(),
            satisfaction,
            emotion_curves,
            topics: topic_reports,
            families: drafted.families,
            drafts: drafted.drafts,
            calibration,
        }
    }
}

impl Report {
    /// The self-contained HTML page.
    pub fn to_html(&self) -> String {
        let mut b = String::new();
        let t = &self.totals;
        let redacted: u64 = self.redactions.iter().map(|c| c.count).sum();
        let _ = write!(
            b,
            "<section id=\"overview\"><h2>概览</h2><div class=\"cards\">\
             <div class=\"card\"><b>{}</b><span>对话（{} 个轮次）</span></div>\
             <div class=\"card\"><b>{}</b><span>有问题的行（已跳过）</span></div>\
             <div class=\"card\"><b>{}</b><span>去除的个人信息</span></div>\
             <div class=\"card\"><b>{}</b><span>投诉率</span></div>\
             <div class=\"card\"><b>{}</b><span>要求找领导/转人工</span></div>\
             <div class=\"card\"><b>{}</b><span>坐席转交</span></div>\
             <div class=\"card\"><b>{}</b><span>场景草稿（{} 份通过自测）</span></div></div>",
            t.dialogues,
            t.turns,
            t.bad_lines,
            redacted,
            pct(self.rates.complaint),
            pct(self.rates.supervisor_demand),
            pct(self.rates.transfer),
            self.drafts.len(),
            self.drafts.iter().filter(|d| d.failed_tests == 0).count()
        );
        let _ = write!(
            b,
            "<p class=\"note\">空轮次 {}，超长被截断的轮次 {}；有满意度标签的对话 {}（好评 {}，差评 {}）。\
             引导客户改用私信/热线/营业厅的对话占 {}，提到 VIP/会员身份的占 {}。</p></section>",
            t.empty_turns,
            t.truncated_turns,
            t.labelled,
            t.well_rated,
            t.poorly_rated,
            pct(self.rates.channel_move),
            pct(self.rates.vip_mention)
        );

        b.push_str("<section id=\"inputs\"><h2>输入文件</h2><table><tr><th>文件</th><th>格式</th><th>编码</th><th class=\"num\">行</th><th class=\"num\">对话</th><th class=\"num\">有问题的行</th><th>说明</th></tr>");
        for i in &self.inputs {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                esc(&i.path),
                esc(&i.format),
                if i.gzip { " (gzip)" } else { "" },
                esc(&i.encoding),
                i.lines,
                i.dialogues,
                i.bad_lines,
                i.error.as_deref().map_or_else(String::new, |e| format!("<span class=\"fail\">{}</span>", esc(e)))
            );
        }
        b.push_str("</table></section>");

        let persona_bars: Vec<(String, f32)> =
            self.personas.iter().map(|p| (format!("{}（{}）", p.label, pct(p.share)), p.count as f32)).collect();
        let (by_rating, by_persona): (Vec<Curve>, Vec<Curve>) =
            self.emotion_curves.iter().cloned().partition(|c| c.name.ends_with("对话"));
        let _ = write!(
            b,
            "<section id=\"personas\"><h2>客户类型与情绪</h2><div class=\"charts\">{}{}{}</div>\
             <p class=\"note\">愤怒分（0–1）来自核心的语气分析：scenarios/lexicons/anger.ron 的愤怒词（投诉、流氓、乱收费……）与连续感叹号。曲线是客户第 1、2、3……句话的平均愤怒分（至少 5 段对话的点）。</p></section>",
            count_bars_svg("客户类型（对话数）", &persona_bars, "段", NEUTRAL, 440),
            curves_svg("各类客户的情绪曲线", &by_persona, 560, 320),
            curves_svg("好评与差评对话的情绪曲线", &by_rating, 560, 320)
        );

        let topic_bars: Vec<(String, f32)> =
            self.topics.iter().take(15).map(|t| (t.word.clone(), t.dialogues as f32)).collect();
        let _ = write!(
            b,
            "<section id=\"topics\"><h2>热门主题</h2><div class=\"charts\">{}</div>",
            count_bars_svg("各主题对话数（前 15）", &topic_bars, "段", NEUTRAL, 640)
        );
        b.push_str("<table><tr><th>主题</th><th class=\"num\">对话</th><th>客户类型</th><th>相关词</th></tr>");
        for tp in self.topics.iter().take(25) {
            let mix: Vec<String> = tp.personas.iter().map(|(k, n)| format!("{k} {n}")).collect();
            let _ = write!(
                b,
                "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                esc(&tp.word),
                tp.dialogues,
                esc(&mix.join("，")),
                esc(&tp.keywords.join("、"))
            );
        }
        b.push_str("</table><p class=\"note\">主题来自语料本身：客户话语按 TF-IDF（文档频率在本语料上统计）排序，最常排在前三的名词/动词成为主题词，每段对话归入它得分最高的主题词。</p></section>");

        let transfer_bars: Vec<(String, f32)> = self
            .transfer_positions
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("第 {} 次回复", i + 1), *n as f32))
            .collect();
        let mut charts = count_bars_svg("首次转交出现在坐席第几次回复", &transfer_bars, "段", NEUTRAL, 460);
        if let Some(s) = &self.satisfaction {
            let bars: Vec<(String, f32)> =
                s.histogram.iter().map(|h| (format!("{:+.1} 至 {:+.1}", h.from, h.to), h.count as f32)).collect();
            charts.push_str(&count_bars_svg(&format!("满意度分布（平均 {:+.2}）", s.mean), &bars, "段", NEUTRAL, 460));
        }
        let _ = write!(
            b,
            "<section id=\"transfers\"><h2>转交与满意度</h2><div class=\"charts\">{charts}</div>\
             <p class=\"note\">转交：坐席把问题交给其他人或部门（转接、转交、专员、相关部门、上报、工程师……）。只引导客户改用私信、热线或营业厅不算转交，单独统计。</p></section>"
        );

        b.push_str("<section id=\"families\"><h2>案例家族与场景草稿</h2><table><tr><th>家族</th><th>主题</th><th>客户</th><th class=\"num\">对话</th><th class=\"num\">好评/差评</th><th class=\"num\">满意度</th><th class=\"num\">投诉</th><th class=\"num\">找领导</th><th class=\"num\">转交</th><th>草稿</th></tr>");
        for f in &self.families {
            let draft = match (&f.draft, &f.note) {
                (Some(file), _) => match self.drafts.iter().find(|d| &d.file == file) {
                    Some(d) if d.failed_tests > 0 => format!(
                        "<span class=\"fail\">{}（自测 {} 项中 {} 项未过）</span>",
                        esc(file),
                        d.tests,
                        d.failed_tests
                    ),
                    Some(d) => format!("<span class=\"pass\">{}（自测 {} 项全过）</span>", esc(file), d.tests),
                    None => format!("<span class=\"pass\">{}</span>", esc(file)),
                },
                (None, Some(n)) => format!("<span class=\"muted\">{}</span>", esc(n)),
                (None, None) => String::new(),
            };
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}/{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                esc(&f.id),
                esc(&f.topic),
                esc(&f.persona),
                f.dialogues,
                f.well_rated,
                f.poorly_rated,
                f.mean_satisfaction.map_or_else(|| "—".into(), |s| format!("{s:+.2}")),
                pct(f.complaint_rate),
                pct(f.demand_rate),
                pct(f.transfer_rate),
                draft
            );
        }
        b.push_str("</table></section>");

        let c = &self.calibration;
        let _ = write!(
            b,
            "<section id=\"calibration\"><h2>模拟客户校准</h2><p class=\"note\">{} 段对话、{} 个“客户—坐席—客户”步。客户不满时，坐席没有共情的回答之后，下一句更激烈的比例 {}（要求找领导 {}）；有共情时 {}（要求找领导 {}）。</p>\
             <table><tr><th>字段</th><th class=\"num\">取值</th><th>来源</th><th>怎么算的</th></tr>",
            c.dialogues,
            c.steps,
            pct(c.escalation_rate_no_empathy),
            pct(c.demand_rate_no_empathy),
            pct(c.escalation_rate_empathy),
            pct(c.demand_rate_empathy)
        );
        for n in &c.notes {
            let _ = write!(
                b,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"tag\">{}</td><td>{}</td></tr>",
                n.field,
                crate::mining::calibrate::ron_float(n.value),
                if n.mined { "<span class=\"pass\">挖掘</span>" } else { "<span class=\"muted\">默认</span>" },
                esc(&n.how)
            );
        }
        b.push_str("</table></section>");

        b.push_str(
            "<section id=\"redaction\"><h2>去除的个人信息</h2><table><tr><th>类型</th><th>占位符</th><th class=\"num\">次数</th></tr>",
        );
        for r in &self.redactions {
            let placeholder =
                crate::mining::redact::PiiKind::ALL.iter().find(|k| k.key() == r.key).map_or("", |k| k.placeholder());
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
                esc(&r.label),
                esc(placeholder),
                r.count
            );
        }
        b.push_str("</table><p class=\"note\">价格、日期、时间和型号保留原样。</p></section>");

        b.push_str("<section id=\"bad-lines\"><h2>有问题的行</h2>");
        if self.bad_line_samples.is_empty() {
            b.push_str("<p class=\"pass\">没有。</p>");
        } else {
            b.push_str("<table><tr><th>文件</th><th class=\"num\">行</th><th>问题</th><th>怎么办</th></tr>");
            for l in self.bad_line_samples.iter().take(100) {
                let _ = write!(
                    b,
                    "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&l.path),
                    l.line,
                    esc(&l.reason),
                    esc(&l.hint)
                );
            }
            b.push_str("</table>");
            if t.bad_lines as usize > self.bad_line_samples.len().min(100) {
                let _ = write!(
                    b,
                    "<p class=\"note\">共 {} 行，只列出前 {} 行；JSON 报告里有前 {} 行。</p>",
                    t.bad_lines,
                    self.bad_line_samples.len().min(100),
                    self.bad_line_samples.len()
                );
            }
        }
        b.push_str("</section>");

        page("历史对话挖掘报告", &format!("{} 个文件 · {} 段对话 · 个人信息已去除", self.inputs.len(), t.dialogues), &b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(name: &str, angers: &[f32]) -> Curve {
        let points =
            angers.iter().enumerate().map(|(i, &a)| CurvePoint { turn: i + 1, mean_anger: a, dialogues: 5 }).collect();
        Curve { name: name.into(), points }
    }

    #[test]
    fn known_curves_keep_their_colour_and_others_take_the_next_in_the_series() {
        assert_eq!(color_for("好评对话", 7), charts::GOOD);
        assert_eq!(color_for("差评对话", 0), charts::POOR);
        assert_eq!(color_for("愤怒客户", 3), charts::POOR);
        assert_eq!(color_for("VIP客户", 0), charts::VIOLET);
        assert_eq!(color_for("别的", 1), charts::NEUTRAL);
        assert_eq!(color_for("别的", 9), charts::NEUTRAL, "the series repeats");
    }

    #[test]
    fn the_emotion_curves_have_a_dot_per_point_and_a_legend_entry_per_curve() {
        let svg =
            curves_svg("情绪曲线", &[curve("好评对话", &[0.1, 0.2, 0.1]), curve("愤怒客户", &[0.9, 1.0])], 560, 320);
        assert_eq!(svg.split("<circle").filter(|c| c.contains("fill=\"#2F855A\"")).count(), 3);
        assert_eq!(svg.split("<circle").filter(|c| c.contains("fill=\"#C53030\"")).count(), 2);
        for text in ["情绪曲线", "客户第几句", "平均愤怒", "好评对话", "愤怒客户", "3"] {
            assert!(svg.contains(&format!(">\n{text}\n</text>")), "{text}");
        }
        let empty = curves_svg("没有曲线", &[], 560, 320);
        assert!(empty.starts_with("<svg") && empty.contains(">\n没有曲线\n</text>") && !empty.contains("<circle"));
    }
}
