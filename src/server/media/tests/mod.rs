//! The media module against the real ffmpeg, on media the tests generate:
//! playable copies, scrub previews and waveforms, edits, and the hardening
//! of every command line.

mod derived;
mod edits;
mod hardening;
mod playable;
