//! The session engine: a mock call as a pure state machine. Text and durations in, events out.
//!
//! No clock, no I/O: the shell (terminal, app) measures latency and passes it in, shows the
//! events, and records them. The same scenario, seed and actions always give the same events,
//! transcript and scores; rewinding replays the recorded actions up to the chosen turn.

use std::sync::Arc;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::customer::reactions::{ReactionKind, ReactionLibrary, fill};
use crate::customer::{HANG_UP_MOOD, MoodModel};
use crate::scenario::compiled::{CompiledScenario, Target};
use crate::scenario::schema::{Channel, Condition, EndingKind, EscalationPolicy, Line, Trigger};
use crate::scoring::escalation::{EscalationFacts, trigger_text};
use crate::scoring::scorecard::{Scorecard, build_scorecard};
use crate::scoring::turn::{AnswerContext, TurnScore, score_answer};
use crate::text::acts::Act;
use crate::text::analyzer::Analyzer;

/// Answers longer than this are refused (a pasted document is not an answer).
pub const MAX_ANSWER_CHARS: usize = 2000;

/// Handoff notes longer than this are refused, as answers are.
pub const MAX_NOTE_CHARS: usize = 2000;

/// The longest latency an `@…` prefix or `/silence` may give: one hour. Longer is refused
/// (a typo such as `@18446744073709551615ms`, not a pause).
pub const MAX_LATENCY_MS: u64 = 3_600_000;

/// Built-in lines for when a scenario gives none.
const DEFAULT_SUPERVISOR_LINE: &str = "我不想跟你说了，叫你们领导来！";
const DEFAULT_SILENCE_LINE: &str = "喂？还在吗？";
const DEFAULT_HANG_UP_LINE: &str = "算了，跟你们说不清楚！";

/// No customer's patience is shorter than this: the time an average typist needs to type a
/// 40-character answer with a pinyin input method (`docs/typing-time.md`).
pub const MIN_PATIENCE_SECS: u32 = 50;
/// In chat the customer sees the agent typing: typing time wears their patience this many
/// times more slowly than silence.
pub const CHAT_TYPING_FACTOR: u64 = 3;
/// A customer asked to hold waits this many times their patience before asking again.
pub const HOLD_FACTOR: u64 = 2;
/// After this many reactions in a row on one turn the customer gives up on the call.
pub const MAX_REACTIONS_IN_A_ROW: u32 = 2;
/// How far below the mood at which they demand a supervisor a customer is wary enough to ask
/// what a piece of information is for before giving it (`ReactionKind::AskWhy`).
pub const WARY_BELOW_DEMAND: f32 = 20.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Feedback after each answer; rewinding allowed.
    Practice,
    /// Nothing shown until the end; no rewinding.
    Exam,
}

impl Mode {
    pub fn label(self) -> &'static str {
        match self {
            Mode::Practice => "练习",
            Mode::Exam => "考试",
        }
    }
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    InProgress,
    Resolved,
    Unresolved,
    CustomerHungUp,
    Transferred,
    AgentHungUp,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::InProgress => "进行中",
            Outcome::Resolved => "问题解决",
            Outcome::Unresolved => "未解决",
            Outcome::CustomerHungUp => "客户挂断",
            Outcome::Transferred => "已转接",
            Outcome::AgentHungUp => "坐席挂断",
        }
    }

    pub fn from_ending(kind: EndingKind) -> Self {
        match kind {
            EndingKind::Resolved => Outcome::Resolved,
            EndingKind::Unresolved => Outcome::Unresolved,
            EndingKind::HungUp => Outcome::CustomerHungUp,
            EndingKind::Transferred => Outcome::Transferred,
        }
    }

    /// The ending kind a sample call may name for this outcome.
    pub fn ending_kind(self) -> Option<EndingKind> {
        match self {
            Outcome::Resolved => Some(EndingKind::Resolved),
            Outcome::Unresolved | Outcome::AgentHungUp => Some(EndingKind::Unresolved),
            Outcome::CustomerHungUp => Some(EndingKind::HungUp),
            Outcome::Transferred => Some(EndingKind::Transferred),
            Outcome::InProgress => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    Customer,
    Agent,
    System,
}

/// What kind of line a transcript entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Script,
    SupervisorDemand,
    SilenceNudge,
    /// The customer reacts to what the agent did (the script waits).
    Reaction,
    Ending,
    Answer,
    Transfer,
    HangUp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptEntry {
    /// The turn (1-based) the line belongs to.
    pub turn: u32,
    pub speaker: Speaker,
    pub kind: LineKind,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub turn_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub voice: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub latency_ms: Option<u64>,
    /// The customer's mood after this line.
    pub mood: f32,
    /// What the line reacts to, for a customer's reaction.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reaction: Option<ReactionKind>,
}

/// Something the shell should show, play or record.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    CallStarted {
        scenario_id: String,
        title: String,
        seed: u64,
        mode: Mode,
        mood: f32,
    },
    CustomerSaid {
        turn: u32,
        turn_id: Option<String>,
        text: String,
        voice: Option<String>,
        kind: LineKind,
        mood: f32,
        /// What the line reacts to, for a customer's reaction.
        #[serde(skip_serializing_if = "Option::is_none")]
        reaction: Option<ReactionKind>,
    },
    /// The score of an answer (the shell hides it in exam mode).
    AnswerScored {
        turn: u32,
        score: Box<TurnScore>,
    },
    MoodChanged {
        from: f32,
        to: f32,
        reasons: Vec<String>,
    },
    EscalationTriggered {
        turn: u32,
        trigger: String,
    },
    Transferred {
        turn: u32,
        note: String,
    },
    CallEnded {
        outcome: Outcome,
        ending_id: Option<String>,
    },
    /// Back at `turn`: the customer's line of that turn, said again.
    Rewound {
        turn: u32,
        mood: f32,
        line: String,
    },
}

/// What the trainee did; the session keeps them to replay on rewind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Answer {
        text: String,
        latency_ms: u64,
    },
    /// The shell's timer saw this much silence since the customer's last line, of which the
    /// agent was visibly typing `typing_ms` (in chat the customer sees it).
    Silence {
        waited_ms: u64,
        #[serde(default, skip_serializing_if = "is_zero")]
        typing_ms: u64,
    },
    Transfer {
        note: String,
        latency_ms: u64,
    },
    HangUp,
    /// Practice mode: back to this turn (kept in the history, not replayed as an action).
    Rewind {
        turn: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("通话已经结束")]
    CallOver,
    #[error("考试模式不能回退")]
    RewindInExam,
    #[error("只能回退到第 1–{max} 回合，没有第 {turn} 回合")]
    RewindOutOfRange { turn: u32, max: u32 },
    #[error("回答为空")]
    EmptyAnswer,
    #[error("回答有 {chars} 个字，超过上限 {max} 字")]
    AnswerTooLong { chars: usize, max: usize },
    #[error("转接说明有 {chars} 个字，超过上限 {max} 字；请写要点")]
    NoteTooLong { chars: usize, max: usize },
}

