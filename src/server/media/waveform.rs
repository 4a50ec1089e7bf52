//! Waveform peaks: ffmpeg decodes the sound to PCM on a pipe and Rust folds
//! it into a few thousand min/max pairs as it streams.
//!
//! The PCM is never kept: `PeakAccumulator` holds one min/max pair per small
//! bucket of samples, and when the buckets grow too many (a long file, or a
//! probed duration that was wrong) it merges neighbours and doubles the
//! bucket size. At the end the buckets are folded into at most
//! `TARGET_PAIRS` pairs at even steps.

use std::ffi::OsString;
use std::path::Path;

use crate::model::WaveformPeaks;

use super::process::Tool;
use super::{Media, MediaError};

/// The format of the waveform file; bump when `WaveformPeaks` changes meaning.
pub(crate) const VERSION: u32 = 1;
/// Mono at 16 kHz: plenty for a picture of loudness, and a cheap decode.
pub(crate) const SAMPLE_RATE: u32 = 16_000;
/// About one pair per pixel of a wide player.
pub(crate) const TARGET_PAIRS: usize = 2_000;
/// The finest bucket (1 ms at 16 kHz): very short sounds get fewer pairs
/// rather than one pair per sample.
pub(crate) const MIN_BUCKET: u64 = 16;
/// Buckets kept while streaming, as a multiple of the target, before
/// neighbours are merged: the margin lets a probed duration that was too long
/// still leave detail.
const BUCKET_MARGIN: usize = 4;

pub(crate) struct WaveformJob<'a> {
    pub input: &'a Path,
    /// The probed demuxer, forced with `-f`.
    pub demuxer: &'a str,
    pub duration_secs: Option<f64>,
}

/// Folds signed 16-bit little-endian mono PCM into min/max buckets as it
/// arrives, in chunks of any size (a sample may be split between two).
#[derive(Clone, Debug)]
pub(crate) struct PeakAccumulator {
    /// Samples per bucket; doubles whenever the buckets are merged.
    bucket: u64,
    /// Finished buckets as (min, max).
    done: Vec<(i16, i16)>,
    /// The bucket being filled: (min, max, samples so far).
    current: Option<(i16, i16, u64)>,
    /// The first byte of a sample whose second byte is in the next chunk.
    pending: Option<u8>,
    samples: u64,
    target: usize,
    max_buckets: usize,
}

impl PeakAccumulator {
    /// An accumulator aiming at `target` pairs; `expected_samples` (from the
    /// probed duration) only chooses the starting bucket size.
    pub(crate) fn new(expected_samples: Option<u64>, target: usize) -> Self {
        let target = target.max(1);
        let max_buckets = BUCKET_MARGIN * target;
        let bucket = match expected_samples {
            Some(n) => (n / max_buckets as u64).max(MIN_BUCKET),
            None => MIN_BUCKET,
        };
        PeakAccumulator {
            bucket,
            done: Vec::new(),
            current: None,
            pending: None,
            samples: 0,
            target,
            max_buckets,
        }
    }

    /// Samples folded in so far.
    #[cfg(test)]
    pub(crate) fn samples(&self) -> u64 {
        self.samples
    }

    /// Folds in the next bytes of the stream.
    pub(crate) fn push(&mut self, mut bytes: &[u8]) {
        if let Some(low) = self.pending.take() {
            match bytes.split_first() {
                Some((&high, rest)) => {
                    self.sample(i16::from_le_bytes([low, high]));
                    bytes = rest;
                }
                None => {
                    self.pending = Some(low);
                    return;
                }
            }
        }
        let mut pairs = bytes.chunks_exact(2);
        for pair in &mut pairs {
            self.sample(i16::from_le_bytes([pair[0], pair[1]]));
        }
        self.pending = pairs.remainder().first().copied();
    }

    fn sample(&mut self, s: i16) {
        self.samples += 1;
        let (min, max, n) = self.current.get_or_insert((s, s, 0));
        *min = (*min).min(s);
        *max = (*max).max(s);
        *n += 1;
        if *n >= self.bucket {
            self.done.push((*min, *max));
            self.current = None;
            if self.done.len() >= self.max_buckets {
                self.merge();
            }
        }
    }

    /// Halves the finished buckets by joining neighbours; `done` holds an
    /// even count here, so every bucket stays `bucket` samples long.
    fn merge(&mut self) {
        self.done = self
            .done
            .chunks(2)
            .map(|pair| join(pair.iter().copied()))
            .collect();
        self.bucket *= 2;
    }

    /// The peaks of everything pushed; `None` when no sample arrived. A
    /// dangling half sample is dropped.
    pub(crate) fn finish(mut self, sample_rate: u32) -> Option<WaveformPeaks> {
        if let Some((min, max, _)) = self.current.take() {
            self.done.push((min, max));
        }
        if self.done.is_empty() {
            return None;
        }
        let buckets = self.done.len();
        let length = buckets.min(self.target);
        let mut peaks = Vec::with_capacity(2 * length);
        for i in 0..length {
            // Pair i covers buckets [i·n/len, (i+1)·n/len): steps even to
            // within one bucket, and every bucket lands in exactly one pair.
            let (start, end) = (i * buckets / length, (i + 1) * buckets / length);
            let (min, max) = join(self.done[start..end].iter().copied());
            peaks.push(normalize(min));
            peaks.push(normalize(max));
        }
        Some(WaveformPeaks {
            version: VERSION,
            duration_secs: self.samples as f64 / f64::from(sample_rate),
            length,
            peaks,
        })
    }
}

