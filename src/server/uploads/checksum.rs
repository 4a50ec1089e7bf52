//! Checking a chunk against the checksum its client sent (tus's checksum
//! extension): hashed as it streams in, kept only when it matches.

use sha1::Sha1;
use sha2::{Digest, Sha256};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Algorithm {
    Sha1,
    Sha256,
}

/// `Upload-Checksum: <algorithm> <base64 digest>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Checksum {
    pub(crate) algorithm: Algorithm,
    pub(crate) digest: Vec<u8>,
}

/// Hashes a chunk as it streams in, for comparison with its `Checksum`.
#[derive(Clone)]
pub(crate) enum ChunkHasher {
    Sha1(Sha1),
    Sha256(Sha256),
}

impl ChunkHasher {
    pub(crate) fn new(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Sha1 => ChunkHasher::Sha1(Sha1::new()),
            Algorithm::Sha256 => ChunkHasher::Sha256(Sha256::new()),
        }
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        match self {
            ChunkHasher::Sha1(h) => h.update(bytes),
            ChunkHasher::Sha256(h) => h.update(bytes),
        }
    }

    pub(crate) fn matches(self, expected: &Checksum) -> bool {
        let digest = match self {
            ChunkHasher::Sha1(h) => h.finalize().to_vec(),
            ChunkHasher::Sha256(h) => h.finalize().to_vec(),
        };
        digest == expected.digest
    }
}
