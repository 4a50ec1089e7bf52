//! The adaptive-streaming ladder: which renditions a video gets (a pure
//! decision from its probe) and the one ffmpeg run that makes them all.
//!
//! One decode feeds every rung: H.264 at each size, keyframes forced every
//! `SEGMENT_SECS` on all rungs alike (so their segments line up, as HLS
//! requires), one shared stereo AAC rendition, fragmented MP4 in one file
//! per rendition addressed by byte ranges, and a master playlist naming
//! each rung's resolution, bandwidth and codecs. The playlists are written
//! as an EVENT playlist while encoding (players can start at once) and
//! become VOD when the encode is whole. The recipe and its sources:
//! `notes/feature-gap.md` §1.2 (PeerTube's layout, in one process).

use std::ffi::OsString;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::decide::{Conversion, MAX_PLAYABLE_FPS, PlayablePlan, VideoAction};
use super::process::Tool;
use super::safety::{file_arg, whitelists};
use super::transcode::ProgressParser;
use super::{Media, MediaError, ProbeSummary};
use crate::model::MediaKind;

/// Seconds per segment: PeerTube's and MediaCMS's choice.
pub(crate) const SEGMENT_SECS: u32 = 4;
/// Rung sizes (the short side) below the top one, largest first.
const STANDARD_RUNGS: [u32; 4] = [1080, 720, 480, 360];
/// No rung is larger than this: it is what most screens show.
const TOP_LIMIT: u32 = 1080;
/// A smaller rung is added only when it is clearly smaller than the one above.
const RUNG_STEP: f64 = 0.85;
/// Bits per pixel per frame for H.264 at `veryfast`: 720p30 gets 2.2 Mb/s.
const BITS_PER_PIXEL: f64 = 0.08;
/// No video rung gets less than this.
const MIN_KBPS: u32 = 150;
/// Peak rate over the average, and buffer over the average (PeerTube's).
const MAXRATE_FACTOR: f64 = 1.07;
const BUFSIZE_FACTOR: u32 = 2;
const AUDIO_KBPS: u32 = 128;
/// Browser-ready originals get a ladder only when they are this large
/// (short side) or this fast: below, the original serves every connection.
const LADDER_ABOVE_SIDE: u32 = 720;
const LADDER_ABOVE_BPS: u64 = 5_000_000;

/// One video rendition: its short side (the "p" in 720p) and bit rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Rung {
    pub short_side: u32,
    pub kbps: u32,
}

/// What the ladder job makes, decided when the item is stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct LadderPlan {
    /// Largest first; at most four.
    pub rungs: Vec<Rung>,
    /// Frames per second to cap the rungs at, for faster sources.
    pub max_fps: Option<u32>,
    /// Whether the source has sound (one shared AAC rendition).
    pub audio: bool,
    /// Sound channels of that rendition: the source's, at most stereo.
    #[serde(default = "stereo")]
    pub audio_channels: u32,
    /// The playable copy to make from the top rung when the ladder is done
    /// (stream copy, no second encode), for videos browsers cannot play.
    #[serde(default)]
    pub playable: Option<Conversion>,
}

fn stereo() -> u32 {
    2
}

impl LadderPlan {
    /// Renditions in the ladder: the video rungs, then the sound.
    pub(crate) fn streams(&self) -> u8 {
        u8::try_from(self.rungs.len() + usize::from(self.audio)).unwrap_or(u8::MAX)
    }
}

