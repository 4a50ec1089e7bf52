//! Buffers that finished responses leave for the next ones, by power-of-two
//! size class: a 64 KiB range then costs no allocation and no zeroing (perf
//! showed the zeroing alone at 4 % of the CPU). Each class keeps at most
//! `KEEP_BYTES`, so idle memory stays small.

use std::sync::{Mutex, PoisonError};

const SMALLEST: usize = 16 * 1024;
const CLASSES: usize = 5; // 16 KiB … 256 KiB (`super::CHUNK`)
const KEEP_BYTES: usize = 4 * 1024 * 1024;

static SPARE: [Mutex<Vec<Vec<u8>>>; CLASSES] = [const { Mutex::new(Vec::new()) }; CLASSES];

/// The buffer size used for reads of up to `size` bytes.
pub(super) fn class(size: usize) -> usize {
    size.max(SMALLEST).next_power_of_two()
}

fn slot(size: usize) -> Option<&'static Mutex<Vec<Vec<u8>>>> {
    if !size.is_power_of_two() || size < SMALLEST {
        return None;
    }
    SPARE.get((size / SMALLEST).trailing_zeros() as usize)
}

pub(super) fn take(size: usize) -> Vec<u8> {
    slot(size)
        .and_then(|slot| slot.lock().unwrap_or_else(PoisonError::into_inner).pop())
        .unwrap_or_else(|| vec![0; size])
}

pub(super) fn put(buffer: Vec<u8>) {
    if let Some(slot) = slot(buffer.len()) {
        let mut kept = slot.lock().unwrap_or_else(PoisonError::into_inner);
        if (kept.len() + 1) * buffer.len() <= KEEP_BYTES {
            kept.push(buffer);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn buffers_come_back_by_size_class() {
        assert_eq!(super::class(1), 16 * 1024);
        assert_eq!(super::class(65_536), 65_536);
        assert_eq!(super::class(65_537), 131_072);
        let buffer = super::take(32 * 1024);
        assert_eq!(buffer.len(), 32 * 1024);
        super::put(buffer);
        assert_eq!(super::take(32 * 1024).len(), 32 * 1024);
        super::put(vec![0; 1000]); // not a class: dropped, not kept
    }
}