/// The compiled scenario with what scoring and the customer need.
#[derive(Debug, Clone)]
pub struct Engine {
    pub analyzer: Arc<Analyzer>,
    pub scenario: Arc<CompiledScenario>,
    pub model: Arc<MoodModel>,
    pub reactions: Arc<ReactionLibrary>,
}

impl Engine {
    /// An engine with the shipped mood model and reaction library.
    pub fn new(analyzer: Arc<Analyzer>, scenario: Arc<CompiledScenario>) -> Engine {
        Engine {
            analyzer,
            scenario,
            model: Arc::new(MoodModel::embedded()),
            reactions: Arc::new(ReactionLibrary::embedded()),
        }
    }

    /// A hash of what the scores and the customer depend on besides the scenario file: the
    /// lexicons' markers and groups, and the mood model. Records keep it beside the scenario's
    /// `content_hash`, so a replay can say when re-scoring may differ although the file did not
    /// change.
    pub fn basis_hash(&self) -> String {
        let lexicons: Vec<_> =
            self.analyzer.lexicons().lexicons.iter().map(|l| (&l.name, l.kind, &l.markers, &l.groups)).collect();
        let text = serde_json::to_string(&(lexicons, &*self.model, &*self.reactions)).unwrap_or_default();
        crate::scenario::compiled::content_hash(text.as_bytes())
    }
}

#[derive(Debug, Clone)]
struct State {
    rng: ChaCha8Rng,
    mood: f32,
    /// The turn (index in the file) awaiting an answer.
    pending: Option<usize>,
    /// Customer turns said so far (the pending one included).
    turn_no: u32,
    answers: u32,
    nudged: bool,
    demanded: bool,
    /// Fact ids the customer has told so far.
    given: Vec<String>,
    /// Fact ids the customer asked "what for?" about instead of telling (`ReactionKind::AskWhy`).
    questioned: Vec<String>,
    /// The question the customer waits to have answered on the pending turn.
    question: Option<String>,
    /// Reactions said in a row on the pending turn.
    reactions_in_a_row: u32,
    /// Concepts the answers to the pending turn have hit so far (it may be answered again
    /// after a reaction).
    turn_hits: Vec<String>,
    /// The agent asked the customer to hold.
    holding: bool,

    trigger: Option<(u32, Trigger)>,
    transfer: Option<(u32, String)>,
    /// The turn of the latest transfer (a supervisor may send the call back and it may be
    /// transferred again).
    last_transfer: Option<u32>,
    /// Every answer that told the customer about a transfer: its turn and the words.
    announced: Vec<(u32, String)>,
    /// The scenario's `before_transfer` concepts no answer had hit at the first transfer.
    unmet_before_transfer: Vec<String>,
    transcript: Vec<TranscriptEntry>,
    scores: Vec<(u32, TurnScore)>,
    outcome: Outcome,
    ending_id: Option<String>,
}

/// One mock call.
#[derive(Debug, Clone)]
pub struct Session {
    engine: Engine,
    seed: u64,
    mode: Mode,
    /// The actions that led to the current state (a rewind cuts them back).
    actions: Vec<Action>,
    /// Every action taken, rewinds included, in order: what is recorded and replayed.
    history: Vec<Action>,
    st: State,
}