/// The ladder for a video, or `None` when it needs none: audio, or a
/// browser-ready original small enough to serve every connection itself.
pub(crate) fn plan(probe: &ProbeSummary, playable: &PlayablePlan) -> Option<LadderPlan> {
    let facts = &probe.facts;
    if facts.kind != MediaKind::Video {
        return None;
    }
    let (width, height) = (facts.width?, facts.height?);
    let short = width.min(height);
    let long = width.max(height);
    if short < 2 {
        return None;
    }
    let transcoded = matches!(
        playable,
        PlayablePlan::Convert(Conversion {
            video: Some(VideoAction::H264 { .. }),
            ..
        })
    );
    let conversion = match playable {
        PlayablePlan::Convert(conversion) if transcoded => Some(conversion.clone()),
        _ => None,
    };
    let large = short > LADDER_ABOVE_SIDE
        || probe
            .video_bit_rate
            .is_some_and(|bps| bps > LADDER_ABOVE_BPS);
    if !transcoded && !large {
        return None;
    }
    let fps = probe
        .frame_rate
        .filter(|f| f.is_finite() && *f > 0.0)
        .unwrap_or(30.0);
    let max_fps = (fps > f64::from(MAX_PLAYABLE_FPS) + 0.5).then_some(MAX_PLAYABLE_FPS);
    let fps = fps.min(f64::from(MAX_PLAYABLE_FPS));
    let top = short.min(TOP_LIMIT) & !1;
    let mut sides = vec![top];
    for side in STANDARD_RUNGS {
        let above = *sides.last().unwrap_or(&top);
        if f64::from(side) <= f64::from(above) * RUNG_STEP {
            sides.push(side);
        }
    }
    let source_pixels = f64::from(width) * f64::from(height);
    let rungs = sides
        .into_iter()
        .map(|side| {
            let pixels = f64::from(side) * f64::from(side) * f64::from(long) / f64::from(short);
            Rung {
                short_side: side,
                kbps: rung_kbps(pixels, fps, source_pixels, probe.video_bit_rate),
            }
        })
        .collect();
    Some(LadderPlan {
        rungs,
        max_fps,
        audio: facts.audio_codec.is_some(),
        audio_channels: probe.audio_channels.unwrap_or(2).clamp(1, 2),
        playable: conversion,
    })
}

/// A rung's rate: bits per pixel at the frame rate (faster sources need
/// less than proportionally more), never above the source's own rate
/// scaled to the rung's size.
fn rung_kbps(pixels: f64, fps: f64, source_pixels: f64, source_bps: Option<u64>) -> u32 {
    let motion = if fps <= 30.0 {
        fps
    } else {
        30.0 * (fps / 30.0).powf(0.6)
    };
    let mut bps = pixels * motion * BITS_PER_PIXEL;
    if let Some(source) = source_bps {
        let share = (pixels / source_pixels).min(1.0).powf(0.75);
        bps = bps.min(source as f64 * share);
    }
    ((bps / 1000.0).round() as u32).max(MIN_KBPS)
}

/// One ladder run.
#[derive(Clone, Debug)]
pub(crate) struct LadderJob<'a> {
    pub input: &'a Path,
    /// The probed demuxer, forced with `-f`.
    pub demuxer: &'a str,
    pub plan: &'a LadderPlan,
    pub duration_secs: Option<f64>,
}

