//! plenary-lab: everything that runs plenary as several processes.
//!
//! - [`supervisor`]: the one process supervisor (process groups, readiness by
//!   `listening on ADDR`, secrets through the environment, graceful then forced stop).
//! - [`health`]: the one `grpc.health.v1` client (readiness and liveness).
//! - [`client`]: the chair client (start a session, follow it without ever waiting
//!   silently on a stalled chair, read its results).
//! - [`lab`]: a [`Lab`] of a chair and one delegation process per State, with its
//!   secrets in private files.
//! - [`tournament`]: the remote tournament executor (one endpoint per entrant, many
//!   matches in flight over shared links).
//! - [`bench`]: `plenary bench remote`, the remote path next to a streaming echo floor.
//! - [`deploy`]: `plenary deploy`, containerized labs (Compose, Kubernetes) and
//!   tournaments as Kubernetes Jobs.
//! - [`soak`]: `plenary soak`, many sessions under a seeded plan of delegation faults
//!   and chair kills.
//!
//! The `plenary` binary parses flags, prints and maps exit codes; the work is here, so
//! tests and other tools drive exactly what the commands drive.

pub mod bench;
pub mod client;
pub mod deploy;
pub mod health;
pub mod lab;
pub mod soak;
pub mod supervisor;
pub mod tournament;

pub use client::{ChairClient, ClientError, FollowOptions};
pub use lab::{Lab, LabError, LabOptions};
pub use supervisor::{Child, ChildSpec, SpawnError, Supervisor};
pub use tournament::{Entrant, RemoteExecutor, RemoteOptions};
