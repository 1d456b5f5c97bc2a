//! plenary-delegation: serve a delegation (any [`Strategy`]) over gRPC.
//!
//! The chair of a multi-process lab calls each State's delegation through the
//! `plenary.v1.Delegation` service. This SDK implements that service around a
//! [`StrategyFactory`]: every `OpenSeat` creates one strategy value for the
//! `(match_id, state)` it names, later questions are routed to it, and `CloseSeat` drops
//! it. The strategy value is exactly the one that runs in-process: nothing about it
//! changes when it is served. One endpoint can play several seats of several matches.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use plenary_core::strategy::{PositionAnswer, RoundContext, SeatBrief, SeatView, Strategy, Vote};
//!
//! struct Agreeable;
//! impl Strategy for Agreeable {
//!     fn name(&self) -> &str { "agreeable" }
//!     fn position(&mut self, _: &RoundContext, _: &SeatView) -> PositionAnswer {
//!         PositionAnswer { position: 50.0, salience: 0.5, ..Default::default() }
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
//! The library never binds sockets and never installs signal handlers: the caller
//! passes a bound listener and a shutdown future. Requests are validated: a question
//! for a seat that was never opened is `NOT_FOUND`, a question of the wrong phase is
//! `FAILED_PRECONDITION`, a malformed message is `INVALID_ARGUMENT` naming the field.
//!
//! [`serve`] answers anyone for any State. [`serve_with`] and a [`ServeConfig`] restrict
//! that: `only_state` refuses requests naming another State (`PERMISSION_DENIED`), and
//! `token` requires the gRPC metadata [`TOKEN_METADATA`] (which the chair sets to the
//! State's registration token) on every call (`UNAUTHENTICATED` otherwise).

use plenary_core::strategy::{Phase, SeatBrief, Strategy};
use plenary_proto::convert::{self, ConvertError, WireEnum};
use plenary_proto::v1;
use plenary_proto::v1::delegation_server::{Delegation, DelegationServer};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tonic::{Request, Response, Status};
use tracing::{debug, instrument};

pub use plenary_core::strategy::StrategyFactory;
pub use plenary_proto::TOKEN_METADATA;

/// Full gRPC name of the delegation service (as reported by health checks).
pub const SERVICE_NAME: &str = "plenary.v1.Delegation";

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

/// Who may call a served delegation (the default admits anyone for any State).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServeConfig {
    /// Serve only this State: a request naming another State is `PERMISSION_DENIED`.
    pub only_state: Option<String>,
    /// Require the metadata [`TOKEN_METADATA`] equal to this on every Delegation call
    /// (`UNAUTHENTICATED` otherwise). Health and reflection stay open.
    pub token: Option<String>,
}

