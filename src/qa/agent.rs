//! Who answered: the agent of each turn, from a field or column the export names
//! (`--agent-field`), from the service account the customer @-mentions (Weibo-style helpdesk
//! exports, `--agent-from-mentions`), or one agent for the whole export.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::mining::input::{RawDialogue, Role};
use crate::mining::redact::Redactor;

/// How agents are identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentSource {
    /// A JSON field (of the dialogue, or of each turn) or CSV column holding the agent's id.
    Field(String),
    /// The service account the customer @-mentions (`QaRules::service_account_words`); one
    /// agent per account.
    Mentions,
    /// Every agent turn is this one agent's (the helpdesk account as one agent).
    One(String),
}

/// The name given to agent turns whose agent is not known.
pub const UNNAMED: &str = "（未标明坐席）";
/// The account of a dialogue whose customer mentions no service account.
pub const UNKNOWN_ACCOUNT: &str = "（未识别的客服账号）";

/// The agent field of a JSON line: the dialogue's own, and each turn's (in order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonAgents {
    pub dialogue: Option<String>,
    pub turns: Vec<Option<String>>,
    /// The field is in the line at all (even as null).
    pub present: bool,
}

impl JsonAgents {
    /// The agent of each turn: the turn's own, else the dialogue's.
    pub fn per_turn(&self, turns: usize) -> Vec<Option<String>> {
        (0..turns).map(|i| self.turns.get(i).cloned().flatten().or_else(|| self.dialogue.clone())).collect()
    }
}

/// Reads `field` from a JSON line, at the top level and in each of `turns`; everything else is
/// skipped unread. A value may be a string or a number; `null` or blank is none.
pub fn json_agents(line: &str, field: &str) -> Result<JsonAgents, String> {
    let mut de = serde_json::Deserializer::from_str(line);
    Top { field }.deserialize(&mut de).map_err(|e| e.to_string())
}

struct Top<'f> {
    field: &'f str,
}

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = JsonAgents;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<JsonAgents, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = JsonAgents;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a dialogue object")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<JsonAgents, M::Error> {
        let mut out = JsonAgents::default();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == self.field {
                out.present = true;
                out.dialogue = map.next_value::<AgentValue>()?.0;
            } else if key == "turns" {
                let (turns, present) = map.next_value_seed(Turns { field: self.field })?;
                out.turns = turns;
                out.present |= present;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(out)
    }
}

struct Turns<'f> {
    field: &'f str,
}

impl<'de> DeserializeSeed<'de> for Turns<'_> {
    type Value = (Vec<Option<String>>, bool);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Turns<'_> {
    type Value = (Vec<Option<String>>, bool);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of turns")
    }
    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
        let (mut turns, mut present) = (Vec::new(), false);
        while let Some((agent, here)) = seq.next_element_seed(Turn { field: self.field })? {
            turns.push(agent);
            present |= here;
        }
        Ok((turns, present))
    }
}

struct Turn<'f> {
    field: &'f str,
}

impl<'de> DeserializeSeed<'de> for Turn<'_> {
    type Value = (Option<String>, bool);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Turn<'_> {
    type Value = (Option<String>, bool);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a turn object")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let (mut agent, mut present) = (None, false);
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key == self.field {
                present = true;
                agent = map.next_value::<AgentValue>()?.0;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok((agent, present))
    }
}

/// An agent id: a string (trimmed; blank is none), a number, or null.
struct AgentValue(Option<String>);

