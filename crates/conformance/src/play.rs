//! The chair's side of one `Play` stream, as the checker drives it: frames go out
//! through a channel, and a reader task timestamps every frame that comes back and how
//! the stream ended. Every wait takes a deadline, so a hanging endpoint costs at most
//! the timeout per wait.

use plenary_proto::v2;
use plenary_proto::v2::delegation_client::DelegationClient;
use plenary_proto::{TOKEN_METADATA, limits};
use std::fmt;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tonic::metadata::AsciiMetadataValue;
use tonic::transport::Channel;

/// How a stream ended (as the chair sees it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ended {
    /// The endpoint ended its side with status OK.
    Ok,
    /// The stream ended with a gRPC status other than OK.
    Status(tonic::Code, String),
}

impl fmt::Display for Ended {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ended::Ok => f.write_str("status OK"),
            Ended::Status(code, msg) => write!(
                f,
                "status {} ({})",
                code_name(*code),
                limits::truncate(msg, 200)
            ),
        }
    }
}

/// The name of a gRPC code as the contract writes it (`NOT_FOUND`).
pub(crate) fn code_name(code: tonic::Code) -> String {
    let mut out = String::new();
    for (i, ch) in format!("{code:?}").chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(ch.to_ascii_uppercase());
    }
    out
}

/// Something that came back on a stream, with when it arrived.
pub(crate) enum Event {
    /// A frame.
    Frame(v2::DelegationFrame, Instant),
    /// The end of the stream.
    End(Ended),
}

/// Why a stream did not get as far as the checker needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Nothing within the deadline.
    Timeout(Duration),
    /// The stream ended.
    Ended(Ended),
    /// The endpoint sent something the contract does not allow at that point.
    Protocol(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Timeout(t) => write!(f, "nothing within {} ms", t.as_millis()),
            Failure::Ended(e) => write!(f, "the stream ended with {e}"),
            Failure::Protocol(p) => f.write_str(p),
        }
    }
}

/// How to reach the endpoint's `Play`.
#[derive(Clone)]
pub(crate) struct Dial {
    pub channel: Channel,
    pub token: Option<AsciiMetadataValue>,
    pub timeout: Duration,
    /// Largest frame the checker may send (above the contract's limit for the
    /// stream-limits check).
    pub max_send: usize,
}

/// One open `Play` stream.
pub(crate) struct Play {
    tx: Option<mpsc::Sender<v2::ChairFrame>>,
    events: mpsc::UnboundedReceiver<Event>,
    reader: JoinHandle<()>,
    /// The dial's timeout (for reasons).
    timeout: Duration,
    /// How the stream ended, once it has.
    pub ended: Option<Ended>,
}

impl Drop for Play {
    fn drop(&mut self) {
        // Dropping the response stream cancels the call; the reader goes with it.
        self.reader.abort();
    }
}

/// A chair hello offering `versions`.
pub(crate) fn hello(versions: &[u32]) -> v2::ChairFrame {
    v2::ChairFrame {
        frame: Some(v2::chair_frame::Frame::Hello(v2::ChairHello {
            versions: versions.to_vec(),
            chair_id: "plenary-conformance".to_string(),
        })),
    }
}

/// A batch frame of `messages`.
pub(crate) fn batch(messages: Vec<v2::Envelope>) -> v2::ChairFrame {
    v2::ChairFrame {
        frame: Some(v2::chair_frame::Frame::Batch(v2::Batch { messages })),
    }
}

impl Play {
    /// Calls `Play` with `first` queued as the first frames and waits (bounded) for the
    /// response headers. `token`: `None` sends the dial's token, `Some(None)` no token,
    /// `Some(Some(t))` the token `t`.
    pub(crate) async fn start(
        dial: &Dial,
        token: Option<Option<AsciiMetadataValue>>,
        first: Vec<v2::ChairFrame>,
    ) -> Result<Play, Failure> {
        let (tx, rx) = mpsc::channel::<v2::ChairFrame>(64);
        for f in first {
            // The channel is fresh and larger than any opening sequence.
            let _ = tx.try_send(f);
        }
        let mut client = DelegationClient::new(dial.channel.clone())
            .max_decoding_message_size(limits::MAX_MESSAGE_BYTES)
            .max_encoding_message_size(dial.max_send);
        let mut req = tonic::Request::new(tokio_stream::wrappers::ReceiverStream::new(rx));
        if let Some(t) = token.unwrap_or_else(|| dial.token.clone()) {
            req.metadata_mut().insert(TOKEN_METADATA, t);
        }
        let response = match tokio::time::timeout(dial.timeout, client.play(req)).await {
            Err(_) => return Err(Failure::Timeout(dial.timeout)),
            Ok(Err(s)) => {
                return Err(Failure::Ended(Ended::Status(
                    s.code(),
                    s.message().to_string(),
                )));
            }
            Ok(Ok(r)) => r.into_inner(),
        };
        let (etx, events) = mpsc::unbounded_channel();
        let reader = tokio::spawn(async move {
            let mut response = response;
            loop {
                match response.message().await {
                    Ok(Some(f)) => {
                        if etx.send(Event::Frame(f, Instant::now())).is_err() {
                            return;
                        }
                    }
                    Ok(None) => {
                        let _ = etx.send(Event::End(Ended::Ok));
                        return;
                    }
                    Err(s) => {
                        let _ =
                            etx.send(Event::End(Ended::Status(s.code(), s.message().to_string())));
                        return;
                    }
                }
            }
        });
        Ok(Play {
            tx: Some(tx),
            events,
            reader,
            timeout: dial.timeout,
            ended: None,
        })
    }

