//! Conversions between the core types (`plenary_core::strategy`, `model`, `design`) and
//! the wire types of [`crate::v2`].
//!
//! Core -> wire never fails. Wire -> core checks only what the wire form can get wrong:
//! a missing message, an enum value that is unknown or left unspecified. The error names
//! the field. Numbers pass through unchanged: whether a position is on the scale is for
//! `plenary_core::answers` to say, so a NaN position gets the same verdict in-process
//! and over the network.

use crate::v2;
use plenary_core::design::{Linkage, Mediation};
use plenary_core::model::{Dimension, ItemKind, Preference};
use plenary_core::strategy::{
    BlocSignal, Decision, EventInfo, EventKind, GroupInfo, ItemInfo, ItemOutcome, Offer,
    PackageEntry, Phase, PositionAnswer, PublicOffer, PublicRules, RoundContext, SeatBrief,
    SeatView, SessionSummary, Stance, Vote,
};

/// A wire message that does not make a valid core value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConvertError {
    /// A required message field is absent.
    #[error("field `{field}` is missing")]
    Missing {
        /// Field path.
        field: &'static str,
    },
    /// An enum value is unknown, or unspecified where a value is required.
    #[error("field `{field}` has unknown or unspecified enum value {value}")]
    UnknownEnum {
        /// Field path.
        field: &'static str,
        /// The raw value received.
        value: i32,
    },
    /// Two fields that must agree do not.
    #[error("field `{field}`: {detail}")]
    Mismatch {
        /// Field path.
        field: &'static str,
        /// What disagrees.
        detail: String,
    },
}

fn required<T>(field: &'static str, v: Option<T>) -> Result<T, ConvertError> {
    v.ok_or(ConvertError::Missing { field })
}

/// A core enum that travels as a raw `i32` on the wire.
pub trait WireEnum {
    /// The raw wire value.
    fn wire(self) -> i32;
}

macro_rules! enum_map {
    ($core:ty, $wire:ty, $decode:ident, $($c:ident <=> $w:ident),+ $(,)?) => {
        impl From<$core> for $wire {
            fn from(v: $core) -> Self {
                match v { $(<$core>::$c => <$wire>::$w),+ }
            }
        }
        impl WireEnum for $core {
            fn wire(self) -> i32 {
                <$wire>::from(self) as i32
            }
        }
        /// Decodes a raw wire value; unknown and unspecified values are errors naming `field`.
        pub fn $decode(field: &'static str, raw: i32) -> Result<$core, ConvertError> {
            match <$wire>::try_from(raw) {
                $(Ok(<$wire>::$w) => Ok(<$core>::$c),)+
                _ => Err(ConvertError::UnknownEnum { field, value: raw }),
            }
        }
    };
}

enum_map!(Dimension, v2::Dimension, dimension,
    PoliticoMilitary <=> PoliticoMilitary,
    EconomicEnvironmental <=> EconomicEnvironmental,
    Human <=> Human,
    General <=> General,
);
enum_map!(ItemKind, v2::ItemKind, item_kind,
    UnifiedBudget <=> UnifiedBudget,
    Appointment <=> Appointment,
    FieldMission <=> FieldMission,
    Csbm <=> Csbm,
    ElectionObservation <=> ElectionObservation,
    Declaration <=> Declaration,
    ViolationResponse <=> ViolationResponse,
);
enum_map!(Mediation, v2::Mediation, mediation,
    Compromise <=> Compromise,
    Nash <=> Nash,
    MaxSupport <=> MaxSupport,
);
enum_map!(Linkage, v2::Linkage, linkage,
    None <=> None,
    SameDimension <=> SameDimension,
    Any <=> Any,
);
enum_map!(Phase, v2::Phase, phase,
    Positions <=> Positions,
    Decision <=> Decision,
    Silence <=> Silence,
    Package <=> Package,
);
enum_map!(Vote, v2::Vote, vote,
    Yes <=> Yes,
    No <=> No,
    Abstain <=> Abstain,
);
enum_map!(Decision, v2::Decision, decision,
    Adopted <=> Adopted,
    AdoptedBySilence <=> AdoptedBySilence,
    AdHoc <=> AdHoc,
    Provisional <=> Provisional,
    Reverted <=> Reverted,
    OutOfScope <=> OutOfScope,
    PackageFailed <=> PackageFailed,
    Suspended <=> Suspended,
    Settled <=> Settled,
);
enum_map!(EventKind, v2::EventKind, event_kind,
    Exercise <=> Exercise,
    Alliance <=> Alliance,
    Armament <=> Armament,
    Incident <=> Incident,
);
enum_map!(Stance, v2::Stance, stance,
    Stay <=> Stay,
    Withhold <=> Withhold,
    Exit <=> Exit,
);