impl Session {
    /// Starts a call: the customer says the first turn's line.
    pub fn start(engine: Engine, seed: u64, mode: Mode) -> (Session, Vec<Event>) {
        let mut session =
            Session { st: initial_state(&engine, seed), engine, seed, mode, actions: Vec::new(), history: Vec::new() };
        let events = session.open();
        (session, events)
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }
    pub fn mode(&self) -> Mode {
        self.mode
    }
    pub fn engine(&self) -> &Engine {
        &self.engine
    }
    pub fn scenario(&self) -> &CompiledScenario {
        &self.engine.scenario
    }
    pub fn mood(&self) -> f32 {
        self.st.mood
    }
    pub fn outcome(&self) -> Outcome {
        self.st.outcome
    }
    pub fn is_over(&self) -> bool {
        self.st.outcome != Outcome::InProgress
    }
    /// The turn (1-based) awaiting an answer, or the last one said when the call is over.
    pub fn turn(&self) -> u32 {
        self.st.turn_no
    }
    pub fn pending_turn_id(&self) -> Option<&str> {
        self.st.pending.map(|i| self.engine.scenario.scenario.turns[i].id.as_str())
    }
    pub fn transcript(&self) -> &[TranscriptEntry] {
        &self.st.transcript
    }
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }
    /// Every action taken, rewinds included.
    pub fn history(&self) -> &[Action] {
        &self.history
    }
    /// The turn at which the call was (first) transferred.
    pub fn transfer_turn(&self) -> Option<u32> {
        self.st.transfer.as_ref().map(|t| t.0)
    }

    /// Rebuilds a session from a recorded history (answers, transfers, rewinds …), e.g. to
    /// re-score it against a newer version of the scenario. Actions the call no longer accepts
    /// (it ended earlier under the new version) are skipped and counted.
    pub fn replay(engine: Engine, seed: u64, mode: Mode, history: &[Action]) -> (Session, usize) {
        let (mut session, _) = Session::start(engine, seed, mode);
        let mut skipped = 0;
        for action in history {
            let ok = match action {
                Action::Answer { text, latency_ms } => session.answer(text, *latency_ms).is_ok(),
                Action::Silence { waited_ms, typing_ms } => session.silence(*waited_ms, *typing_ms).is_ok(),
                Action::Transfer { note, latency_ms } => session.transfer(note, *latency_ms).is_ok(),
                Action::HangUp => session.hang_up().is_ok(),
                Action::Rewind { turn } => session.rewind(*turn).is_ok(),
            };
            if !ok {
                skipped += 1;
            }
        }
        (session, skipped)
    }
    /// The scored answers with the turn (1-based) each answered.
    pub fn turn_scores(&self) -> &[(u32, TurnScore)] {
        &self.st.scores
    }

    /// The agent answers the pending turn after `latency_ms` of thinking and typing.
    pub fn answer(&mut self, text: &str, latency_ms: u64) -> Result<Vec<Event>, SessionError> {
        let chars = text.chars().count();
        if self.is_over() {
            return Err(SessionError::CallOver);
        }
        if text.trim().is_empty() {
            return Err(SessionError::EmptyAnswer);
        }
        if chars > MAX_ANSWER_CHARS {
            return Err(SessionError::AnswerTooLong { chars, max: MAX_ANSWER_CHARS });
        }
        Ok(self.take(Action::Answer { text: text.to_string(), latency_ms }))
    }

    /// The shell reports silence: `waited_ms` since the customer's last line, `typing_ms` of
    /// it with the agent visibly typing. Past the persona's patience the customer asks whether
    /// the agent is still there (once a turn); in chat typing wears patience more slowly, and
    /// a customer asked to hold waits longer.
    pub fn silence(&mut self, waited_ms: u64, typing_ms: u64) -> Result<Vec<Event>, SessionError> {
        if self.is_over() {
            return Err(SessionError::CallOver);
        }
        if !self.silence_matters(waited_ms, typing_ms) {
            return Ok(Vec::new());
        }
        Ok(self.take(Action::Silence { waited_ms, typing_ms }))
    }

    /// True when such a silence would make the customer speak up now.
    pub fn silence_matters(&self, waited_ms: u64, typing_ms: u64) -> bool {
        !self.is_over() && !self.st.nudged && self.felt_wait_ms(waited_ms, typing_ms) > self.patience_ms()
    }

    /// How long a silence feels to the customer: on the phone all of it; in chat the time the
    /// agent is seen typing counts `CHAT_TYPING_FACTOR` times less.
    pub fn felt_wait_ms(&self, waited_ms: u64, typing_ms: u64) -> u64 {
        let typing = typing_ms.min(waited_ms);
        match self.engine.scenario.scenario.channel {
            Channel::Phone => waited_ms,
            Channel::Chat => waited_ms - typing + typing / CHAT_TYPING_FACTOR,
        }
    }

    /// The customer's patience now, in ms: the persona's (never below `MIN_PATIENCE_SECS`),
    /// longer while holding.
    pub fn patience_ms(&self) -> u64 {
        let secs = effective_patience_secs(self.engine.scenario.scenario.persona.patience_secs);
        let hold = if self.st.holding { HOLD_FACTOR } else { 1 };
        u64::from(secs) * 1000 * hold
    }

    /// The agent transfers the call with a handoff note.
    pub fn transfer(&mut self, note: &str, latency_ms: u64) -> Result<Vec<Event>, SessionError> {
        if self.is_over() {
            return Err(SessionError::CallOver);
        }
        let chars = note.trim().chars().count();
        if chars > MAX_NOTE_CHARS {
            return Err(SessionError::NoteTooLong { chars, max: MAX_NOTE_CHARS });
        }
        Ok(self.take(Action::Transfer { note: note.trim().to_string(), latency_ms }))
    }

    /// The agent hangs up.
    pub fn hang_up(&mut self) -> Result<Vec<Event>, SessionError> {
        if self.is_over() {
            return Err(SessionError::CallOver);
        }
        Ok(self.take(Action::HangUp))
    }

    /// Practice mode: goes back to turn `turn` (1-based), as if the agent had not yet answered
    /// it; the customer's mood and line are what they were then.
    pub fn rewind(&mut self, turn: u32) -> Result<Vec<Event>, SessionError> {
        if self.mode == Mode::Exam {
            return Err(SessionError::RewindInExam);
        }
        let max = self.st.turn_no;
        if turn == 0 || turn > max {
            return Err(SessionError::RewindOutOfRange { turn, max });
        }
        self.history.push(Action::Rewind { turn });
        let actions = std::mem::take(&mut self.actions);
        self.st = initial_state(&self.engine, self.seed);
        self.open();
        for action in actions {
            if self.st.turn_no == turn && self.st.pending.is_some() {
                break;
            }
            self.apply(&action);
            self.actions.push(action);
        }
        let line = self
            .st
            .transcript
            .iter()
            .rev()
            .find(|e| e.speaker == Speaker::Customer && e.turn == turn)
            .map(|e| e.text.clone())
            .unwrap_or_default();
        Ok(vec![Event::Rewound { turn, mood: self.st.mood, line }])
    }

    /// The scorecard of the call so far (final once the call is over).
    pub fn scorecard(&self) -> Scorecard {
        // Told the customer about a transfer and never did it: known once the call is over.
        let unkept_announcement = if self.is_over() {
            self.st.announced.iter().find(|(a, _)| self.st.last_transfer.is_none_or(|t| *a >= t)).cloned()
        } else {
            None
        };
        let facts = EscalationFacts {
            transfer: self.st.transfer.clone(),
            announced: self.st.announced.clone(),
            unmet_before_transfer: self.st.unmet_before_transfer.clone(),
            unkept_announcement,
            trigger: self.st.trigger.clone(),
            turns: self.st.turn_no,
        };
        build_scorecard(&self.engine, self.seed, self.mode, self.st.outcome, &self.st.scores, &facts)
    }

    /// Applies an action and keeps it.
    fn take(&mut self, action: Action) -> Vec<Event> {
        let events = self.apply(&action);
        self.history.push(action.clone());
        self.actions.push(action);
        events
    }

    fn open(&mut self) -> Vec<Event> {
        let sc = &self.engine.scenario.scenario;
        let mut events = vec![Event::CallStarted {
            scenario_id: sc.id.clone(),
            title: sc.title.clone(),
            seed: self.seed,
            mode: self.mode,
            mood: self.st.mood,
        }];
        self.enter(Target::Turn(0), &mut events);
        events
    }

    fn apply(&mut self, action: &Action) -> Vec<Event> {
        let mut events = Vec::new();
        match action {
            Action::Answer { text, latency_ms } => self.on_answer(text, *latency_ms, &mut events),
            Action::Silence { .. } => self.on_silence(&mut events),
            Action::Transfer { note, .. } => self.on_transfer(note, &mut events),
            Action::HangUp => {
                self.push(Speaker::Agent, LineKind::HangUp, "（坐席挂断了电话）".to_string(), None, None, None);
                self.end(Outcome::AgentHungUp, None, &mut events);
            }
            Action::Rewind { .. } => {}
        }
        events
    }

    fn on_answer(&mut self, text: &str, latency_ms: u64, events: &mut Vec<Event>) {
        let Some(turn_index) = self.st.pending else {
            return;
        };
        let engine = self.engine.clone();
        let sc = &engine.scenario;
        let persona = &sc.scenario.persona;
        let latency_secs = latency_ms as f32 / 1000.0;
        let ctx = AnswerContext { turn: turn_index, mood_before: self.st.mood, latency_secs: Some(latency_secs) };
        let score = score_answer(&engine.analyzer, sc, text, &ctx);
        self.st.answers += 1;
        let turn_no = self.st.turn_no;
        if let Some(words) = &score.features.announces_transfer {
            self.st.announced.push((turn_no, words.clone()));
        }
        self.push(Speaker::Agent, LineKind::Answer, text.to_string(), None, None, Some(latency_ms));

        // In chat the customer saw the agent typing the answer.
        let patience = self.patience_ms() as f32 / 1000.0;
        let felt = self.felt_wait_ms(latency_ms, latency_ms) as f32 / 1000.0;
        let silence_over = if self.st.nudged { 0.0 } else { ((felt - patience) / patience).max(0.0) };
        let has_required = !sc.scenario.turns[turn_index].expect.required.is_empty();
        let reaction = engine.model.react(persona, &score, has_required, silence_over);
        let empathy = score.tone.empathy;
        events.push(Event::AnswerScored { turn: turn_no, score: Box::new(score.clone()) });
        self.st.scores.push((turn_no, score));
        self.move_mood(reaction.delta, reaction.reasons(), events);
        if self.st.mood >= HANG_UP_MOOD {
            self.customer_hangs_up(events);
            return;
        }
        let last = self.st.scores.last().expect("just pushed").1.clone();
        let turn = &sc.scenario.turns[turn_index];
        let next = self.branch(&turn.next, &last).unwrap_or_else(|| {
            if turn_index + 1 < sc.scenario.turns.len() {
                Target::Turn(turn_index + 1)
            } else {
                sc.ending_of_kind(EndingKind::Resolved).map_or(Target::Ending(usize::MAX), Target::Ending)
            }
        });
        let reacted = self.respond(turn_index, &last, next, events);
        // The customer may demand a supervisor of their own accord, as real customers do (by
        // chance only when they did not just react: the reaction said what they think).
        if !self.is_over() && !self.st.demanded {
            let chance = engine.model.demand_chance(self.st.mood, empathy);
            let at_mark = self.st.mood >= f32::from(persona.demands_supervisor_at);
            let roll: f32 = self.st.rng.random();
            if at_mark || (!reacted && roll < chance) {
                self.demand_supervisor(events);
            }
        }
    }

    /// The customer's next line after an answer: the script's, unless it would not fit what the
    /// agent said — then a reaction, and the script waits on the same turn.
    /// Returns true when the customer reacted (the script waits).
    fn respond(&mut self, turn_index: usize, last: &TurnScore, next: Target, events: &mut Vec<Event>) -> bool {
        let engine = self.engine.clone();
        let sc = &engine.scenario.scenario;
        let asked = self.asked_facts(last);
        let asked_again: Vec<String> = asked
            .iter()
            .filter(|&&f| self.st.given.contains(&sc.facts[f].id))
            .map(|&f| sc.facts[f].value.clone())
            .collect();
        let to_tell: Vec<usize> = asked.iter().copied().filter(|&f| !self.st.given.contains(&sc.facts[f].id)).collect();
        let mut known: Vec<String> = self.st.given.clone();
        known.extend(to_tell.iter().map(|&f| sc.facts[f].id.clone()));
        let bot_values = self.bot_values(last);
        let mut reaction = self.choose_reaction(turn_index, last, next, &known);
        // Asked for what they already said (to the agent or to the chatbot): they say so.
        let (repeat_kind, repeat_value) = if !asked_again.is_empty() {
            (Some(ReactionKind::AskedAgain), asked_again.join("，"))
        } else if !bot_values.is_empty() {
            (Some(ReactionKind::BotKnows), bot_values.join("，"))
        } else {
            (None, String::new())
        };
        if let (Some(repeat), Some(ReactionKind::NoProgress | ReactionKind::Unanswered | ReactionKind::GoAhead)) =
            (repeat_kind, reaction)
        {
            reaction = Some(repeat);
        }
        // Asked point-blank while upset — no apology, no word for their trouble, no reason — a
        // customer asks what for before telling; asked again, they tell.
        let wary = self.st.mood + WARY_BELOW_DEMAND >= f32::from(sc.persona.demands_supervisor_at);
        let first_ask = to_tell.iter().any(|&f| !self.st.questioned.contains(&sc.facts[f].id));
        let bare = !last.tone.acts.performed().any(|h| !h.negated && (h.act.soothes() || h.act == Act::Explain));
        let blunt_ask = wary && first_ask && bare && repeat_kind.is_none();
        if blunt_ask && matches!(reaction, None | Some(ReactionKind::GoAhead | ReactionKind::NoProgress)) {
            reaction = Some(ReactionKind::AskWhy);
        }
        let to_tell = if reaction == Some(ReactionKind::AskWhy) {
            for &f in &to_tell {
                if !self.st.questioned.contains(&sc.facts[f].id) {
                    self.st.questioned.push(sc.facts[f].id.clone());
                }
            }
            Vec::new()
        } else {
            to_tell
        };
        let Some(kind) = reaction else {
            self.st.reactions_in_a_row = 0;
            self.st.holding = false;
            // The customer tells what they were asked for, when the next line does not.
            let reveals = match next {
                Target::Turn(i) => self.eligible_lines(i, &known).iter().flat_map(|l| l.reveals.clone()).collect(),
                Target::Ending(_) => Vec::new(),
            };
            let told: Vec<String> =
                to_tell.iter().filter(|&&f| !reveals.contains(&sc.facts[f].id)).map(|&f| self.fact_line(f)).collect();
            let mut prefix = match repeat_kind {
                Some(kind) => self.reaction_line(turn_index, kind, &repeat_value),
                None => String::new(),
            };
            prefix.push_str(&told.concat());
            self.enter_with(next, &prefix, &known, events);
            for &f in &to_tell {
                if !self.st.given.contains(&sc.facts[f].id) {
                    self.st.given.push(sc.facts[f].id.clone());
                }
            }
            return false;
        };
        for &f in &to_tell {
            // Asked and answered even though the script waits.
            self.st.given.push(sc.facts[f].id.clone());
        }
        if self.st.reactions_in_a_row >= MAX_REACTIONS_IN_A_ROW
            && !matches!(kind, ReactionKind::HoldAccept | ReactionKind::TransferAccept)
        {
            // Third time round the same turn: the customer gives up.
            let target = engine.scenario.ending_of_kind(EndingKind::Unresolved).map(Target::Ending).unwrap_or(next);
            self.st.reactions_in_a_row = 0;
            self.enter_with(target, "", &known, events);
            return false;
        }
        let value = if Some(kind) == repeat_kind { repeat_value } else { String::new() };
        let mut line = self.reaction_line(turn_index, kind, &value);
        let told: String = to_tell.iter().map(|&f| self.fact_line(f)).collect();
        if !told.is_empty() {
            line = format!("{told}{line}");
        }
        self.st.reactions_in_a_row += 1;
        self.st.turn_hits.extend(last.hits.iter().cloned());
        self.st.holding = kind == ReactionKind::HoldAccept;
        // The customer says the line again as a new turn of the call on the same script turn.
        self.st.turn_no += 1;
        self.st.nudged = false;
        self.say_reaction(line, kind, turn_index, events);
        match kind {
            ReactionKind::Escalate => {
                self.st.demanded = true;
                self.fire_trigger(Trigger::DemandsSupervisor, events);
            }
            ReactionKind::CommitTaken => {
                // The customer takes the promise at its word and the call ends there.
                let e = engine.scenario.ending_of_kind(EndingKind::Resolved);
                self.end(Outcome::Resolved, e.map(|e| sc.endings[e].id.clone()), events);
            }
            _ => {}
        }
        self.check_mood_trigger(events);
        true
    }

    /// What the customer says to tell fact `f`: one of its `says`, or "{label}是{value}。".
    fn fact_line(&mut self, f: usize) -> String {
        let engine = self.engine.clone();
        let fact = &engine.scenario.scenario.facts[f];
        if fact.says.is_empty() {
            format!("{}是{}。", fact.label, fact.value)
        } else {
            fact.says[self.st.rng.random_range(0..fact.says.len())].clone()
        }
    }

    /// The reaction the answer calls for, if the script's next line would not fit it.
    fn choose_reaction(
        &self,
        turn_index: usize,
        last: &TurnScore,
        next: Target,
        known: &[String],
    ) -> Option<ReactionKind> {
        let sc = &self.engine.scenario;
        let acts = &last.tone.acts;
        let has = |act: Act| acts.has(act);
        if [Act::Insult, Act::Attack, Act::Blame, Act::Dismiss, Act::Sarcasm].into_iter().any(has) {
            return Some(ReactionKind::Insulted);
        }
        // Nothing the customer can make sense of, where the turn needed something.
        if last.features.empty && !last.missed.is_empty() {
            return Some(ReactionKind::Confused);
        }
        let heated = self.st.mood + 10.0 >= f32::from(sc.scenario.persona.demands_supervisor_at);
        if [Act::ShiftBlame, Act::Minimize, Act::Impatience].into_iter().any(has) {
            return Some(if heated { ReactionKind::Escalate } else { ReactionKind::PushBack });
        }
        // A promise the briefing forbids is taken at its word.
        let false_promise = sc
            .forbidden_acts
            .iter()
            .any(|f| matches!(f.rule.act, Act::Commit | Act::Offer) && last.red_lines.contains(&f.rule.label));
        if false_promise {
            return Some(ReactionKind::CommitTaken);
        }
        // The next line tells what nobody asked for: it waits.
        let next_lines = match next {
            Target::Turn(i) => Some(self.eligible_lines(i, known)),
            Target::Ending(_) => None,
        };
        let withheld = next_lines.as_ref().is_some_and(Vec::is_empty);
        // The script does not look at what the answer said, and the answer missed what the turn
        // needs: the next line was written for an answer that did not come.
        let turn = &sc.scenario.turns[turn_index];
        let blind = turn.next.iter().all(|b| !reads_answer(&b.when));
        // An answer that asks for what the next line tells is answered by it, whatever it missed.
        let asked_for_next = next_lines
            .iter()
            .flatten()
            .any(|l| l.reveals.iter().any(|r| known.contains(r) && !self.st.given.contains(r)));
        // What earlier answers to this turn said counts too while the customer waits on it.
        let still_missed: Vec<&String> = last.missed.iter().filter(|m| !self.st.turn_hits.contains(m)).collect();
        let missed = !still_missed.is_empty() && blind && !asked_for_next;
        if withheld || missed {
            if last.features.announces_transfer.is_some() && self.st.transfer.is_none() {
                let welcome = self.transfer_welcome();
                return Some(if welcome { ReactionKind::TransferAccept } else { ReactionKind::TransferResist });
            }
            if has(Act::Hold) && !acts.performed().any(|h| h.act.is_substantive()) {
                return Some(ReactionKind::HoldAccept);
            }
            if has(Act::Refuse) {
                return Some(if heated { ReactionKind::Escalate } else { ReactionKind::PushBack });
            }
            if has(Act::Offer) && !has(Act::Close) && self.st.mood >= 50.0 {
                return Some(ReactionKind::OfferBargain);
            }
            if has(Act::Commit) && vague_commit(last) {
                return Some(ReactionKind::CommitVague);
            }
            if still_missed.is_empty() {
                return Some(ReactionKind::GoAhead);
            }
            if self.st.question.is_some() {
                return Some(ReactionKind::Unanswered);
            }
            return Some(ReactionKind::NoProgress);
        }
        None
    }

    /// True when the customer would accept being transferred now.
    fn transfer_welcome(&self) -> bool {
        if self.st.demanded || self.st.trigger.is_some() {
            return true;
        }
        match &self.engine.scenario.scenario.escalation.policy {
            EscalationPolicy::SolveYourself => false,
            EscalationPolicy::Window { from, .. } => self.st.turn_no >= *from,
            EscalationPolicy::OnTrigger { .. } => false,
            EscalationPolicy::Either => true,
        }
    }

    /// Facts (indices) the answer asks for.
    fn asked_facts(&self, score: &TurnScore) -> Vec<usize> {
        let facts = &self.engine.scenario.scenario.facts;
        let asks: Vec<_> = score.tone.acts.performed().filter(|h| h.act == Act::Ask).collect();
        (0..facts.len())
            .filter(|&f| {
                asks.iter().any(|h| {
                    facts[f].keywords.iter().any(|k| {
                        h.quote.contains(k.as_str())
                            || h.detail.as_deref().is_some_and(|d| d.split('、').any(|x| x == k))
                    })
                })
            })
            .collect()
    }

    /// The values of the chatbot's facts the answer asked for again.
    fn bot_values(&self, score: &TurnScore) -> Vec<String> {
        let Some(history) = &self.engine.scenario.scenario.bot_history else {
            return Vec::new();
        };
        let asks: Vec<_> = score.tone.acts.performed().filter(|h| h.act == Act::Ask).map(|h| &h.quote).collect();
        history
            .known_facts
            .iter()
            .filter(|f| f.keywords.iter().any(|k| asks.iter().any(|q| q.contains(k.as_str()))))
            .map(|f| f.value.clone().unwrap_or_else(|| f.label.clone()))
            .collect()
    }

    /// The lines of a turn the customer can say: those that tell only what was told or asked
    /// for (`known`), or that answer what was just asked for (`known` but not yet told: asked
    /// for the card, the customer gives the ID digits with it).
    fn eligible_lines(&self, turn: usize, known: &[String]) -> Vec<Line> {
        let given = &self.st.given;
        self.engine.scenario.scenario.turns[turn]
            .customer
            .iter()
            .filter(|l| {
                l.reveals.iter().all(|r| known.contains(r))
                    || l.reveals.iter().any(|r| known.contains(r) && !given.contains(r))
            })
            .cloned()
            .collect()
    }

    /// A reaction line: the turn's, the scenario's, then the persona's in the library.
    fn reaction_line(&mut self, turn_index: usize, kind: ReactionKind, value: &str) -> String {
        let engine = self.engine.clone();
        let sc = &engine.scenario.scenario;
        let own = sc.turns[turn_index].reactions.get(&kind).filter(|l| !l.is_empty());
        let scenario = sc.reactions.get(&kind).filter(|l| !l.is_empty());
        let lines: &[String] = match own.or(scenario) {
            Some(l) => l,
            None => engine.reactions.lines(&sc.persona.kind.key(), kind),
        };
        let template = if lines.is_empty() {
            kind.label().to_string()
        } else {
            lines[self.st.rng.random_range(0..lines.len())].clone()
        };
        let question = self.st.question.clone().unwrap_or_default();
        fill(&template, &question, value)
    }

    fn say_reaction(&mut self, text: String, kind: ReactionKind, turn_index: usize, events: &mut Vec<Event>) {
        let turn_id = self.engine.scenario.scenario.turns[turn_index].id.clone();
        self.say_as(text, None, LineKind::Reaction, Some(turn_id), Some(kind), events);
    }

    fn on_silence(&mut self, events: &mut Vec<Event>) {
        let engine = self.engine.clone();
        let persona = &engine.scenario.scenario.persona;
        self.st.nudged = true;
        // After a hold the customer chases the agent; otherwise they ask whether anyone is there.
        let holding = self.st.holding;
        let line = if holding {
            self.reaction_line(self.st.pending.unwrap_or(0), ReactionKind::HoldNudge, "")
        } else {
            self.pick(&persona.silence_lines, DEFAULT_SILENCE_LINE)
        };
        let delta = engine.model.silence(persona);
        self.move_mood(delta, vec![format!("让客户久等 {delta:+.1}")], events);
        self.check_mood_trigger(events);
        if self.st.mood >= HANG_UP_MOOD {
            self.customer_hangs_up(events);
            return;
        }
        if holding {
            self.say_reaction(line, ReactionKind::HoldNudge, self.st.pending.unwrap_or(0), events);
        } else {
            self.say(line, None, LineKind::SilenceNudge, None, events);
        }
    }

    fn on_transfer(&mut self, note: &str, events: &mut Vec<Event>) {
        // An answer that announced the transfer earlier in the call may make it count at that
        // answer's turn (agents are taught to tell the customer first); scoring decides.
        let turn = self.st.turn_no;
        let shown =
            if note.is_empty() { "（转接，无交接说明）".to_string() } else { format!("（转接）{note}") };
        self.push(Speaker::Agent, LineKind::Transfer, shown, None, None, None);
        if self.st.transfer.is_none() {
            self.st.transfer = Some((turn, note.to_string()));
            let before = &self.engine.scenario.scenario.escalation.before_transfer;
            self.st.unmet_before_transfer =
                before.iter().filter(|name| !self.st.scores.iter().any(|(_, s)| s.hit(name))).cloned().collect();
        }
        self.st.last_transfer = Some(turn);
        events.push(Event::Transferred { turn, note: note.to_string() });
        let engine = self.engine.clone();
        let sc = &engine.scenario;
        let last = self.st.scores.last().map(|(_, s)| s.clone());
        let target = match &last {
            Some(score) => self.branch(&sc.scenario.escalation.on_transfer, score),
            None => self.branch_without_answer(&sc.scenario.escalation.on_transfer),
        };
        match target {
            Some(t) => self.enter(t, events),
            None => match sc.ending_of_kind(EndingKind::Transferred) {
                Some(e) => self.enter(Target::Ending(e), events),
                None => self.end(Outcome::Transferred, None, events),
            },
        }
    }

    fn customer_hangs_up(&mut self, events: &mut Vec<Event>) {
        let sc = self.engine.scenario.clone();
        match sc.ending_of_kind(EndingKind::HungUp) {
            Some(e) => self.enter(Target::Ending(e), events),
            None => {
                self.say(DEFAULT_HANG_UP_LINE.to_string(), None, LineKind::Ending, None, events);
                self.end(Outcome::CustomerHungUp, None, events);
            }
        }
    }

    fn demand_supervisor(&mut self, events: &mut Vec<Event>) {
        let engine = self.engine.clone();
        self.st.demanded = true;
        let line = self.pick(&engine.scenario.scenario.persona.supervisor_lines, DEFAULT_SUPERVISOR_LINE);
        self.say(line, None, LineKind::SupervisorDemand, None, events);
        self.fire_trigger(Trigger::DemandsSupervisor, events);
    }

    /// Goes to a turn (the customer says its line) or an ending (the call ends).
    fn enter(&mut self, target: Target, events: &mut Vec<Event>) {
        let known = self.st.given.clone();
        self.enter_with(target, "", &known, events);
    }

    /// Goes to a turn or an ending, the customer first saying `prefix` (the facts they were
    /// asked for, when the script's line does not tell them). A turn's line is drawn from those
    /// that tell nothing the agent has not asked for.
    fn enter_with(&mut self, target: Target, prefix: &str, known: &[String], events: &mut Vec<Event>) {
        let engine = self.engine.clone();
        let sc = &engine.scenario.scenario;
        match target {
            Target::Turn(i) => {
                let turn = &sc.turns[i];
                self.st.turn_no += 1;
                self.st.pending = Some(i);
                self.st.nudged = false;
                self.st.holding = false;
                self.st.reactions_in_a_row = 0;
                self.st.turn_hits.clear();
                let eligible = self.eligible_lines(i, known);
                let line = self.draw(if eligible.is_empty() { &turn.customer } else { &eligible });
                for fact in &line.reveals {
                    if !self.st.given.contains(fact) {
                        self.st.given.push(fact.clone());
                    }
                }
                self.st.question = turn.question.clone().or_else(|| last_question(&line.text));
                let text = format!("{prefix}{}", line.text);
                self.say(text, line.voice, LineKind::Script, Some(turn.id.clone()), events);
                if turn.demands_supervisor {
                    self.st.demanded = true;
                    self.fire_trigger(Trigger::DemandsSupervisor, events);
                }
                if turn.beyond_authority {
                    self.fire_trigger(Trigger::BeyondAuthority, events);
                }
                // The customer is this upset while saying this turn's line.
                self.check_mood_trigger(events);
            }
            Target::Ending(e) => {
                let Some(ending) = sc.endings.get(e) else {
                    self.end(Outcome::Unresolved, None, events);
                    return;
                };
                let line = if ending.customer.is_empty() { Line::default() } else { self.draw(&ending.customer) };
                let text = format!("{prefix}{}", line.text);
                if !text.is_empty() {
                    self.say(text, line.voice, LineKind::Ending, Some(ending.id.clone()), events);
                }
                self.end(Outcome::from_ending(ending.kind), Some(ending.id.clone()), events);
            }
        }
    }

    fn end(&mut self, outcome: Outcome, ending_id: Option<String>, events: &mut Vec<Event>) {
        self.st.pending = None;
        self.st.outcome = outcome;
        self.st.ending_id = ending_id.clone();
        events.push(Event::CallEnded { outcome, ending_id });
    }

    fn say(
        &mut self,
        text: String,
        voice: Option<String>,
        kind: LineKind,
        turn_id: Option<String>,
        events: &mut Vec<Event>,
    ) {
        self.say_as(text, voice, kind, turn_id, None, events);
    }

    fn say_as(
        &mut self,
        text: String,
        voice: Option<String>,
        kind: LineKind,
        turn_id: Option<String>,
        reaction: Option<ReactionKind>,
        events: &mut Vec<Event>,
    ) {
        events.push(Event::CustomerSaid {
            turn: self.st.turn_no,
            turn_id: turn_id.clone(),
            text: text.clone(),
            voice: voice.clone(),
            kind,
            mood: self.st.mood,
            reaction,
        });
        self.push(Speaker::Customer, kind, text, turn_id, voice, None);
        if let Some(last) = self.st.transcript.last_mut() {
            last.reaction = reaction;
        }
    }

    fn push(
        &mut self,
        speaker: Speaker,
        kind: LineKind,
        text: String,
        turn_id: Option<String>,
        voice: Option<String>,
        latency_ms: Option<u64>,
    ) {
        self.st.transcript.push(TranscriptEntry {
            turn: self.st.turn_no,
            speaker,
            kind,
            text,
            turn_id,
            voice,
            latency_ms,
            mood: self.st.mood,
            reaction: None,
        });
    }

    fn move_mood(&mut self, delta: f32, reasons: Vec<String>, events: &mut Vec<Event>) {
        let from = self.st.mood;
        let to = ((from + delta).clamp(0.0, HANG_UP_MOOD) * 10.0).round() / 10.0;
        self.st.mood = to;
        if let Some(last) = self.st.transcript.last_mut() {
            last.mood = to;
        }
        events.push(Event::MoodChanged { from, to, reasons });
    }

    fn check_mood_trigger(&mut self, events: &mut Vec<Event>) {
        if let EscalationPolicy::OnTrigger { triggers, .. } = &self.engine.scenario.scenario.escalation.policy {
            let threshold = triggers.iter().find_map(|t| match t {
                Trigger::MoodAtLeast(m) if self.st.mood >= f32::from(*m) => Some(t.clone()),
                _ => None,
            });
            if let Some(t) = threshold {
                self.fire_trigger(t, events);
            }
        }
    }

    /// Records the first trigger of the scenario's policy that fires.
    fn fire_trigger(&mut self, trigger: Trigger, events: &mut Vec<Event>) {
        if self.st.trigger.is_some() {
            return;
        }
        let EscalationPolicy::OnTrigger { triggers, .. } = &self.engine.scenario.scenario.escalation.policy else {
            return;
        };
        let listed = triggers.iter().any(|t| std::mem::discriminant(t) == std::mem::discriminant(&trigger));
        if !listed {
            return;
        }
        let turn = self.st.turn_no;
        events.push(Event::EscalationTriggered { turn, trigger: trigger_text(&trigger) });
        self.st.trigger = Some((turn, trigger));
    }

    fn draw(&mut self, lines: &[Line]) -> Line {
        if lines.is_empty() {
            return Line::default();
        }
        let i = self.st.rng.random_range(0..lines.len());
        lines[i].clone()
    }

    fn pick(&mut self, lines: &[String], default: &str) -> String {
        if lines.is_empty() {
            return default.to_string();
        }
        let i = self.st.rng.random_range(0..lines.len());
        lines[i].clone()
    }

    fn branch(&self, branches: &[crate::scenario::schema::Branch], last: &TurnScore) -> Option<Target> {
        branches.iter().find(|b| self.holds(&b.when, Some(last))).and_then(|b| self.engine.scenario.target(&b.goto))
    }

    fn branch_without_answer(&self, branches: &[crate::scenario::schema::Branch]) -> Option<Target> {
        branches.iter().find(|b| self.holds(&b.when, None)).and_then(|b| self.engine.scenario.target(&b.goto))
    }

    fn holds(&self, c: &Condition, last: Option<&TurnScore>) -> bool {
        match c {
            Condition::Always => true,
            Condition::MoodAtLeast(m) => self.st.mood >= f32::from(*m),
            Condition::MoodBelow(m) => self.st.mood < f32::from(*m),
            Condition::Hit(name) => last.is_some_and(|s| s.hit(name)),
            Condition::Missed(name) => last.is_none_or(|s| !s.hit(name)),
            Condition::AnswersAtLeast(n) => self.st.answers >= *n,
            Condition::RedLine => last.is_some_and(|s| s.features.red_line),
            Condition::All(cs) => cs.iter().all(|c| self.holds(c, last)),
            Condition::Any(cs) => cs.iter().any(|c| self.holds(c, last)),
            Condition::Not(c) => !self.holds(c, last),
        }
    }
}

