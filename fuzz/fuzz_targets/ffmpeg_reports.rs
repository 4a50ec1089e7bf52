#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| reel::testing::fuzz::ffmpeg_reports(data));
