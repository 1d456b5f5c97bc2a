//! plenary-proto: the gRPC API of plenary (`plenary.v1`) and its conversions.
//!
//! Code is generated from `proto/plenary/v1/*.proto` at build time with protox (no
//! system `protoc`). [`v1`] holds the messages, the Delegation and Secretariat clients
//! and servers; [`FILE_DESCRIPTOR_SET`] is the encoded descriptor set for server
//! reflection. This crate also owns the mapping between the core types of
//! `plenary-core` and the wire types: core -> wire is infallible ([`From`]), wire ->
//! core is checked ([`TryFrom`]) and a [`ConvertError`] names the field that is wrong.

pub mod convert;

pub use convert::ConvertError;

/// Generated messages, clients and servers of package `plenary.v1`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod v1 {
    tonic::include_proto!("plenary.v1");
}

/// The benchmark's echo baseline (`plenary.bench.v1`): not part of the plenary API and
/// not in [`FILE_DESCRIPTOR_SET`].
pub mod bench {
    /// Generated messages, client and server of package `plenary.bench.v1`.
    #[allow(missing_docs, clippy::all, clippy::pedantic)]
    pub mod v1 {
        tonic::include_proto!("plenary.bench.v1");
    }

    /// Encoded size of a message in bytes (to size echo payloads like real requests).
    pub fn encoded_len(message: &impl prost::Message) -> usize {
        message.encoded_len()
    }
}

/// Encoded `FileDescriptorSet` of `plenary.v1` (with imports and source info), for
/// gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/plenary_descriptor.bin"));

/// Largest message either side accepts (a 57-State brief is a few kB; results JSON of
/// a long match is well under a megabyte).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// gRPC metadata key under which the chair sends a State's registration token on every
/// `plenary.v1.Delegation` call (a delegation started with a token requires it).
pub const TOKEN_METADATA: &str = "x-plenary-token";