// ----- core -> wire -------------------------------------------------------------------

impl From<&ItemInfo> for v2::ItemInfo {
    fn from(i: &ItemInfo) -> Self {
        v2::ItemInfo {
            index: i.index,
            id: i.id.clone(),
            title: i.title.clone(),
            dimension: i.dimension.wire(),
            kind: i.kind.wire(),
            status_quo: i.status_quo,
            reversion: i.reversion,
            in_scope: i.in_scope,
            binding: i.binding,
            legally_binding: i.legally_binding,
            recurring: i.recurring,
            group: i.group,
        }
    }
}

impl From<&GroupInfo> for v2::GroupInfo {
    fn from(g: &GroupInfo) -> Self {
        v2::GroupInfo {
            id: g.id.clone(),
            title: g.title.clone(),
            items: g.items.clone(),
        }
    }
}

impl From<&Preference> for v2::Preference {
    fn from(p: &Preference) -> Self {
        v2::Preference {
            ideal: p.ideal,
            salience: p.salience,
            red_line: p.red_line,
            capability: p.capability,
        }
    }
}

impl From<&PublicRules> for v2::PublicRules {
    fn from(r: &PublicRules) -> Self {
        v2::PublicRules {
            design: r.design.clone(),
            sessions: r.sessions,
            max_rounds: r.max_rounds,
            mediation: r.mediation.wire(),
            linkage: r.linkage.wire(),
            naming_shaming: r.naming_shaming,
            exit_allowed: r.exit_allowed,
            states: r.states,
            group_packages: r.group_packages,
            moscow_mechanism: r.moscow_mechanism,
            crisis_threshold: r.crisis_threshold,
            forfeit: r.forfeit,
        }
    }
}

impl From<&SeatBrief> for v2::SeatBrief {
    fn from(b: &SeatBrief) -> Self {
        v2::SeatBrief {
            match_id: b.match_id.clone(),
            state: b.state.clone(),
            seat: b.seat,
            bloc: b.bloc.clone(),
            bloc_index: b.bloc_index,
            bloc_leader: b.bloc_leader,
            capability: b.capability,
            seed: b.seed,
            blocs: b.blocs.clone(),
            items: b.items.iter().map(Into::into).collect(),
            preferences: b.preferences.iter().map(Into::into).collect(),
            rules: Some((&b.rules).into()),
            bargaining_power: b.bargaining_power,
            voting_weight: b.voting_weight,
            absent_items: b.absent_items.clone(),
            groups: b.groups.iter().map(Into::into).collect(),
        }
    }
}

impl From<&BlocSignal> for v2::BlocSignal {
    fn from(s: &BlocSignal) -> Self {
        v2::BlocSignal {
            mean_position: s.mean_position,
            objections: s.objections,
            present: s.present,
            leader_position: s.leader_position,
            leader_vote: s.leader_vote.map(WireEnum::wire),
        }
    }
}

impl From<&PublicOffer> for v2::PublicOffer {
    fn from(o: &PublicOffer) -> Self {
        v2::PublicOffer {
            from: o.from,
            support: o.support,
            want: o.want,
            target: o.target,
            tolerance: o.tolerance,
        }
    }
}

impl From<&PackageEntry> for v2::PackageEntry {
    fn from(e: &PackageEntry) -> Self {
        v2::PackageEntry {
            item: e.item,
            value: e.value,
            status_quo: e.status_quo,
        }
    }
}

impl From<&RoundContext> for v2::RoundContext {
    fn from(c: &RoundContext) -> Self {
        v2::RoundContext {
            session: c.session,
            item: c.item,
            round: c.round,
            phase: c.phase.wire(),
            proposal: c.proposal,
            blocs: c.blocs.iter().map(Into::into).collect(),
            last_objections: c.last_objections,
            offers: c.offers.iter().map(Into::into).collect(),
            package: c.package.iter().map(Into::into).collect(),
            group: c.group,
        }
    }
}

