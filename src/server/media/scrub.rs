//! Scrub previews: a sprite sheet of small frames every few seconds, and the
//! WebVTT thumbnails track whose cues point into it (`sprites#xywh=…`).
//!
//! One ffmpeg run samples the video (`fps=1/N`), scales each frame to an
//! exact tile size and packs the tiles into one JPEG (`tile=CxR`). The
//! layout is computed here first, so the VTT knows every tile's coordinates
//! without looking at the picture.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::Path;

use super::process::Tool;
use super::{Media, MediaError};

/// Tiles are this wide (MediaCMS uses 160x90); the height follows the
/// source's aspect ratio.
pub(crate) const TILE_WIDTH: u32 = 160;
/// Very tall sources are fitted into a box this high instead.
pub(crate) const MAX_TILE_HEIGHT: u32 = 2 * TILE_WIDTH;
/// Columns of the sheet (fewer when there are fewer tiles).
pub(crate) const COLUMNS: u32 = 10;
/// At most this many tiles: the interval grows with the duration instead.
pub(crate) const MAX_TILES: u32 = 200;
/// Intervals the layout chooses from, shortest first (seconds).
const INTERVALS: [u32; 8] = [2, 3, 5, 10, 15, 20, 30, 60];
/// Inputs longer than this decode keyframes only: a full decode of a film
/// for 200 pictures would cost minutes.
pub(crate) const KEYFRAMES_ONLY_AFTER_SECS: f64 = 600.0;
/// The sheet's address relative to the VTT's (`/files/{id}/thumbnails` →
/// `/files/{id}/sprites`).
pub(crate) const SHEET_URL: &str = "sprites";
/// mjpeg quality scale (2 best … 31 worst): small tiles stay legible at 4.
const JPEG_QUALITY: &str = "4";

pub(crate) struct ScrubJob<'a> {
    pub input: &'a Path,
    /// The probed demuxer, forced with `-f`.
    pub demuxer: &'a str,
    pub duration_secs: f64,
    /// The probed picture size; 0 when unknown (tiles are then 16:9).
    pub width: u32,
    pub height: u32,
}

/// Where every tile of a sheet sits, and which stretch of time it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ScrubLayout {
    /// Seconds between tiles (and the length of every cue but the last).
    pub interval_secs: u32,
    /// Tiles that carry a cue; the sheet's last row may have blank places.
    pub tiles: u32,
    pub columns: u32,
    pub rows: u32,
    pub tile_width: u32,
    pub tile_height: u32,
    /// The end of the last cue.
    pub duration_ms: u64,
}

/// Seconds between tiles: 2 s for short videos, longer so no video needs
/// more than `MAX_TILES` tiles.
pub(crate) fn interval_secs(duration_ms: u64) -> u32 {
    let fits = |interval: u32| tile_count(duration_ms, interval) <= u64::from(MAX_TILES);
    INTERVALS.into_iter().find(|&i| fits(i)).unwrap_or_else(|| {
        // Past 200 minutes: whole minutes.
        let per_tile = duration_ms.div_ceil(u64::from(MAX_TILES) * 1000);
        let minutes = per_tile.div_ceil(60).max(1);
        u32::try_from(minutes * 60).unwrap_or(u32::MAX)
    })
}

fn tile_count(duration_ms: u64, interval_secs: u32) -> u64 {
    duration_ms.div_ceil(u64::from(interval_secs) * 1000).max(1)
}

