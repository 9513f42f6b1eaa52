//! peilian (陪练): a role-play trainer for customer-service staff.
//!
//! The core (scenarios, the simulated customer, scoring, the session engine, records, mining, qa)
//! does not depend on bevy; the desktop app lives in `gui` behind the `gui` feature.

pub mod customer;
pub mod diagnostic;
#[cfg(feature = "gui")]
pub mod gui;
pub mod html;
pub mod lexicon;
pub mod mining;
pub mod qa;
pub mod realism;
pub mod records;
pub mod ron_file;
pub mod scenario;
pub mod scoring;
pub mod session;
pub mod text;
