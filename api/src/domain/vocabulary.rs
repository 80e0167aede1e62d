//! Closed sets of the domain: categories, unit kinds, channels, phases, sources and
//! questionnaire states. They are stored words, so they are declared with the entities
//! (`entity::vocabulary`), which store and send each under one name.

pub use entity::vocabulary::{Category, Channel, Phase, PollsterChannel, QuestionnaireStatus, Source, UnitKind};
