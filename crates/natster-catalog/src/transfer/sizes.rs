//! Chunk sizes and windows the two sides agree on.

/// Smallest chunk the server agrees to: below this, per-message overhead dominates.
pub const MIN_CHUNK: u32 = 16 << 10;
/// Largest chunk: leaves room under nats-server's default 1 MiB `max_payload`
/// for the frame header, tag and NATS headers... unless the server allows more.
pub const MAX_CHUNK: u32 = 4 << 20;
/// Default chunk size, picked by the benchmark (see PROTOCOL.md).
pub const DEFAULT_CHUNK: u32 = 1 << 20;
/// Default number of chunks in flight before the sender waits for credit.
/// The benchmark (paired rounds, 1 MiB chunks, 2 cores) measured the
/// download at about 0.60x raw NATS with 8, 0.62x with 16 and no better
/// with 32, whose peak RSS was 35-40 MiB a side against 20-28 MiB.
pub const DEFAULT_WINDOW: u32 = 16;
/// Largest window a receiver accepts in an offer (bounds its memory).
pub const MAX_WINDOW: u32 = 64;

/// Number of chunks for `length` bytes: a zero-length range is one empty final chunk.
pub fn total_chunks(length: u64, chunk_size: u32) -> u64 {
    length.div_ceil(u64::from(chunk_size.max(1))).max(1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn chunk_counts() {
        assert_eq!(super::total_chunks(0, 10), 1);
        assert_eq!(super::total_chunks(1, 10), 1);
        assert_eq!(super::total_chunks(10, 10), 1);
        assert_eq!(super::total_chunks(11, 10), 2);
    }
}
