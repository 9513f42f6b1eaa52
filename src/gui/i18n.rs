//! The app's own words in Chinese (first) and English. Scenario content and the scoring's
//! reasons stay in the language they are written in.

use bevy::prelude::*;

#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Lang {
        if code == "en" { Lang::En } else { Lang::Zh }
    }
}

macro_rules! strings {
    ($($key:ident => $zh:literal, $en:literal;)*) => {
        /// A piece of UI text.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum T { $($key),* }

        impl T {
            /// Every key, for tests (font coverage, no empty strings).
            pub const ALL: &'static [T] = &[$(T::$key),*];

            pub fn get(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((T::$key, Lang::Zh) => $zh, (T::$key, Lang::En) => $en,)*
                }
            }
        }
    };
}

strings! {
    AppTitle => "陪练 · 客服情景模拟", "Peilian · customer-service role-play";
    WhoTitle => "谁在练习？", "Who is practising?";
    WhoHint => "选择学员，或新建一位。成绩会记在这位学员名下。", "Pick a trainee or add one. Results are recorded under this name.";
    NewTrainee => "新学员姓名", "New trainee's name";
    Team => "团队", "Team";
    Add => "添加", "Add";
    Mode => "模式", "Mode";
    Practice => "练习模式", "Practice";
    Exam => "考试模式", "Exam";
    PracticeHint => "每句回答后给出反馈，可回到任一回合重答", "Feedback after every answer; rewind to any turn";
    ExamHint => "结束前不显示任何反馈，不能回退", "No feedback until the end; no rewinding";
    Start => "开始练习", "Start";
    Dashboard => "管理看板", "Dashboard";
    Settings => "设置", "Settings";
    Back => "返回", "Back";
    NoTrainees => "还没有学员，先添加一位。", "No trainees yet: add one.";
    Current => "当前学员", "Trainee";
    PickerTitle => "选择场景", "Choose a scenario";
    Recommended => "推荐", "Recommended";
    All => "全部", "All";
    Persona => "客户", "Customer";
    Skill => "技能", "Skill";
    Difficulty => "难度", "Difficulty";
    Best => "最好成绩", "Best";
    PassMark => "及格线", "Pass mark";
    NotTried => "未练习", "Not tried";
    Passed => "已通过", "Passed";
    FailedToLoad => "无法加载", "Failed to load";
    NoMatch => "没有符合筛选条件的场景。", "No scenario matches the filters.";
    Incoming => "来电", "Incoming call";
    IncomingChat => "新的在线咨询", "New chat";
    Answer => "接听", "Answer";
    Mood => "情绪", "Mood";
    MoodCalm => "平静", "Calm";
    MoodUpset => "不满", "Upset";
    MoodAngry => "愤怒", "Angry";
    Patience => "耐心", "Patience";
    Waiting => "已等待", "Waiting";
    Seconds => "秒", "s";
    BotHistory => "机器人对话记录", "Chatbot history";
    Briefing => "情况说明", "Briefing";
    Send => "发送", "Send";
    Transfer => "转接", "Transfer";
    HangUp => "挂断", "Hang up";
    HandoffNote => "交接说明（给接手的同事）", "Handoff note (for the colleague)";
    ConfirmTransfer => "确认转接", "Transfer now";
    Cancel => "取消", "Cancel";
    TypeHere => "输入回答，按回车发送", "Type your answer, Enter to send";
    RewindHere => "从这里重答", "Retry from here";
    CallEnded => "通话结束", "Call ended";
    SeeScorecard => "查看成绩单", "See scorecard";
    TurnScore => "本回合", "This turn";
    ModelAnswer => "示范", "Model answer";
    ScorecardTitle => "成绩单", "Scorecard";
    Overall => "总分", "Overall";
    Pass => "通过", "Passed";
    Fail => "未通过", "Not passed";
    Outcome => "结果", "Outcome";
    Rubrics => "各项评分", "Rubrics";
    Turns => "逐回合", "Turn by turn";
    Hits => "做到了", "Done well";
    Issues => "问题", "Issues";
    Coaching => "教练提示", "Coaching";
    Retry => "再练一次", "Try again";
    NextRecommended => "下一个推荐场景", "Next recommended";
    ToList => "返回场景列表", "Back to scenarios";
    NotApplicable => "不适用", "n/a";
    DashboardTitle => "管理看板", "Dashboard";
    Trainee => "学员", "Trainee";
    Sessions => "练习", "Sessions";
    Average => "平均", "Average";
    PassRate => "通过率", "Pass rate";
    Trend => "趋势", "Trend";
    Weakest => "最弱技能", "Weakest skill";
    TrendChart => "总分趋势", "Score trend";
    RubricBars => "各评分项平均", "Rubric averages";
    WeakSkills => "薄弱技能与依据", "Weak skills and evidence";
    Recommendations => "推荐练习", "Recommended next";
    RecentSessions => "练习记录", "Sessions";
    Replay => "回放", "Replay";
    NoRecords => "还没有练习记录。", "No sessions recorded yet.";
    ReplayTitle => "练习回放", "Session replay";
    Incomplete => "未完成", "Incomplete";
    SettingsTitle => "设置", "Settings";
    Language => "语言", "Language";
    Volume => "音量", "Volume";
    Mute => "静音", "Mute";
    Unmute => "取消静音", "Unmute";
    UiScale => "界面大小", "UI scale";
    Database => "数据库位置", "Database";
    Apply => "应用", "Apply";
    DbUnavailable => "数据库暂不可用：成绩先保存在恢复文件中，恢复后自动导入。", "Database unavailable: results are kept in a recovery file and imported when it is back.";
    NotSaved => "无法保存：数据库和恢复文件都无法写入，本次练习不会被记录。请在设置里换一个可写的数据库位置。", "Not saved: neither the database nor a recovery file can be written; this session will not be recorded. Choose a writable database in Settings.";
    RecoveryBadTitle => "有恢复文件未导入", "Some recovery files were not imported";
    RecoveryBad => "以下恢复文件有问题，已保留（*.bad），没有导入：", "These recovery files are damaged; kept (*.bad), not imported:";
    NoAudio => "没有音频设备：静音运行。", "No audio device: running silent.";
    Reloaded => "场景已更新", "Scenarios reloaded";
    Turn => "回合", "Turn";
    You => "你", "You";
    Customer => "客户", "Customer";
    Missed => "遗漏", "Missed";
    RedLine => "红线", "Red line";
    Incidents => "事件（不当言行、红线、转接失误、挂断）", "Incidents (conduct, red lines, transfers, hang-ups)";
    NoIncidents => "没有事件", "No incidents";
    Sort => "点列名排序", "Click a column to sort";
    Anonymous => "练习者", "Trainee";
    Seed => "种子", "seed";
    RubricConcepts => "关键要点", "Key points";
    RubricTone => "语气态度", "Tone";
    RubricEscalation => "升级时机", "Escalation";
    RubricNoRepeat => "不重复询问", "No asking twice";
    RubricResponsiveness => "响应速度", "Responsiveness";
    PersonaNormal => "普通", "Normal";
    PersonaAngry => "愤怒", "Angry";
    PersonaVip => "VIP", "VIP";
    PersonaAnxious => "焦虑", "Anxious";
    PersonaElderly => "老年", "Elderly";
    ChannelPhone => "电话", "Phone";
    ChannelChat => "在线", "Chat";
    SkillEmpathy => "共情", "Empathy";
    SkillDeescalation => "情绪安抚", "De-escalation";
    SkillEscalation => "升级转接", "Escalation";
    SkillPolicy => "政策把握", "Policy";
    SkillProductKnowledge => "产品知识", "Product knowledge";
    SkillCommunication => "沟通表达", "Communication";
    SkillVerification => "身份核验", "Verification";
    SkillRetention => "客户挽留", "Retention";
    SkillCompliance => "合规", "Compliance";
    OutcomeInProgress => "进行中", "In progress";
    OutcomeResolved => "问题解决", "Resolved";
    OutcomeUnresolved => "未解决", "Unresolved";
    OutcomeCustomerHungUp => "客户挂断", "Customer hung up";
    OutcomeTransferred => "已转接", "Transferred";
    OutcomeAgentHungUp => "坐席挂断", "Agent hung up";
    TrendUp => "上升", "Rising";
    TrendDown => "下降", "Falling";
    TrendFlat => "持平", "Steady";
    Rewound => "已回退重答", "rewound and answered again";
    FilesWithErrors => "个文件有错误", "files with errors";
    TransferMistimed => "转接：过早 {} · 不该转 {} · 过晚 {} · 该转未转 {}", "Transfers: early {} · not needed {} · late {} · missed {}";
    RealCalls => "真实通话质检", "Real-call QA";
    RealCallsSummary => "通话 {} 通 · 回合 {} · 态度 {} · 每百回合事件 {} · 严重违规 {}", "Calls {} · turns {} · manner {} · incidents per 100 turns {} · breaches {}";
    RealCallsWeek => "{} 起一周：练习 {} 次，均分 {} · 真实通话 {} 通，态度 {}", "Week of {}: practice {} sessions, average {} · real calls {}, manner {}";
}

