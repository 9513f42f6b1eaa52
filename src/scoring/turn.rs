//! Scoring one answer to one turn: concepts, tone, no asking twice, responsiveness.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Serialize;

use crate::lexicon::LexiconKind;
use crate::scenario::compiled::{CompiledForbiddenAct, CompiledScenario, RedLineScope};
use crate::scenario::schema::{PersonaKind, ToneGoal};
use crate::scoring::skills::{self, SkillMap, SkillMark};
use crate::scoring::{Evidence, RubricScore, round1, rubric, weighted_overall};
use crate::text::acts::{Act, ActReport, enclosing};
use crate::text::analyzer::{Analyzed, Analyzer};
use crate::text::normalize::normalize;
use crate::text::tone::ToneReport;

/// What is known about the moment an answer was given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnswerContext {
    /// Index of the turn in the scenario file.
    pub turn: usize,
    pub mood_before: f32,
    /// Seconds from the customer's line to the answer; `None` when unknown (not scored).
    pub latency_secs: Option<f32>,
}

/// Measured features the simulated customer reacts to.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AnswerFeatures {
    /// Share of the required concept weight the answer carried (1 when none is required).
    pub required_hit: f32,
    pub curt: bool,
    pub red_line: bool,
    pub soothe_first_missed: bool,
    pub vip_address_missed: bool,
    pub asked_again: usize,
    /// The words with which the answer tells the customer about a transfer, if it does.
    pub announces_transfer: Option<String>,
    /// Conduct breaches: each act and the mood points it inflames (the conduct policy's).
    pub conduct: Vec<(Act, f32)>,
    /// The answer does nothing at all (no act, no concept): every rubric scores 0.
    pub empty: bool,
    /// Courteous, but nothing done for the customer.
    pub hollow: bool,
    /// The turn's tone goals and whether each was met.
    pub goals: Vec<(ToneGoal, bool)>,
}

/// A breach of the conduct policy in one answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breach {
    pub act: Act,
    /// What it is, e.g. "讽刺客户".
    pub label: String,
    /// The words, as the trainee wrote them.
    pub quote: String,
    /// The turn's highest score.
    pub cap: f32,
    /// Unacceptable (not a mild lapse): the call fails.
    pub fails_call: bool,
}

/// One answer's scores and evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurnScore {
    pub turn_id: String,
    pub answer: String,
    /// 0–100 over the answer's rubrics (escalation is scored per call).
    pub overall: f32,
    /// Why the overall is capped, when it is.
    pub capped: Option<String>,
    pub rubrics: BTreeMap<&'static str, RubricScore>,
    /// Concepts the answer carried (names).
    pub hits: Vec<String>,
    /// Required concepts it lacked (names).
    pub missed: Vec<String>,
    /// The same, as the trainee sees them (labels).
    pub missed_labels: Vec<String>,
    /// Red lines it crossed: the phrases, and the labels of forbidden acts.
    pub red_lines: Vec<String>,
    /// Conduct breaches (insults, blame, mockery, security breaches …).
    pub conduct: Vec<Breach>,
    pub evidence: Vec<Evidence>,
    pub model_answer: String,
    pub tone: ToneReport,
    pub features: AnswerFeatures,
    /// What the answer showed of each skill (`scoring::skills`).
    pub skills: Vec<SkillMark>,
}

impl TurnScore {
    pub fn hit(&self, concept: &str) -> bool {
        self.hits.iter().any(|h| h == concept)
    }
}

