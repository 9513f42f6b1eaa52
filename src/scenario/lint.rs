//! Semantic checks of a parsed scenario: what the schema alone cannot catch, each finding with
//! its position in the file and a hint.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{Diagnostic, Pos, SourceText, display_path};
use crate::lexicon::LexiconSet;
use crate::scenario::compiled::{CompiledScenario, pattern_regex};
use crate::scenario::schema::{Condition, EndingKind, EscalationPolicy, Line, Scenario, ToneGoal, Trigger};
use crate::scoring::turn::{AnswerContext, score_answer};
use crate::text::analyzer::Analyzer;

/// Audio formats the app can play.
pub const AUDIO_EXTENSIONS: [&str; 4] = ["ogg", "wav", "mp3", "flac"];

/// Checks a scenario. `assets` is the project's `assets/` directory, when known, for voice clips.
pub fn check(s: &Scenario, src: &SourceText, lexicons: &LexiconSet, assets: Option<&Path>) -> Vec<Diagnostic> {
    let mut l = Linter { s, src, out: Vec::new() };
    l.header();
    l.persona();
    l.concepts(lexicons);
    l.turns_and_endings();
    l.graph();
    l.escalation();
    l.voices(assets);
    l.rubric();
    l.samples();
    l.facts_and_reactions();
    l.out.extend(crate::text::glyphs::check(src));
    l.out
}

/// A scenario id: lower-case ASCII letters, digits and `-`, not starting with `-` (it names
/// folders, e.g. `assets/voice/<id>/`).
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
}

struct Linter<'a> {
    s: &'a Scenario,
    src: &'a SourceText,
    out: Vec<Diagnostic>,
}