/// A tile's size: `TILE_WIDTH` wide, the height from the aspect ratio and
/// even; sources taller than 1:2 are fitted into `TILE_WIDTH`×`MAX_TILE_HEIGHT`.
pub(crate) fn tile_size(width: u32, height: u32) -> (u32, u32) {
    if width == 0 || height == 0 {
        return (TILE_WIDTH, 90);
    }
    let even = |x: u64| u32::try_from((x.div_ceil(2) * 2).max(2)).unwrap_or(u32::MAX);
    let scaled = |num: u32, from: u32, to: u32| {
        // Rounded to nearest: num * to / from.
        (u64::from(num) * u64::from(to) + u64::from(from) / 2) / u64::from(from)
    };
    let tile_height = scaled(height, width, TILE_WIDTH);
    if tile_height <= u64::from(MAX_TILE_HEIGHT) {
        (TILE_WIDTH, even(tile_height).min(MAX_TILE_HEIGHT))
    } else {
        (
            even(scaled(width, height, MAX_TILE_HEIGHT)),
            MAX_TILE_HEIGHT,
        )
    }
}

impl ScrubLayout {
    /// The layout for a video of this length and picture size; `None` when
    /// the duration is unknown or shorter than a millisecond.
    pub(crate) fn new(duration_secs: f64, width: u32, height: u32) -> Option<Self> {
        if !duration_secs.is_finite() || duration_secs <= 0.0 {
            return None;
        }
        // Whole milliseconds, so the cues add up exactly; saturates on absurd input.
        let duration_ms = (duration_secs * 1000.0).round() as u64;
        if duration_ms == 0 {
            return None;
        }
        let interval_secs = interval_secs(duration_ms);
        let tiles = u32::try_from(tile_count(duration_ms, interval_secs)).ok()?;
        let columns = tiles.min(COLUMNS);
        let rows = tiles.div_ceil(columns);
        let (tile_width, tile_height) = tile_size(width, height);
        Some(ScrubLayout {
            interval_secs,
            tiles,
            columns,
            rows,
            tile_width,
            tile_height,
            duration_ms,
        })
    }

    /// The sheet's size in pixels.
    #[cfg(test)]
    pub(crate) fn sheet_size(&self) -> (u32, u32) {
        (self.columns * self.tile_width, self.rows * self.tile_height)
    }

    /// The ffmpeg filter chain that draws the sheet.
    pub(crate) fn filter(&self) -> String {
        format!(
            "setpts=PTS-STARTPTS,fps=1/{},scale={}:{},setsar=1,tile={}x{}",
            self.interval_secs, self.tile_width, self.tile_height, self.columns, self.rows
        )
    }

    /// The WebVTT thumbnails track: one cue per tile, contiguous, the last
    /// ending at the duration; each cue names its tile as `sheet#xywh=…`.
    pub(crate) fn vtt(&self, sheet_url: &str) -> String {
        let mut text = String::from("WEBVTT\n");
        let step = u64::from(self.interval_secs) * 1000;
        for tile in 0..self.tiles {
            let start = u64::from(tile) * step;
            let end = (start + step).min(self.duration_ms);
            let x = (tile % self.columns) * self.tile_width;
            let y = (tile / self.columns) * self.tile_height;
            // Writing into a String cannot fail.
            let _ = write!(
                text,
                "\n{} --> {}\n{sheet_url}#xywh={x},{y},{},{}\n",
                vtt_time(start),
                vtt_time(end),
                self.tile_width,
                self.tile_height
            );
        }
        text
    }
}

