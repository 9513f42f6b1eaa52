//! Mining draft scenarios from exports of historical transcripts, with personal data removed.