/// Scores an answer to turn `ctx.turn` of a compiled scenario.
pub fn score_answer(analyzer: &Analyzer, sc: &CompiledScenario, text: &str, ctx: &AnswerContext) -> TurnScore {
    let scenario = &sc.scenario;
    let turn = &scenario.turns[ctx.turn];
    let weights = &scenario.rubric.weights;
    let analyzed = analyzer.analyze(text);
    let tone = analyzer.tone_of(&analyzed);
    let mut evidence = Vec::new();
    let mut features = AnswerFeatures::default();

    // Concepts.
    let concept_hits = find_concepts(analyzer, sc, &analyzed, &tone.acts, &mut evidence);
    let mut hits = Vec::new();
    let mut missed = Vec::new();
    let (mut req_total, mut req_hit, mut opt_total, mut opt_hit) = (0.0, 0.0, 0.0, 0.0);
    let mut concept_reasons = Vec::new();
    for (name, required) in
        turn.expect.required.iter().map(|n| (n, true)).chain(turn.expect.optional.iter().map(|n| (n, false)))
    {
        let Some(i) = sc.concept_index(name) else {
            continue;
        };
        let concept = &scenario.concepts[name];
        let w = concept.weight;
        let found = concept_hits.iter().find(|h| h.concept == i);
        if required {
            req_total += w;
        } else {
            opt_total += w;
        }
        match found {
            Some(hit) => {
                if required {
                    req_hit += w;
                } else {
                    opt_hit += w;
                }
                hits.push(name.clone());
                concept_reasons.push(format!("✓ {}「{}」", concept.label, hit.matched));
            }
            None if required => {
                missed.push(name.clone());
                concept_reasons.push(format!("× 缺少必需要点：{}", concept.label));
                evidence.push(Evidence::new(
                    "concepts",
                    "missed",
                    concept.label.clone(),
                    format!("缺少必需要点“{}”", concept.label),
                ));
            }
            None => concept_reasons.push(format!("· 未提及可选要点：{}", concept.label)),
        }
    }
    // Concepts said but not expected in this turn still count for branch conditions.
    for hit in &concept_hits {
        let name = &sc.concept_names[hit.concept];
        if !hits.contains(name) {
            hits.push(name.clone());
        }
    }
    features.required_hit = if req_total > 0.0 { req_hit / req_total } else { 1.0 };
    let concepts = if req_total + opt_total > 0.0 {
        let s = rubric::concepts(req_total, req_hit, opt_total, opt_hit);
        let mut reasons = vec![if req_total > 0.0 {
            format!("必需要点命中 {req_hit}/{req_total}（按权重）")
        } else {
            "本回合只有可选要点".to_string()
        }];
        reasons.extend(concept_reasons);
        RubricScore::new(s, weights.concepts, reasons)
    } else {
        RubricScore::not_applicable(weights.concepts, "本回合没有要点要求")
    };

    // Red lines: phrases, then acts.
    let mut red_lines = Vec::new();
    for hit in sc.red_lines.find(&analyzed, analyzer.negators()) {
        let applies = hit.payloads.iter().any(|s| *s == RedLineScope::Everywhere || *s == RedLineScope::Turn(ctx.turn));
        if !applies {
            continue;
        }
        if hit.negated || analyzer.act_rules().is_negated_after(&analyzed, &hit.span) {
            evidence.push(Evidence::new(
                "concepts",
                "negated",
                hit.phrase,
                format!("「{}」被否定（{}），不算触犯红线", hit.phrase, analyzed.original_of(&hit.span)),
            ));
            continue;
        }
        if !red_lines.iter().any(|r| r == hit.phrase) {
            red_lines.push(hit.phrase.to_string());
            evidence.push(Evidence::new(
                "concepts",
                "red_line",
                hit.phrase,
                format!("触犯红线：说了「{}」", hit.phrase),
            ));
        }
    }
    for rule in sc
        .forbidden_acts
        .iter()
        .filter(|f| f.scope == RedLineScope::Everywhere || f.scope == RedLineScope::Turn(ctx.turn))
    {
        if let Some(quote) = crossed_forbidden_act(analyzer, rule, &analyzed, &tone.acts, &mut evidence)
            && !red_lines.contains(&rule.rule.label)
        {
            red_lines.push(rule.rule.label.clone());
            evidence.push(Evidence::new(
                "concepts",
                "red_line",
                quote.clone(),
                format!("触犯红线：{}「{quote}」", rule.rule.label),
            ));
        }
    }

    // Conduct: the shared policy, in every scenario.
    let policy = &analyzer.lexicons().conduct;
    let mut conduct: Vec<Breach> = Vec::new();
    for hit in tone.acts.conduct() {
        let Some(rule) = policy.breached_by(hit) else { continue };
        if conduct.iter().any(|b| b.act == hit.act) {
            continue;
        }
        let (cap, fails_call) = policy.cap_of(hit, rule);
        let detail = format!("{}「{}」", hit.label, hit.quote);
        evidence.push(Evidence::new("tone", "conduct", hit.quote.clone(), detail));
        features.conduct.push((hit.act, rule.inflame));
        conduct.push(Breach { act: hit.act, label: hit.label.clone(), quote: hit.quote.clone(), cap, fails_call });
    }
    features.red_line = !red_lines.is_empty();
    features.announces_transfer = analyzer.transfer_announcement(&analyzed);
    features.hollow = tone.hollow;

    // Tone.
    let promised_forbidden = red_lines.iter().any(|r| {
        sc.forbidden_acts.iter().any(|f| f.rule.label == *r && matches!(f.rule.act, Act::Commit | Act::Offer))
    });
    let tone_score = score_tone(
        analyzer,
        sc,
        ctx,
        &analyzed,
        &tone,
        &concept_hits,
        promised_forbidden,
        &mut evidence,
        &mut features,
    );

    // No asking twice.
    let no_repeat = score_no_repeat(analyzer, sc, &analyzed, &mut evidence, &mut features);

    // Responsiveness.
    let responsiveness = match ctx.latency_secs {
        Some(latency) => {
            let (s, why) = rubric::responsiveness(
                latency,
                crate::session::effective_patience_secs(scenario.persona.patience_secs) as f32,
            );
            if s < 100.0 {
                evidence.push(Evidence::new("responsiveness", "latency", format!("{latency:.0}s"), why.clone()));
            }
            RubricScore::new(s, weights.responsiveness, vec![why])
        }
        None => RubricScore::not_applicable(weights.responsiveness, "未计时"),
    };

    let mut rubrics = BTreeMap::new();
    rubrics.insert("concepts", concepts);
    rubrics.insert("tone", tone_score);
    rubrics.insert("no_repeat", no_repeat);
    rubrics.insert("responsiveness", responsiveness);
    // No points for nothing: an answer that does nothing scores 0 in every rubric.
    features.empty = !tone.acts.any() && concept_hits.is_empty();
    if features.empty {
        let why = "回答没有做任何事（没有称呼、致歉、询问、说明或承诺），各项均为 0 分";
        for r in rubrics.values_mut().filter(|r| r.applicable) {
            r.score = 0.0;
            r.reasons.insert(0, why.to_string());
        }
        evidence.push(Evidence::new("tone", "empty", analyzed.original.trim().to_string(), why));
    }
    let mut overall = weighted_overall(rubrics.values());
    let mut caps: Vec<(f32, String)> = Vec::new();
    if features.red_line {
        caps.push((scenario.rubric.red_line_cap, format!("触犯红线「{}」", red_lines.join("」「"))));
    }
    for b in &conduct {
        caps.push((b.cap, format!("{}「{}」", b.label, b.quote)));
    }
    if tone.hollow && !missed.is_empty() {
        caps.push((rubric::HOLLOW_CAP, "只有客套话，没有为客户解决问题".to_string()));
    }
    let mut capped = None;
    if let Some(limit) = caps.iter().map(|c| c.0).min_by(f32::total_cmp) {
        let why: Vec<&str> = caps.iter().map(|c| c.1.as_str()).collect();
        capped = Some(format!("{}，本回合最高 {limit} 分", why.join("；")));
        overall = overall.min(limit);
    }
    let mut score = TurnScore {
        turn_id: turn.id.clone(),
        answer: text.to_string(),
        overall: round1(overall),
        capped,
        rubrics,
        hits,
        missed_labels: missed.iter().filter_map(|m| scenario.concepts.get(m).map(|c| c.label.clone())).collect(),
        missed,
        red_lines,
        conduct,
        evidence,
        model_answer: turn.expect.model_answer.clone(),
        tone,
        features,
        skills: Vec::new(),
    };
    score.skills = skills::turn_marks(SkillMap::shipped(), sc, ctx.turn, &score);
    score
}