impl From<&SeatView> for v2::SeatView {
    fn from(v: &SeatView) -> Self {
        v2::SeatView {
            legitimacy: v.legitimacy,
            tension: v.tension,
            shamed: v.shamed,
            red_line_scale: v.red_line_scale,
            security_salience: v.security_salience,
            crisis: v.crisis,
            refused_link: v.refused_link,
            refused_offer: v.refused_offer,
        }
    }
}

impl From<&ItemOutcome> for v2::ItemOutcome {
    fn from(o: &ItemOutcome) -> Self {
        v2::ItemOutcome {
            session: o.session,
            item: o.item,
            decision: o.decision.wire(),
            outcome: o.outcome,
            in_force: o.in_force,
            binding: o.binding,
            rounds: o.rounds,
            objections_by_bloc: o.objections_by_bloc.clone(),
            shamed: o.shamed.clone(),
            legally_binding: o.legally_binding,
            objectors: o.objectors.clone(),
            package: o.package,
        }
    }
}

impl From<&EventInfo> for v2::EventInfo {
    fn from(e: &EventInfo) -> Self {
        v2::EventInfo {
            kind: e.kind.wire(),
            a: e.a,
            b: e.b,
        }
    }
}

impl From<&SessionSummary> for v2::SessionSummary {
    fn from(s: &SessionSummary) -> Self {
        v2::SessionSummary {
            session: s.session,
            decided: s.decided,
            items: s.items,
            my_gain: s.my_gain,
            tension: s
                .tension
                .iter()
                .map(|&(a, b, value)| v2::TensionPair { a, b, value })
                .collect(),
            shamed: s.shamed.clone(),
            events: s.events.iter().map(Into::into).collect(),
        }
    }
}

impl From<&PositionAnswer> for v2::PositionAnswer {
    fn from(a: &PositionAnswer) -> Self {
        v2::PositionAnswer {
            position: a.position,
            salience: a.salience,
            link: a.link,
            offer: a.offer.map(|o| v2::Offer {
                item: o.item,
                target: o.target,
                tolerance: o.tolerance,
            }),
            invoke: a.invoke,
        }
    }
}

// ----- wire -> core -------------------------------------------------------------------

impl TryFrom<v2::ItemInfo> for ItemInfo {
    type Error = ConvertError;
    fn try_from(i: v2::ItemInfo) -> Result<Self, ConvertError> {
        Ok(ItemInfo {
            index: i.index,
            id: i.id,
            title: i.title,
            dimension: dimension("open.items.dimension", i.dimension)?,
            kind: item_kind("open.items.kind", i.kind)?,
            status_quo: i.status_quo,
            reversion: i.reversion,
            in_scope: i.in_scope,
            binding: i.binding,
            legally_binding: i.legally_binding,
            recurring: i.recurring,
            group: i.group,
        })
    }
}

impl From<v2::GroupInfo> for GroupInfo {
    fn from(g: v2::GroupInfo) -> Self {
        GroupInfo {
            id: g.id,
            title: g.title,
            items: g.items,
        }
    }
}

impl From<v2::Preference> for Preference {
    fn from(p: v2::Preference) -> Self {
        Preference {
            ideal: p.ideal,
            salience: p.salience,
            red_line: p.red_line,
            capability: p.capability,
        }
    }
}

impl TryFrom<v2::PublicRules> for PublicRules {
    type Error = ConvertError;
    fn try_from(r: v2::PublicRules) -> Result<Self, ConvertError> {
        Ok(PublicRules {
            design: r.design,
            sessions: r.sessions,
            max_rounds: r.max_rounds,
            mediation: mediation("open.rules.mediation", r.mediation)?,
            linkage: linkage("open.rules.linkage", r.linkage)?,
            naming_shaming: r.naming_shaming,
            exit_allowed: r.exit_allowed,
            states: r.states,
            group_packages: r.group_packages,
            moscow_mechanism: r.moscow_mechanism,
            crisis_threshold: r.crisis_threshold,
            forfeit: r.forfeit,
        })
    }
}