/// The patience a persona gets: its own, never below `MIN_PATIENCE_SECS`.
pub fn effective_patience_secs(patience_secs: u32) -> u32 {
    patience_secs.max(MIN_PATIENCE_SECS)
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// True when the condition looks at what the answer said (not only mood or counts).
fn reads_answer(c: &Condition) -> bool {
    match c {
        Condition::Hit(_) | Condition::Missed(_) | Condition::RedLine => true,
        Condition::Always | Condition::MoodAtLeast(_) | Condition::MoodBelow(_) | Condition::AnswersAtLeast(_) => false,
        Condition::All(cs) | Condition::Any(cs) => cs.iter().any(reads_answer),
        Condition::Not(c) => reads_answer(c),
    }
}

/// True when the answer promises without saying by when.
fn vague_commit(score: &TurnScore) -> bool {
    let commits: Vec<_> = score.tone.acts.performed().filter(|h| h.act == Act::Commit).collect();
    !commits.is_empty() && commits.iter().all(|h| h.detail.is_none())
}

/// The last question in a customer's line ("……，到底什么时候退？"), if it asks one.
pub fn last_question(text: &str) -> Option<String> {
    let mut sentences = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        current.push(c);
        if matches!(c, '。' | '！' | '？' | '!' | '?' | '；' | ';' | '…') {
            sentences.push(std::mem::take(&mut current));
        }
    }
    sentences
        .into_iter()
        .rev()
        .find(|s| s.ends_with(['？', '?']))
        .map(|s| s.trim_start_matches(['，', ',', ' ', '…']).trim().to_string())
        .filter(|s| s.chars().count() > 1)
}