/// A concept found in an answer.
#[derive(Debug, Clone)]
pub(crate) struct ConceptHit {
    pub concept: usize,
    pub matched: String,
    pub span: Range<usize>,
}

fn find_concepts(
    analyzer: &Analyzer,
    sc: &CompiledScenario,
    a: &Analyzed,
    acts: &ActReport,
    evidence: &mut Vec<Evidence>,
) -> Vec<ConceptHit> {
    let mut found: Vec<ConceptHit> = Vec::new();
    let mut consider =
        |concept: usize, matched: &str, span: Range<usize>, negated: bool, evidence: &mut Vec<Evidence>| {
            let name = &sc.concept_names[concept];
            let def = &sc.scenario.concepts[name];
            if negated && def.negatable {
                evidence.push(Evidence::new(
                    "concepts",
                    "negated",
                    matched,
                    format!("「{matched}」前有否定词，不算提到“{}”", def.label),
                ));
                return;
            }
            if found.iter().any(|h| h.concept == concept) {
                return;
            }
            evidence.push(Evidence::new("concepts", "hit", matched, format!("提到“{}”：「{matched}」", def.label)));
            found.push(ConceptHit { concept, matched: matched.to_string(), span });
        };
    let mut phrase_hits = sc.concepts.find(a, analyzer.negators());
    // The same phrases on the matching text ("我特别理解你" holds "我理解您").
    phrase_hits.extend(sc.concepts_key.find_key(a, analyzer.negators()));
    for hit in phrase_hits {
        let negated = hit.negated || analyzer.act_rules().is_negated_after(a, &hit.span);
        let matched = &a.norm[hit.span.clone()];
        for &concept in hit.payloads {
            consider(concept, matched, hit.span.clone(), negated, evidence);
        }
    }
    for (concept, pattern) in &sc.concept_patterns {
        // On the normalised text, else on the matching text ("48 小时" read as "48小时").
        let on_norm = pattern.find_all(&a.norm, |i, start| a.is_boundary(i, start));
        let spans = if on_norm.is_empty() {
            pattern
                .find_all(&a.key, |i, start| a.is_boundary(a.key_to_norm(i, start), start))
                .into_iter()
                .map(|r| a.key_to_norm(r.start, true)..a.key_to_norm(r.end, false))
                .collect()
        } else {
            on_norm
        };
        for span in spans.into_iter().filter(|s| s.start < s.end) {
            let negated = analyzer.negated_either_way(a, &span);
            consider(*concept, &a.norm[span.clone()], span, negated, evidence);
        }
    }
    // Acts that count as a concept, whatever the words.
    for (concept, act) in &sc.concept_acts {
        if let Some(hit) = acts.first(*act) {
            consider(*concept, &hit.matched, hit.span.clone(), false, evidence);
        }
    }
    found.sort_by_key(|h| h.span.start);
    found
}

