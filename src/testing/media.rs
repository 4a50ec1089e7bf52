//! Test media made by the real ffmpeg (`ffmpeg -f lavfi -i testsrc…`,
//! `sine…`), shared by the crate's unit tests and the integration tests.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs ffmpeg with `args` (outputs included); panics with its stderr on failure.
pub fn run_ffmpeg(args: &[&str]) {
    let result = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg runs");
    assert!(
        result.status.success(),
        "ffmpeg {args:?} failed: {}",
        String::from_utf8_lossy(&result.stderr)
    );
}

/// Runs ffmpeg to make `dir/name`; panics with its stderr on failure.
pub fn ffmpeg(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let out_text = out.to_string_lossy().into_owned();
    let mut all: Vec<&str> = args.to_vec();
    all.push(&out_text);
    run_ffmpeg(&all);
    out
}

/// A short H.264/AAC MP4 with its index at the front.
pub fn video_mp4(dir: &Path, seconds: u32) -> PathBuf {
    video_mp4_as(dir, "clip.mp4", seconds, "320x240", 440)
}

/// `video_mp4` named `name`, with its own picture size and tone, so that
/// several clips differ.
pub fn video_mp4_as(dir: &Path, name: &str, seconds: u32, size: &str, tone_hz: u32) -> PathBuf {
    ffmpeg(
        dir,
        name,
        &[
            "-f",
            "lavfi",
            "-i",
            &format!("testsrc=duration={seconds}:size={size}:rate=25"),
            "-f",
            "lavfi",
            "-i",
            &format!("sine=frequency={tone_hz}:duration={seconds}"),
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
    )
}

pub fn tone_mp3(dir: &Path) -> PathBuf {
    ffmpeg(
        dir,
        "tone.mp3",
        &[
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=660:duration=3",
            "-c:a",
            "libmp3lame",
        ],
    )
}

/// An MP3 with an embedded PNG cover picture.
pub fn tone_mp3_with_cover(dir: &Path) -> PathBuf {
    let tone = tone_mp3(dir);
    let cover = ffmpeg(
        dir,
        "cover.png",
        &["-f", "lavfi", "-i", "testsrc=size=96x96", "-frames:v", "1"],
    );
    let tone = tone.to_string_lossy().into_owned();
    let cover = cover.to_string_lossy().into_owned();
    ffmpeg(
        dir,
        "covered.mp3",
        &[
            "-i",
            &tone,
            "-i",
            &cover,
            "-map",
            "0",
            "-map",
            "1",
            "-c",
            "copy",
            "-disposition:v",
            "attached_pic",
            "-id3v2_version",
            "3",
        ],
    )
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A 48 kHz stereo 16-bit WAV: 192,000 bytes per second, several read chunks long.
pub fn tone_wav(dir: &Path, seconds: u32) -> PathBuf {
    ffmpeg(
        dir,
        "tone.wav",
        &[
            "-f",
            "lavfi",
            "-i",
            &format!("sine=frequency=440:sample_rate=48000:duration={seconds}"),
            "-ac",
            "2",
            "-c:a",
            "pcm_s16le",
        ],
    )
}

/// A video browsers cannot play (MPEG-4 Part 2 + MP3 in AVI): it needs a
/// transcode, which takes long enough to watch at 640x360 for many seconds.
pub fn avi_needing_transcode(dir: &Path, seconds: u32, size: &str) -> PathBuf {
    let d = seconds.to_string();
    ffmpeg(
        dir,
        "old.avi",
        &[
            "-f",
            "lavfi",
            "-i",
            &format!("testsrc=duration={d}:size={size}:rate=25"),
            "-f",
            "lavfi",
            "-i",
            &format!("sine=frequency=330:duration={d}"),
            "-c:v",
            "mpeg4",
            "-q:v",
            "5",
            "-c:a",
            "libmp3lame",
            "-shortest",
        ],
    )
}

/// HEVC video (which browsers do not play) with AAC sound in Matroska: it
/// gets an HLS ladder. `size` as ffmpeg writes it ("640x480").
pub fn hevc_mkv(dir: &Path, name: &str, seconds: u32, size: &str) -> PathBuf {
    let d = seconds.to_string();
    ffmpeg(
        dir,
        name,
        &[
            "-f",
            "lavfi",
            "-i",
            &format!("testsrc2=duration={d}:size={size}:rate=25"),
            "-f",
            "lavfi",
            "-i",
            &format!("sine=frequency=330:duration={d}"),
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-x265-params",
            "log-level=error",
            "-c:a",
            "aac",
            "-shortest",
        ],
    )
}

/// Probes a file with ffprobe: `stream=codec_name,pix_fmt` of its streams.
pub fn probe_streams(path: &Path) -> String {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,pix_fmt",
            "-of",
            "compact",
        ])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Samples per second of `sine_wav` (16-bit mono: 96,000 bytes a second).
pub const SINE_WAV_RATE: u32 = 48_000;

/// A 16-bit mono PCM WAV of a sine at `frequency_hz`, `samples` long.
pub fn sine_wav(frequency_hz: f64, samples: u32) -> Vec<u8> {
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&SINE_WAV_RATE.to_le_bytes());
    out.extend_from_slice(&(SINE_WAV_RATE * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes()); // bytes per frame
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    let step = std::f64::consts::TAU * frequency_hz / f64::from(SINE_WAV_RATE);
    for i in 0..samples {
        let sample = (f64::from(i) * step).sin() * 12_000.0;
        out.extend_from_slice(&(sample as i16).to_le_bytes());
    }
    out
}

/// A small, fast, seeded generator (SplitMix64) for the load tool and the
/// crash soak: they need spread and replay, not cryptographic quality.
pub struct Dice(u64);

impl Dice {
    pub fn seeded(seed: u64) -> Self {
        Dice(seed)
    }

    pub fn roll(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.roll() % bound
    }
}

/// Gives `bytes` (a WAV, an MP4/M4A/MOV, or another file) bytes of their
/// own, different from every other call's, keeping the same media: Reel
/// keeps one item per file per library, so a test that uploads one file
/// several times as one person needs copies that differ. A WAV's last
/// sample changes (inaudibly); an MP4 gets a `free` box at its end; any
/// other file gets eight bytes appended.
pub fn own_bytes(mut bytes: Vec<u8>) -> Vec<u8> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let len = bytes.len();
    if len > 46 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WAVE" {
        bytes[len - 2..].copy_from_slice(&(n as u16).to_le_bytes());
        // Past 65,535 copies the sample before it counts on.
        bytes[len - 4..len - 2].copy_from_slice(&((n >> 16) as u16).to_le_bytes());
    } else if len > 8 && &bytes[4..8] == b"ftyp" {
        bytes.extend_from_slice(&16u32.to_be_bytes());
        bytes.extend_from_slice(b"free");
        bytes.extend_from_slice(&n.to_be_bytes());
    } else {
        bytes.extend_from_slice(&n.to_be_bytes());
    }
    bytes
}