impl TryFrom<v2::SeatBrief> for SeatBrief {
    type Error = ConvertError;
    fn try_from(b: v2::SeatBrief) -> Result<Self, ConvertError> {
        if b.preferences.len() != b.items.len() {
            return Err(ConvertError::Mismatch {
                field: "open.preferences",
                detail: format!(
                    "{} preferences for {} items",
                    b.preferences.len(),
                    b.items.len()
                ),
            });
        }
        Ok(SeatBrief {
            match_id: b.match_id,
            state: b.state,
            seat: b.seat,
            bloc: b.bloc,
            bloc_index: b.bloc_index,
            bloc_leader: b.bloc_leader,
            capability: b.capability,
            bargaining_power: b.bargaining_power,
            voting_weight: b.voting_weight,
            seed: b.seed,
            blocs: b.blocs,
            items: b
                .items
                .into_iter()
                .map(ItemInfo::try_from)
                .collect::<Result<_, _>>()?,
            preferences: b.preferences.into_iter().map(Preference::from).collect(),
            absent_items: b.absent_items,
            groups: b.groups.into_iter().map(GroupInfo::from).collect(),
            rules: required("open.rules", b.rules)?.try_into()?,
        })
    }
}

impl TryFrom<v2::BlocSignal> for BlocSignal {
    type Error = ConvertError;
    fn try_from(s: v2::BlocSignal) -> Result<Self, ConvertError> {
        Ok(BlocSignal {
            mean_position: s.mean_position,
            objections: s.objections,
            present: s.present,
            leader_position: s.leader_position,
            leader_vote: s
                .leader_vote
                .map(|v| vote("context.blocs.leader_vote", v))
                .transpose()?,
        })
    }
}

impl From<v2::PublicOffer> for PublicOffer {
    fn from(o: v2::PublicOffer) -> Self {
        PublicOffer {
            from: o.from,
            support: o.support,
            want: o.want,
            target: o.target,
            tolerance: o.tolerance,
        }
    }
}

impl From<v2::PackageEntry> for PackageEntry {
    fn from(e: v2::PackageEntry) -> Self {
        PackageEntry {
            item: e.item,
            value: e.value,
            status_quo: e.status_quo,
        }
    }
}

impl TryFrom<v2::RoundContext> for RoundContext {
    type Error = ConvertError;
    fn try_from(c: v2::RoundContext) -> Result<Self, ConvertError> {
        Ok(RoundContext {
            session: c.session,
            item: c.item,
            round: c.round,
            phase: phase("context.phase", c.phase)?,
            proposal: c.proposal,
            blocs: c
                .blocs
                .into_iter()
                .map(BlocSignal::try_from)
                .collect::<Result<_, _>>()?,
            last_objections: c.last_objections,
            offers: c.offers.into_iter().map(PublicOffer::from).collect(),
            package: c.package.into_iter().map(PackageEntry::from).collect(),
            group: c.group,
        })
    }
}

impl From<v2::SeatView> for SeatView {
    fn from(v: v2::SeatView) -> Self {
        SeatView {
            legitimacy: v.legitimacy,
            tension: v.tension,
            shamed: v.shamed,
            red_line_scale: v.red_line_scale,
            security_salience: v.security_salience,
            crisis: v.crisis,
            refused_link: v.refused_link,
            refused_offer: v.refused_offer,
        }
    }
}

impl TryFrom<v2::ItemOutcome> for ItemOutcome {
    type Error = ConvertError;
    fn try_from(o: v2::ItemOutcome) -> Result<Self, ConvertError> {
        Ok(ItemOutcome {
            session: o.session,
            item: o.item,
            decision: decision("outcome.decision", o.decision)?,
            outcome: o.outcome,
            in_force: o.in_force,
            binding: o.binding,
            legally_binding: o.legally_binding,
            rounds: o.rounds,
            objections_by_bloc: o.objections_by_bloc,
            objectors: o.objectors,
            shamed: o.shamed,
            package: o.package,
        })
    }
}

impl TryFrom<v2::SessionSummary> for SessionSummary {
    type Error = ConvertError;
    fn try_from(s: v2::SessionSummary) -> Result<Self, ConvertError> {
        Ok(SessionSummary {
            session: s.session,
            decided: s.decided,
            items: s.items,
            my_gain: s.my_gain,
            tension: s.tension.into_iter().map(|t| (t.a, t.b, t.value)).collect(),
            shamed: s.shamed,
            events: s
                .events
                .into_iter()
                .map(|e| {
                    Ok(EventInfo {
                        kind: event_kind("session_end.summary.events.kind", e.kind)?,
                        a: e.a,
                        b: e.b,
                    })
                })
                .collect::<Result<_, ConvertError>>()?,
        })
    }
}

impl From<&v2::PositionAnswer> for PositionAnswer {
    /// Numbers pass unchanged; `plenary_core::answers` judges them.
    fn from(a: &v2::PositionAnswer) -> Self {
        PositionAnswer {
            position: a.position,
            salience: a.salience,
            link: a.link,
            offer: a.offer.as_ref().map(|o| Offer {
                item: o.item,
                target: o.target,
                tolerance: o.tolerance,
            }),
            invoke: a.invoke,
        }
    }
}