fn join(buckets: impl Iterator<Item = (i16, i16)>) -> (i16, i16) {
    buckets.fold((i16::MAX, i16::MIN), |(lo, hi), (min, max)| {
        (lo.min(min), hi.max(max))
    })
}

/// -1.0..1.0 with `i16::MIN` at -1.0, rounded to 4 decimals for small JSON.
pub(crate) fn normalize(sample: i16) -> f32 {
    let x = f32::from(sample) / 32_768.0;
    (x * 10_000.0).round() / 10_000.0
}

impl WaveformJob<'_> {
    /// The ffmpeg command line that writes the first audio stream to stdout
    /// as mono 16 kHz s16le.
    pub(crate) fn args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["-nostdin".into(), "-v".into(), "error".into()];
        args.extend(super::safety::whitelists());
        args.extend([
            "-f".into(),
            self.demuxer.into(),
            "-i".into(),
            super::safety::file_arg(self.input),
        ]);
        args.extend(
            [
                "-map", "0:a:0", "-vn", "-sn", "-dn", "-ac", "1", "-ar", "16000", "-f", "s16le",
                "pipe:1",
            ]
            .map(OsString::from),
        );
        args
    }

    fn expected_samples(&self) -> Option<u64> {
        self.duration_secs
            .filter(|d| d.is_finite() && *d > 0.0)
            // Saturates on absurd durations; only a starting point anyway.
            .map(|d| (d * f64::from(SAMPLE_RATE)) as u64)
    }
}