#[allow(clippy::too_many_arguments)]
fn score_tone(
    analyzer: &Analyzer,
    sc: &CompiledScenario,
    ctx: &AnswerContext,
    a: &Analyzed,
    tone: &ToneReport,
    concept_hits: &[ConceptHit],
    promised_forbidden: bool,
    evidence: &mut Vec<Evidence>,
    features: &mut AnswerFeatures,
) -> RubricScore {
    let scenario = &sc.scenario;
    let turn = &scenario.turns[ctx.turn];
    let mut goals: Vec<ToneGoal> = scenario.tone_goals.clone();
    for g in &turn.expect.tone {
        if !goals.contains(g) {
            goals.push(*g);
        }
    }
    // Rules from practice that come with the persona: an upset angry customer is soothed
    // first; a VIP is addressed as 您 and by title.
    let mut implied = Vec::new();
    match scenario.persona.kind {
        PersonaKind::Angry if ctx.mood_before >= rubric::ANGRY_MOOD && !goals.contains(&ToneGoal::SootheFirst) => {
            implied.push("愤怒客户情绪激动时，默认要求先安抚再解决");
            goals.push(ToneGoal::SootheFirst);
        }
        PersonaKind::Vip if !goals.contains(&ToneGoal::VipAddress) => {
            implied.push("贵宾客户默认要求尊称（您与称谓）");
            goals.push(ToneGoal::VipAddress);
        }
        _ => {}
    }
    let upset = ctx.mood_before >= rubric::UPSET_MOOD
        || goals.contains(&ToneGoal::SootheFirst)
        || goals.contains(&ToneGoal::Empathize);
    let warmth = if upset { rubric::soothing(tone.empathy, tone.reassurance) } else { tone.empathy };
    let (mut score, base_reason) = rubric::tone_base(tone.politeness, warmth, upset);
    let mut reasons = vec![base_reason];
    reasons.extend(implied.iter().map(|r| format!("（{r}）")));
    if tone.hollow {
        reasons.push(format!(
            "只有客套，没有为客户做任何事：礼貌与共情按 {:.0}% 计",
            crate::text::tone::HOLLOW_SHARE * 100.0
        ));
    }
    for e in tone.evidence.iter().filter(|e| !e.negated) {
        let label = match e.dimension {
            "politeness" => "礼貌",
            "empathy" => "共情",
            "reassurance" => "安心",
            "hostility" => "敌意",
            _ => continue,
        };
        evidence.push(Evidence::new("tone", "tone", e.matched.clone(), format!("{label}用语「{}」", e.matched)));
    }
    if tone.hostility > 0.0 {
        let p = rubric::HOSTILITY_PENALTY * tone.hostility;
        score -= p;
        let words: Vec<&str> = tone
            .evidence
            .iter()
            .filter(|e| e.dimension == "hostility" && !e.negated)
            .map(|e| e.matched.as_str())
            .collect();
        reasons.push(format!("敌意/推责「{}」−{p:.1}", words.join("」「")));
    }
    let curt_limit = scenario.rubric.curt_chars as usize;
    if tone.content_chars <= curt_limit {
        features.curt = true;
        score -= rubric::CURT_PENALTY;
        reasons.push(format!("回答过短（{} 字）−{}", tone.content_chars, rubric::CURT_PENALTY));
        evidence.push(Evidence::new(
            "tone",
            "curt",
            a.original.clone(),
            format!("只有 {} 个字，显得敷衍", tone.content_chars),
        ));
    }
    if tone.shouting {
        score -= rubric::SHOUTING_PENALTY;
        reasons.push(format!("语气激烈（感叹号连用）−{}", rubric::SHOUTING_PENALTY));
        evidence.push(Evidence::new("tone", "shouting", "!!", "感叹号连用，像在吼客户"));
    }
    for goal in goals {
        match goal {
            ToneGoal::SootheFirst => {
                let soothes = |h: &&ConceptHit| scenario.concepts[&sc.concept_names[h.concept]].soothes;
                let first_solution = concept_hits
                    .iter()
                    .filter(|h| !soothes(h) && !overlaps_empathy(tone, &h.span, a))
                    .map(|h| h.span.start)
                    .min();
                let first_soothing_concept = concept_hits.iter().filter(soothes).map(|h| h.span.start).min();
                let first_soothing = match (tone.first_empathy_at, first_soothing_concept) {
                    (Some(x), Some(y)) => Some(x.min(y)),
                    (x, y) => x.or(y),
                };
                match (first_soothing, first_solution) {
                    (None, _) => {
                        features.soothe_first_missed = true;
                        features.goals.push((ToneGoal::SootheFirst, false));
                        score -= rubric::SOOTHE_FIRST_MISSING;
                        reasons.push(format!("× 先安抚再解决：没有安抚情绪 −{}", rubric::SOOTHE_FIRST_MISSING));
                        evidence.push(Evidence::new(
                            "tone",
                            "goal_missed",
                            "先安抚再解决",
                            "客户情绪激动，回答中没有任何安抚或致歉",
                        ));
                    }
                    (Some(e), Some(s)) if e > s => {
                        score -= rubric::SOOTHE_FIRST_LATE;
                        features.goals.push((ToneGoal::SootheFirst, false));
                        reasons.push(format!("× 先安抚再解决：先谈方案后安抚 −{}", rubric::SOOTHE_FIRST_LATE));
                        evidence.push(Evidence::new(
                            "tone",
                            "goal_missed",
                            "先安抚再解决",
                            "安抚出现在解决方案之后，应先安抚情绪",
                        ));
                    }
                    _ => {
                        reasons.push("✓ 先安抚再解决".to_string());
                        features.goals.push((ToneGoal::SootheFirst, true));
                        evidence.push(Evidence::new("tone", "goal_met", "先安抚再解决", "先安抚了情绪"));
                    }
                }
            }
            ToneGoal::VipAddress => {
                let uses_nin = a.norm.contains('您');
                let uses_ni = a.norm.contains('你');
                let title = &sc.title_norm;
                let uses_title = !title.is_empty() && a.norm.contains(title.as_str());
                let honorific = analyzer
                    .tone_index()
                    .find(a, analyzer.negators())
                    .iter()
                    .any(|h| h.payloads.iter().any(|m| m.kind == LexiconKind::Honorific));
                let mut ok = true;
                if !uses_nin {
                    ok = false;
                    score -= rubric::VIP_NO_NIN;
                    reasons.push(format!("× 没有用“您”称呼 −{}", rubric::VIP_NO_NIN));
                }
                if uses_ni {
                    ok = false;
                    score -= rubric::VIP_USES_NI;
                    reasons.push(format!("× 用了“你”而不是“您” −{}", rubric::VIP_USES_NI));
                }
                if !uses_title {
                    ok = false;
                    score -= rubric::VIP_NO_TITLE;
                    let also = if honorific { "（用了尊称，但不是客户的称谓）" } else { "" };
                    reasons.push(format!("× 没有称呼“{}”{also} −{}", scenario.persona.title, rubric::VIP_NO_TITLE));
                }
                if ok {
                    reasons.push(format!("✓ 以“您”和“{}”称呼客户", scenario.persona.title));
                    features.goals.push((ToneGoal::VipAddress, true));
                    evidence.push(Evidence::new("tone", "goal_met", scenario.persona.title.clone(), "尊称到位"));
                } else {
                    features.vip_address_missed = true;
                    features.goals.push((ToneGoal::VipAddress, false));
                    evidence.push(Evidence::new(
                        "tone",
                        "goal_missed",
                        "尊称",
                        format!("贵宾客户应称“您”和“{}”", scenario.persona.title),
                    ));
                }
            }
            ToneGoal::Empathize => {
                if tone.empathy < 0.3 {
                    score -= rubric::EMPATHIZE_MISSING;
                    reasons.push(format!("× 缺少共情表达 −{}", rubric::EMPATHIZE_MISSING));
                    features.goals.push((ToneGoal::Empathize, false));
                    evidence.push(Evidence::new("tone", "goal_missed", "共情", "没有表达对客户处境的理解"));
                } else {
                    reasons.push("✓ 表达了共情".to_string());
                    features.goals.push((ToneGoal::Empathize, true));
                }
            }
            ToneGoal::Reassure => {
                if promised_forbidden {
                    score -= rubric::REASSURE_MISSING;
                    features.goals.push((ToneGoal::Reassure, false));
                    reasons.push(format!("× 用不能兑现的承诺来安抚不算安心承诺 −{}", rubric::REASSURE_MISSING));
                    evidence.push(Evidence::new(
                        "tone",
                        "goal_missed",
                        "安心承诺",
                        "承诺了不该承诺的事，不算给客户吃定心丸",
                    ));
                } else if tone.reassurance < 0.3 {
                    score -= rubric::REASSURE_MISSING;
                    features.goals.push((ToneGoal::Reassure, false));
                    reasons.push(format!("× 缺少安心承诺（如“请放心”“会跟进”）−{}", rubric::REASSURE_MISSING));
                    evidence.push(Evidence::new("tone", "goal_missed", "安心承诺", "没有给客户吃定心丸"));
                } else {
                    reasons.push("✓ 给出了安心承诺".to_string());
                    features.goals.push((ToneGoal::Reassure, true));
                }
            }
        }
    }
    if matches!(scenario.persona.kind, PersonaKind::Elderly) && tone.content_chars > 120 {
        reasons.push("提示：对老年客户，回答宜短句、分步骤".to_string());
    }
    RubricScore::new(score, scenario.rubric.weights.tone, reasons)
}