impl LadderJob<'_> {
    /// The whole ffmpeg command line, built from typed values only; the
    /// files land in `dir` under `HlsFile` names.
    pub(crate) fn args(&self, dir: &Path) -> Vec<OsString> {
        let plan = self.plan;
        let rungs = plan.rungs.len().max(1);
        let mut args: Vec<OsString> = ["-nostdin", "-v", "error", "-nostats", "-progress"]
            .map(OsString::from)
            .into();
        args.extend(["pipe:1".into(), "-y".into()]);
        args.extend(whitelists());
        args.extend([
            "-f".into(),
            self.demuxer.into(),
            "-i".into(),
            file_arg(self.input),
        ]);

        // One decode, split to every rung; the short side is the rung's
        // size whichever way the picture stands (portrait stays portrait).
        let mut graph = String::from("[0:V:0]");
        if let Some(fps) = plan.max_fps {
            graph.push_str(&format!("fps={fps},"));
        }
        graph.push_str(&format!("split={rungs}"));
        for n in 0..rungs {
            graph.push_str(&format!("[s{n}]"));
        }
        for (n, rung) in plan.rungs.iter().enumerate() {
            let side = rung.short_side;
            graph.push_str(&format!(
                ";[s{n}]scale=w='if(gte(iw,ih),-2,{side})':h='if(gte(iw,ih),{side},-2)',setsar=1[v{n}]"
            ));
        }
        args.extend(["-filter_complex".into(), graph.into()]);
        for n in 0..rungs {
            args.extend(["-map".into(), format!("[v{n}]").into()]);
        }
        if plan.audio {
            args.extend(["-map", "0:a:0"].map(OsString::from));
        }
        args.extend(
            [
                "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            ]
            .map(OsString::from),
        );
        for (n, rung) in plan.rungs.iter().enumerate() {
            let kbps = rung.kbps;
            let maxrate = (f64::from(kbps) * MAXRATE_FACTOR).round() as u32;
            args.extend([
                format!("-b:v:{n}").into(),
                format!("{kbps}k").into(),
                format!("-maxrate:v:{n}").into(),
                format!("{maxrate}k").into(),
                format!("-bufsize:v:{n}").into(),
                format!("{}k", kbps * BUFSIZE_FACTOR).into(),
            ]);
        }
        args.extend([
            "-force_key_frames".into(),
            format!("expr:gte(t,n_forced*{SEGMENT_SECS})").into(),
            "-sc_threshold".into(),
            "0".into(),
        ]);
        if plan.audio {
            args.extend(["-c:a", "aac", "-ac"].map(OsString::from));
            args.push(plan.audio_channels.clamp(1, 2).to_string().into());
            args.push("-b:a".into());
            args.push(format!("{AUDIO_KBPS}k").into());
        }
        let mut stream_map: Vec<String> = (0..rungs)
            .map(|n| {
                if plan.audio {
                    format!("v:{n},agroup:aud")
                } else {
                    format!("v:{n}")
                }
            })
            .collect();
        if plan.audio {
            stream_map.push("a:0,agroup:aud,default:yes".into());
        }
        args.extend(
            [
                "-sn",
                "-dn",
                "-map_metadata",
                "-1",
                "-map_chapters",
                "-1",
                "-max_muxing_queue_size",
                "1024",
                "-f",
                "hls",
                "-hls_time",
            ]
            .map(OsString::from),
        );
        args.push(SEGMENT_SECS.to_string().into());
        args.extend(
            [
                "-hls_playlist_type",
                "event",
                "-hls_segment_type",
                "fmp4",
                // Segments start with their `moof` (no `sidx` before it).
                "-hls_segment_options",
                "movflags=+skip_sidx",
                "-hls_flags",
                "single_file+independent_segments",
                "-master_pl_name",
                "master.m3u8",
                "-var_stream_map",
            ]
            .map(OsString::from),
        );
        args.push(stream_map.join(" ").into());
        args.push("-hls_segment_filename".into());
        args.push(file_arg(&dir.join("v%v.mp4")));
        args.push(file_arg(&dir.join("v%v.m3u8")));
        args
    }
}

impl Media {
    /// Encodes the ladder into `dir`, calling `on_progress` with the share
    /// done. On success every rendition's playlist is complete and says
    /// VOD; on error the caller's folder guard removes what was written.
    pub(crate) async fn make_ladder<F>(
        &self,
        job: &LadderJob<'_>,
        dir: &Path,
        mut on_progress: F,
    ) -> Result<(), MediaError>
    where
        F: FnMut(f64) + Send,
    {
        let mut progress = ProgressParser::new(job.duration_secs);
        self.runner
            .run_streaming(Tool::Ffmpeg, job.args(dir), self.job_limit, |chunk| {
                if let Some(share) = progress.feed(chunk) {
                    on_progress(share);
                }
            })
            .await?;
        if !tokio::fs::try_exists(dir.join("master.m3u8")).await? {
            return Err(MediaError::BadPlayable(
                "the ladder has no master playlist".into(),
            ));
        }
        for n in 0..job.plan.streams() {
            finish_playlist(&dir.join(format!("v{n}.m3u8"))).await?;
        }
        Ok(())
    }
}

/// Turns a finished EVENT playlist into a VOD one (the same segments, now
/// final), replacing the file atomically so a player never reads half.
async fn finish_playlist(path: &Path) -> Result<(), MediaError> {
    let text = tokio::fs::read_to_string(path).await?;
    if !text.contains("#EXT-X-ENDLIST") || !text.contains("#EXTINF") {
        return Err(MediaError::BadPlayable(format!(
            "the ladder's playlist {} is not complete",
            path.file_name().unwrap_or_default().to_string_lossy()
        )));
    }
    let vod = text.replace("#EXT-X-PLAYLIST-TYPE:EVENT", "#EXT-X-PLAYLIST-TYPE:VOD");
    let temp = path.with_extension("m3u8.vod");
    tokio::fs::write(&temp, vod).await?;
    tokio::fs::rename(&temp, path).await?;
    Ok(())
}

mod copy;

#[cfg(test)]
mod tests;
