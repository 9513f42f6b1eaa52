//! The numbers of every rubric, in one place: how features of an answer become points.
//!
//! Each function returns the score and the reasons that explain it, so a trainer can read why
//! an answer got what it got, and `docs/scoring.md` can state the same rules.

/// Concepts: required concepts make the score; optional ones add a bonus of up to this much.
pub const OPTIONAL_BONUS: f32 = 20.0;
/// Concepts: with only optional concepts expected, the score starts here.
pub const OPTIONAL_ONLY_BASE: f32 = 80.0;

/// `concepts` score from the weights hit and expected.
pub fn concepts(required_total: f32, required_hit: f32, optional_total: f32, optional_hit: f32) -> f32 {
    let bonus = if optional_total > 0.0 { OPTIONAL_BONUS * optional_hit / optional_total } else { 0.0 };
    if required_total > 0.0 {
        (100.0 * required_hit / required_total + bonus).min(100.0)
    } else {
        (OPTIONAL_ONLY_BASE + bonus).min(100.0)
    }
}

/// Tone: the customer is upset (mood at least this) or a goal asks for empathy.
pub const UPSET_MOOD: f32 = 50.0;
/// An angry customer this upset must be soothed first in every answer, whether or not the turn
/// asks for it.
pub const ANGRY_MOOD: f32 = 70.0;
/// An answer that does nothing for the customer (courtesy only) and misses a required concept
/// scores at most this.
pub const HOLLOW_CAP: f32 = 40.0;
/// Tone penalties, in points.
pub const HOSTILITY_PENALTY: f32 = 60.0;
pub const CURT_PENALTY: f32 = 25.0;
pub const SHOUTING_PENALTY: f32 = 20.0;
pub const SOOTHE_FIRST_MISSING: f32 = 15.0;
pub const SOOTHE_FIRST_LATE: f32 = 10.0;
pub const REASSURE_MISSING: f32 = 10.0;
pub const EMPATHIZE_MISSING: f32 = 10.0;
pub const VIP_NO_NIN: f32 = 15.0;
pub const VIP_USES_NI: f32 = 10.0;
pub const VIP_NO_TITLE: f32 = 10.0;

/// Share of reassurance that counts as soothing an upset customer, beside empathy.
pub const REASSURANCE_SOOTHES: f32 = 0.6;

/// The soothing of an answer: empathy and, at `REASSURANCE_SOOTHES`, reassurance, combined as a
/// noisy-or.
pub fn soothing(empathy: f32, reassurance: f32) -> f32 {
    crate::text::tone::noisy_or([empathy, REASSURANCE_SOOTHES * reassurance])
}

/// The base of the tone score from politeness and soothing or empathy (both 0–1).
///
/// With an upset customer soothing matters most: `30 + 30·礼貌 + 40·安抚` (安抚 = empathy and
/// part of the reassurance, `soothing`). Otherwise courtesy does: `50 + 40·礼貌 + 10·共情`.
/// Both reach 100 at the top.
pub fn tone_base(politeness: f32, empathy: f32, upset: bool) -> (f32, String) {
    if upset {
        let s = 30.0 + 30.0 * politeness + 40.0 * empathy;
        (s, format!("客户情绪激动，基础分 30 + 30×礼貌{politeness:.2} + 40×安抚{empathy:.2} = {s:.1}"))
    } else {
        let s = 50.0 + 40.0 * politeness + 10.0 * empathy;
        (s, format!("基础分 50 + 40×礼貌{politeness:.2} + 10×共情{empathy:.2} = {s:.1}"))
    }
}

/// `responsiveness`: full marks within the persona's patience, then down linearly to zero at
/// three times the patience.
pub fn responsiveness(latency_secs: f32, patience_secs: f32) -> (f32, String) {
    let patience = patience_secs.max(1.0);
    if latency_secs <= patience {
        (100.0, format!("{latency_secs:.0} 秒内作答，未超过客户耐心（{patience:.0} 秒）"))
    } else {
        let over = latency_secs - patience;
        let s = (100.0 * (1.0 - over / (2.0 * patience))).max(0.0);
        (s, format!("{latency_secs:.0} 秒才作答，超过客户耐心（{patience:.0} 秒）{over:.0} 秒"))
    }
}

/// `no_repeat`: each fact asked for again that the customer already gave the chatbot costs this.
pub const ASKED_AGAIN_PENALTY: f32 = 50.0;

pub fn no_repeat(asked_again: usize) -> f32 {
    (100.0 - ASKED_AGAIN_PENALTY * asked_again as f32).max(0.0)
}

/// `escalation`: points for the timing of the transfer.
pub const ON_TIME: f32 = 100.0;
pub const EARLY: f32 = 40.0;
/// A transfer before the steps the scenario's `before_transfer` requires (freeze the card first).
pub const PREMATURE: f32 = 20.0;
/// A transfer in a scenario the agent should have solved: the rubric fails (and so does the call).
pub const SOLVE_YOURSELF_TRANSFER: f32 = 0.0;
pub const MISSED: f32 = 0.0;
/// A late transfer loses this much per turn late, down to `LATE_FLOOR`.
pub const LATE_PER_TURN: f32 = 25.0;
pub const LATE_FLOOR: f32 = 20.0;
/// Share of the escalation score that the handoff note carries when the call was transferred.
pub const NOTE_SHARE: f32 = 0.3;

pub fn late(turns_late: u32) -> f32 {
    (ON_TIME - LATE_PER_TURN * turns_late as f32).max(LATE_FLOOR)
}

/// The overall cap when the customer hangs up in anger or the agent hangs up mid-call:
/// that many points under the pass mark.
pub const UNFINISHED_BELOW_PASS: f32 = 30.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concepts_required_and_bonus() {
        assert_eq!(concepts(2.0, 1.0, 0.0, 0.0), 50.0);
        assert_eq!(concepts(2.0, 1.0, 1.0, 1.0), 70.0);
        assert_eq!(concepts(2.0, 2.0, 1.0, 1.0), 100.0);
        assert_eq!(concepts(0.0, 0.0, 2.0, 1.0), 90.0);
    }

    #[test]
    fn responsiveness_falls_after_patience() {
        assert_eq!(responsiveness(5.0, 20.0).0, 100.0);
        assert_eq!(responsiveness(40.0, 20.0).0, 50.0);
        assert_eq!(responsiveness(90.0, 20.0).0, 0.0);
    }

    #[test]
    fn late_has_a_floor() {
        assert_eq!(late(1), 75.0);
        assert_eq!(late(9), LATE_FLOOR);
    }
}