impl ServeConfig {
    /// Checks a request's metadata and the State it names against this configuration.
    fn admit(&self, metadata: &tonic::metadata::MetadataMap, state: &str) -> Result<(), Status> {
        if let Some(token) = &self.token {
            let given = metadata.get(TOKEN_METADATA).map(|v| v.as_bytes());
            if !given.is_some_and(|g| constant_time_eq(g, token.as_bytes())) {
                return Err(Status::unauthenticated(format!(
                    "this delegation requires its State's token in metadata `{TOKEN_METADATA}`"
                )));
            }
        }
        if let Some(only) = &self.only_state
            && !state.is_empty()
            && state != only
        {
            return Err(Status::permission_denied(format!(
                "this delegation serves only State `{only}`; the request is for State `{state}`"
            )));
        }
        Ok(())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

type Seat = Arc<Mutex<Box<dyn Strategy>>>;
type SeatKey = (String, String);

/// The `plenary.v1.Delegation` service around a strategy factory. Use [`serve`] to run
/// it, or add [`DelegationService::into_server`] to a tonic server of your own.
pub struct DelegationService<F> {
    factory: Arc<F>,
    seats: Arc<Mutex<HashMap<SeatKey, Seat>>>,
    config: Arc<ServeConfig>,
}

impl<F> Clone for DelegationService<F> {
    fn clone(&self) -> Self {
        DelegationService {
            factory: Arc::clone(&self.factory),
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
            factory: Arc::new(factory),
            seats: Arc::new(Mutex::new(HashMap::new())),
            config: Arc::new(config),
        }
    }

    /// The tonic server of this service, with plenary's message size limits.
    pub fn into_server(self) -> DelegationServer<Self> {
        DelegationServer::new(self)
            .max_decoding_message_size(plenary_proto::MAX_MESSAGE_BYTES)
            .max_encoding_message_size(plenary_proto::MAX_MESSAGE_BYTES)
    }

    /// Number of open seats.
    pub fn open_seats(&self) -> usize {
        self.lock_seats().len()
    }

    fn lock_seats(&self) -> std::sync::MutexGuard<'_, HashMap<SeatKey, Seat>> {
        // The map is only touched by short inserts/lookups that cannot panic halfway.
        self.seats.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn seat(&self, match_id: &str, state: &str) -> Result<Seat, Status> {
        check_ids(match_id, state)?;
        self.lock_seats()
            .get(&(match_id.to_string(), state.to_string()))
            .cloned()
            .ok_or_else(|| {
                Status::not_found(format!(
                    "no open seat for State `{state}` in match `{match_id}` (OpenSeat must come first)"
                ))
            })
    }
}

fn check_ids(match_id: &str, state: &str) -> Result<(), Status> {
    if match_id.is_empty() {
        return Err(Status::invalid_argument("field `match_id` is empty"));
    }
    if state.is_empty() {
        return Err(Status::invalid_argument("field `state` is empty"));
    }
    Ok(())
}

/// The one place where domain errors become statuses.
fn invalid(e: ConvertError) -> Status {
    Status::invalid_argument(e.to_string())
}

fn with_strategy<T>(seat: &Seat, f: impl FnOnce(&mut dyn Strategy) -> T) -> Result<T, Status> {
    let mut guard = seat
        .lock()
        .map_err(|_| Status::internal("the seat's strategy failed earlier and cannot answer"))?;
    Ok(f(guard.as_mut()))
}

#[tonic::async_trait]
impl<F: StrategyFactory + 'static> Delegation for DelegationService<F> {
    #[instrument(skip_all, fields(match_id = %request.get_ref().match_id, state = %request.get_ref().state))]
    async fn open_seat(
        &self,
        request: Request<v1::SeatBrief>,
    ) -> Result<Response<v1::OpenSeatResponse>, Status> {
        self.config
            .admit(request.metadata(), &request.get_ref().state)?;
        let wire = request.into_inner();
        check_ids(&wire.match_id, &wire.state)?;
        let brief = SeatBrief::try_from(wire).map_err(invalid)?;
        if brief.preferences.len() != brief.items.len() {
            return Err(Status::invalid_argument(format!(
                "field `preferences` has {} entries for {} items",
                brief.preferences.len(),
                brief.items.len()
            )));
        }
        let strategy = self.factory.create(&brief);
        let name = strategy.name().to_string();
        debug!(strategy = %name, "seat opened");
        let key = (brief.match_id.clone(), brief.state.clone());
        // A replayed OpenSeat (the delegation re-registered) starts the seat afresh.
        self.lock_seats()
            .insert(key, Arc::new(Mutex::new(strategy)));
        Ok(Response::new(v1::OpenSeatResponse {
            match_id: brief.match_id,
            state: brief.state,
            strategy: name,
        }))
    }

    #[instrument(skip_all, fields(match_id = %request.get_ref().match_id, state = %request.get_ref().state))]
    async fn position(
        &self,
        request: Request<v1::PositionRequest>,
    ) -> Result<Response<v1::PositionResponse>, Status> {
        self.config
            .admit(request.metadata(), &request.get_ref().state)?;
        let r = request.into_inner();
        let seat = self.seat(&r.match_id, &r.state)?;
        let (ctx, view) = convert::question(r.context, r.view).map_err(invalid)?;
        if ctx.phase != Phase::Positions {
            return Err(Status::failed_precondition(format!(
                "Position asked in phase {:?}; positions are asked in the positions phase",
                ctx.phase
            )));
        }
        let answer = with_strategy(&seat, |s| s.position(&ctx, &view))?;
        Ok(Response::new(v1::PositionResponse::from_answer(
            &r.match_id,
            &r.state,
            &answer,
        )))
    }

    #[instrument(skip_all, fields(match_id = %request.get_ref().match_id, state = %request.get_ref().state))]
    async fn vote(
        &self,
        request: Request<v1::VoteRequest>,
    ) -> Result<Response<v1::VoteResponse>, Status> {
        self.config
            .admit(request.metadata(), &request.get_ref().state)?;
        let r = request.into_inner();
        let seat = self.seat(&r.match_id, &r.state)?;
        let (ctx, view) = convert::question(r.context, r.view).map_err(invalid)?;
        if ctx.phase == Phase::Positions {
            return Err(Status::failed_precondition(
                "Vote asked in the positions phase; votes are asked in decision, silence and package phases",
            ));
        }
        let vote = with_strategy(&seat, |s| s.vote(&ctx, &view))?;
        Ok(Response::new(v1::VoteResponse {
            match_id: r.match_id,
            state: r.state,
            vote: vote.wire(),
        }))
    }

    #[instrument(skip_all, fields(match_id = %request.get_ref().match_id, state = %request.get_ref().state))]
    async fn outcome(
        &self,
        request: Request<v1::OutcomeNotice>,
    ) -> Result<Response<v1::OutcomeAck>, Status> {
        self.config
            .admit(request.metadata(), &request.get_ref().state)?;
        let r = request.into_inner();
        let seat = self.seat(&r.match_id, &r.state)?;
        let outcome = convert::require("outcome", r.outcome)
            .and_then(TryInto::try_into)
            .map_err(invalid)?;
        with_strategy(&seat, |s| s.outcome(&outcome))?;
        Ok(Response::new(v1::OutcomeAck {
            match_id: r.match_id,
            state: r.state,
        }))
    }

    #[instrument(skip_all, fields(match_id = %request.get_ref().match_id, state = %request.get_ref().state))]
    async fn session_end(
        &self,
        request: Request<v1::SessionEndRequest>,
    ) -> Result<Response<v1::SessionEndResponse>, Status> {
        self.config
            .admit(request.metadata(), &request.get_ref().state)?;
        let r = request.into_inner();
        let seat = self.seat(&r.match_id, &r.state)?;
        let summary = convert::require("summary", r.summary)
            .map_err(invalid)?
            .into();
        let view = convert::require("view", r.view).map_err(invalid)?.into();
        let stance = with_strategy(&seat, |s| s.session_end(&summary, &view))?;
        Ok(Response::new(v1::SessionEndResponse {
            match_id: r.match_id,
            state: r.state,
            stance: stance.wire(),
        }))
    }

    #[instrument(skip_all, fields(match_id = %request.get_ref().match_id, state = %request.get_ref().state))]
    async fn close_seat(
        &self,
        request: Request<v1::CloseSeatRequest>,
    ) -> Result<Response<v1::CloseSeatResponse>, Status> {
        self.config
            .admit(request.metadata(), &request.get_ref().state)?;
        let r = request.into_inner();
        check_ids(&r.match_id, &r.state)?;
        let removed = self
            .lock_seats()
            .remove(&(r.match_id.clone(), r.state.clone()));
        if removed.is_none() {
            return Err(Status::not_found(format!(
                "no open seat for State `{}` in match `{}`",
                r.state, r.match_id
            )));
        }
        Ok(Response::new(v1::CloseSeatResponse {
            match_id: r.match_id,
            state: r.state,
        }))
    }
}

/// Serves `factory`'s strategies on `listener` until `shutdown` completes, then drains
/// in-flight calls. Also serves `grpc.health.v1.Health` (SERVING for `""` and
/// [`SERVICE_NAME`]) and gRPC server reflection.
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

/// [`serve`] for a service built beforehand (e.g. to inspect [`DelegationService::open_seats`]).
pub async fn serve_service<F: StrategyFactory + 'static>(
    service: DelegationService<F>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status(SERVICE_NAME, tonic_health::ServingStatus::Serving)
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(plenary_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let addr = listener.local_addr().ok();
    tracing::info!(?addr, "delegation serving");
    tonic::transport::Server::builder()
        .add_service(health)
        .add_service(reflection)
        .add_service(service.into_server())
        .serve_with_incoming_shutdown(
            tokio_stream::wrappers::TcpListenerStream::new(listener),
            shutdown,
        )
        .await?;
    Ok(())
}
