//! plenary-chair: the chair and secretariat of plenary's remote path.
//!
//! [`link`] keeps one `plenary.v2.Delegation/Play` stream per delegation endpoint and
//! batches every seat's envelopes for that endpoint, across matches, into one frame.
//! [`driver`] runs a [`plenary_core::Match`] over those links: the remote twin of
//! [`plenary_core::run_in_process`], with per-question deadlines, notices riding on
//! questions, seats that recover, and answers handed to the engine in seat order so the
//! results never depend on who answered first. [`service`] is the
//! `plenary.v2.Secretariat` gRPC service: delegations register with their State's
//! token, operators start sessions, anyone reads results and watches events live.
//! [`journal`] makes the chair durable: with a state directory every session is
//! journaled, and a restarted chair rebuilds the matches in flight exactly.

pub mod driver;
pub mod journal;
pub mod link;
pub mod service;

pub use driver::{
    CallConfig, DriveConfig, DriveStats, EventSink, FixedRoutes, MAX_TIMEOUT_MS, Recorder, Route,
    Routes, run_match, run_match_counted,
};
pub use link::{Hub, LinkConfig};
pub use service::{ChairConfig, Directory, Error, Secretariat, Tokens, serve};