fn initial_state(engine: &Engine, seed: u64) -> State {
    State {
        rng: ChaCha8Rng::seed_from_u64(seed),
        mood: f32::from(engine.scenario.scenario.persona.mood.min(100)),
        pending: None,
        turn_no: 0,
        answers: 0,
        nudged: false,
        demanded: false,
        given: Vec::new(),
        questioned: Vec::new(),
        question: None,
        reactions_in_a_row: 0,
        turn_hits: Vec::new(),
        holding: false,
        trigger: None,
        transfer: None,
        last_transfer: None,
        announced: Vec::new(),
        unmet_before_transfer: Vec::new(),
        transcript: Vec::new(),
        scores: Vec::new(),
        outcome: Outcome::InProgress,
        ending_id: None,
    }
}

/// Parses a line typed in a terminal or a scripted answer: `/transfer NOTE`, `/hangup`,
/// `/rewind N`, or an answer with an optional `@12s ` latency prefix.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Answer {
        text: String,
        latency_ms: Option<u64>,
    },
    Transfer {
        note: String,
        latency_ms: Option<u64>,
    },
    HangUp,
    Rewind(u32),
    /// The agent stays silent this long (scripted runs and sample calls).
    Silence(u64),
    /// A command that was not understood, with the reason.
    Invalid(String),
}

