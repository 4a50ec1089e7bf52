//! The media the load uploads: WAV files written here, each with its own
//! frequency and length (no ffmpeg per file), and a few small MP4s made once
//! by ffmpeg. Every file carries a unique word (`n000042`) in its name, so a
//! search for that word must find exactly its item.

use std::path::Path;

use bytes::Bytes;

/// Samples per second of the generated WAVs (16-bit mono: 96,000 bytes a second).
const SAMPLE_RATE: u32 = 48_000;

/// A file to upload: its name, its bytes and their SHA-256 (hex).
pub(crate) struct Media {
    pub(crate) name: String,
    /// The word in the name that no other file's name starts with.
    pub(crate) word: String,
    pub(crate) bytes: Bytes,
    pub(crate) sha256: String,
}

impl Media {
    fn new(number: u64, name_rest: &str, bytes: Vec<u8>) -> Self {
        let word = unique_word(number);
        Media {
            name: format!("load {word} {name_rest}"),
            word,
            sha256: reel::testing::media::sha256_hex(&bytes),
            bytes: Bytes::from(bytes),
        }
    }

    /// The `number`th generated tone: a frequency and a length no other
    /// number shares, between half a second and five and a half.
    pub(crate) fn tone(number: u64) -> Self {
        let frequency_hz = 110.0 + (number % 40_000) as f64 * 0.5;
        let samples =
            SAMPLE_RATE / 2 + (number.wrapping_mul(7_919) % u64::from(SAMPLE_RATE * 5)) as u32;
        Self::tone_of(number, frequency_hz, samples)
    }

    /// A longer tone (`seconds` long) for the files read from the start.
    pub(crate) fn long_tone(number: u64, seconds: u32) -> Self {
        let frequency_hz = 55.0 + number as f64 * 3.0;
        Self::tone_of(number, frequency_hz, SAMPLE_RATE * seconds)
    }

    fn tone_of(number: u64, frequency_hz: f64, samples: u32) -> Self {
        let bytes = sine_wav(frequency_hz, samples);
        Self::new(number, &format!("tone {frequency_hz}hz.wav"), bytes)
    }

    /// Small H.264/AAC MP4s (test pattern and a tone), one ffmpeg run each,
    /// numbered from `first`.
    pub(crate) fn clips(dir: &Path, first: u64, count: u64) -> std::io::Result<Vec<Self>> {
        (0..count)
            .map(|i| {
                let seconds = 1 + i % 3;
                let made = reel::testing::media::ffmpeg(
                    dir,
                    &format!("clip{i}.mp4"),
                    &[
                        "-f",
                        "lavfi",
                        "-i",
                        &format!("testsrc=duration={seconds}:size=160x120:rate=25"),
                        "-f",
                        "lavfi",
                        "-i",
                        &format!("sine=frequency={}:duration={seconds}", 300 + 100 * i),
                        "-c:v",
                        "libx264",
                        "-preset",
                        "ultrafast",
                        "-pix_fmt",
                        "yuv420p",
                        "-c:a",
                        "aac",
                        "-movflags",
                        "+faststart",
                        "-shortest",
                    ],
                );
                let bytes = std::fs::read(made)?;
                Ok(Self::new(first + i, "clip.mp4", bytes))
            })
            .collect()
    }
}

/// `n` and six digits: no other number's word starts with it.
fn unique_word(number: u64) -> String {
    format!("n{number:06}")
}

/// A 16-bit mono PCM WAV of a sine at `frequency_hz`, `samples` long.
pub(crate) fn sine_wav(frequency_hz: f64, samples: u32) -> Vec<u8> {
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
    out.extend_from_slice(&(SAMPLE_RATE * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes()); // bytes per frame
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    let step = std::f64::consts::TAU * frequency_hz / f64::from(SAMPLE_RATE);
    for i in 0..samples {
        let sample = (f64::from(i) * step).sin() * 12_000.0;
        out.extend_from_slice(&(sample as i16).to_le_bytes());
    }
    out
}

/// A small, fast, seeded generator (SplitMix64) for picking files and
/// ranges; the load needs spread, not cryptographic quality.
pub(crate) struct Dice(u64);

impl Dice {
    pub(crate) fn seeded(seed: u64) -> Self {
        Dice(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}