impl Media {
    /// Decodes the first audio stream and returns its peaks. A file without
    /// sound fails in ffmpeg (`Process`); one that decodes to nothing is
    /// `NoPicture`.
    pub(crate) async fn waveform(
        &self,
        job: &WaveformJob<'_>,
    ) -> Result<WaveformPeaks, MediaError> {
        let mut peaks = PeakAccumulator::new(job.expected_samples(), TARGET_PAIRS);
        self.runner
            .run_streaming(Tool::Ffmpeg, job.args(), self.job_limit, |chunk| {
                peaks.push(chunk)
            })
            .await?;
        peaks.finish(SAMPLE_RATE).ok_or(MediaError::NoPicture)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcm(samples: &[i16]) -> Vec<u8> {
        samples.iter().flat_map(|s| s.to_le_bytes()).collect()
    }

    fn pairs(peaks: &WaveformPeaks) -> Vec<(f32, f32)> {
        peaks.peaks.chunks(2).map(|p| (p[0], p[1])).collect()
    }

    #[test]
    fn normalizing_maps_the_full_scale_to_one_and_rounds() {
        assert_eq!(normalize(i16::MIN), -1.0);
        assert_eq!(normalize(i16::MAX), 1.0);
        assert_eq!(normalize(0), 0.0);
        assert_eq!(normalize(16_384), 0.5);
        assert_eq!(normalize(1), 0.0);
        assert_eq!(normalize(1000), 0.0305);
    }

    #[test]
    fn chunk_boundaries_do_not_change_the_result() {
        let samples: Vec<i16> = (0..10_000)
            .map(|i| ((i * 7919 % 65_536) - 32_768) as i16)
            .collect();
        let bytes = pcm(&samples);
        let mut whole = PeakAccumulator::new(Some(10_000), 100);
        whole.push(&bytes);
        let whole = whole.finish(SAMPLE_RATE).expect("peaks");
        for size in [1, 2, 3, 7, 64, 1001] {
            let mut split = PeakAccumulator::new(Some(10_000), 100);
            for chunk in bytes.chunks(size) {
                split.push(chunk);
            }
            assert_eq!(split.samples(), 10_000);
            assert_eq!(
                split.finish(SAMPLE_RATE).expect("peaks"),
                whole,
                "chunks of {size}"
            );
        }
        assert_eq!(whole.length, 100);
        assert_eq!(whole.peaks.len(), 200);
    }

    #[test]
    fn a_sample_split_across_chunks_is_joined() {
        let mut acc = PeakAccumulator::new(None, 10);
        let bytes = pcm(&[-20_000, 30_000]);
        acc.push(&bytes[..1]);
        acc.push(&[]);
        acc.push(&bytes[1..3]);
        assert_eq!(acc.samples(), 1);
        acc.push(&bytes[3..]);
        assert_eq!(acc.samples(), 2);
        let peaks = acc.finish(SAMPLE_RATE).expect("peaks");
        assert_eq!(peaks.peaks, vec![normalize(-20_000), normalize(30_000)]);

        // A dangling odd byte at the very end is not a sample.
        let mut acc = PeakAccumulator::new(None, 10);
        acc.push(&[0x10, 0x00, 0x7f]);
        assert_eq!(acc.samples(), 1);
    }

    #[test]
    fn silence_is_flat_and_full_scale_reaches_one() {
        let mut silence = PeakAccumulator::new(Some(32_000), TARGET_PAIRS);
        silence.push(&vec![0u8; 64_000]);
        let silence = silence.finish(SAMPLE_RATE).expect("peaks");
        assert!(silence.peaks.iter().all(|&p| p == 0.0));
        assert_eq!(silence.duration_secs, 2.0);

        let square: Vec<i16> = (0..32_000)
            .map(|i| if i % 2 == 0 { i16::MIN } else { i16::MAX })
            .collect();
        let mut full = PeakAccumulator::new(Some(32_000), TARGET_PAIRS);
        full.push(&pcm(&square));
        let full = full.finish(SAMPLE_RATE).expect("peaks");
        assert_eq!(full.length, TARGET_PAIRS);
        assert!(pairs(&full).iter().all(|&p| p == (-1.0, 1.0)));
    }

    #[test]
    fn unknown_or_wrong_durations_still_give_the_target() {
        // One minute at 16 kHz, a ramp so the halves are told apart.
        let total = 60 * SAMPLE_RATE as usize;
        let ramp: Vec<i16> = (0..total).map(|i| (i * 30_000 / total) as i16).collect();
        let bytes = pcm(&ramp);
        for expected in [
            None,
            Some(16_000),
            Some(total as u64),
            Some(10 * total as u64),
        ] {
            let mut acc = PeakAccumulator::new(expected, TARGET_PAIRS);
            for chunk in bytes.chunks(65_536) {
                acc.push(chunk);
            }
            let peaks = acc.finish(SAMPLE_RATE).expect("peaks");
            assert_eq!(peaks.duration_secs, 60.0, "{expected:?}");
            assert_eq!(peaks.peaks.len(), 2 * peaks.length);
            let pairs = pairs(&peaks);
            if expected == Some(10 * total as u64) {
                // Ten times too long: coarser, but still the whole sound.
                assert!(peaks.length >= TARGET_PAIRS / 4, "{}", peaks.length);
            } else {
                assert_eq!(peaks.length, TARGET_PAIRS, "{expected:?}");
            }
            // Even steps: pair i starts near i/len of the ramp.
            for (i, (min, max)) in pairs.iter().enumerate() {
                let at = i as f32 / pairs.len() as f32 * 30_000.0 / 32_768.0;
                let step = 3.0 / pairs.len() as f32;
                assert!(
                    (min - at).abs() < step,
                    "{expected:?} pair {i}: {min} vs {at}"
                );
                assert!(max >= min);
            }
            assert_eq!(pairs[0].0, 0.0);
        }
    }

    #[test]
    fn fewer_samples_than_the_target_give_fewer_pairs() {
        let mut acc = PeakAccumulator::new(Some(100), TARGET_PAIRS);
        acc.push(&pcm(&[5_000; 100]));
        let peaks = acc.finish(SAMPLE_RATE).expect("peaks");
        // 100 samples in buckets of 16: six full ones and a partial one.
        assert_eq!(peaks.length, 7);
        assert_eq!(peaks.peaks.len(), 14);
        assert_eq!(peaks.duration_secs, 100.0 / 16_000.0);

        let mut one = PeakAccumulator::new(None, TARGET_PAIRS);
        one.push(&pcm(&[-3]));
        let one = one.finish(SAMPLE_RATE).expect("peaks");
        assert_eq!((one.length, one.peaks.len()), (1, 2));

        assert_eq!(
            PeakAccumulator::new(None, TARGET_PAIRS).finish(SAMPLE_RATE),
            None
        );
        let mut half = PeakAccumulator::new(None, TARGET_PAIRS);
        half.push(&[1]);
        assert_eq!(half.finish(SAMPLE_RATE), None);
    }

    #[test]
    fn arguments_decode_the_first_audio_stream_to_the_pipe() {
        let job = WaveformJob {
            input: Path::new("/d/in"),
            demuxer: "mp3",
            duration_secs: Some(3.0),
        };
        let args: Vec<String> = job
            .args()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let pos = |s: &str| args.iter().position(|a| a == s).expect(s);
        assert_eq!(args[pos("-f") + 1], "mp3");
        assert_eq!(args[pos("-i") + 1], "file:/d/in");
        assert_eq!(args[pos("-protocol_whitelist") + 1], "file");
        assert_eq!(args[pos("-map") + 1], "0:a:0");
        assert_eq!(args[pos("-ar") + 1], "16000");
        assert_eq!(args[pos("-ac") + 1], "1");
        assert_eq!(args.last().map(String::as_str), Some("pipe:1"));
        assert_eq!(job.expected_samples(), Some(48_000));
        let unknown = WaveformJob {
            duration_secs: Some(f64::NAN),
            ..job
        };
        assert_eq!(unknown.expected_samples(), None);
    }
}
