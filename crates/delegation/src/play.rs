//! The `Play` stream: hello and version negotiation, batches in, answers out.
//!
//! A reader task takes the chair's frames, checks the hello, and hands every envelope to
//! its seat ([`crate::seats`]); a writer task gathers the answers the seat workers
//! produce and sends them back in as few frames as it can without holding any answer
//! for a slow seat: it flushes as soon as every question received so far is answered,
//! and otherwise after at most [`GATHER`] without a new answer.

use crate::seats::{ReplyTo, Seats, is_question};
use plenary_core::strategy::StrategyFactory;
use plenary_proto::limits;
use plenary_proto::v2;
use plenary_proto::v2::chair_frame::Frame;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Semaphore, mpsc};
use tonic::{Status, Streaming};
use tracing::{debug, warn};

/// Longest the writer holds ready answers to gather those of seats still thinking.
const GATHER: std::time::Duration = std::time::Duration::from_millis(1);

/// Frames of answers queued towards the chair before the writer waits for the network.
pub(crate) const OUT_FRAMES: usize = 64;

/// Questions one stream may have in flight; past it the reader stops reading, so the
/// chair's HTTP/2 window fills and a flooding peer is held back, not buffered.
const IN_FLIGHT: usize = 4 * limits::MAX_BATCH;

pub(crate) type Outbound = mpsc::Sender<Result<v2::DelegationFrame, Status>>;

/// Runs one stream to its end.
pub(crate) async fn run<F: StrategyFactory + 'static>(
    seats: Arc<Seats<F>>,
    mut inbound: Streaming<v2::ChairFrame>,
    out: Outbound,
    agent: String,
) {
    // Hello first.
    let hello = match inbound.message().await {
        Ok(Some(v2::ChairFrame {
            frame: Some(Frame::Hello(h)),
        })) => h,
        Ok(Some(_)) => {
            let _ = out
                .send(Err(Status::failed_precondition(
                    "the first frame of a Play stream must be a ChairHello",
                )))
                .await;
            return;
        }
        Ok(None) => return,
        Err(s) if oversized(&s) => {
            let _ = out
                .send(Err(Status::resource_exhausted(s.message().to_string())))
                .await;
            return;
        }
        Err(s) => {
            debug!(status = %s, "stream failed before its hello");
            return;
        }
    };
    if !hello.versions.contains(&plenary_proto::CONTRACT_VERSION) {
        let _ = out
            .send(Err(Status::failed_precondition(format!(
                "no common contract version: the chair offers {:?}; this delegation speaks [{}]",
                hello.versions,
                plenary_proto::CONTRACT_VERSION
            ))))
            .await;
        return;
    }
    let reply = v2::DelegationFrame {
        frame: Some(v2::delegation_frame::Frame::Hello(v2::DelegationHello {
            version: plenary_proto::CONTRACT_VERSION,
            agent,
        })),
    };
    if out.send(Ok(reply)).await.is_err() {
        return;
    }
    debug!(chair = %limits::truncate(&hello.chair_id, 64), "play stream open");

    let (tx, rx) = mpsc::unbounded_channel();
    let outstanding = Arc::new(AtomicUsize::new(0));
    let permits = Arc::new(Semaphore::new(IN_FLIGHT));
    let writer = tokio::spawn(write(
        rx,
        out.clone(),
        Arc::clone(&outstanding),
        Arc::clone(&permits),
    ));
    let reply = ReplyTo { tx, outstanding };
    loop {
        let frame = match inbound.message().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(s) if oversized(&s) => {
                let _ = out
                    .send(Err(Status::resource_exhausted(format!(
                        "a frame over {} bytes: {}",
                        limits::MAX_MESSAGE_BYTES,
                        s.message()
                    ))))
                    .await;
                break;
            }
            Err(s) => {
                debug!(status = %s, "play stream ended");
                break;
            }
        };
        let batch = match frame.frame {
            Some(Frame::Batch(b)) => b,
            Some(Frame::Hello(_)) | None => {
                let _ = out
                    .send(Err(Status::failed_precondition(
                        "a Play stream has exactly one hello, first; later frames are batches",
                    )))
                    .await;
                break;
            }
        };
        if batch.messages.len() > limits::MAX_BATCH {
            let _ = out
                .send(Err(Status::resource_exhausted(format!(
                    "a batch of {} envelopes; at most {}",
                    batch.messages.len(),
                    limits::MAX_BATCH
                ))))
                .await;
            break;
        }
        // One seat in the frame (a lab delegation, a one-match turn): answer it here.
        let one_seat = batch.messages.len() <= 8
            && batch
                .messages
                .windows(2)
                .all(|w| w[0].match_id == w[1].match_id && w[0].state == w[1].state);
        let messages = if one_seat {
            match seats.answer_inline(batch.messages) {
                Ok(answers) => {
                    if !answers.is_empty() {
                        let frame = v2::DelegationFrame {
                            frame: Some(v2::delegation_frame::Frame::Answers(v2::Answers {
                                answers,
                            })),
                        };
                        if out.send(Ok(frame)).await.is_err() {
                            break;
                        }
                    }
                    continue;
                }
                Err(back) => back,
            }
        } else {
            batch.messages
        };
        for env in messages {
            if is_question(&env) {
                // Backpressure: wait for room before taking more questions.
                match Arc::clone(&permits).acquire_owned().await {
                    Ok(p) => p.forget(),
                    Err(_) => break,
                }
                reply.outstanding.fetch_add(1, Ordering::AcqRel);
                seats.dispatch(env, Some(reply.clone()));
            } else {
                seats.dispatch(env, None);
            }
        }
    }
    // The chair half-closed (or the stream broke): answers still being computed go out
    // if the stream is still there; then the response ends with OK.
    drop(reply);
    if let Err(e) = writer.await {
        warn!(%e, "answer writer failed");
    }
}

/// Whether a read failed because the frame exceeds the decoding limit. tonic reports
/// that as OUT_OF_RANGE; the contract (like gRPC's own servers) says RESOURCE_EXHAUSTED.
fn oversized(s: &Status) -> bool {
    s.code() == tonic::Code::OutOfRange && s.message().contains("message length too large")
}

/// Sends answers in frames: everything ready at once, flushing when nothing is
/// outstanding or when no answer came for [`GATHER`].
async fn write(
    mut rx: mpsc::UnboundedReceiver<v2::Answer>,
    out: Outbound,
    outstanding: Arc<AtomicUsize>,
    permits: Arc<Semaphore>,
) {
    let mut buf = Vec::new();
    while let Some(first) = rx.recv().await {
        buf.push(first);
        // Gather what the other seats answer next, but never wait longer than
        // GATHER for a slow one. The wait is a timed receive, not a yield: a yielded
        // task is deferred on its worker thread, and a strategy blocking that thread
        // would hold back every answer already computed.
        loop {
            while let Ok(a) = rx.try_recv() {
                buf.push(a);
            }
            if outstanding.load(Ordering::Acquire) == 0 {
                break;
            }
            match tokio::time::timeout(GATHER, rx.recv()).await {
                Ok(Some(a)) => buf.push(a),
                Ok(None) | Err(_) => break,
            }
        }
        let n = buf.len();
        let frame = v2::DelegationFrame {
            frame: Some(v2::delegation_frame::Frame::Answers(v2::Answers {
                answers: std::mem::take(&mut buf),
            })),
        };
        permits.add_permits(n);
        if out.send(Ok(frame)).await.is_err() {
            return;
        }
    }
}
