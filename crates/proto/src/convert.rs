//! Conversions between the core types (`plenary_core::strategy`, `model`, `design`) and
//! the wire types of [`crate::v1`].
//!
//! Core -> wire never fails. Wire -> core checks what a peer could get wrong: a missing
//! message, an enum value that is unknown or left unspecified, and for answers a number
//! that is NaN or outside its range. The error names the field.

use crate::v1;
use plenary_core::design::{Linkage, Mediation};
use plenary_core::model::{Dimension, ItemKind, Preference, SCALE_MAX, SCALE_MIN};
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
    /// A number is NaN or infinite.
    #[error("field `{field}` is not a finite number ({value})")]
    NotFinite {
        /// Field path.
        field: &'static str,
        /// The value received.
        value: f64,
    },
    /// A number is outside its range.
    #[error("field `{field}` = {value} is outside {min}..={max}")]
    OutOfRange {
        /// Field path.
        field: &'static str,
        /// The value received.
        value: f64,
        /// Lowest allowed.
        min: f64,
        /// Highest allowed.
        max: f64,
    },
    /// An enum value is unknown, or unspecified where a value is required.
    #[error("field `{field}` has unknown or unspecified enum value {value}")]
    UnknownEnum {
        /// Field path.
        field: &'static str,
        /// The raw value received.
        value: i32,
    },
}