    /// Starts a stream with a hello offering `versions` and waits for the endpoint's
    /// hello.
    pub(crate) async fn open(
        dial: &Dial,
        versions: &[u32],
    ) -> Result<(Play, v2::DelegationHello), Failure> {
        let mut play = Play::start(dial, None, vec![hello(versions)]).await?;
        let until = Instant::now() + dial.timeout;
        let h = play.expect_hello(until).await?;
        Ok((play, h))
    }

    /// Opens a stream with hello `[2]` and the token choice of [`Play::start`], waits for
    /// the endpoint's hello, and drops the stream.
    pub(crate) async fn open_with_token(
        dial: &Dial,
        token: Option<Option<AsciiMetadataValue>>,
    ) -> Result<(), Failure> {
        let until = Instant::now() + dial.timeout;
        let mut play =
            Play::start(dial, token, vec![hello(&[plenary_proto::CONTRACT_VERSION])]).await?;
        play.expect_hello(until).await.map(|_| ())
    }

    /// Waits for the endpoint's first frame, which must be its hello.
    pub(crate) async fn expect_hello(
        &mut self,
        until: Instant,
    ) -> Result<v2::DelegationHello, Failure> {
        match self.next(until).await {
            None => Err(Failure::Timeout(self.timeout)),
            Some(Event::End(e)) => Err(Failure::Ended(e)),
            Some(Event::Frame(
                v2::DelegationFrame {
                    frame: Some(v2::delegation_frame::Frame::Hello(h)),
                },
                _,
            )) => Ok(h),
            Some(Event::Frame(_, _)) => Err(Failure::Protocol(
                "the endpoint's first frame is not a DelegationHello".to_string(),
            )),
        }
    }

    /// Waits for the end of the stream, ignoring frames, until `until`.
    pub(crate) async fn expect_end(&mut self, until: Instant) -> Option<Ended> {
        loop {
            match self.next(until).await {
                None => return None,
                Some(Event::End(e)) => return Some(e),
                Some(Event::Frame(..)) => {}
            }
        }
    }

    /// Queues a frame; returns when it was handed over. A stream whose request side is
    /// gone, or whose endpoint stopped reading (the queue stays full for the timeout),
    /// drops it: the answers then never come.
    pub(crate) async fn send(&mut self, frame: v2::ChairFrame) -> Instant {
        let at = Instant::now();
        if let Some(tx) = &self.tx {
            let _ = tokio::time::timeout(self.timeout, tx.send(frame)).await;
        }
        at
    }

    /// Half-closes the stream: the chair sends nothing more.
    pub(crate) fn half_close(&mut self) {
        self.tx = None;
    }

    /// The next event before `until` (`None` at the deadline). After the end, `None`.
    pub(crate) async fn next(&mut self, until: Instant) -> Option<Event> {
        if self.ended.is_some() {
            return None;
        }
        let e = tokio::time::timeout_at(until, self.events.recv())
            .await
            .ok()
            .flatten();
        if let Some(Event::End(end)) = &e {
            self.ended = Some(end.clone());
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_named_as_in_the_contract() {
        assert_eq!(code_name(tonic::Code::NotFound), "NOT_FOUND");
        assert_eq!(code_name(tonic::Code::Ok), "OK");
        assert_eq!(
            code_name(tonic::Code::FailedPrecondition),
            "FAILED_PRECONDITION"
        );
        assert_eq!(
            Ended::Status(tonic::Code::Unauthenticated, "no".into()).to_string(),
            "status UNAUTHENTICATED (no)"
        );
    }
}
