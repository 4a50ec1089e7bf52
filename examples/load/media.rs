//! The media the load uploads: WAV files written here, each with its own
//! frequency and length (no ffmpeg per file), and a few small MP4s made once
//! by ffmpeg. Every file carries a unique word (`n000042`) in its name, so a
//! search for that word must find exactly its item.

use std::path::Path;

use bytes::Bytes;

use reel::testing::media::{SINE_WAV_RATE as SAMPLE_RATE, sine_wav, video_mp4_as};

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
                let name = format!("clip{i}.mp4");
                let tone_hz = 300 + 100 * i as u32;
                let made = video_mp4_as(dir, &name, seconds as u32, "160x120", tone_hz);
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
