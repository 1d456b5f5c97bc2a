//! plenary-delegation: serve a delegation (any [`Strategy`](plenary_core::strategy::Strategy)) over gRPC.
//!
//! The chair of a plenary lab or tournament plays each seat through the
//! `plenary.v2.Delegation` contract (`proto/plenary/v2/delegation.proto`): one
//! bidirectional `Play` stream per endpoint, carrying batched, sequenced messages for
//! every seat the endpoint plays in every match in flight. This SDK implements that
//! contract around a [`StrategyFactory`]: an `open` creates one strategy value for the
//! `(match_id, state)` it names, later messages go to it in order, `close` drops it. The
//! strategy value is exactly the one that runs in-process: nothing about it changes when
//! it is served.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use plenary_core::strategy::{PositionAnswer, RoundContext, SeatBrief, SeatView, Strategy, Vote};
//!
//! struct Agreeable;
//! impl Strategy for Agreeable {
//!     fn name(&self) -> &str { "agreeable" }
//!     fn position(&mut self, _: &RoundContext, _: &SeatView) -> PositionAnswer {
//!         PositionAnswer { position: 50.0, salience: 0.5, link: None }
//!     }
//!     fn vote(&mut self, _: &RoundContext, _: &SeatView) -> Vote { Vote::Yes }
//! }
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let factory = |_: &SeatBrief| Box::new(Agreeable) as Box<dyn Strategy>;
//! plenary_delegation::serve(factory, listener, async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```
//!
//! The SDK owns everything the contract asks beyond the strategy: the hello and version
//! check, per-seat ordering with different seats answered concurrently, replays answered
//! from the seat's last answer (a replayed open never resets a strategy), the refusal
//! codes, bounded seats and queues, idle-seat eviction, the token check, health and
//! reflection (v1 and v1alpha). The library never binds sockets and never installs
//! signal handlers: the caller passes a bound listener and a shutdown future.
//!
//! [`serve`] admits anyone for any State (development); [`serve_with`] and a
//! [`ServeConfig`] restrict it: `only_state` refuses seats of other States
//! (PERMISSION_DENIED) and `token` requires the metadata [`TOKEN_METADATA`] on every
//! stream (UNAUTHENTICATED otherwise). [`register`] keeps an endpoint registered with a
//! chair, registering again whenever the chair comes back.

mod play;
pub mod register;
mod seats;

use plenary_proto::transport;
use plenary_proto::v2;
use plenary_proto::v2::delegation_server::{Delegation, DelegationServer};
use seats::Seats;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};
use tracing::info;

pub use plenary_core::strategy::StrategyFactory;
pub use plenary_proto::{DELEGATION_SERVICE as SERVICE_NAME, TOKEN_METADATA};
pub use register::{RegisterError, Registration, register};

/// Why serving stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The gRPC server failed.
    #[error("gRPC server: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// The reflection service could not be built from the descriptor set.
    #[error("reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

/// Who may use a served delegation, and its bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// Serve only this State: a seat of another State is refused (PERMISSION_DENIED).
    pub only_state: Option<String>,
    /// Require the metadata [`TOKEN_METADATA`] equal to this on every `Play` stream
    /// (UNAUTHENTICATED otherwise). Health and reflection stay open.
    pub token: Option<String>,
    /// Most seats open at once (an `open` beyond it is refused with RESOURCE_EXHAUSTED).
    pub max_seats: usize,
    /// A seat that hears nothing for this long is dropped (its chair vanished).
    pub seat_idle: Duration,
    /// Connections idle this long are closed by HTTP/2 keep-alive pings that go
    /// unanswered (see [`serve_service`]).
    pub keepalive: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            only_state: None,
            token: None,
            max_seats: 65_536,
            seat_idle: Duration::from_secs(2 * 60 * 60),
            keepalive: transport::KEEPALIVE_INTERVAL,
        }
    }
}

/// Connections a served delegation accepts at once (the chair needs one).
pub const MAX_CONNECTIONS: usize = 256;

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The `plenary.v2.Delegation` service around a strategy factory. Use [`serve`] to run
/// it, or add [`DelegationService::into_server`] to a tonic server of your own.
pub struct DelegationService<F> {
    seats: Arc<Seats<F>>,
    config: Arc<ServeConfig>,
}

impl<F> Clone for DelegationService<F> {
    fn clone(&self) -> Self {
        DelegationService {
            seats: Arc::clone(&self.seats),
            config: Arc::clone(&self.config),
        }
    }
}

