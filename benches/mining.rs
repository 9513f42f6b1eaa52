//! Mining throughput (filled in with issue 5).

fn main() {}