/// `HH:MM:SS.mmm`, as WebVTT wants (hours may pass 99).
pub(crate) fn vtt_time(ms: u64) -> String {
    let (hours, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (minutes, rest) = (rest / 60_000, rest % 60_000);
    let (seconds, millis) = (rest / 1000, rest % 1000);
    format!("{hours:02}:{minutes:02}:{seconds:02}.{millis:03}")
}

impl ScrubJob<'_> {
    /// The ffmpeg command line that writes the sheet for `layout` to `sheet`.
    pub(crate) fn args(&self, layout: &ScrubLayout, sheet: &Path) -> Vec<OsString> {
        let input = super::safety::file_arg(self.input);
        let out = super::safety::file_arg(sheet);

        let mut args: Vec<OsString> =
            vec!["-nostdin".into(), "-v".into(), "error".into(), "-y".into()];
        args.extend(super::safety::whitelists());
        if self.duration_secs > KEYFRAMES_ONLY_AFTER_SECS {
            // A decoder option: it belongs to the input, before `-i`.
            args.extend(["-skip_frame".into(), "nokey".into()]);
        }
        args.extend([
            "-f".into(),
            self.demuxer.into(),
            "-i".into(),
            input,
            // `V`: a video stream that is not an attached picture.
            "-map".into(),
            "0:V:0".into(),
            "-an".into(),
            "-sn".into(),
            "-dn".into(),
            "-map_metadata".into(),
            "-1".into(),
            "-vf".into(),
            layout.filter().into(),
        ]);
        args.extend(
            [
                "-frames:v",
                "1",
                "-c:v",
                "mjpeg",
                "-q:v",
                JPEG_QUALITY,
                // One picture, and the output name is never read as a %d pattern.
                "-update",
                "1",
                "-f",
                "image2",
            ]
            .map(OsString::from),
        );
        args.push(out);
        args
    }
}

