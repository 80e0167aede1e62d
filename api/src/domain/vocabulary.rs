//! Closed sets of the domain: categories, unit kinds, link channels, questionnaire states.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Generates `as_str`/`parse` for a snake_case wire enum, so the database stores the same words.
/// The wire names come from `rename_all` (which the OpenAPI schema also reads); each `$text`
/// must be its variant in snake_case, as a test below checks.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(value: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == value)
            }
        }
    };
}

wire_enum! {
    /// The two categories of evaluated units, each with its own six dimensions.
    Category {
        /// 政府部门类
        Government => "government",
        /// 公共服务行业类
        PublicService => "public_service",
    }
}

wire_enum! {
    /// What kind of body a unit is.
    UnitKind {
        /// 部门
        Department => "department",
        /// 乡镇/街道
        Township => "township",
        /// 基层站所
        Station => "station",
        /// 窗口单位
        ServiceWindow => "service_window",
        /// 公共服务企业
        Company => "company",
        /// 村/居委会
        VillageCommittee => "village_committee",
    }
}

wire_enum! {
    /// How a survey link reaches citizens.
    Channel {
        /// QR code on a poster at a service window
        WindowQr => "window_qr",
        Web => "web",
        Sms => "sms",
        /// On-site, e.g. a tablet at a forum
        OnSite => "on_site",
        Other => "other",
    }
}

wire_enum! {
    /// The phases of a campaign, in order; an admin advances them one at a time.
    Phase {
        /// 动员部署: set-up; links refuse responses.
        Mobilisation => "mobilisation",
        /// 调查摸底: citizens' links take responses; problems are recorded.
        Survey => "survey",
        /// 整改落实: rectification measures and reports.
        Rectification => "rectification",
        /// 考核总结: the conference; results are computed and approved.
        Assessment => "assessment",
        /// Finished: read-only, results may still be published.
        Closed => "closed",
    }
}

impl Phase {
    pub fn next(self) -> Option<Self> {
        let position = Self::ALL.iter().position(|p| *p == self)?;
        Self::ALL.get(position + 1).copied()
    }
}

wire_enum! {
    /// How a pollster reached its respondents.
    PollsterChannel {
        Telephone => "telephone",
        StreetIntercept => "street_intercept",
        OnlinePanel => "online_panel",
        FaceToFace => "face_to_face",
        Other => "other",
    }
}

wire_enum! {
    /// Where answers come from; every aggregate can be read per source.
    Source {
        /// Citizens through the service's own links.
        CitizenLink => "citizen_link",
        /// A third-party pollster's raw responses.
        Pollster => "pollster",
    }
}

wire_enum! {
    /// Questionnaire life cycle: only drafts change; only published ones take responses.
    QuestionnaireStatus {
        Draft => "draft",
        Published => "published",
        Closed => "closed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for channel in Channel::ALL {
            assert_eq!(Channel::parse(channel.as_str()), Some(*channel));
        }
        assert_eq!(UnitKind::parse("service_window"), Some(UnitKind::ServiceWindow));
        assert_eq!(Category::parse("nope"), None);
    }

    fn serde_names_are_the_stored_words<T: Serialize + Copy>(all: &[T], as_str: impl Fn(T) -> &'static str) {
        for value in all {
            assert_eq!(serde_json::to_value(value).ok(), Some(serde_json::json!(as_str(*value))));
        }
    }

    #[test]
    fn the_wire_names_are_the_stored_words() {
        serde_names_are_the_stored_words(Category::ALL, Category::as_str);
        serde_names_are_the_stored_words(UnitKind::ALL, UnitKind::as_str);
        serde_names_are_the_stored_words(Channel::ALL, Channel::as_str);
        serde_names_are_the_stored_words(Phase::ALL, Phase::as_str);
        serde_names_are_the_stored_words(PollsterChannel::ALL, PollsterChannel::as_str);
        serde_names_are_the_stored_words(Source::ALL, Source::as_str);
        serde_names_are_the_stored_words(QuestionnaireStatus::ALL, QuestionnaireStatus::as_str);
    }
}