/// A rubric's name.
pub fn rubric(lang: &Lang, key: &str) -> &'static str {
    let k = match key {
        "concepts" => T::RubricConcepts,
        "tone" => T::RubricTone,
        "escalation" => T::RubricEscalation,
        "no_repeat" => T::RubricNoRepeat,
        _ => T::RubricResponsiveness,
    };
    k.get(*lang)
}

/// A persona kind's name (a centre's own kinds keep their name).
pub fn persona(lang: &Lang, kind: &crate::scenario::schema::PersonaKind) -> String {
    use crate::scenario::schema::PersonaKind as K;
    let k = match kind {
        K::Normal => T::PersonaNormal,
        K::Angry => T::PersonaAngry,
        K::Vip => T::PersonaVip,
        K::Anxious => T::PersonaAnxious,
        K::Elderly => T::PersonaElderly,
        K::Custom(name) => return name.clone(),
    };
    k.get(*lang).to_string()
}

/// A channel's name.
pub fn channel(lang: &Lang, c: crate::scenario::schema::Channel) -> &'static str {
    match c {
        crate::scenario::schema::Channel::Phone => T::ChannelPhone.get(*lang),
        crate::scenario::schema::Channel::Chat => T::ChannelChat.get(*lang),
    }
}

/// A skill's name by its key (`Skill::key`); a centre's own skills keep their label.
pub fn skill(lang: &Lang, key: &str, label: &str) -> String {
    use crate::scenario::schema::Skill;
    let k = match Skill::BUILT_IN.iter().find(|s| s.key() == key) {
        Some(Skill::Empathy) => T::SkillEmpathy,
        Some(Skill::Deescalation) => T::SkillDeescalation,
        Some(Skill::Escalation) => T::SkillEscalation,
        Some(Skill::Policy) => T::SkillPolicy,
        Some(Skill::ProductKnowledge) => T::SkillProductKnowledge,
        Some(Skill::Communication) => T::SkillCommunication,
        Some(Skill::Verification) => T::SkillVerification,
        Some(Skill::Retention) => T::SkillRetention,
        Some(Skill::Compliance) => T::SkillCompliance,
        Some(Skill::Other(_)) | None => return label.to_string(),
    };
    k.get(*lang).to_string()
}

