//! Server functions: the app's RPC, and the only place they are defined.
//! Each is a public endpoint, so each is thin: check the input, say who
//! asks, call one use case of the service layer (`server::service`), and let
//! the edge error (`server::error`) set the status and code of a refusal.

mod accounts;
mod albums;
mod bulk;
mod captions;
mod collections;
mod edits;
mod items;
mod labels;
mod player;
mod processing;
mod shares;
mod uploads;

#[cfg(feature = "ssr")]
mod context;

pub use accounts::*;
pub use albums::*;
pub use bulk::*;
pub use captions::*;
pub use collections::*;
pub use edits::*;
pub use items::*;
pub use labels::*;
pub use player::*;
pub use processing::*;
pub use shares::*;
pub use uploads::*;