impl Linter<'_> {
    fn error(&mut self, pos: Pos, code: &'static str, message: impl Into<String>, hint: impl Into<String>) {
        self.out.push(Diagnostic::error(&self.src.path, pos, code, message, hint));
    }

    fn warning(&mut self, pos: Pos, code: &'static str, message: impl Into<String>, hint: impl Into<String>) {
        self.out.push(Diagnostic::warning(&self.src.path, pos, code, message, hint));
    }

    fn header(&mut self) {
        let s = self.s;
        if !valid_id(&s.id) {
            self.error(
                self.src.locate("id", &s.id),
                "bad-id",
                format!("场景 id “{}” 不合规", s.id),
                "id 只用小写英文字母、数字和 -，例如 \"angry-late-delivery\"",
            );
        }
        if s.title.trim().is_empty() {
            self.error(self.src.locate_key("title"), "empty", "标题为空", "写一个学员一看就懂的标题");
        }
        if s.version == 0 {
            self.error(
                self.src.locate_key("version"),
                "bad-value",
                "version 必须从 1 开始",
                "改为 version: 1；每次修改剧本或评分时加 1",
            );
        }
        if !(1..=5).contains(&s.difficulty) {
            self.error(
                self.src.locate_key("difficulty"),
                "bad-value",
                format!("难度 {} 不在 1–5 之间", s.difficulty),
                "1 最容易，5 最难",
            );
        }
        if s.skills.is_empty() {
            self.error(
                self.src.locate_key("skills"),
                "empty",
                "没有写训练的技能",
                "例如 skills: [Empathy, Escalation]",
            );
        }
        if s.provenance.is_empty() && !s.draft {
            self.warning(
                self.src.locate_key("id"),
                "no-provenance",
                "没有写出处（provenance）",
                "列出改编自的历史案例 id，方便追溯",
            );
        }
    }

    fn persona(&mut self) {
        let p = &self.s.persona;
        let src = self.src;
        let pos = |key| src.locate_key_after("persona", key);
        if p.mood > 100 {
            self.error(
                pos("mood"),
                "bad-value",
                format!("初始情绪 {} 超过 100", p.mood),
                "情绪从 0（平静）到 100（挂断）",
            );
        }
        if p.patience_secs == 0 {
            self.error(pos("patience_secs"), "bad-value", "耐心秒数为 0", "写客户愿意等待回答的秒数，例如 60");
        } else if p.patience_secs < crate::session::MIN_PATIENCE_SECS {
            self.warning(
                pos("patience_secs"),
                "patience-too-short",
                format!(
                    "耐心 {} 秒比用拼音输入法打一句 40 字回答的时间（约 {} 秒）还短；练习时按 {} 秒计",
                    p.patience_secs,
                    crate::session::MIN_PATIENCE_SECS,
                    crate::session::MIN_PATIENCE_SECS
                ),
                format!("把 patience_secs 改为至少 {}（见 docs/typing-time.md）", crate::session::MIN_PATIENCE_SECS),
            );
        }
        if !(p.sensitivity > 0.0 && p.sensitivity <= 5.0) {
            self.error(
                pos("sensitivity"),
                "bad-value",
                format!("敏感度 {} 不在 (0, 5] 之间", p.sensitivity),
                "1.0 是一般客户，2.0 加倍敏感",
            );
        }
        if p.demands_supervisor_at > 100 {
            self.error(pos("demands_supervisor_at"), "bad-value", "要求找领导的情绪阈值超过 100", "写 0–100 之间的数");
        }
        if p.name.trim().is_empty() || p.title.trim().is_empty() {
            self.error(
                pos("persona"),
                "empty",
                "客户的 name 或 title 为空",
                "例如 name: \"王建国\", title: \"王先生\"",
            );
        }
        let wants_title = matches!(p.kind, crate::scenario::schema::PersonaKind::Vip)
            || self.s.tone_goals.contains(&ToneGoal::VipAddress)
            || self.s.turns.iter().any(|t| t.expect.tone.contains(&ToneGoal::VipAddress));
        if wants_title && p.title.chars().count() < 2 {
            self.error(pos("title"), "bad-value", "尊称目标需要客户的称谓", "title 写成“王总”“李女士”这样的称谓");
        }
        if let Some(history) = &self.s.bot_history {
            if history.lines.is_empty() {
                self.warning(
                    self.src.locate_key("bot_history"),
                    "empty",
                    "机器人历史没有对话",
                    "写出客户与机器人的对话，学员接听前能看到",
                );
            }
            for fact in &history.known_facts {
                if fact.keywords.iter().all(|k| k.trim().is_empty()) {
                    self.error(
                        self.src.locate("label", &fact.label),
                        "empty",
                        format!("已知信息“{}”没有关键词", fact.label),
                        "keywords 写出提到这项信息的词，例如 [\"订单号\", \"单号\"]",
                    );
                }
            }
        }
    }

    fn concepts(&mut self, lexicons: &LexiconSet) {
        let groups: HashSet<&str> = lexicons.group_names().collect();
        let used: HashSet<String> = self.used_concepts().into_iter().map(str::to_string).collect();
        for (name, c) in &self.s.concepts {
            let at = self.src.locate_map_key(name);
            if c.label.trim().is_empty() {
                self.error(at, "empty", format!("概念“{name}”的 label 为空"), "label 是学员看到的名字，例如 \"道歉\"");
            }
            if c.phrases.iter().all(|p| p.trim().is_empty())
                && c.groups.is_empty()
                && c.patterns.is_empty()
                && c.acts.is_empty()
            {
                self.error(
                    at,
                    "empty",
                    format!("概念“{name}”没有任何短语、词组、正则或行为（acts）"),
                    "至少写一个 phrases、引用 groups，或写 acts（如 acts: [Apologize]）",
                );
            }
            if c.phrases.iter().any(|p| p.trim().is_empty()) {
                self.error(at, "empty", format!("概念“{name}”含空短语"), "删除空字符串");
            }
            for g in &c.groups {
                if !groups.contains(g.as_str()) {
                    let mut known: Vec<&str> = groups.iter().copied().collect();
                    known.sort_unstable();
                    self.error(
                        self.src.locate_within("", &name.to_string(), "groups", g),
                        "unknown-lexicon",
                        format!("概念“{name}”引用的同义词组“{g}”在词库中不存在"),
                        format!("可用的词组：{}；或在 scenarios/lexicons/ 中添加", known.join("、")),
                    );
                }
            }
            for p in &c.patterns {
                let compiled = crate::text::pattern::Pattern::compile(p, &lexicons.acts.classes);
                if let Err(e) = compiled.and_then(|pattern| pattern.check_compiles()) {
                    self.error(
                        self.src.locate("", p),
                        "bad-pattern",
                        format!("概念“{name}”的模式无效：{e}"),
                        "检查转义：RON 字符串里的反斜杠要写成 \\\\；{词类} 要在 acts.ron 的 classes 中定义",
                    );
                }
            }
            if !(c.weight.is_finite() && c.weight > 0.0) {
                self.error(
                    at,
                    "bad-weight",
                    format!("概念“{name}”的权重 {} 必须大于 0", c.weight),
                    "常用 1.0；更重要的要点写 2.0",
                );
            }
            if !used.contains(name) {
                self.warning(
                    at,
                    "unused",
                    format!("概念“{name}”没有被任何回合或分支用到"),
                    "在某个回合的 expect.required/optional 中引用它，或删除",
                );
            }
        }
    }

    fn used_concepts(&self) -> HashSet<&str> {
        let mut used = HashSet::new();
        for t in &self.s.turns {
            used.extend(t.expect.required.iter().map(String::as_str));
            used.extend(t.expect.optional.iter().map(String::as_str));
            for b in &t.next {
                collect_condition_concepts(&b.when, &mut used);
            }
        }
        for b in &self.s.escalation.on_transfer {
            collect_condition_concepts(&b.when, &mut used);
        }
        used.extend(self.s.escalation.before_transfer.iter().map(String::as_str));
        used
    }

    fn turns_and_endings(&mut self) {
        let s = self.s;
        if s.turns.is_empty() {
            self.error(self.src.locate_key("turns"), "empty", "剧本没有回合", "至少写一个回合：客户的第一句话");
        }
        if s.endings.is_empty() {
            self.error(
                self.src.locate_key("endings"),
                "empty",
                "没有结局",
                "至少写一个结局，例如 (id: \"resolved\", kind: Resolved)",
            );
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for id in s.turns.iter().map(|t| t.id.as_str()).chain(s.endings.iter().map(|e| e.id.as_str())) {
            let n = seen.entry(id).or_default();
            if *n == 1 {
                self.error(
                    self.src.locate_nth("id", id, 1),
                    "duplicate-id",
                    format!("id “{id}” 重复"),
                    "回合和结局的 id 必须各不相同",
                );
            }
            *n += 1;
            if id.trim().is_empty() {
                self.error(self.src.locate_key("id"), "empty", "有回合或结局的 id 为空", "写一个简短的英文 id");
            }
        }
        for t in &s.turns {
            let at = self.src.locate("id", &t.id);
            if t.customer.is_empty() {
                self.error(at, "empty", format!("回合“{}”没有客户台词", t.id), "customer 至少写一个 (text: \"…\")");
            }
            if t.customer.iter().any(|l| l.text.trim().is_empty()) {
                self.error(at, "empty", format!("回合“{}”有空台词", t.id), "删除空的台词或补上内容");
            }
            for name in t.expect.required.iter().chain(&t.expect.optional) {
                if !s.concepts.contains_key(name) {
                    self.error(
                        self.src.locate_within("id", &t.id, "", name),
                        "unknown-concept",
                        format!("回合“{}”引用了未定义的概念“{name}”", t.id),
                        format!("在 concepts 中定义它；已定义：{}", concept_list(s)),
                    );
                }
            }
            if t.expect.forbidden.iter().any(|p| p.trim().is_empty()) {
                self.error(at, "empty", format!("回合“{}”的 forbidden 含空短语", t.id), "删除空字符串");
            }
            if t.expect.model_answer.trim().is_empty() {
                self.warning(
                    at,
                    "no-model-answer",
                    format!("回合“{}”没有示范回答", t.id),
                    "写一个 model_answer，成绩单上给学员参考",
                );
            }
            let anchor = self.src.offset_of("id", &t.id, 0);
            for b in &t.next {
                self.condition(&b.when, &t.id);
                self.never_holds(&b.when, &t.id, true, anchor);
            }
        }
        let anchor = self.src.text.find("on_transfer");
        for b in &s.escalation.on_transfer {
            self.condition(&b.when, "on_transfer");
            self.never_holds(&b.when, "on_transfer", false, anchor);
        }
        if s.forbidden.iter().any(|p| p.trim().is_empty()) {
            self.error(self.src.locate_key("forbidden"), "empty", "forbidden 含空短语", "删除空字符串");
        }
        for e in &s.endings {
            if e.customer.iter().any(|l| l.text.trim().is_empty()) {
                self.error(
                    self.src.locate("id", &e.id),
                    "empty",
                    format!("结局“{}”有空台词", e.id),
                    "删除空的台词或补上内容",
                );
            }
        }
    }

    fn condition(&mut self, c: &Condition, turn: &str) {
        match c {
            Condition::Hit(name) | Condition::Missed(name) if !self.s.concepts.contains_key(name) => {
                let key = if matches!(c, Condition::Hit(_)) { "Hit" } else { "Missed" };
                self.error(
                    self.src.locate(key, name),
                    "unknown-concept",
                    format!("“{turn}”的分支条件引用了未定义的概念“{name}”"),
                    format!("已定义的概念：{}", concept_list(self.s)),
                );
            }
            Condition::MoodAtLeast(m) | Condition::MoodBelow(m) if *m > 100 => {
                self.error(
                    self.src.locate_text(&format!("{m}")),
                    "bad-value",
                    format!("情绪条件 {m} 超过 100"),
                    "情绪从 0 到 100",
                );
            }
            Condition::All(cs) | Condition::Any(cs) => cs.iter().for_each(|c| self.condition(c, turn)),
            Condition::Not(c) => self.condition(c, turn),
            _ => {}
        }
    }

    /// Warns of the parts of a branch condition that can never hold (`MoodAtLeast(100)`: the
    /// customer hangs up at 100 before any branch is taken; `MoodBelow(0)`), each at its place
    /// after `anchor` (the turn's id, or `on_transfer`). `after_answer`: the condition is a
    /// turn's `next`, evaluated only after an answer that left the customer below 100.
    fn never_holds(&mut self, c: &Condition, owner: &str, after_answer: bool, anchor: Option<usize>) {
        let mut dead = Vec::new();
        // Mood 100 is possible when a branch is taken only on a transfer before any answer to a
        // customer who starts at 100.
        let can_be_100 = !after_answer && self.s.persona.mood >= 100;
        dead_parts(c, false, can_be_100, &mut dead);
        for (leaf, why) in dead {
            let from = anchor.unwrap_or(0);
            let pos = self.src.text.get(from..).and_then(|t| t.find(&leaf)).map_or_else(
                || anchor.map_or_else(|| self.src.locate_key("next"), |a| self.src.pos_of(a)),
                |at| self.src.pos_of(from + at),
            );
            self.warning(
                pos,
                "never-holds",
                format!("“{owner}”的分支条件 {leaf} 永远不成立：{why}"),
                "情绪条件写 1–99 之间的数，例如 MoodAtLeast(90)；客户情绪到 100 会直接挂断，要换挂断时的台词就写 kind: HungUp 的结局",
            );
        }
    }

    /// Branch targets, reachability, endings.
    fn graph(&mut self) {
        let s = self.s;
        if s.turns.is_empty() {
            return;
        }
        let index: HashMap<&str, Node> = s
            .turns
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.as_str(), Node::Turn(i)))
            .chain(s.endings.iter().enumerate().map(|(i, e)| (e.id.as_str(), Node::Ending(i))))
            .collect();
        let mut unknown = Vec::new();
        for t in &s.turns {
            for b in &t.next {
                if !index.contains_key(b.goto.as_str()) {
                    unknown.push((t.id.clone(), b.goto.clone()));
                }
            }
        }
        for b in &s.escalation.on_transfer {
            if !index.contains_key(b.goto.as_str()) {
                unknown.push(("on_transfer".to_string(), b.goto.clone()));
            }
        }
        let known: Vec<&str> = if unknown.is_empty() {
            Vec::new()
        } else {
            index.keys().copied().collect::<BTreeSet<_>>().into_iter().collect()
        };
        for (from, to) in &unknown {
            self.error(
                self.src.locate("goto", to),
                "unknown-target",
                format!("“{from}”的分支指向不存在的“{to}”"),
                format!("goto 必须是某个回合或结局的 id：{}", known.join("、")),
            );
        }

        let resolved = s.endings.iter().position(|e| e.kind == EndingKind::Resolved);
        let edges = |i: usize| -> Vec<Node> {
            let t = &s.turns[i];
            let mut out: Vec<Node> = t.next.iter().filter_map(|b| index.get(b.goto.as_str()).copied()).collect();
            let unconditional = t.next.iter().any(|b| b.when == Condition::Always);
            if !unconditional {
                if i + 1 < s.turns.len() {
                    out.push(Node::Turn(i + 1));
                } else {
                    out.push(resolved.map_or(Node::Nowhere, Node::Ending));
                }
            }
            out
        };
        // Transfers and hang-ups can happen from any turn.
        let anywhere: Vec<Node> =
            s.escalation.on_transfer.iter().filter_map(|b| index.get(b.goto.as_str()).copied()).collect();
        let mut reached = vec![false; s.turns.len()];
        let mut ending_reached = false;
        let mut queue = VecDeque::from([0usize]);
        reached[0] = true;
        while let Some(i) = queue.pop_front() {
            for n in edges(i).into_iter().chain(anywhere.iter().copied()) {
                match n {
                    Node::Turn(j) if !reached[j] => {
                        reached[j] = true;
                        queue.push_back(j);
                    }
                    Node::Ending(_) => ending_reached = true,
                    _ => {}
                }
            }
        }
        for (i, t) in s.turns.iter().enumerate() {
            if !reached[i] {
                self.warning(
                    self.src.locate("id", &t.id),
                    "unreachable",
                    format!("回合“{}”永远不会被走到", t.id),
                    "从其他回合的 next 指向它，或删除这个回合",
                );
            }
        }
        if !ending_reached {
            self.error(
                self.src.locate_key("turns"),
                "no-ending",
                "从第一个回合出发到不了任何结局",
                "给最后的回合加 next: [(when: Always, goto: \"某个结局\")]，或添加 kind: Resolved 的结局",
            );
        }
        if let Some(last) = s.turns.last() {
            let falls = !last.next.iter().any(|b| b.when == Condition::Always);
            if falls && resolved.is_none() {
                self.error(
                    self.src.locate("id", &last.id),
                    "no-ending",
                    format!("最后一个回合“{}”没有无条件分支，而剧本没有 Resolved 结局可落", last.id),
                    "加上 (when: Always, goto: \"结局 id\")",
                );
            }
        }
        // Every reachable turn must be able to reach an ending (no closed loops).
        let ends = can_end(&edges, &anywhere, s.turns.len());
        for (i, t) in s.turns.iter().enumerate() {
            if reached[i] && !ends[i] {
                self.error(
                    self.src.locate("id", &t.id),
                    "no-ending",
                    format!("从回合“{}”出发永远到不了结局（死循环）", t.id),
                    "给循环加一个带条件的出口，例如 (when: AnswersAtLeast(4), goto: \"unresolved\")",
                );
            }
        }
    }

    fn escalation(&mut self) {
        let s = self.s;
        let esc = &s.escalation;
        match &esc.policy {
            EscalationPolicy::Window { from, to } => {
                if *from == 0 || from > to {
                    self.error(
                        self.src.locate_text("Window"),
                        "bad-window",
                        format!("转接窗口 {from}–{to} 无效"),
                        "from 从 1 开始，且不大于 to，例如 Window(from: 2, to: 3)",
                    );
                } else if *from as usize > s.turns.len() * 2 {
                    self.warning(
                        self.src.locate_text("Window"),
                        "bad-window",
                        format!("转接窗口从第 {from} 回合开始，但剧本只有 {} 个回合", s.turns.len()),
                        "检查窗口是否写错",
                    );
                }
            }
            EscalationPolicy::OnTrigger { triggers, .. } => {
                if triggers.is_empty() {
                    self.error(
                        self.src.locate_text("OnTrigger"),
                        "bad-window",
                        "OnTrigger 没有列出触发条件",
                        "例如 triggers: [DemandsSupervisor, BeyondAuthority]",
                    );
                }
                for t in triggers {
                    match t {
                        Trigger::MoodAtLeast(m) if *m > 100 => {
                            self.error(
                                self.src.locate_text("MoodAtLeast"),
                                "bad-value",
                                format!("情绪阈值 {m} 超过 100"),
                                "情绪从 0 到 100",
                            );
                        }
                        Trigger::BeyondAuthority if !s.turns.iter().any(|t| t.beyond_authority) => {
                            self.error(
                                self.src.locate_text("BeyondAuthority"),
                                "never-fires",
                                "触发条件 BeyondAuthority 永远不会发生：没有回合标记 beyond_authority: true",
                                "在客户提出越权要求的回合写 beyond_authority: true",
                            );
                        }
                        _ => {}
                    }
                }
            }
            EscalationPolicy::SolveYourself | EscalationPolicy::Either => {}
        }
        for name in &esc.before_transfer {
            if !s.concepts.contains_key(name) {
                self.error(
                    self.src.locate("before_transfer", name),
                    "unknown-concept",
                    format!("转接前须完成的步骤引用了未定义的概念“{name}”"),
                    format!("before_transfer 写概念的名字；已定义：{}", concept_list(s)),
                );
            }
        }
        let needs_transfer = matches!(esc.policy, EscalationPolicy::Window { .. } | EscalationPolicy::OnTrigger { .. });
        if needs_transfer && esc.handoff_facts.is_empty() {
            self.warning(
                self.src.locate_key("escalation"),
                "no-handoff-facts",
                "需要转接，但没有写交接说明要包含的要点",
                "在 handoff_facts 中列出接手的人需要知道的事实",
            );
        }
        for f in &esc.handoff_facts {
            let at = self.src.locate("label", &f.label);
            if f.phrases.iter().all(|p| p.trim().is_empty()) && f.patterns.is_empty() {
                self.error(
                    at,
                    "empty",
                    format!("交接要点“{}”没有短语", f.label),
                    "phrases 写出交接说明里能代表这项事实的词",
                );
            }
            for p in &f.patterns {
                if let Err(e) = pattern_regex(p) {
                    self.error(
                        self.src.locate("", p),
                        "bad-pattern",
                        format!("交接要点“{}”的正则无效：{e}", f.label),
                        "检查转义：RON 字符串里的反斜杠要写成 \\\\",
                    );
                }
            }
        }
    }

    fn voices(&mut self, assets: Option<&Path>) {
        let s = self.s;
        let lines =
            s.turns.iter().flat_map(|t| t.customer.iter()).chain(s.endings.iter().flat_map(|e| e.customer.iter()));
        let voiced: Vec<&Line> = lines.filter(|l| l.voice.is_some()).collect();
        for line in voiced {
            let v = line.voice.as_deref().unwrap_or_default();
            let at = self.src.locate("voice", v);
            let p = Path::new(v);
            let escapes = p.is_absolute()
                || p.components()
                    .any(|c| matches!(c, Component::ParentDir | Component::RootDir | Component::Prefix(_)));
            if escapes || v.trim().is_empty() {
                self.error(
                    at,
                    "audio-outside-assets",
                    format!("语音路径“{v}”不在 assets/ 之内"),
                    "写相对于 assets/ 的路径，例如 \"voice/angry-delivery/open-1.ogg\"",
                );
                continue;
            }
            let ext_ok = p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
            if !ext_ok {
                self.error(
                    at,
                    "audio-format",
                    format!("语音“{v}”不是支持的格式"),
                    format!("支持：{}", AUDIO_EXTENSIONS.join("、")),
                );
            }
            match assets {
                // A symlink (of the clip or a folder on the way) may lead out of assets/.
                Some(dir) if !stays_inside(dir, p) => {
                    let real = real_path(&dir.join(p)).map_or_else(|| "（无法确定）".to_string(), |r| display_path(&r));
                    self.error(
                        at,
                        "audio-outside-assets",
                        format!("语音路径“{v}”经符号链接指向 assets/ 之外：{real}"),
                        "把录音文件本身放进 assets/（不要用指向别处的符号链接），再写相对于 assets/ 的路径",
                    );
                }
                Some(dir) if !dir.join(p).is_file() => {
                    let what = if dir.join(p).exists() { "不是普通文件" } else { "不存在" };
                    self.error(
                        at,
                        "audio-missing",
                        format!("语音文件 assets/{v} {what}"),
                        "运行 peilian voice 场景文件 生成缺少的语音，或改正路径",
                    );
                }
                None => self.warning(
                    at,
                    "audio-unchecked",
                    format!("找不到 assets/ 目录，无法检查语音“{v}”"),
                    "在项目目录中运行 lint",
                ),
                _ => {}
            }
        }
    }

    fn rubric(&mut self) {
        let r = &self.s.rubric;
        let w = &r.weights;
        let all = [w.concepts, w.tone, w.escalation, w.no_repeat, w.responsiveness];
        if all.iter().any(|x| !x.is_finite() || *x < 0.0) || all.iter().sum::<f32>() <= 0.0 {
            self.error(
                self.src.locate_key("weights"),
                "bad-weight",
                "评分权重必须非负且总和大于 0",
                "例如 weights: (concepts: 0.4, tone: 0.25, escalation: 0.15, no_repeat: 0.1, responsiveness: 0.1)",
            );
        }
        if !(0.0..=100.0).contains(&r.pass_mark) {
            self.error(
                self.src.locate_key("pass_mark"),
                "bad-value",
                format!("及格线 {} 不在 0–100 之间", r.pass_mark),
                "常用 70",
            );
        }
        if !(0.0..=100.0).contains(&r.red_line_cap) {
            self.error(
                self.src.locate_key("red_line_cap"),
                "bad-value",
                format!("红线封顶分 {} 不在 0–100 之间", r.red_line_cap),
                "常用 40",
            );
        }
    }

    /// Facts the customer tells when asked, the lines that tell them, reaction overrides and
    /// stage directions in anything the customer says.
    fn facts_and_reactions(&mut self) {
        let s = self.s;
        let mut seen = HashSet::new();
        for fact in &s.facts {
            let at = self.src.locate("id", &fact.id);
            if !seen.insert(fact.id.as_str()) {
                self.error(at, "duplicate-id", format!("信息 id“{}”重复", fact.id), "每项信息用不同的 id");
            }
            if fact.keywords.iter().all(|k| k.trim().is_empty()) {
                self.error(
                    at,
                    "empty",
                    format!("信息“{}”没有关键词，坐席怎么问都不算问到", fact.label),
                    "keywords 写出坐席提问时会用的词，例如 [\"订单号\", \"单号\"]",
                );
            }
            if fact.value.trim().is_empty() {
                self.error(
                    at,
                    "empty",
                    format!("信息“{}”的 value 为空", fact.label),
                    "写出客户会报的内容，例如 \"TH20261109\"",
                );
            }
        }
        let ids: HashSet<&str> = s.facts.iter().map(|f| f.id.as_str()).collect();
        for turn in &s.turns {
            for line in &turn.customer {
                for r in &line.reveals {
                    if !ids.contains(r.as_str()) {
                        self.error(
                            self.src.locate("reveals", r),
                            "unknown-fact",
                            format!("回合“{}”的台词说出了未定义的信息“{r}”", turn.id),
                            "在场景的 facts 里定义它，或改成已有的信息 id",
                        );
                    }
                }
                // A line that says a fact's value tells it: only once asked.
                for fact in &s.facts {
                    if !fact.value.trim().is_empty()
                        && line.text.contains(&fact.value)
                        && !line.reveals.contains(&fact.id)
                    {
                        self.warning(
                            self.src.locate_value(&line.text),
                            "unasked-fact",
                            format!("回合“{}”的台词说出了{}（{}），但没有写 reveals", turn.id, fact.label, fact.value),
                            format!("加上 reveals: [\"{}\"]：坐席问到之后客户才说这句", fact.id),
                        );
                    }
                }
            }
        }
        let mut spoken: Vec<&str> = Vec::new();
        spoken.extend(s.turns.iter().flat_map(|t| t.customer.iter().map(|l| l.text.as_str())));
        spoken.extend(s.endings.iter().flat_map(|e| e.customer.iter().map(|l| l.text.as_str())));
        spoken.extend(s.persona.supervisor_lines.iter().map(String::as_str));
        spoken.extend(s.persona.silence_lines.iter().map(String::as_str));
        spoken.extend(s.facts.iter().flat_map(|f| f.says.iter().map(String::as_str)));
        for text in spoken {
            if let Some(direction) = crate::scenario::stage_direction(text) {
                self.warning(
                    self.src.locate_value(text),
                    "stage-direction",
                    format!("客户的台词里有舞台说明“{direction}”：“{text}”"),
                    "客户说出口的话里不写（挂断）（报单号）这类说明：挂断用结局的 kind: HungUp，报出的信息用 reveals",
                );
            }
        }
        let overrides = std::iter::once(&s.reactions).chain(s.turns.iter().map(|t| &t.reactions));
        for lines in overrides {
            self.out.extend(crate::customer::reactions::check_lines(lines, self.src));
        }
    }

    fn samples(&mut self) {
        let s = self.s;
        let turns: HashSet<&str> = s.turns.iter().map(|t| t.id.as_str()).collect();
        for (i, sample) in s.samples.iter().enumerate() {
            let at = self.src.locate_nth("turn", &sample.turn, i);
            if !turns.contains(sample.turn.as_str()) {
                self.error(
                    at,
                    "unknown-target",
                    format!("样例回答指向不存在的回合“{}”", sample.turn),
                    "turn 写回合的 id",
                );
            }
            if sample.answer.trim().is_empty() {
                self.error(at, "empty", "样例回答为空", "写一段要测试的回答");
            }
            check_range(self, sample.score, at);
            if sample.mood.is_some_and(|m| m > 100) {
                self.error(at, "bad-value", "样例的情绪超过 100", "情绪从 0 到 100");
            }
        }
        for call in &s.sample_calls {
            let at = if call.name.is_empty() {
                self.src.locate_key("sample_calls")
            } else {
                self.src.locate("name", &call.name)
            };
            if call.answers.is_empty() {
                self.error(at, "empty", "样例通话没有回答", "answers 按顺序写学员的回答");
            }
            check_range(self, call.score, at);
        }
        if !s.draft && !s.sample_calls.is_empty() {
            let missing: Vec<&str> = crate::scenario::schema::TraineeKind::ALL
                .iter()
                .filter(|k| !s.sample_calls.iter().any(|c| c.kind == Some(**k)))
                .map(|k| k.label())
                .collect();
            if !missing.is_empty() {
                self.warning(
                    self.src.locate_key("sample_calls"),
                    "sample-call-kinds",
                    format!("样例通话缺少这几类学员：{}", missing.join("、")),
                    "为优秀、平庸、粗鲁、答非所问的学员各写一通样例通话（kind: Good / Mediocre / Rude / OffTopic），写明应得的结果",
                );
            }
        }
        if s.samples.is_empty() && s.sample_calls.is_empty() && !s.draft {
            self.warning(
                self.src.locate_key("id"),
                "no-samples",
                "没有样例回答，场景无法像代码一样测试",
                "加几条 samples：好回答的分数区间与差回答的分数区间",
            );
        }
    }
}

