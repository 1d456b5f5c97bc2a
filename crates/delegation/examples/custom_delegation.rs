//! Serve your own strategy as a plenary delegation with one call.
//!
//! ```text
//! cargo run -p plenary-delegation --example custom_delegation -- 127.0.0.1:50051
//! plenary chair --listen 127.0.0.1:50050 &
//! # then register it: plenary delegate ... or your own Register call
//! ```
//!
//! See examples/rust-delegation/README.md.

use plenary_core::strategy::{
    PositionAnswer, RoundContext, SeatBrief, SeatView, Stance, Strategy, Vote,
};

/// Moves from its ideal point toward the proposal a little each round, and accepts
/// anything within its red line.
struct Patient {
    brief: SeatBrief,
}

impl Strategy for Patient {
    fn name(&self) -> &str {
        "patient"
    }

    fn position(&mut self, ctx: &RoundContext, _me: &SeatView) -> PositionAnswer {
        let p = self.brief.preferences[ctx.item as usize];
        let toward = ctx.proposal.unwrap_or(p.ideal);
        let step = 0.15 * f64::from(ctx.round);
        PositionAnswer {
            position: (p.ideal + step * (toward - p.ideal)).clamp(0.0, 100.0),
            salience: p.salience,
            link: None,
            ..Default::default()
        }
    }

    fn vote(&mut self, ctx: &RoundContext, _me: &SeatView) -> Vote {
        let Some(p) = self.brief.preferences.get(ctx.item as usize) else {
            return Vote::Yes; // the package vote
        };
        match ctx.proposal {
            Some(x) if (x - p.ideal).abs() > p.red_line => Vote::No,
            _ => Vote::Yes,
        }
    }

    fn session_end(
        &mut self,
        _summary: &plenary_core::strategy::SessionSummary,
        me: &SeatView,
    ) -> Stance {
        if me.legitimacy < 0.1 {
            Stance::Withhold
        } else {
            Stance::Stay
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_string());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    let factory = |brief: &SeatBrief| {
        Box::new(Patient {
            brief: brief.clone(),
        }) as Box<dyn Strategy>
    };
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    // The one call: everything else (health, reflection, seat bookkeeping) is the SDK's.
    plenary_delegation::serve(factory, listener, shutdown).await?;
    Ok(())
}
