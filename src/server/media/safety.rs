//! The hardening every ffmpeg and ffprobe command line shares, in one place:
//! paths only as `file:` (never read as a URL or another protocol), the
//! protocol and demuxer whitelists, and removal of half-written outputs.

use std::ffi::OsString;
use std::path::Path;

/// Demuxers Reel accepts. Playlists (hls), scripts (concat), image sequences
/// and text renderers (tty) are excluded: they read other files or are not media.
pub(crate) const ALLOWED_DEMUXERS: &[&str] = &[
    "mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "mp3", "ogg", "wav", "flac",
    "avi", "aac", "mpegts", "asf", "aiff", "flv",
];

/// `file:PATH`: a path ffmpeg cannot take for a URL, a pipe or a pattern.
pub(crate) fn file_arg(path: &Path) -> OsString {
    let mut arg = OsString::from("file:");
    arg.push(path.as_os_str());
    arg
}

/// Local files only, and only accepted demuxers, even for a demuxer nested
/// inside the file (AVI's GAB2 subtitles, an HLS playlist): nothing else is
/// ever opened.
pub(crate) fn whitelists() -> [OsString; 4] {
    [
        "-protocol_whitelist".into(),
        "file".into(),
        "-format_whitelist".into(),
        ALLOWED_DEMUXERS.join(",").into(),
    ]
}

/// Removes a half-written output unless disarmed: after an error, a timeout
/// or a cancelled future, no broken file is left for anyone to serve.
pub(crate) struct RemoveOnDrop<'a> {
    path: &'a Path,
    armed: bool,
}

impl<'a> RemoveOnDrop<'a> {
    pub(crate) fn new(path: &'a Path) -> Self {
        RemoveOnDrop { path, armed: true }
    }

    /// The output is good: keep it.
    pub(crate) fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for RemoveOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed {
            match std::fs::remove_file(self.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(path = %self.path.display(), "cannot remove a failed output: {e}")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_are_removed_unless_disarmed() {
        let dir = tempfile::tempdir().expect("tmp");
        let (kept, dropped) = (dir.path().join("kept"), dir.path().join("dropped"));
        std::fs::write(&kept, b"x").expect("write");
        std::fs::write(&dropped, b"x").expect("write");
        RemoveOnDrop::new(&kept).disarm();
        drop(RemoveOnDrop::new(&dropped));
        assert!(kept.exists() && !dropped.exists());
        assert_eq!(file_arg(Path::new("/a b")), OsString::from("file:/a b"));
        assert!(whitelists()[3].to_string_lossy().contains("matroska"));
    }
}
