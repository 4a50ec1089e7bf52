//! Poster pictures: a frame a little way into a video, or an audio file's
//! embedded cover art, as a JPEG no wider than 1280 px.

use std::ffi::OsString;
use std::path::Path;

use super::safety::{file_arg, whitelists};

/// Which picture to take.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum PosterSource {
    /// A video frame at this many seconds.
    VideoFrame { at_secs: f64 },
    /// The embedded picture stream with this index.
    Cover { stream: u32 },
}

#[derive(Clone, Debug)]
pub(crate) struct PosterJob<'a> {
    pub input: &'a Path,
    /// The probed demuxer, forced so ffmpeg cannot be talked into another.
    pub demuxer: &'a str,
    pub source: PosterSource,
}

/// Where in a video the poster frame comes from: 10 % in, at most 5 s, so
/// fades from black are skipped without decoding far into long files.
pub(crate) fn frame_time(duration_secs: Option<f64>) -> f64 {
    match duration_secs {
        Some(d) if d.is_finite() && d > 0.0 => (d * 0.1).min(5.0),
        _ => 0.0,
    }
}

impl PosterJob<'_> {
    pub(crate) fn args(&self, output: &Path) -> Vec<OsString> {
        let input = file_arg(self.input);
        let out = file_arg(output);

        let mut args: Vec<OsString> =
            vec!["-nostdin".into(), "-v".into(), "error".into(), "-y".into()];
        args.extend(whitelists());
        args.extend(["-f".into(), self.demuxer.into()]);
        let map = match self.source {
            PosterSource::VideoFrame { at_secs } => {
                args.extend(["-ss".into(), format!("{at_secs:.3}").into()]);
                // `V`: video streams that are not attached pictures.
                "0:V:0".to_string()
            }
            PosterSource::Cover { stream } => format!("0:{stream}"),
        };
        args.extend(["-i".into(), input, "-map".into(), map.into()]);
        args.extend(
            [
                "-frames:v",
                "1",
                "-an",
                "-sn",
                "-dn",
                "-map_metadata",
                "-1",
                "-vf",
                "scale='min(1280,iw)':-2",
                "-c:v",
                "mjpeg",
                "-q:v",
                "3",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_time_stays_early() {
        assert_eq!(frame_time(None), 0.0);
        assert_eq!(frame_time(Some(10.0)), 1.0);
        assert_eq!(frame_time(Some(3600.0)), 5.0);
        assert_eq!(frame_time(Some(f64::NAN)), 0.0);
    }

    #[test]
    fn arguments_force_the_demuxer_and_strip_metadata() {
        let job = PosterJob {
            input: Path::new("/d/in"),
            demuxer: "mov",
            source: PosterSource::VideoFrame { at_secs: 1.5 },
        };
        let args: Vec<String> = job
            .args(Path::new("/d/out.jpg"))
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let pos = |s: &str| args.iter().position(|a| a == s).expect(s);
        assert_eq!(args[pos("-f") + 1], "mov");
        assert_eq!(args[pos("-ss") + 1], "1.500");
        assert!(pos("-ss") < pos("-i"), "seek before input is fast");
        assert_eq!(args[pos("-i") + 1], "file:/d/in");
        assert_eq!(args[pos("-map_metadata") + 1], "-1");
        assert!(args[pos("-format_whitelist") + 1].contains("matroska"));
        assert_eq!(args[pos("-update") + 1], "1");
        assert_eq!(args.last().map(String::as_str), Some("file:/d/out.jpg"));

        let cover = PosterJob {
            source: PosterSource::Cover { stream: 2 },
            ..job
        };
        let args: Vec<String> = cover
            .args(Path::new("/o"))
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(args.windows(2).any(|w| w == ["-map", "0:2"]));
        assert!(!args.contains(&"-ss".to_string()));
    }
}
