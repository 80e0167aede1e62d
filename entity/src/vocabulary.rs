//! The closed sets of words stored in Pingyi's tables. Each is stored as its snake_case
//! word, which is also its name on the wire (serde) and in the OpenAPI document; a test
//! below checks that the two agree for every value.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares a stored enum: one `string_value` per variant, the same word on the wire.
macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, EnumIter, DeriveActiveEnum, Serialize,
            Deserialize, ToSchema,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* #[sea_orm(string_value = $word)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The stored word.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $word),+ }
            }

            /// The value stored as `word`, if any.
            pub fn parse(word: &str) -> Option<Self> {
                <Self as sea_orm::Iterable>::iter().find(|value| value.as_str() == word)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_enum! {
    /// What an account or API client may do.
    Role {
        /// The evaluation office: administers everything.
        Admin = "admin",
        /// Reads everything (the CPPCC office, the leading group).
        Observer = "observer",
        /// A unit's own staff: reads and acts for its own unit only.
        Unit = "unit",
        /// A third-party pollster (pushes results).
        Pollster = "pollster",
        /// Another system reading results.
        Reader = "reader",
        /// A leading-group member who approves results (two distinct approvals freeze a version).
        Approver = "approver",
    }
}

stored_enum! {
    /// The two categories of evaluated units, each with its own six dimensions.
    Category {
        /// 政府部门类
        Government = "government",
        /// 公共服务行业类
        PublicService = "public_service",
    }
}

stored_enum! {
    /// What kind of body a unit is.
    UnitKind {
        /// 部门
        Department = "department",
        /// 乡镇/街道
        Township = "township",
        /// 基层站所
        Station = "station",
        /// 窗口单位
        ServiceWindow = "service_window",
        /// 公共服务企业
        Company = "company",
        /// 村/居委会
        VillageCommittee = "village_committee",
    }
}

stored_enum! {
    /// How a survey link reaches citizens.
    Channel {
        /// QR code on a poster at a service window
        WindowQr = "window_qr",
        Web = "web",
        Sms = "sms",
        /// On-site, e.g. a tablet at a forum
        OnSite = "on_site",
        Other = "other",
    }
}

stored_enum! {
    /// The phases of a campaign, in order; an admin advances them one at a time.
    Phase {
        /// 动员部署: set-up; links refuse responses.
        Mobilisation = "mobilisation",
        /// 调查摸底: citizens' links take responses; problems are recorded.
        Survey = "survey",
        /// 整改落实: rectification measures and reports.
        Rectification = "rectification",
        /// 考核总结: the conference; results are computed and approved.
        Assessment = "assessment",
        /// Finished: read-only, results may still be published.
        Closed = "closed",
    }
}

impl Phase {
    /// The phase after this one, if any.
    pub fn next(self) -> Option<Self> {
        match self {
            Self::Mobilisation => Some(Self::Survey),
            Self::Survey => Some(Self::Rectification),
            Self::Rectification => Some(Self::Assessment),
            Self::Assessment => Some(Self::Closed),
            Self::Closed => None,
        }
    }
}

stored_enum! {
    /// How a pollster reached its respondents.
    PollsterChannel {
        Telephone = "telephone",
        StreetIntercept = "street_intercept",
        OnlinePanel = "online_panel",
        FaceToFace = "face_to_face",
        Other = "other",
    }
}

stored_enum! {
    /// Where answers come from; every aggregate can be read per source.
    Source {
        /// Citizens through the service's own links.
        CitizenLink = "citizen_link",
        /// A third-party pollster's raw responses.
        Pollster = "pollster",
    }
}

stored_enum! {
    /// Questionnaire life cycle: only drafts change; only published ones take responses.
    QuestionnaireStatus {
        Draft = "draft",
        Published = "published",
        Closed = "closed",
    }
}

stored_enum! {
    /// A unit's part in a campaign.
    UnitRole {
        /// 重点评议单位 named by the district.
        DistrictKey = "district_key",
        /// A station or service window a township chose as its key unit.
        TownshipKey = "township_key",
        /// 自主评议: the unit runs its own evaluation.
        SelfOrganised = "self_organised",
    }
}

stored_enum! {
    /// Why a unit has its part in a campaign.
    UnitReason {
        Designated = "designated",
        /// Among last year's bottom N.
        CarriedOver = "carried_over",
    }
}

stored_enum! {
    /// What a conference ballot scores.
    ScoringMode {
        /// One overall rating per unit.
        Overall = "overall",
        /// The six dimensions of the unit's category.
        Dimensions = "dimensions",
    }
}

stored_enum! {
    /// Whether a conference session takes ballots.
    SessionStatus {
        Open = "open",
        /// No more ballots; the scores are shown.
        Closed = "closed",
    }
}

stored_enum! {
    /// A result version's way from computation to publication.
    ResultStatus {
        /// Computed, awaiting approval.
        Draft = "draft",
        /// Approved by two approvers: frozen.
        Approved = "approved",
        /// Readable by anyone.
        Published = "published",
    }
}

stored_enum! {
    /// Where a problem was found.
    ProblemSource {
        /// Citizens' free-text opinions.
        FreeText = "free_text",
        Forum = "forum",
        Visit = "visit",
        Other = "other",
    }
}

stored_enum! {
    /// How far a rectification measure has come.
    MeasureStatus {
        Planned = "planned",
        InProgress = "in_progress",
        Done = "done",
        /// Checked by the evaluation office (admin only).
        Verified = "verified",
    }
}

stored_enum! {
    /// Where a webhook delivery stands.
    DeliveryStatus {
        /// Waiting for its next attempt.
        Pending = "pending",
        Delivered = "delivered",
        /// Out of attempts, or its subscription was disabled.
        Failed = "failed",
    }
}

stored_enum! {
    /// What a deliverable is, in the plan's terms.
    DeliverableKind {
        /// The unit's own evaluation plan (by 20 June).
        EvaluationPlan = "evaluation_plan",
        /// The rectification report (by 30 November), fed back to the representatives.
        RectificationReport = "rectification_report",
        /// The year's work summary (by 20 December).
        WorkSummary = "work_summary",
        /// The unit head's report in person at the assessment conference.
        ConferenceReport = "conference_report",
        Other = "other",
    }
}

stored_enum! {
    /// Who receives a deliverable.
    Receiver {
        /// The evaluation office, which accepts or returns it.
        Office = "office",
        /// The CPPCC office, as observer.
        Cppcc = "cppcc",
        /// The representatives, who read it through their slip's code once accepted.
        Representatives = "representatives",
    }
}

stored_enum! {
    /// Where a hand-in stands with the office.
    HandInStatus {
        /// Handed in, not yet looked at.
        Submitted = "submitted",
        Accepted = "accepted",
        /// Sent back with a comment: the unit hands in a new version.
        Returned = "returned",
    }
}

/// The events webhooks announce. Stored and sent by their dotted names.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(64))")]
pub enum EventType {
    /// Citizens' responses counted into the totals, or a pollster batch stored (with a count).
    #[sea_orm(string_value = "responses.received")]
    #[serde(rename = "responses.received")]
    ResponsesReceived,
    /// A campaign moved to its next phase.
    #[sea_orm(string_value = "campaign.phase_changed")]
    #[serde(rename = "campaign.phase_changed")]
    CampaignPhaseChanged,
    /// An approved result was published.
    #[sea_orm(string_value = "results.published")]
    #[serde(rename = "results.published")]
    ResultsPublished,
    /// A rectification measure passed its deadline unfinished.
    #[sea_orm(string_value = "rectification.overdue")]
    #[serde(rename = "rectification.overdue")]
    RectificationOverdue,
    /// A unit's deliverable is due within the reminder window and not handed in.
    #[sea_orm(string_value = "deliverable.due_soon")]
    #[serde(rename = "deliverable.due_soon")]
    DeliverableDueSoon,
    /// A unit's deliverable is past its due date and not handed in.
    #[sea_orm(string_value = "deliverable.overdue")]
    #[serde(rename = "deliverable.overdue")]
    DeliverableOverdue,
}

impl EventType {
    /// The event's dotted name, as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ResponsesReceived => "responses.received",
            Self::CampaignPhaseChanged => "campaign.phase_changed",
            Self::ResultsPublished => "results.published",
            Self::RectificationOverdue => "rectification.overdue",
            Self::DeliverableDueSoon => "deliverable.due_soon",
            Self::DeliverableOverdue => "deliverable.overdue",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        <Self as sea_orm::Iterable>::iter().find(|value| value.as_str() == word)
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    /// Every value's wire name is its stored word, and `parse` reads it back.
    fn agree<T: ActiveEnum<Value = String> + Iterable + Serialize + Copy + PartialEq + std::fmt::Debug>(
        parse: fn(&str) -> Option<T>,
    ) {
        for value in T::iter() {
            let stored = value.to_value();
            assert_eq!(serde_json::to_value(value).ok(), Some(serde_json::json!(stored)), "{value:?}");
            assert_eq!(parse(&stored), Some(value));
        }
    }

    #[test]
    fn wire_names_are_the_stored_words() {
        agree(Role::parse);
        agree(Category::parse);
        agree(UnitKind::parse);
        agree(Channel::parse);
        agree(Phase::parse);
        agree(PollsterChannel::parse);
        agree(Source::parse);
        agree(QuestionnaireStatus::parse);
        agree(UnitRole::parse);
        agree(UnitReason::parse);
        agree(ScoringMode::parse);
        agree(SessionStatus::parse);
        agree(ResultStatus::parse);
        agree(ProblemSource::parse);
        agree(MeasureStatus::parse);
        agree(DeliveryStatus::parse);
        agree(DeliverableKind::parse);
        agree(Receiver::parse);
        agree(HandInStatus::parse);
        agree(EventType::parse);
        assert_eq!(Category::parse("nope"), None);
    }

    #[test]
    fn phases_move_forward_one_at_a_time() {
        let order: Vec<Phase> = Phase::iter().collect();
        for pair in order.windows(2) {
            assert_eq!(pair[0].next(), Some(pair[1]));
        }
        assert_eq!(Phase::Closed.next(), None);
    }
}