impl Media {
    /// Writes the sprite sheet to `sheet` and returns the WebVTT text.
    pub(crate) async fn scrub_previews(
        &self,
        job: &ScrubJob<'_>,
        sheet: &Path,
    ) -> Result<String, MediaError> {
        let layout = ScrubLayout::new(job.duration_secs, job.width, job.height)
            .ok_or(MediaError::NoPicture)?;
        self.runner
            .run(Tool::Ffmpeg, job.args(&layout, sheet), self.job_limit)
            .await?;
        match tokio::fs::metadata(sheet).await {
            Ok(meta) if meta.len() > 0 => Ok(layout.vtt(SHEET_URL)),
            _ => Err(MediaError::NoPicture),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_grow_with_the_duration() {
        assert_eq!(interval_secs(1), 2);
        assert_eq!(interval_secs(12_000), 2);
        assert_eq!(interval_secs(400_000), 2);
        assert_eq!(interval_secs(400_001), 3);
        assert_eq!(interval_secs(600_000), 3);
        assert_eq!(interval_secs(3_600_000), 20);
        assert_eq!(interval_secs(12_000_000), 60);
        // Past 200 minutes, whole minutes that keep the count in bounds.
        assert_eq!(interval_secs(12_000_001), 120);
        assert_eq!(interval_secs(10 * 3_600_000), 180);
        for ms in [
            1,
            999,
            59_999,
            1_234_567,
            7_200_000,
            86_400_000,
            10_000_000_000,
        ] {
            let n = tile_count(ms, interval_secs(ms));
            assert!(
                (1..=u64::from(MAX_TILES)).contains(&n),
                "{ms} ms: {n} tiles"
            );
        }
    }

    #[test]
    fn tiles_keep_the_aspect_ratio_and_even_heights() {
        assert_eq!(tile_size(1920, 1080), (160, 90));
        assert_eq!(tile_size(320, 240), (160, 120));
        assert_eq!(tile_size(1280, 536), (160, 68)); // 67 → even
        assert_eq!(tile_size(720, 576), (160, 128));
        assert_eq!(tile_size(1080, 1920), (160, 284)); // 284.4
        assert_eq!(tile_size(100, 1000), (32, 320)); // fitted into 160x320
        assert_eq!(tile_size(10_000, 10), (160, 2));
        assert_eq!(tile_size(0, 0), (160, 90));
    }

    #[test]
    fn layouts_count_tiles_and_rows() {
        let short = ScrubLayout::new(12.0, 320, 240).expect("layout");
        assert_eq!(
            short,
            ScrubLayout {
                interval_secs: 2,
                tiles: 6,
                columns: 6,
                rows: 1,
                tile_width: 160,
                tile_height: 120,
                duration_ms: 12_000,
            }
        );
        assert_eq!(short.sheet_size(), (960, 120));
        assert_eq!(
            short.filter(),
            "setpts=PTS-STARTPTS,fps=1/2,scale=160:120,setsar=1,tile=6x1"
        );

        let film = ScrubLayout::new(5400.5, 1920, 1080).expect("layout");
        assert_eq!((film.interval_secs, film.tiles), (30, 181));
        assert_eq!((film.columns, film.rows), (10, 19));
        assert_eq!(film.sheet_size(), (1600, 1710));

        assert_eq!(ScrubLayout::new(12.4, 0, 0).map(|l| l.tiles), Some(7));
        assert_eq!(ScrubLayout::new(0.0, 320, 240), None);
        assert_eq!(ScrubLayout::new(0.0004, 320, 240), None);
        assert_eq!(ScrubLayout::new(f64::NAN, 320, 240), None);
        assert_eq!(ScrubLayout::new(-3.0, 320, 240), None);
    }

    #[test]
    fn vtt_cues_are_contiguous_and_point_into_the_sheet() {
        assert_eq!(vtt_time(0), "00:00:00.000");
        assert_eq!(vtt_time(3_723_004), "01:02:03.004");
        assert_eq!(vtt_time(360_000_000), "100:00:00.000");

        let layout = ScrubLayout::new(25.25, 1920, 1080).expect("layout");
        let vtt = layout.vtt("sprites");
        let expected = "WEBVTT\n\
            \n00:00:00.000 --> 00:00:02.000\nsprites#xywh=0,0,160,90\n\
            \n00:00:02.000 --> 00:00:04.000\nsprites#xywh=160,0,160,90\n";
        assert!(vtt.starts_with(expected), "{vtt}");
        assert!(vtt.contains("\n00:00:18.000 --> 00:00:20.000\nsprites#xywh=1440,0,160,90\n"));
        assert!(vtt.contains("\n00:00:20.000 --> 00:00:22.000\nsprites#xywh=0,90,160,90\n"));
        assert!(vtt.ends_with("\n00:00:24.000 --> 00:00:25.250\nsprites#xywh=320,90,160,90\n"));
        assert_eq!(vtt.matches(" --> ").count(), 13);
    }

    #[test]
    fn arguments_force_the_demuxer_and_skip_frames_only_for_long_inputs() {
        let job = ScrubJob {
            input: Path::new("/d/in"),
            demuxer: "matroska",
            duration_secs: 12.0,
            width: 320,
            height: 240,
        };
        let layout = ScrubLayout::new(job.duration_secs, job.width, job.height).expect("layout");
        let args: Vec<String> = job
            .args(&layout, Path::new("/d/sheet.jpg"))
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let pos = |s: &str| args.iter().position(|a| a == s).expect(s);
        assert_eq!(args[pos("-f") + 1], "matroska");
        assert!(pos("-f") < pos("-i"));
        assert_eq!(args[pos("-i") + 1], "file:/d/in");
        assert_eq!(args[pos("-protocol_whitelist") + 1], "file");
        assert!(args[pos("-format_whitelist") + 1].contains("mov"));
        assert_eq!(args[pos("-map") + 1], "0:V:0");
        assert_eq!(args[pos("-map_metadata") + 1], "-1");
        assert_eq!(args[pos("-vf") + 1], layout.filter());
        assert_eq!(args[pos("-frames:v") + 1], "1");
        assert_eq!(args[pos("-update") + 1], "1");
        assert_eq!(args.last().map(String::as_str), Some("file:/d/sheet.jpg"));
        assert!(!args.contains(&"-skip_frame".to_string()));

        let long = ScrubJob {
            duration_secs: 3600.0,
            ..job
        };
        let args: Vec<String> = long
            .args(&layout, Path::new("/o"))
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let pos = |s: &str| args.iter().position(|a| a == s).expect(s);
        assert_eq!(args[pos("-skip_frame") + 1], "nokey");
        assert!(
            pos("-skip_frame") < pos("-i"),
            "a decoder option goes before the input"
        );
    }
}
