//! Integration tests, one binary: the CLI contract, the engine, scoring, lint, bad input.

mod agreement;
mod cli;
mod concepts;
mod engine;
mod font;
#[cfg(feature = "gui")]
mod gui;
mod library;
mod lint;
mod listening;
mod mining;
mod props;
mod realism;
mod records;
mod scoring;
mod support;