/// How a call ended.
pub fn outcome(lang: &Lang, o: crate::session::Outcome) -> &'static str {
    use crate::session::Outcome as O;
    let k = match o {
        O::InProgress => T::OutcomeInProgress,
        O::Resolved => T::OutcomeResolved,
        O::Unresolved => T::OutcomeUnresolved,
        O::CustomerHungUp => T::OutcomeCustomerHungUp,
        O::Transferred => T::OutcomeTransferred,
        O::AgentHungUp => T::OutcomeAgentHungUp,
    };
    k.get(*lang)
}

/// A score trend's word (as `Trend::label`).
pub fn trend(lang: &Lang, trend: &crate::records::coaching::Trend) -> &'static str {
    use crate::records::coaching::Direction;
    let k = match trend.direction() {
        Some(Direction::Up) => T::TrendUp,
        Some(Direction::Down) => T::TrendDown,
        Some(Direction::Flat) => T::TrendFlat,
        None => return "—",
    };
    k.get(*lang)
}

/// "label：value" in Chinese, "label: value" in English.
pub fn labelled(lang: &Lang, label: &str, value: impl std::fmt::Display) -> String {
    match lang {
        Lang::Zh => format!("{label}：{value}"),
        Lang::En => format!("{label}: {value}"),
    }
}

