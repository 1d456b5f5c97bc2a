//! plenary-chair: the chair and secretariat of a multi-process lab.
//!
//! [`driver`] runs a [`plenary_core::Match`] against delegations reached over gRPC: the
//! remote twin of [`plenary_core::run_in_process`]. It fans every question out to the
//! seats asked concurrently, with a deadline on each call, turns every failure into a
//! [`plenary_core::strategy::Fault`] and hands the answers back in seat order, so the
//! results never depend on which delegation answered first and the session always
//! completes. [`service`] is the `plenary.v1.Secretariat` gRPC service: delegations
//! register with their State's token, clients start sessions, read results and watch
//! events live.

pub mod driver;
pub mod service;

pub use driver::{
    CallConfig, Directory, EventSink, MAX_TIMEOUT_MS, Registration, SeatEndpoint, run_remote,
    run_remote_with,
};
pub use service::{ChairConfig, Error, Secretariat, Tokens, serve};
