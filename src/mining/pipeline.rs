//! The only part of mining that knows about threads: a reader thread that cuts the inputs into
//! batches, and batches mapped on rayon's pool while the batch before them is folded on the
//! calling thread, in input order.

use std::io;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::{SyncSender, sync_channel};

use rayon::prelude::*;

use crate::mining::input::{self, FileStats, InputInfo, Record};
use crate::mining::spill::{RawRecord, Spill};

/// Dialogues per batch handed to the workers.
const BATCH: usize = 512;
/// Bytes per batch (a batch is sent when either limit is reached).
const BATCH_BYTES: usize = 8 << 20;
/// Records per batch when the spill is read back.
const SPILL_BATCH: usize = 2048;

/// Reads every input on a thread of its own and maps each record with `analyse` on the pool;
/// `fold` gets the results batch by batch, in input order. Returns each input's reading
/// figures. `bytes_read` follows the reading (for the progress bar).
pub(crate) fn analyse_inputs<T: Send>(
    infos: &[InputInfo],
    bytes_read: &Arc<AtomicU64>,
    analyse: impl Fn(Record) -> T + Sync,
    fold: impl FnMut(Vec<T>) -> io::Result<()> + Send,
) -> io::Result<Vec<FileStats>> {
    std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<Vec<Record>>(4);
        let counter = bytes_read.clone();
        let reader = scope.spawn(move || read_inputs(infos, counter, tx));
        let folded = map_fold(rx.into_iter().map(Ok), 8, |r| Ok(analyse(r)), fold);
        let file_stats = reader.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        folded.map(|()| file_stats)
    })
}

/// Reads the inputs in order into batches of records. Stops batching once nobody listens.
fn read_inputs(infos: &[InputInfo], counter: Arc<AtomicU64>, tx: SyncSender<Vec<Record>>) -> Vec<FileStats> {
    let mut file_stats = Vec::with_capacity(infos.len());
    let (mut batch, mut batch_bytes, mut listened) = (Vec::with_capacity(BATCH), 0usize, true);
    for (i, info) in infos.iter().enumerate() {
        let stats = input::read_file(i, info, Some(counter.clone()), &mut |rec| {
            if !listened {
                return;
            }
            batch_bytes += match &rec {
                Record::Json { text, .. } => text.len(),
                Record::Dialogue { dialogue, .. } => dialogue.turns.iter().map(|t| t.text.len()).sum(),
                Record::Bad(_) => 64,
            };
            batch.push(rec);
            if batch.len() >= BATCH || batch_bytes >= BATCH_BYTES {
                batch_bytes = 0;
                listened = tx.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))).is_ok();
            }
        });
        file_stats.push(stats);
    }
    if listened && !batch.is_empty() {
        let _ = tx.send(batch);
    }
    file_stats
}

/// Reads the spill from its start, maps each record with `map` on the pool and folds the
/// results batch by batch, in the order they were written.
pub(crate) fn over_spill<T: Send>(
    spill: &Spill,
    map: impl Fn(RawRecord) -> io::Result<T> + Sync,
    fold: impl FnMut(Vec<T>) -> io::Result<()> + Send,
) -> io::Result<()> {
    let mut reader = spill.reader()?;
    let batches = std::iter::from_fn(move || match reader.next_batch(SPILL_BATCH) {
        Ok(batch) if batch.is_empty() => None,
        read => Some(read),
    });
    map_fold(batches, 64, map, fold)
}

/// Maps each batch on the pool (at most `max_len` items per task) while the batch before it
/// is folded on this thread. The first error, of reading, mapping or folding, ends it.
fn map_fold<I: Send, T: Send>(
    batches: impl Iterator<Item = io::Result<Vec<I>>>,
    max_len: usize,
    map: impl Fn(I) -> io::Result<T> + Sync,
    mut fold: impl FnMut(Vec<T>) -> io::Result<()> + Send,
) -> io::Result<()> {
    let mut pending: Option<Vec<T>> = None;
    for batch in batches {
        let batch = batch?;
        let previous = pending.take();
        let (mapped, folded) = rayon::join(
            || batch.into_par_iter().with_max_len(max_len).map(&map).collect::<io::Result<Vec<T>>>(),
            || previous.map_or(Ok(()), &mut fold),
        );
        folded?;
        pending = Some(mapped?);
    }
    pending.map_or(Ok(()), fold)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_folded_in_order_and_the_first_error_ends_it() {
        let batches = (0..50).map(|b| Ok((b * 100..b * 100 + 100).collect::<Vec<u32>>()));
        let mut seen = Vec::new();
        map_fold(
            batches,
            8,
            |x| Ok(x * 2),
            |v| {
                seen.extend(v);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen, (0..5000).map(|x| x * 2).collect::<Vec<_>>());

        let batches = (0..50).map(|b| Ok(vec![b]));
        let mut folds = 0;
        let err = map_fold(
            batches,
            8,
            |x| if x == 7 { Err(io::Error::other("seven")) } else { Ok(x) },
            |_| {
                folds += 1;
                Ok(())
            },
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "seven");
        assert!(folds <= 7, "{folds} batches folded after the failing one");

        let batches = (0..5).map(|b| if b == 3 { Err(io::Error::other("read")) } else { Ok(vec![b]) });
        let mut folded = Vec::new();
        let err = map_fold(batches, 8, Ok, |v| {
            folded.extend(v);
            Ok(())
        })
        .unwrap_err();
        assert_eq!((err.to_string().as_str(), folded), ("read", vec![0, 1]));
    }
}
