//! Mining: inputs, redaction, analysis, drafts, determinism.