/// Whether `rel` below `assets` stays inside `assets` once every symlink on the way is
/// resolved (for a path that does not exist yet: its deepest existing folder, and where a
/// dangling link would lead). `rel` is relative, without `..` (checked before).
pub fn stays_inside(assets: &Path, rel: &Path) -> bool {
    match (real_path(assets), real_path(&assets.join(rel))) {
        (Some(root), Some(real)) => real.starts_with(root),
        _ => false,
    }
}

/// The absolute path `path` means with every symlink resolved, also when its last parts do not
/// exist (yet); `None` for a symlink loop or a path that cannot be resolved.
pub fn real_path(path: &Path) -> Option<PathBuf> {
    real_path_within(path, 0)
}

fn real_path_within(path: &Path, depth: usize) -> Option<PathBuf> {
    if depth > 40 {
        return None; // a symlink loop
    }
    if let Ok(real) = std::fs::canonicalize(path) {
        return Some(real);
    }
    // A dangling symlink: where it would lead.
    if let Ok(target) = std::fs::read_link(path) {
        let next = if target.is_absolute() { target } else { path.parent()?.join(target) };
        return real_path_within(&next, depth + 1);
    }
    // Not there yet: its folder's real path and its name.
    let name = path.file_name()?;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Some(real_path_within(parent, depth + 1)?.join(name))
}

