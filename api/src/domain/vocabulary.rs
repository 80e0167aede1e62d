//! Closed sets of the domain: categories, unit kinds, channels, phases, sources and
//! questionnaire states. They are stored words, so they are declared with the entities
//! (`entity::vocabulary`), which store and send each under one name.

pub use entity::vocabulary::{Category, Channel, Phase, PollsterChannel, QuestionnaireStatus, Source, UnitKind};

use crate::domain::questionnaire::Lang;

/// A unit kind as the plan names it.
pub fn kind_name(lang: Lang, kind: UnitKind) -> &'static str {
    match (lang, kind) {
        (Lang::ZhCn, UnitKind::Department) => "部门",
        (Lang::ZhCn, UnitKind::Township) => "乡镇（街道）",
        (Lang::ZhCn, UnitKind::Station) => "基层站所",
        (Lang::ZhCn, UnitKind::ServiceWindow) => "窗口单位",
        (Lang::ZhCn, UnitKind::Company) => "公共服务企业",
        (Lang::ZhCn, UnitKind::VillageCommittee) => "村（居）委会",
        (Lang::En, UnitKind::Department) => "Department",
        (Lang::En, UnitKind::Township) => "Township",
        (Lang::En, UnitKind::Station) => "Station",
        (Lang::En, UnitKind::ServiceWindow) => "Service window",
        (Lang::En, UnitKind::Company) => "Public-service company",
        (Lang::En, UnitKind::VillageCommittee) => "Village committee",
    }
}

/// A unit category as the plan names it.
pub fn category_name(lang: Lang, category: Category) -> &'static str {
    match (lang, category) {
        (Lang::ZhCn, Category::Government) => "政府部门类",
        (Lang::ZhCn, Category::PublicService) => "公共服务行业类",
        (Lang::En, Category::Government) => "Government",
        (Lang::En, Category::PublicService) => "Public service",
    }
}
