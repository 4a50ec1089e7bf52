//! Server functions: the app's RPC, and the only place they are defined.
//! Each is a public endpoint, so each is thin: check the input, say who
//! asks, call one use case of the service layer (`server::service`), and let
//! the edge error (`server::error`) set the status and code of a refusal.

mod edits;
mod items;
mod player;
mod processing;
mod uploads;

#[cfg(feature = "ssr")]
mod context;

pub use edits::{fast_cut_points, start_edit};
pub use items::{delete_media, get_media, list_library, media_neighbours, update_media};
pub use player::{scrub_cues, waveform_bars};
pub use processing::{cancel_processing, retry_processing};
pub use uploads::{upload_limits, upload_status};