impl Input {
    pub fn parse(line: &str) -> Input {
        let line = line.trim_end_matches(['\r', '\n']);
        let (latency_ms, rest) = match split_latency(line) {
            Ok(split) => split,
            Err(why) => return Input::Invalid(why),
        };
        let rest = rest.trim();
        // With a Chinese input method "/" types "、" (or the full-width "／"): both work too.
        if let Some(cmd) = rest.strip_prefix(['/', '、', '／']) {
            let (name, arg) = cmd.split_once(char::is_whitespace).unwrap_or((cmd, ""));
            return match name {
                "transfer" | "转接" => Input::Transfer { note: arg.trim().to_string(), latency_ms },
                "hangup" | "挂断" => Input::HangUp,
                "silence" | "沉默" => match parse_duration(&seconds_by_default(arg.trim())) {
                    Ok(ms) => Input::Silence(ms),
                    Err(DurationError::TooLong) => Input::Invalid(format!(
                        "/silence 的时长“{}”超过上限 {} 秒；请给出不超过 1 小时的时长",
                        arg.trim().escape_debug(),
                        MAX_LATENCY_MS / 1000
                    )),
                    Err(DurationError::Malformed) => Input::Invalid(format!(
                        "/silence 需要时长，例如 /silence 30s（收到“{}”）",
                        arg.trim().escape_debug()
                    )),
                },
                "rewind" | "回退" => match arg.trim().parse::<u32>() {
                    Ok(n) => Input::Rewind(n),
                    Err(_) => Input::Invalid(format!("/rewind 需要一个回合号，例如 /rewind 2（收到“{}”）", arg.trim())),
                },
                other => {
                    Input::Invalid(format!("未知命令 /{other}；可用：/transfer 说明、/hangup、/rewind N、/silence 30s"))
                }
            };
        }
        Input::Answer { text: rest.to_string(), latency_ms }
    }
}