/// Checks that `value` is finite and within `min..=max`.
pub fn in_range(field: &'static str, value: f64, min: f64, max: f64) -> Result<f64, ConvertError> {
    if !value.is_finite() {
        return Err(ConvertError::NotFinite { field, value });
    }
    if value < min || value > max {
        return Err(ConvertError::OutOfRange {
            field,
            value,
            min,
            max,
        });
    }
    Ok(value)
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

enum_map!(Dimension, v1::Dimension, dimension,
    PoliticoMilitary <=> PoliticoMilitary,
    EconomicEnvironmental <=> EconomicEnvironmental,
    Human <=> Human,
    General <=> General,
);
enum_map!(ItemKind, v1::ItemKind, item_kind,
    UnifiedBudget <=> UnifiedBudget,
    Appointment <=> Appointment,
    FieldMission <=> FieldMission,
    Csbm <=> Csbm,
    ElectionObservation <=> ElectionObservation,
    Declaration <=> Declaration,
    ViolationResponse <=> ViolationResponse,
);
enum_map!(Mediation, v1::Mediation, mediation,
    Compromise <=> Compromise,
    Nash <=> Nash,
    MaxSupport <=> MaxSupport,
);
enum_map!(Linkage, v1::Linkage, linkage,
    None <=> None,
    SameDimension <=> SameDimension,
    Any <=> Any,
);
enum_map!(Phase, v1::Phase, phase,
    Positions <=> Positions,
    Decision <=> Decision,
    Silence <=> Silence,
    Package <=> Package,
);
enum_map!(Vote, v1::Vote, vote,
    Yes <=> Yes,
    No <=> No,
    Abstain <=> Abstain,
);
enum_map!(Decision, v1::Decision, decision,
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
enum_map!(EventKind, v1::EventKind, event_kind,
    Exercise <=> Exercise,
    Alliance <=> Alliance,
    Armament <=> Armament,
    Incident <=> Incident,
);
enum_map!(Stance, v1::Stance, stance,
    Stay <=> Stay,
    Withhold <=> Withhold,
    Exit <=> Exit,
);

// ----- core -> wire -------------------------------------------------------------------

impl From<&ItemInfo> for v1::ItemInfo {
    fn from(i: &ItemInfo) -> Self {
        v1::ItemInfo {
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

impl From<&Preference> for v1::Preference {
    fn from(p: &Preference) -> Self {
        v1::Preference {
            ideal: p.ideal,
            salience: p.salience,
            red_line: p.red_line,
            capability: p.capability,
        }
    }
}

impl From<&PublicRules> for v1::PublicRules {
    fn from(r: &PublicRules) -> Self {
        v1::PublicRules {
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

impl From<&SeatBrief> for v1::SeatBrief {
    fn from(b: &SeatBrief) -> Self {
        v1::SeatBrief {
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
            groups: b
                .groups
                .iter()
                .map(|g| v1::GroupInfo {
                    id: g.id.clone(),
                    title: g.title.clone(),
                    items: g.items.clone(),
                })
                .collect(),
        }
    }
}

impl From<&BlocSignal> for v1::BlocSignal {
    fn from(s: &BlocSignal) -> Self {
        v1::BlocSignal {
            mean_position: s.mean_position,
            objections: s.objections,
            present: s.present,
            leader_position: s.leader_position,
            leader_vote: s.leader_vote.map(WireEnum::wire),
        }
    }
}

impl From<&RoundContext> for v1::RoundContext {
    fn from(c: &RoundContext) -> Self {
        v1::RoundContext {
            session: c.session,
            item: c.item,
            round: c.round,
            phase: c.phase.wire(),
            proposal: c.proposal,
            blocs: c.blocs.iter().map(Into::into).collect(),
            last_objections: c.last_objections,
            offers: c
                .offers
                .iter()
                .map(|o| v1::PublicOffer {
                    from: o.from,
                    support: o.support,
                    want: o.want,
                    target: o.target,
                    tolerance: o.tolerance,
                })
                .collect(),
            package: c
                .package
                .iter()
                .map(|e| v1::PackageEntry {
                    item: e.item,
                    value: e.value,
                    status_quo: e.status_quo,
                })
                .collect(),
            group: c.group,
        }
    }
}

impl From<&SeatView> for v1::SeatView {
    fn from(v: &SeatView) -> Self {
        v1::SeatView {
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

impl From<&ItemOutcome> for v1::ItemOutcome {
    fn from(o: &ItemOutcome) -> Self {
        v1::ItemOutcome {
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

impl From<&SessionSummary> for v1::SessionSummary {
    fn from(s: &SessionSummary) -> Self {
        v1::SessionSummary {
            session: s.session,
            decided: s.decided,
            items: s.items,
            my_gain: s.my_gain,
            tension: s
                .tension
                .iter()
                .map(|&(a, b, value)| v1::TensionPair { a, b, value })
                .collect(),
            shamed: s.shamed.clone(),
            events: s
                .events
                .iter()
                .map(|e| v1::EventInfo {
                    kind: e.kind.wire(),
                    a: e.a,
                    b: e.b,
                })
                .collect(),
        }
    }
}

impl v1::PositionResponse {
    /// The wire answer of seat `state` in `match_id`.
    pub fn from_answer(match_id: &str, state: &str, a: &PositionAnswer) -> Self {
        v1::PositionResponse {
            match_id: match_id.to_string(),
            state: state.to_string(),
            position: a.position,
            salience: a.salience,
            link: a.link,
            offer: a.offer.map(|o| v1::Offer {
                item: o.item,
                target: o.target,
                tolerance: o.tolerance,
            }),
            invoke: a.invoke,
        }
    }
}

// ----- wire -> core -------------------------------------------------------------------

impl TryFrom<v1::ItemInfo> for ItemInfo {
    type Error = ConvertError;
    fn try_from(i: v1::ItemInfo) -> Result<Self, ConvertError> {
        Ok(ItemInfo {
            index: i.index,
            id: i.id,
            title: i.title,
            dimension: dimension("items.dimension", i.dimension)?,
            kind: item_kind("items.kind", i.kind)?,
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

impl From<v1::Preference> for Preference {
    fn from(p: v1::Preference) -> Self {
        Preference {
            ideal: p.ideal,
            salience: p.salience,
            red_line: p.red_line,
            capability: p.capability,
        }
    }
}

impl TryFrom<v1::PublicRules> for PublicRules {
    type Error = ConvertError;
    fn try_from(r: v1::PublicRules) -> Result<Self, ConvertError> {
        Ok(PublicRules {
            design: r.design,
            sessions: r.sessions,
            max_rounds: r.max_rounds,
            mediation: mediation("rules.mediation", r.mediation)?,
            linkage: linkage("rules.linkage", r.linkage)?,
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

impl TryFrom<v1::SeatBrief> for SeatBrief {
    type Error = ConvertError;
    fn try_from(b: v1::SeatBrief) -> Result<Self, ConvertError> {
        Ok(SeatBrief {
            match_id: b.match_id,
            state: b.state,
            seat: b.seat,
            bloc: b.bloc,
            bloc_index: b.bloc_index,
            bloc_leader: b.bloc_leader,
            capability: b.capability,
            seed: b.seed,
            blocs: b.blocs,
            items: b
                .items
                .into_iter()
                .map(ItemInfo::try_from)
                .collect::<Result<_, _>>()?,
            preferences: b.preferences.into_iter().map(Preference::from).collect(),
            rules: required("rules", b.rules)?.try_into()?,
            bargaining_power: b.bargaining_power,
            voting_weight: b.voting_weight,
            absent_items: b.absent_items,
            groups: b
                .groups
                .into_iter()
                .map(|g| GroupInfo {
                    id: g.id,
                    title: g.title,
                    items: g.items,
                })
                .collect(),
        })
    }
}

impl TryFrom<v1::BlocSignal> for BlocSignal {
    type Error = ConvertError;
    fn try_from(s: v1::BlocSignal) -> Result<Self, ConvertError> {
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

impl TryFrom<v1::RoundContext> for RoundContext {
    type Error = ConvertError;
    fn try_from(c: v1::RoundContext) -> Result<Self, ConvertError> {
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
            offers: c
                .offers
                .into_iter()
                .map(|o| PublicOffer {
                    from: o.from,
                    support: o.support,
                    want: o.want,
                    target: o.target,
                    tolerance: o.tolerance,
                })
                .collect(),
            package: c
                .package
                .into_iter()
                .map(|e| PackageEntry {
                    item: e.item,
                    value: e.value,
                    status_quo: e.status_quo,
                })
                .collect(),
            group: c.group,
        })
    }
}

impl From<v1::SeatView> for SeatView {
    fn from(v: v1::SeatView) -> Self {
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

impl TryFrom<v1::ItemOutcome> for ItemOutcome {
    type Error = ConvertError;
    fn try_from(o: v1::ItemOutcome) -> Result<Self, ConvertError> {
        Ok(ItemOutcome {
            session: o.session,
            item: o.item,
            decision: decision("outcome.decision", o.decision)?,
            outcome: o.outcome,
            in_force: o.in_force,
            binding: o.binding,
            rounds: o.rounds,
            objections_by_bloc: o.objections_by_bloc,
            shamed: o.shamed,
            legally_binding: o.legally_binding,
            objectors: o.objectors,
            package: o.package,
        })
    }
}

impl From<v1::SessionSummary> for SessionSummary {
    fn from(s: v1::SessionSummary) -> Self {
        SessionSummary {
            session: s.session,
            decided: s.decided,
            items: s.items,
            my_gain: s.my_gain,
            tension: s.tension.into_iter().map(|t| (t.a, t.b, t.value)).collect(),
            shamed: s.shamed,
            events: s
                .events
                .into_iter()
                .filter_map(|e| {
                    event_kind("summary.events.kind", e.kind)
                        .ok()
                        .map(|kind| EventInfo {
                            kind,
                            a: e.a,
                            b: e.b,
                        })
                })
                .collect(),
        }
    }
}

impl TryFrom<&v1::PositionResponse> for PositionAnswer {
    type Error = ConvertError;
    /// Checks that position and salience are finite and on their scales.
    fn try_from(r: &v1::PositionResponse) -> Result<Self, ConvertError> {
        Ok(PositionAnswer {
            position: in_range("position", r.position, SCALE_MIN, SCALE_MAX)?,
            salience: in_range("salience", r.salience, 0.0, 1.0)?,
            link: r.link,
            offer: r.offer.map(|o| Offer {
                item: o.item,
                target: o.target,
                tolerance: o.tolerance,
            }),
            invoke: r.invoke,
        })
    }
}

/// Splits a request's optional context and view into core values.
pub fn question(
    context: Option<v1::RoundContext>,
    view: Option<v1::SeatView>,
) -> Result<(RoundContext, SeatView), ConvertError> {
    Ok((
        required("context", context)?.try_into()?,
        required("view", view)?.into(),
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
                from: 1,
                support: 2,
                want: 0,
                target: 40.0,
                tolerance: 5.0,
            }],
            package: Vec::new(),
            group: None,
        }
    }

    #[test]
    fn round_context_round_trips_exactly() {
        let c = ctx();
        let back = RoundContext::try_from(v1::RoundContext::from(&c)).unwrap();
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
    fn invalid_positions_name_the_field() {
        let mut r = v1::PositionResponse::from_answer(
            "m",
            "RUS",
            &PositionAnswer {
                position: 50.0,
                salience: 0.5,
                link: Some(1),
                ..Default::default()
            },
        );
        assert_eq!(PositionAnswer::try_from(&r).unwrap().link, Some(1));
        r.position = f64::NAN;
        assert!(matches!(
            PositionAnswer::try_from(&r),
            Err(ConvertError::NotFinite {
                field: "position",
                ..
            })
        ));
        r.position = 100.5;
        assert!(
            PositionAnswer::try_from(&r)
                .unwrap_err()
                .to_string()
                .contains("`position` = 100.5")
        );
        r.position = 10.0;
        r.salience = -0.1;
        assert!(matches!(
            PositionAnswer::try_from(&r),
            Err(ConvertError::OutOfRange {
                field: "salience",
                ..
            })
        ));
    }

    #[test]
    fn missing_messages_are_named() {
        let e = question(None, Some(v1::SeatView::default())).unwrap_err();
        assert_eq!(e, ConvertError::Missing { field: "context" });
    }

    #[test]
    fn descriptor_set_holds_both_services() {
        let set = crate::FILE_DESCRIPTOR_SET;
        let has = |needle: &str| set.windows(needle.len()).any(|w| w == needle.as_bytes());
        assert!(has("plenary/v1/delegation.proto") && has("plenary/v1/secretariat.proto"));
        assert!(has("Delegation") && has("Secretariat"));
    }
}