fn overlaps_empathy(tone: &ToneReport, span: &Range<usize>, a: &Analyzed) -> bool {
    // A concept hit that is itself an empathy marker (e.g. an "apology" concept) is soothing,
    // not solving.
    let at = a.norm[..span.start].chars().count();
    tone.evidence.iter().any(|e| e.dimension == "empathy" && !e.negated && e.at == at)
}

fn score_no_repeat(
    analyzer: &Analyzer,
    sc: &CompiledScenario,
    a: &Analyzed,
    evidence: &mut Vec<Evidence>,
    features: &mut AnswerFeatures,
) -> RubricScore {
    let weight = sc.scenario.rubric.weights.no_repeat;
    let Some(history) = sc.scenario.bot_history.as_ref().filter(|b| !b.known_facts.is_empty()) else {
        return RubricScore::not_applicable(weight, "客户没有经过机器人，无需检查");
    };
    let mut reasons = Vec::new();
    // Quoting back a value the customer gave the bot shows the history was read.
    let quoted: Vec<usize> = history
        .known_facts
        .iter()
        .enumerate()
        .filter(|(_, f)| f.value.as_deref().map(normalize).is_some_and(|v| !v.is_empty() && a.norm.contains(&v)))
        .map(|(i, _)| i)
        .collect();
    for &f in &quoted {
        let label = &history.known_facts[f].label;
        reasons.push(format!("✓ 直接引用了客户已提供的{label}"));
        evidence.push(Evidence::new(
            "no_repeat",
            "confirmed",
            label.clone(),
            format!("引用了机器人已收集的{label}，客户不必再说一遍"),
        ));
    }
    let fact_hits = sc.known_facts.find(a, analyzer.negators());
    let asking: Vec<Range<usize>> = if fact_hits.is_empty() {
        Vec::new()
    } else {
        analyzer
            .tone_index()
            .find(a, analyzer.negators())
            .into_iter()
            .filter(|h| h.payloads.iter().any(|m| m.kind == LexiconKind::Asking))
            .map(|h| h.span)
            .collect()
    };
    let mut asked = Vec::new();
    for clause in a.clauses().iter().cloned() {
        // A question mark right after the clause makes it a question too.
        let question = a.norm[clause.end..].starts_with('?')
            || asking.iter().any(|s| clause.start <= s.start && s.end <= clause.end);
        if !question {
            continue;
        }
        for h in fact_hits.iter().filter(|h| clause.start <= h.span.start && h.span.end <= clause.end) {
            for &f in h.payloads {
                if quoted.contains(&f) || asked.contains(&f) {
                    continue;
                }
                asked.push(f);
                let label = &history.known_facts[f].label;
                reasons.push(format!("× 再次询问{label}（客户已告诉机器人）"));
                evidence.push(Evidence::new(
                    "no_repeat",
                    "asked_again",
                    a.norm[clause.clone()].to_string(),
                    format!("客户已经告诉机器人{label}，又问了一遍"),
                ));
            }
        }
    }
    features.asked_again = asked.len();
    if reasons.is_empty() {
        reasons.push("没有再次询问客户已告诉机器人的信息".to_string());
    }
    RubricScore::new(rubric::no_repeat(asked.len()), weight, reasons)
}