/// "30" means 30 seconds; "30s" and "800ms" keep their unit.
fn seconds_by_default(arg: &str) -> String {
    if !arg.is_empty() && arg.chars().all(|c| c.is_ascii_digit() || c == '.') {
        format!("{arg}s")
    } else {
        arg.to_string()
    }
}

/// Why a duration was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DurationError {
    /// Not digits (with at most one `.`) followed by `s` or `ms`.
    Malformed,
    /// Longer than `MAX_LATENCY_MS`.
    TooLong,
}

/// `12s`, `1.5s`, `800ms` in milliseconds: digits with at most one `.`, then the unit; at most
/// `MAX_LATENCY_MS`. No sign, exponent, `inf` or `NaN`.
fn parse_duration(token: &str) -> Result<u64, DurationError> {
    let (number, scale) = if let Some(v) = token.strip_suffix("ms") {
        (v, 1.0)
    } else if let Some(v) = token.strip_suffix('s') {
        (v, 1000.0)
    } else {
        return Err(DurationError::Malformed);
    };
    let digits = number.bytes().filter(u8::is_ascii_digit).count();
    let dots = number.bytes().filter(|&b| b == b'.').count();
    if digits == 0 || digits + dots != number.len() || dots > 1 {
        return Err(DurationError::Malformed);
    }
    // Many digits parse to a huge (finite) value, or to infinity: both are too long.
    let ms = number.parse::<f64>().map_err(|_| DurationError::Malformed)? * scale;
    if ms > MAX_LATENCY_MS as f64 {
        return Err(DurationError::TooLong);
    }
    Ok(ms.round() as u64)
}