impl<'de> serde::Deserialize<'de> for AgentValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AgentValue, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = AgentValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an agent id (a string or a number)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<AgentValue, E> {
                Ok(AgentValue(Some(v.trim()).filter(|s| !s.is_empty()).map(str::to_string)))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<AgentValue, E> {
                Ok(AgentValue(Some(v.to_string())))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<AgentValue, E> {
                Ok(AgentValue(Some(v.to_string())))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<AgentValue, E> {
                Ok(AgentValue(Some(format!("{v}"))))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<AgentValue, E> {
                Ok(AgentValue(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// The service account a dialogue's customer @-mentions: of the mentions holding one of
/// `words`, the one mentioned most often (on a tie, the last mentioned). `None` when there is
/// none, or when the account's name itself holds personal data (a phone number …).
pub fn mentioned_account(raw: &RawDialogue<'_>, words: &[String], redactor: &Redactor) -> Option<String> {
    let mut seen: Vec<(String, usize, usize)> = Vec::new();
    let mut order = 0;
    for t in raw.turns.iter().filter(|t| t.role == Role::Customer) {
        for name in mentions(&t.text) {
            order += 1;
            if !words.iter().any(|w| name.contains(w.as_str())) {
                continue;
            }
            match seen.iter_mut().find(|s| s.0 == name) {
                Some(s) => {
                    s.1 += 1;
                    s.2 = order;
                }
                None => seen.push((name.to_string(), 1, order)),
            }
        }
    }
    let (name, _, _) = seen.into_iter().max_by_key(|s| (s.1, s.2))?;
    (redactor.redact(&name).1.total() == 0).then_some(name)
}

/// The names after each `@` (CJK, letters, digits, `_ - ·`, at most 30 characters).
fn mentions(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices('@').filter_map(move |(i, _)| {
        let rest = &text[i + 1..];
        let end = rest
            .char_indices()
            .take(30)
            .take_while(|&(_, c)| c.is_alphanumeric() || matches!(c, '_' | '-' | '·'))
            .last()
            .map(|(j, c)| j + c.len_utf8())?;
        Some(&rest[..end])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mining::input::{Labels, RawTurn};

    #[test]
    fn agent_fields_of_the_dialogue_and_its_turns() {
        let line = r#"{"id": 1, "agent_id": "A7", "x": {"agent_id": "nested, not read"}, "turns": [
            {"role": "customer", "text": "你好"}, {"role": "agent", "text": "您好", "agent_id": 42},
            {"role": "agent", "text": "稍等", "agent_id": null}, {"role": "agent", "agent_id": "  "}]}"#;
        let a = json_agents(line, "agent_id").unwrap();
        assert!(a.present);
        assert_eq!(a.dialogue.as_deref(), Some("A7"));
        assert_eq!(a.turns, vec![None, Some("42".into()), None, None]);
        assert_eq!(
            a.per_turn(5),
            vec![Some("A7".into()), Some("42".into()), Some("A7".into()), Some("A7".into()), Some("A7".into())]
        );
        let none = json_agents(r#"{"id": 1, "turns": [{"role": "agent", "text": "x"}]}"#, "agent_id").unwrap();
        assert!(!none.present);
        assert!(json_agents(r#"{"id": 1, "agent_id": [1]}"#, "agent_id").unwrap_err().contains("agent id"));
        assert!(json_agents("{\"id\": 1,", "agent_id").is_err());
    }

    #[test]
    fn the_most_mentioned_service_account_answers() {
        let raw = |texts: &[&str]| -> RawDialogue<'static> {
            RawDialogue {
                id: "1".into(),
                turns: texts
                    .iter()
                    .map(|t| RawTurn { role: Role::Customer, text: t.to_string().into(), nugget: None, agent: None })
                    .collect(),
                labels: Labels::default(),
            }
        };
        let words = vec!["客服".to_string(), "官方".to_string()];
        let r = Redactor::new();
        let d = raw(&["@罗永浩 @锤子科技客服 手机坏了", "@中国联通客服 @锤子科技客服 还没修"]);
        assert_eq!(mentioned_account(&d, &words, &r).as_deref(), Some("锤子科技客服"));
        // A tie goes to the last mentioned; a person is never an account.
        let d = raw(&["@中国电信客服 @中国联通客服，@王小明"]);
        assert_eq!(mentioned_account(&d, &words, &r).as_deref(), Some("中国联通客服"));
        assert_eq!(mentioned_account(&raw(&["@王小明 你好"]), &words, &r), None);
        // A name holding a phone number is personal data.
        assert_eq!(mentioned_account(&raw(&["@客服13812345678"]), &words, &r), None);
        assert_eq!(mentions("a@b_c-d·e，@@x").collect::<Vec<_>>(), ["b_c-d·e", "x"]);
    }
}
