//! Keeping an endpoint registered with a chair.
//!
//! `Secretariat.Register` is a server stream: the chair answers `Registered` and keeps
//! the stream open while the registration stands. [`register`] holds that stream and,
//! whenever it ends because the chair went away, registers again (with backoff), so a
//! restarted chair finds every delegation again by itself. Should another registration
//! for the same State replace this one (`Replaced`), it stops and says so: a second
//! process holding the State's token is something the operator must look at, and
//! fighting over the seat would only hand it back and forth.

use plenary_proto::limits;
use plenary_proto::v2;
use plenary_proto::v2::registration_event::Event;
use plenary_proto::v2::secretariat_client::SecretariatClient;
use std::future::Future;
use std::time::Duration;
use tonic::transport::Endpoint;
use tracing::{info, warn};

/// What to register and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// URL of the chair, e.g. `http://127.0.0.1:50050`.
    pub chair: String,
    /// The State the endpoint plays.
    pub state: String,
    /// URL the chair should call, e.g. `http://127.0.0.1:50061`.
    pub endpoint: String,
    /// The State's token.
    pub token: String,
}

/// Why registration stopped for good.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    /// The chair refused the registration (wrong token, bad endpoint, ...).
    #[error("the chair at {chair} refused to register {state}: {code:?}: {message}")]
    Refused {
        /// Chair URL.
        chair: String,
        /// State.
        state: String,
        /// gRPC status code.
        code: tonic::Code,
        /// The chair's reason.
        message: String,
    },
    /// Another registration for the State replaced this one.
    #[error(
        "another endpoint ({endpoint}) registered for {state} (generation {generation}); this one stops re-registering"
    )]
    Replaced {
        /// State.
        state: String,
        /// The endpoint registered now.
        endpoint: String,
        /// Its generation.
        generation: u64,
    },
    /// The chair URL is not usable.
    #[error("chair URL {0}: {1}")]
    BadChair(String, String),
    /// The chair could not be reached before the first registration's deadline.
    #[error("the chair at {chair} could not be reached within {waited:?}: {last}")]
    Unreachable {
        /// Chair URL.
        chair: String,
        /// How long it tried.
        waited: Duration,
        /// The last error.
        last: String,
    },
}

/// Registers `reg` and keeps it registered until `shutdown` completes (Ok) or the
/// registration is refused or replaced (Err). `on_registered` is called with the
/// generation every time the chair confirms a registration (the first time, and after
/// each time the chair came back). The first registration must succeed within
/// `first_deadline` (a chair that never comes up is an error, not an endless wait);
/// later, the chair may be away for any length of time.
pub async fn register(
    reg: Registration,
    first_deadline: Duration,
    mut on_registered: impl FnMut(u64) + Send,
    shutdown: impl Future<Output = ()>,
) -> Result<(), RegisterError> {
    if let Err(e) = limits::check_token("token", &reg.token) {
        return Err(RegisterError::BadChair(reg.chair.clone(), e));
    }
    let endpoint = Endpoint::from_shared(reg.chair.clone())
        .map_err(|e| RegisterError::BadChair(reg.chair.clone(), e.to_string()))?
        .connect_timeout(Duration::from_secs(3))
        .tcp_nodelay(true);
    tokio::pin!(shutdown);
    let started = tokio::time::Instant::now();
    let mut ever_registered = false;
    let mut backoff = Duration::from_millis(100);
    loop {
        let mut registered_now = false;
        let attempt = async {
            let channel = endpoint.connect().await.map_err(|e| e.to_string())?;
            let mut client = SecretariatClient::new(channel);
            let mut stream = match client
                .register(v2::RegisterRequest {
                    state: reg.state.clone(),
                    endpoint: reg.endpoint.clone(),
                    token: reg.token.clone(),
                })
                .await
            {
                Ok(r) => r.into_inner(),
                Err(s) if is_transient(s.code()) => return Err(s.message().to_string()),
                Err(s) => {
                    return Ok(RegisterError::Refused {
                        chair: reg.chair.clone(),
                        state: reg.state.clone(),
                        code: s.code(),
                        message: s.message().to_string(),
                    });
                }
            };
            loop {
                match stream.message().await {
                    Ok(Some(v2::RegistrationEvent {
                        event: Some(Event::Registered(r)),
                    })) => {
                        info!(state = %reg.state, chair = %reg.chair, generation = r.generation, "registered");
                        registered_now = true;
                        on_registered(r.generation);
                    }
                    Ok(Some(v2::RegistrationEvent {
                        event: Some(Event::Replaced(r)),
                    })) => {
                        return Ok(RegisterError::Replaced {
                            state: reg.state.clone(),
                            endpoint: r.endpoint,
                            generation: r.generation,
                        });
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => return Err("the chair ended the registration".to_string()),
                    Err(s) => return Err(s.message().to_string()),
                }
            }
        };
        let outcome = tokio::select! {
            _ = &mut shutdown => return Ok(()),
            r = attempt => r,
        };
        let last = match outcome {
            Ok(fatal) => return Err(fatal),
            Err(last) => last,
        };
        if registered_now {
            // The chair was there and went away: wait for it to come back, however
            // long that takes, starting again with short retries.
            ever_registered = true;
            backoff = Duration::from_millis(100);
            warn!(state = %reg.state, chair = %reg.chair, %last, "lost the chair; registering again when it is back");
        } else if !ever_registered && started.elapsed() > first_deadline {
            return Err(RegisterError::Unreachable {
                chair: reg.chair.clone(),
                waited: first_deadline,
                last,
            });
        }
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

fn is_transient(code: tonic::Code) -> bool {
    matches!(
        code,
        tonic::Code::Unavailable
            | tonic::Code::DeadlineExceeded
            | tonic::Code::Cancelled
            | tonic::Code::Unknown
            | tonic::Code::Aborted
    )
}
