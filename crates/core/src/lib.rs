//! plenary-core: the negotiation model of plenary, with no I/O and no async.
//!
//! A *match* is one simulated history under one institutional design: a sequence of
//! sessions, each working through the agenda item by item in rounds of positions,
//! mediation and decision. The [`engine`] drives a match as a pure state machine that
//! asks delegations questions and takes their answers; [`run_in_process`] answers with
//! local [`Strategy`] values, and the chair service answers over gRPC with the same
//! machine, so both paths give identical results.

pub mod design;
pub mod files;
pub mod model;
pub mod rng;
pub mod scenario;

pub use design::Design;
pub use files::{FileError, FileErrors};
pub use model::{Dimension, Item, ItemKind, Preference, Preferences, State};
pub use scenario::Scenario;