/// "a（b）" in Chinese, "a (b)" in English.
pub fn paren(lang: &Lang, a: impl std::fmt::Display, b: impl std::fmt::Display) -> String {
    match lang {
        Lang::Zh => format!("{a}（{b}）"),
        Lang::En => format!("{a} ({b})"),
    }
}

/// A quoted phrase: 「…」 in Chinese, “…” in English.
pub fn quoted(lang: &Lang, s: &str) -> String {
    match lang {
        Lang::Zh => format!("「{s}」"),
        Lang::En => format!("“{s}”"),
    }
}

/// The separator of clauses (reasons, issues): "；" in Chinese, "; " in English.
pub fn clause_sep(lang: &Lang) -> &'static str {
    match lang {
        Lang::Zh => "；",
        Lang::En => "; ",
    }
}

/// The separator of a list of names: "、" in Chinese, ", " in English.
pub fn list_sep(lang: &Lang) -> &'static str {
    match lang {
        Lang::Zh => "、",
        Lang::En => ", ",
    }
}

/// The transfer-timing line of a weak skill: early, not needed, late, missed.
pub fn transfer_counts(lang: &Lang, early: u32, premature: u32, late: u32, missed: u32) -> String {
    fill(lang, T::TransferMistimed, &[early, premature, late, missed].map(|n| n.to_string()))
}

/// A string with `{}` places filled with `values` in order (an empty place when they run out).
pub fn fill(lang: &Lang, key: T, values: &[String]) -> String {
    let mut out = String::new();
    let mut values = values.iter();
    for (i, part) in key.get(*lang).split("{}").enumerate() {
        if i > 0 {
            out.push_str(values.next().map_or("", String::as_str));
        }
        out.push_str(part);
    }
    out
}

/// Reads the current language and a key.
pub fn t(lang: &Lang, key: T) -> &'static str {
    key.get(*lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_exists_in_both_languages() {
        for key in T::ALL {
            assert!(!key.get(Lang::Zh).is_empty() && !key.get(Lang::En).is_empty(), "{key:?}");
        }
    }

    #[test]
    fn core_labels_have_english_names_and_the_same_chinese() {
        use crate::scenario::schema::Skill;
        use crate::session::Outcome;
        for k in &Skill::BUILT_IN {
            assert_eq!(skill(&Lang::Zh, &k.key(), k.label()), k.label());
            let en = skill(&Lang::En, &k.key(), k.label());
            assert!(en.is_ascii() && !en.is_empty(), "{k:?}: {en}");
        }
        assert_eq!(skill(&Lang::En, &Skill::ProductKnowledge.key(), "产品知识"), "Product knowledge");
        let own = Skill::Other("话术".into());
        assert_eq!(skill(&Lang::En, &own.key(), own.label()), "话术", "a centre's own skill keeps its name");
        for o in [
            Outcome::InProgress,
            Outcome::Resolved,
            Outcome::Unresolved,
            Outcome::CustomerHungUp,
            Outcome::Transferred,
            Outcome::AgentHungUp,
        ] {
            assert_eq!(outcome(&Lang::Zh, o), o.label());
            assert!(outcome(&Lang::En, o).is_ascii());
        }
        for delta in [None, Some(5.0), Some(-5.0), Some(0.5)] {
            let tr = crate::records::coaching::Trend { delta, ..Default::default() };
            assert_eq!(trend(&Lang::Zh, &tr), tr.label());
        }
    }
}
