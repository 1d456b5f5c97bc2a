//! Readiness and liveness over `grpc.health.v1`: the one health client of plenary (the
//! lab, the tournament executor, `plenary health` and the tests use it).

use std::time::Duration;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

/// Why a health check did not say SERVING.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HealthError {
    /// The URL does not parse.
    #[error("`{0}` is not a valid URL")]
    Url(String),
    /// No answer (connection refused, timeout, ...).
    #[error("{url}: no answer: {why}")]
    Unreachable {
        /// The URL.
        url: String,
        /// Why.
        why: String,
    },
    /// The server answered with another status.
    #[error("{url} `{service}` is {status}")]
    NotServing {
        /// The URL.
        url: String,
        /// The service asked about.
        service: String,
        /// Its status.
        status: String,
    },
    /// Still not SERVING at the deadline.
    #[error("{url} `{service}` not SERVING after {waited:?}: {last}")]
    Timeout {
        /// The URL.
        url: String,
        /// The service.
        service: String,
        /// How long it waited.
        waited: Duration,
        /// The last answer.
        last: String,
    },
}

/// One health check of `service` (`""` = the whole server) at `url`, bounded by
/// `deadline` (connection and answer together).
pub async fn check(url: &str, service: &str, deadline: Duration) -> Result<(), HealthError> {
    let endpoint = tonic::transport::Endpoint::from_shared(url.to_string())
        .map_err(|_| HealthError::Url(url.to_string()))?
        .connect_timeout(deadline)
        .timeout(deadline);
    let unreachable = |why: String| HealthError::Unreachable {
        url: url.to_string(),
        why,
    };
    let work = async {
        let channel = endpoint
            .connect()
            .await
            .map_err(|e| unreachable(e.to_string()))?;
        let r = HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: service.to_string(),
            })
            .await
            .map_err(|s| unreachable(format!("{:?}: {}", s.code(), s.message())))?;
        let status = r.into_inner().status;
        if status == ServingStatus::Serving as i32 {
            Ok(())
        } else {
            Err(HealthError::NotServing {
                url: url.to_string(),
                service: service.to_string(),
                status: ServingStatus::try_from(status).map_or_else(
                    |_| format!("status {status}"),
                    |s| s.as_str_name().to_string(),
                ),
            })
        }
    };
    tokio::time::timeout(deadline, work)
        .await
        .map_err(|_| unreachable(format!("no answer within {deadline:?}")))?
}

/// Polls until `service` at `url` reports SERVING, for at most `timeout`.
pub async fn wait_serving(url: &str, service: &str, timeout: Duration) -> Result<(), HealthError> {
    let start = tokio::time::Instant::now();
    loop {
        let left = timeout.saturating_sub(start.elapsed());
        match check(
            url,
            service,
            left.min(Duration::from_secs(2))
                .max(Duration::from_millis(50)),
        )
        .await
        {
            Ok(()) => return Ok(()),
            Err(e @ HealthError::Url(_)) => return Err(e),
            Err(e) if start.elapsed() >= timeout => {
                return Err(HealthError::Timeout {
                    url: url.to_string(),
                    service: service.to_string(),
                    waited: timeout,
                    last: e.to_string(),
                });
            }
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