/// Splits an optional `@12s `, `@1.5s ` or `@800ms ` prefix off a line. A prefix that is
/// meant as a latency (it starts with a digit, a sign or a dot, is a bare unit, or ends in `s`
/// with a digit in it) but is not one — `@12x`, `@-3s`, `@s`, `@1e99s`, `@12`, `@NaN5s` — is
/// refused with the reason rather than silently kept as answer text; `@王总 您好` is an answer.
fn split_latency(line: &str) -> Result<(Option<u64>, &str), String> {
    let Some(rest) = line.strip_prefix('@') else {
        return Ok((None, line));
    };
    let (token, tail) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let meant = token.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '.' | '+' | '-'))
        || matches!(token, "s" | "ms")
        || (token.ends_with('s') && token.bytes().any(|b| b.is_ascii_digit()));
    if !meant {
        return Ok((None, line));
    }
    match parse_duration(token) {
        Ok(ms) => Ok((Some(ms), tail)),
        Err(DurationError::TooLong) => Err(format!(
            "行首的“@{}”超过用时上限 {} 秒（1 小时）；请写成不超过 @{}s 的用时",
            token.escape_debug(),
            MAX_LATENCY_MS / 1000,
            MAX_LATENCY_MS / 1000
        )),
        Err(DurationError::Malformed) => Err(format!(
            "行首的“@{}”不是有效的用时，这一行没有作为回答；请写成 @12s、@1.5s 或 @800ms，\
             回答本身以 @ 开头时在 @ 前加一个空格",
            token.escape_debug()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_latency() {
        assert_eq!(Input::parse("@12s 您好"), Input::Answer { text: "您好".into(), latency_ms: Some(12000) });
        assert_eq!(Input::parse("@800ms 好的"), Input::Answer { text: "好的".into(), latency_ms: Some(800) });
        assert_eq!(
            Input::parse("/transfer 客户要求退款"),
            Input::Transfer { note: "客户要求退款".into(), latency_ms: None }
        );
        assert_eq!(Input::parse("@3s /transfer x"), Input::Transfer { note: "x".into(), latency_ms: Some(3000) });
        assert_eq!(Input::parse("/hangup"), Input::HangUp);
        assert_eq!(Input::parse("/rewind 2"), Input::Rewind(2));
        assert_eq!(Input::parse("、rewind 2"), Input::Rewind(2));
        assert_eq!(
            Input::parse("／转接 客户要求主管"),
            Input::Transfer { note: "客户要求主管".into(), latency_ms: None }
        );
        assert_eq!(Input::parse("、hangup"), Input::HangUp);
        assert_eq!(Input::parse("/silence 30s"), Input::Silence(30_000));
        assert_eq!(Input::parse("/silence 30"), Input::Silence(30_000));
        assert!(matches!(Input::parse("/silence soon"), Input::Invalid(_)));
        assert!(matches!(Input::parse("/rewind x"), Input::Invalid(_)));
        assert!(matches!(Input::parse("/dance"), Input::Invalid(_)));
        // Not a latency prefix: kept as text.
        assert_eq!(Input::parse("@王总 您好"), Input::Answer { text: "@王总 您好".into(), latency_ms: None });
        assert_eq!(Input::parse(" @12x 您好"), Input::Answer { text: "@12x 您好".into(), latency_ms: None });
        assert_eq!(Input::parse("@1.5s 好"), Input::Answer { text: "好".into(), latency_ms: Some(1500) });
        assert_eq!(Input::parse("@3600s 好"), Input::Answer { text: "好".into(), latency_ms: Some(MAX_LATENCY_MS) });
    }

    #[test]
    fn malformed_or_huge_latency_prefixes_are_refused_with_the_reason() {
        for bad in [
            "@12x 答案",
            "@-3s 答案",
            "@s 答案",
            "@ms 答案",
            "@12 答案",
            "@1.2.3s 答案",
            "@+3s 答案",
            "@.s 答案",
            "@NaN5s 答案",
        ] {
            match Input::parse(bad) {
                Input::Invalid(why) => {
                    let token = bad.split_whitespace().next().unwrap();
                    assert!(why.contains(token) && why.contains("@12s"), "{bad}: {why}");
                }
                other => panic!("{bad} should be refused, got {other:?}"),
            }
        }
        for huge in ["@18446744073709551615ms 答案", "@3601s 答案", &format!("@{}s x", "9".repeat(400))] {
            match Input::parse(huge) {
                Input::Invalid(why) => assert!(why.contains("上限"), "{huge}: {why}"),
                other => panic!("{huge} should be refused, got {other:?}"),
            }
        }
        // `@1e99s` is not digits: malformed, not too long.
        assert!(matches!(Input::parse("@1e99s x"), Input::Invalid(w) if w.contains("不是有效的用时")));
        assert!(matches!(Input::parse("/silence 99999999s"), Input::Invalid(w) if w.contains("上限")));
        assert!(matches!(Input::parse("@18446744073709551615"), Input::Invalid(w) if w.contains("不是有效的用时")));
    }
}