/// Clauses with the ones a list comma (、) splits joined again.
fn join_lists(a: &Analyzed, clauses: &[std::ops::Range<usize>]) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    for c in clauses {
        match out.last_mut() {
            Some(last) if a.norm[last.end..c.start].trim() == "、" => last.end = c.end,
            _ => out.push(c.clone()),
        }
    }
    out
}

/// Where an answer crosses a forbidden act, the words that show it (as written).
fn crossed_forbidden_act(
    analyzer: &Analyzer,
    rule: &CompiledForbiddenAct,
    a: &Analyzed,
    acts: &ActReport,
    evidence: &mut Vec<Evidence>,
) -> Option<String> {
    let rules = analyzer.act_rules();
    let clauses = a.clauses();
    // For a promise, a list (退款、赔偿和…) is one clause.
    let promise_clauses = join_lists(a, clauses);
    let sentences = a.sentences();
    let topics_in = |range: &std::ops::Range<usize>| -> Vec<std::ops::Range<usize>> {
        let base = a.key_of(&(0..range.start)).len();
        let key = a.key_of(range);
        rule.topics
            .iter()
            .flat_map(|p| p.find_all(key, |_, _| true))
            .map(|r| a.key_to_norm(base + r.start, true)..a.key_to_norm(base + r.end, false))
            .filter(|r| r.start < r.end)
            .collect()
    };
    if matches!(rule.rule.act, Act::Commit | Act::Offer) && !rule.topics.is_empty() {
        // Promising the topic: said as something that will happen or be given.
        for span in topics_in(&(0..a.norm.len())) {
            let clause = enclosing(&promise_clauses, &span);
            let sentence = enclosing(sentences, &span);
            // The verb may stand in the clause before ("我给您特殊处理一下，全额退").
            let before_clause = promise_clauses
                .iter()
                .rev()
                .find(|c| c.end <= clause.start && c.start >= sentence.start)
                .cloned()
                .unwrap_or(clause.start..clause.start);
            let before = clause.start..span.start;
            let why_not = if analyzer.negated_either_way(a, &span) {
                Some("被否定，是拒绝而不是承诺")
            } else if rules.is_question(a, &sentence) {
                Some("是问句，不是承诺")
            } else if rules.is_hedged(a, &clause) {
                Some("有保留（如果、要看、尽量……），不是承诺")
            } else if rules.is_customers(a, &before) {
                Some("说的是客户的要求，不是承诺")
            } else if !rules.has_promise_marker(a, &clause) && !rules.has_promise_marker(a, &before_clause) {
                Some("没有说要做或要给，不是承诺")
            } else {
                None
            };
            let quote = a.original_of(&clause);
            match why_not {
                Some(why) => evidence.push(Evidence::new(
                    "concepts",
                    "not_a_promise",
                    quote.clone(),
                    format!("「{quote}」提到{}，但{why}", rule.rule.label),
                )),
                None => return Some(quote),
            }
        }
        return None;
    }
    acts.performed().filter(|h| h.act == rule.rule.act).find_map(|h| {
        let clause = enclosing(clauses, &h.span);
        (rule.topics.is_empty() || !topics_in(&clause).is_empty()).then(|| h.quote.clone())
    })
}
