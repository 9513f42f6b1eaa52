//! Integration tests, one binary: the CLI contract, the engine, scoring, lint, bad input.

mod cli;
mod engine;
mod lint;
mod props;
mod records;
mod scoring;
mod support;
