//! plenary-proto: the gRPC contract of plenary (`plenary.v2`) and its conversions.
//!
//! Code is generated from `proto/plenary/v2/*.proto` at build time with protox (no
//! system `protoc`). [`v2`] holds the messages, the Delegation and Secretariat clients
//! and servers; [`FILE_DESCRIPTOR_SET`] is the encoded descriptor set for server
//! reflection. The contract itself (lifecycle of the `Play` stream, sequence numbers,
//! refusal codes, deadlines, tokens) is documented in `proto/plenary/v2/delegation.proto`;
//! this crate holds its numbers ([`CONTRACT_VERSION`], the limits) so the chair, the
//! Rust SDK and the conformance checker share one copy.
//!
//! [`convert`] maps the core types of `plenary-core` to and from the wire types. It
//! checks only what the wire form can get wrong (a missing message, an enum left
//! unspecified); whether an answer is acceptable (a position on the scale, a link to
//! another item) is decided by `plenary_core::answers`, the same code in-process and
//! remote.

pub mod convert;
pub mod limits;
pub mod transport;

pub use convert::ConvertError;

/// Generated messages, clients and servers of package `plenary.v2`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod v2 {
    tonic::include_proto!("plenary.v2");
}

/// The benchmark's echo baseline (`plenary.bench.v1`): not part of the plenary API and
/// not in [`FILE_DESCRIPTOR_SET`].
pub mod bench {
    /// Generated messages, client and server of package `plenary.bench.v1`.
    #[allow(missing_docs, clippy::all, clippy::pedantic)]
    pub mod v1 {
        tonic::include_proto!("plenary.bench.v1");
    }
}

/// Encoded `FileDescriptorSet` of `plenary.v2` (with imports and source info), for
/// gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/plenary_descriptor.bin"));

/// The contract version this build speaks (negotiated in the `Play` stream's hello).
pub const CONTRACT_VERSION: u32 = 2;

/// Full gRPC name of the delegation service (also asked of the health service).
pub const DELEGATION_SERVICE: &str = "plenary.v2.Delegation";

/// Full gRPC name of the secretariat service (also asked of the health service).
pub const SECRETARIAT_SERVICE: &str = "plenary.v2.Secretariat";

/// gRPC metadata key of the endpoint's token on `Delegation.Play` (the chair sends the
/// token the endpoint registered with; an endpoint started with a token requires it).
pub const TOKEN_METADATA: &str = "x-plenary-token";

/// gRPC metadata key of the operator token on `Secretariat.StartSession`.
pub const OPERATOR_TOKEN_METADATA: &str = "x-plenary-operator-token";