impl<F: StrategyFactory + 'static> DelegationService<F> {
    /// A service with no open seats that answers anyone for any State.
    pub fn new(factory: F) -> Self {
        Self::with_config(factory, ServeConfig::default())
    }

    /// A service with no open seats that admits only what `config` allows.
    pub fn with_config(factory: F, config: ServeConfig) -> Self {
        DelegationService {
            seats: Arc::new(Seats::new(
                factory,
                config.max_seats,
                config.only_state.clone(),
            )),
            config: Arc::new(config),
        }
    }

    /// The tonic server of this service, with plenary's message size limits.
    pub fn into_server(self) -> DelegationServer<Self> {
        DelegationServer::new(self)
            .max_decoding_message_size(plenary_proto::limits::MAX_MESSAGE_BYTES)
            .max_encoding_message_size(plenary_proto::limits::MAX_MESSAGE_BYTES)
    }

    /// Number of open seats.
    pub fn open_seats(&self) -> usize {
        self.seats.open_seats()
    }

    /// Drops seats idle for longer than the configured `seat_idle`; returns how many.
    pub fn evict_idle(&self) -> usize {
        self.seats.evict_idle(self.config.seat_idle)
    }
}

type PlayStream = Pin<Box<dyn Stream<Item = Result<v2::DelegationFrame, Status>> + Send>>;

#[tonic::async_trait]
impl<F: StrategyFactory + 'static> Delegation for DelegationService<F> {
    type PlayStream = PlayStream;

    async fn play(
        &self,
        request: Request<Streaming<v2::ChairFrame>>,
    ) -> Result<Response<Self::PlayStream>, Status> {
        if let Some(token) = &self.config.token {
            let given = request.metadata().get(TOKEN_METADATA).map(|v| v.as_bytes());
            if !given.is_some_and(|g| constant_time_eq(g, token.as_bytes())) {
                return Err(Status::unauthenticated(format!(
                    "this delegation requires its token in metadata `{TOKEN_METADATA}`"
                )));
            }
        }
        let (out, rx) = tokio::sync::mpsc::channel(play::OUT_FRAMES);
        let agent = format!("plenary-delegation-rust/{}", env!("CARGO_PKG_VERSION"));
        tokio::spawn(play::run(
            Arc::clone(&self.seats),
            request.into_inner(),
            out,
            agent,
        ));
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }
}

/// Serves `factory`'s strategies on `listener` until `shutdown` completes. Also serves
/// `grpc.health.v1.Health` (SERVING for `""` and [`SERVICE_NAME`]) and gRPC server
/// reflection (v1 and v1alpha).
pub async fn serve(
    factory: impl StrategyFactory + 'static,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    serve_with(ServeConfig::default(), factory, listener, shutdown).await
}

/// [`serve`] admitting only the State and token of `config`.
pub async fn serve_with(
    config: ServeConfig,
    factory: impl StrategyFactory + 'static,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    serve_service(
        DelegationService::with_config(factory, config),
        listener,
        shutdown,
    )
    .await
}

/// [`serve`] for a service built beforehand (e.g. to inspect
/// [`DelegationService::open_seats`]).
pub async fn serve_service<F: StrategyFactory + 'static>(
    service: DelegationService<F>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status(SERVICE_NAME, tonic_health::ServingStatus::Serving)
        .await;
    // Both reflection versions: grpcurl speaks v1, Python's grpcio client v1alpha.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(plenary_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    if let Ok(addr) = listener.local_addr() {
        info!(%addr, "delegation serving");
    }
    let keepalive = service.config.keepalive;
    // Seats of a chair that vanished are dropped after their idle time.
    let sweeper = {
        let service = service.clone();
        tokio::spawn(async move {
            let period = (service.config.seat_idle / 4).max(Duration::from_secs(1));
            loop {
                tokio::time::sleep(period).await;
                let n = service.evict_idle();
                if n > 0 {
                    info!(seats = n, "idle seats dropped");
                }
            }
        })
    };
    let result = tonic::transport::Server::builder()
        .initial_stream_window_size(Some(transport::STREAM_WINDOW))
        .initial_connection_window_size(Some(transport::CONNECTION_WINDOW))
        .http2_keepalive_interval(Some(keepalive))
        .http2_keepalive_timeout(Some(transport::KEEPALIVE_TIMEOUT))
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(service.into_server())
        .serve_with_incoming_shutdown(
            plenary_proto::transport::incoming(listener, MAX_CONNECTIONS),
            shutdown,
        )
        .await;
    sweeper.abort();
    result?;
    Ok(())
}