/// A position question's context and view as core values.
pub fn position_question(
    q: v2::PositionQuestion,
) -> Result<(RoundContext, SeatView), ConvertError> {
    question("position", q.context, q.view)
}

/// A vote question's context and view as core values.
pub fn vote_question(q: v2::VoteQuestion) -> Result<(RoundContext, SeatView), ConvertError> {
    question("vote", q.context, q.view)
}

/// A session-end question's summary and view as core values.
pub fn session_end_question(
    q: v2::SessionEndQuestion,
) -> Result<(SessionSummary, SeatView), ConvertError> {
    Ok((
        required("session_end.summary", q.summary)?.try_into()?,
        required("session_end.view", q.view)?.into(),
    ))
}

fn question(
    kind: &'static str,
    context: Option<v2::RoundContext>,
    view: Option<v2::SeatView>,
) -> Result<(RoundContext, SeatView), ConvertError> {
    let (cf, vf) = match kind {
        "position" => ("position.context", "position.view"),
        _ => ("vote.context", "vote.view"),
    };
    Ok((
        required(cf, context)?.try_into()?,
        required(vf, view)?.into(),
    ))
}

/// Requires an optional message field.
pub fn require<T>(field: &'static str, v: Option<T>) -> Result<T, ConvertError> {
    required(field, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> RoundContext {
        RoundContext {
            session: 1,
            item: 2,
            round: 3,
            phase: Phase::Silence,
            proposal: Some(0.1 + 0.2),
            blocs: vec![BlocSignal {
                mean_position: 1.0 / 3.0,
                objections: 4,
                present: 5,
                leader_position: Some(f64::MIN_POSITIVE),
                leader_vote: Some(Vote::Abstain),
            }],
            last_objections: 6,
            offers: vec![PublicOffer {
                from: 7,
                support: 2,
                want: 0,
                target: 1.0 / 7.0,
                tolerance: 2.5,
            }],
            package: vec![
                PackageEntry {
                    item: 0,
                    value: 0.1 + 0.7,
                    status_quo: None,
                },
                PackageEntry {
                    item: 2,
                    value: 99.5,
                    status_quo: Some(12.25),
                },
            ],
            group: Some(3),
        }
    }

    #[test]
    fn round_context_round_trips_exactly() {
        let c = ctx();
        let back = RoundContext::try_from(v2::RoundContext::from(&c)).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.proposal.unwrap().to_bits(), (0.1f64 + 0.2).to_bits());
    }

    #[test]
    fn enums_round_trip_and_unspecified_is_an_error() {
        for d in Dimension::ALL {
            assert_eq!(dimension("d", d.wire()).unwrap(), d);
        }
        for k in ItemKind::ALL {
            assert_eq!(item_kind("k", k.wire()).unwrap(), k);
        }
        for s in [Stance::Stay, Stance::Withhold, Stance::Exit] {
            assert_eq!(stance("s", s.wire()).unwrap(), s);
        }
        assert_eq!(
            vote("vote", 0),
            Err(ConvertError::UnknownEnum {
                field: "vote",
                value: 0
            })
        );
        assert_eq!(
            vote("vote", 99).unwrap_err().to_string(),
            "field `vote` has unknown or unspecified enum value 99"
        );
    }

    #[test]
    fn missing_messages_are_named() {
        let e = vote_question(v2::VoteQuestion {
            context: None,
            view: Some(v2::SeatView::default()),
        })
        .unwrap_err();
        assert_eq!(
            e,
            ConvertError::Missing {
                field: "vote.context"
            }
        );
        let brief = v2::SeatBrief {
            preferences: vec![v2::Preference::default()],
            ..Default::default()
        };
        assert_eq!(
            SeatBrief::try_from(brief).unwrap_err().to_string(),
            "field `open.preferences`: 1 preferences for 0 items"
        );
    }

    #[test]
    fn descriptor_set_holds_both_services() {
        let set = crate::FILE_DESCRIPTOR_SET;
        let has = |needle: &str| set.windows(needle.len()).any(|w| w == needle.as_bytes());
        assert!(has("plenary/v2/delegation.proto") && has("plenary/v2/secretariat.proto"));
        assert!(has("Delegation") && has("Secretariat"));
    }
}
