//! Integration tests, one binary: the CLI contract, the engine, scoring, lint, bad input.

mod agreement;
mod cli;
mod coaching;
mod concepts;
mod engine;
mod font;
#[cfg(feature = "gui")]
mod gui;
mod injection;
mod library;
mod lint;
mod listening;
mod mining;
mod props;
mod qa;
mod realism;
mod records;
mod records_integrity;
mod scoring;
mod support;