fn check_range(l: &mut Linter<'_>, (lo, hi): (f32, f32), at: Pos) {
    if !(0.0..=100.0).contains(&lo) || !(0.0..=100.0).contains(&hi) || lo > hi {
        l.error(
            at,
            "bad-range",
            format!("分数区间 ({lo}, {hi}) 无效"),
            "写 (最低, 最高)，都在 0–100 之间，例如 (80, 100)",
        );
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Turn(usize),
    Ending(usize),
    Nowhere,
}

/// For every turn, whether an ending can be reached from it (following its branches and
/// fall-through; a transfer that ends the call makes every turn able to end). One pass
/// backwards from the turns that lead straight to an ending, so linear in the script's size.
fn can_end(edges: &dyn Fn(usize) -> Vec<Node>, anywhere: &[Node], n: usize) -> Vec<bool> {
    if anywhere.iter().any(|a| matches!(a, Node::Ending(_))) {
        return vec![true; n];
    }
    let mut ends = vec![false; n];
    let mut into: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut queue = VecDeque::new();
    for (i, end) in ends.iter_mut().enumerate() {
        for node in edges(i) {
            match node {
                Node::Ending(_) | Node::Nowhere if !*end => {
                    *end = true;
                    queue.push_back(i);
                }
                Node::Turn(j) => into[j].push(i),
                _ => {}
            }
        }
    }
    while let Some(j) = queue.pop_front() {
        for &i in &into[j] {
            if !ends[i] {
                ends[i] = true;
                queue.push_back(i);
            }
        }
    }
    ends
}

/// Whether a condition always (`Some(true)`) or never (`Some(false)`) holds when a branch is
/// taken, as far as the script alone tells. `can_be_100`: the mood may be 100 then.
fn constant(c: &Condition, can_be_100: bool) -> Option<bool> {
    match c {
        Condition::Always | Condition::AnswersAtLeast(0) | Condition::MoodAtLeast(0) => Some(true),
        Condition::MoodAtLeast(100) if !can_be_100 => Some(false),
        Condition::MoodBelow(0) => Some(false),
        Condition::MoodBelow(100) if !can_be_100 => Some(true),
        Condition::Not(c) => constant(c, can_be_100).map(|v| !v),
        Condition::All(cs) => {
            let vs: Vec<Option<bool>> = cs.iter().map(|c| constant(c, can_be_100)).collect();
            if vs.contains(&Some(false)) {
                Some(false)
            } else if vs.iter().all(|v| *v == Some(true)) {
                Some(true)
            } else {
                None
            }
        }
        Condition::Any(cs) => {
            let vs: Vec<Option<bool>> = cs.iter().map(|c| constant(c, can_be_100)).collect();
            if vs.contains(&Some(true)) {
                Some(true)
            } else if vs.iter().all(|v| *v == Some(false)) {
                Some(false)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The simplest parts of a condition that can never hold where they stand (`negated`: under an
/// odd number of `Not`), written as in the file, with why.
fn dead_parts(c: &Condition, negated: bool, can_be_100: bool, out: &mut Vec<(String, &'static str)>) {
    match c {
        Condition::All(cs) | Condition::Any(cs) => cs.iter().for_each(|c| dead_parts(c, negated, can_be_100, out)),
        Condition::Not(inner) => dead_parts(inner, !negated, can_be_100, out),
        leaf => {
            let Some(value) = constant(leaf, can_be_100) else {
                return;
            };
            if value != negated {
                return; // holds (or, negated, fails) always: not dead
            }
            let (text, why) = match leaf {
                Condition::MoodAtLeast(m) => {
                    (format!("MoodAtLeast({m})"), if *m == 0 { "情绪总是不低于 0" } else { HANGS_UP_FIRST })
                }
                Condition::MoodBelow(m) => {
                    (format!("MoodBelow({m})"), if *m == 0 { "情绪最低就是 0" } else { HANGS_UP_FIRST })
                }
                Condition::AnswersAtLeast(n) => (format!("AnswersAtLeast({n})"), "回答数总是不少于 0"),
                _ => ("Always".to_string(), "Always 总是成立"),
            };
            let text = if negated { format!("Not({text})") } else { text };
            out.push((text, why));
        }
    }
}

const HANGS_UP_FIRST: &str = "情绪一到 100 客户就挂断了，不会再走分支";

/// Where a turn's script goes after an answer, as far as the file tells: each branch's target
/// up to the first `Always`, then (without one) the next turn or, after the last turn, the
/// first `Resolved` ending (or nowhere: the call ends unresolved).
fn successors(s: &Scenario, index: &HashMap<&str, Node>, i: usize) -> Vec<Option<Node>> {
    let mut out = Vec::new();
    for b in &s.turns[i].next {
        out.push(index.get(b.goto.as_str()).copied());
        if b.when == Condition::Always {
            return out;
        }
    }
    if i + 1 < s.turns.len() {
        out.push(Some(Node::Turn(i + 1)));
    } else {
        out.push(Some(
            s.endings.iter().position(|e| e.kind == EndingKind::Resolved).map_or(Node::Nowhere, Node::Ending),
        ));
    }
    out
}

/// Every turn and ending by id; the first of the same id wins (a duplicate is an error).
fn node_index(s: &Scenario) -> HashMap<&str, Node> {
    let mut index = HashMap::new();
    for (i, e) in s.endings.iter().enumerate() {
        index.insert(e.id.as_str(), Node::Ending(i));
    }
    for (i, t) in s.turns.iter().enumerate().rev() {
        index.insert(t.id.as_str(), Node::Turn(i));
    }
    index
}

/// Checks of the model answers that need the analyzer and the compiled scenario (run by
/// `peilian lint` once the file has no errors): a model answer that crosses a red line, and one
/// that announces a transfer after which the script can only end the call some other way.
pub fn check_answers(sc: &CompiledScenario, src: &SourceText, analyzer: &Analyzer) -> Vec<Diagnostic> {
    let s = &sc.scenario;
    let mut out = Vec::new();
    let mut index = None;
    for (i, t) in s.turns.iter().enumerate() {
        let answer = &t.expect.model_answer;
        if answer.trim().is_empty() {
            continue;
        }
        let at = src.locate_within("id", &t.id, "model_answer", answer);
        let ctx = AnswerContext { turn: i, mood_before: f32::from(s.persona.mood.min(100)), latency_secs: None };
        let score = score_answer(analyzer, sc, answer, &ctx);
        for phrase in &score.red_lines {
            out.push(Diagnostic::warning(
                &src.path,
                at,
                "model-red-line",
                format!("回合“{}”的示范回答触犯了红线「{phrase}」", t.id),
                "学员照着示范回答说会被封顶：改写示范回答，或检查这条红线（forbidden）是否写得太宽",
            ));
        }
        for breach in &score.conduct {
            out.push(Diagnostic::warning(
                &src.path,
                at,
                "model-conduct",
                format!("回合“{}”的示范回答有不当言行：{}「{}」", t.id, breach.label, breach.quote),
                "示范回答是学员的榜样：改写这句话，或检查共享的言行规则（acts.ron）是否把正常说法当成了不当言行",
            ));
        }
        let Some(words) = analyzer.announces_transfer(answer) else {
            continue;
        };
        let index = index.get_or_insert_with(|| node_index(s));
        let next = successors(s, index, i);
        let ends_otherwise = next.iter().all(|n| match n {
            Some(Node::Ending(e)) => s.endings.get(*e).is_none_or(|e| e.kind != EndingKind::Transferred),
            Some(Node::Nowhere) => true,
            _ => false,
        });
        if ends_otherwise {
            let endings: Vec<&str> = next
                .iter()
                .filter_map(|n| match n {
                    Some(Node::Ending(e)) => s.endings.get(*e).map(|e| e.id.as_str()),
                    _ => None,
                })
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let endings = if endings.is_empty() { "（未解决）".to_string() } else { endings.join("、") };
            out.push(Diagnostic::warning(
                &src.path,
                at,
                "announce-no-transfer",
                format!(
                    "回合“{}”的示范回答告诉客户要转接（「{words}」），但答完之后只会进入结局 {endings}：学员照着说，通话就结束了，没有机会转接",
                    t.id
                ),
                "让这个回合的 next 先进入一个回合（例如客户说“好，你快转吧”），学员在那里转接；或去掉示范回答里的转接说法",
            ));
        }
    }
    out
}

fn collect_condition_concepts<'a>(c: &'a Condition, out: &mut HashSet<&'a str>) {
    match c {
        Condition::Hit(n) | Condition::Missed(n) => {
            out.insert(n.as_str());
        }
        Condition::All(cs) | Condition::Any(cs) => cs.iter().for_each(|c| collect_condition_concepts(c, out)),
        Condition::Not(c) => collect_condition_concepts(c, out),
        _ => {}
    }
}

fn concept_list(s: &Scenario) -> String {
    if s.concepts.is_empty() {
        "（无）".to_string()
    } else {
        s.concepts.keys().cloned().collect::<Vec<_>>().join("、")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Condition::*;

    fn dead(c: &Condition, can_be_100: bool) -> Vec<String> {
        let mut out = Vec::new();
        dead_parts(c, false, can_be_100, &mut out);
        out.into_iter().map(|(text, _)| text).collect()
    }

    #[test]
    fn conditions_that_can_never_hold_are_found_where_they_stand() {
        assert_eq!(dead(&MoodAtLeast(100), false), ["MoodAtLeast(100)"]);
        assert_eq!(dead(&MoodBelow(0), false), ["MoodBelow(0)"]);
        assert_eq!(dead(&Any(vec![Hit("x".into()), MoodBelow(0)]), false), ["MoodBelow(0)"]);
        assert_eq!(dead(&Not(Box::new(MoodBelow(100))), false), ["Not(MoodBelow(100))"]);
        assert_eq!(dead(&Not(Box::new(Always)), false), ["Not(Always)"]);
        // Fine: they can hold (or are meant to always hold).
        for ok in [MoodAtLeast(99), MoodBelow(1), MoodBelow(100), Always, Not(Box::new(MoodAtLeast(100))), RedLine] {
            assert!(dead(&ok, false).is_empty(), "{ok:?}");
        }
        // On a transfer before any answer to a customer who starts at 100, mood 100 can be.
        assert!(dead(&MoodAtLeast(100), true).is_empty());
        // Above 100 is an error already (bad-value), not also this warning.
        assert!(dead(&MoodAtLeast(120), false).is_empty());
    }

    #[test]
    fn constant_conditions_combine() {
        assert_eq!(constant(&All(vec![MoodAtLeast(100), Hit("x".into())]), false), Some(false));
        assert_eq!(constant(&All(vec![Always, AnswersAtLeast(0)]), false), Some(true));
        assert_eq!(constant(&Any(vec![MoodBelow(0), Hit("x".into())]), false), None);
        assert_eq!(constant(&Any(vec![MoodBelow(0), MoodAtLeast(100)]), false), Some(false));
        assert_eq!(constant(&Hit("x".into()), false), None);
    }

    #[test]
    fn successors_stop_at_the_first_always_branch() {
        let text = r#"Scenario(id: "t", title: "t", version: 1, skills: [Escalation], difficulty: 1, channel: Phone,
            persona: (kind: Normal, name: "赵雷", title: "赵先生", mood: 30, patience_secs: 20),
            turns: [
                (id: "a", customer: [(text: "一")], next: [(when: RedLine, goto: "b"), (when: Always, goto: "end"), (when: Always, goto: "a")]),
                (id: "b", customer: [(text: "二")], next: [(when: RedLine, goto: "end")]),
                (id: "c", customer: [(text: "三")]),
            ],
            endings: [(id: "end", kind: Unresolved), (id: "ok", kind: Resolved)],
            escalation: (policy: Either))"#;
        let s: Scenario = ron::from_str(text).expect("parses");
        assert_eq!(successors(&s, &node_index(&s), 0), vec![Some(Node::Turn(1)), Some(Node::Ending(0))]);
        assert_eq!(successors(&s, &node_index(&s), 1), vec![Some(Node::Ending(0)), Some(Node::Turn(2))]);
        assert_eq!(
            successors(&s, &node_index(&s), 2),
            vec![Some(Node::Ending(1))],
            "after the last turn: the Resolved ending"
        );
    }
}
