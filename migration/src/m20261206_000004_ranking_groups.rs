//! Ranking groups, the conference's scope and scale, and a minimum sample per source.
//!
//! - `campaign_units.ranking_group`: the district's key units rank in `district`, a
//!   township's key units in `township:<township id>`, self-organised units in none.
//! - `conference_sessions.scales`: the rating scale of each unit category, fixed when the
//!   session opens (which units a session scores is in its tallies: a row per choice).
//!   Existing sessions keep the scale their tallies were made with.
//! - Scoring settings and the rules kept with every result version: the one `min_sample`
//!   becomes `min_samples` per source (the conference keeps the old value, as it had it), and
//!   `group_bottom_n` (0: only the district's group has a bottom N, as before). Components
//!   kept with a result say whether and why they counted; units ranked then were ranked
//!   together, as the group `district`.

use sea_orm_migration::sea_orm::Statement;
use sea_orm_migration::{prelude::*, schema::*};
use serde_json::{Value, json};
use uuid::Uuid;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The settings with `min_sample` split per source and `group_bottom_n` added.
pub fn settings(mut value: Value) -> Value {
    if let Some(object) = value.as_object_mut() {
        let min = object.remove("min_sample").and_then(|m| m.as_u64()).unwrap_or(30);
        object
            .entry("min_samples")
            .or_insert_with(|| json!({"conference": min, "third_party": min, "citizen_links": min}));
        object.entry("group_bottom_n").or_insert(json!(0));
    }
    value
}

/// A kept result: its rules as `settings` makes them, every ranked unit in `district`, and
/// each component's status.
pub fn result(mut body: Value) -> Value {
    let rules = settings(body["rules"].clone());
    let points = rules["supervision_mode"] != "component";
    let minimum = |source: &str| rules["min_samples"][source].as_u64().unwrap_or(0);
    if let Some(units) = body["units"].as_array_mut() {
        for unit in units {
            let ranked = !Value::is_null(&unit["rank"]);
            unit["group"] = if ranked { json!("district") } else { Value::Null };
            unit.as_object_mut().map(|u| u.entry("composite_range").or_insert(Value::Null));
            if let Some(components) = unit["components"].as_array_mut() {
                for component in components {
                    let source = component["source"].as_str().unwrap_or_default().to_owned();
                    let status = if component["counted"] == true {
                        "counted"
                    } else if source == "supervision" && points {
                        "applied_as_points"
                    } else if Value::is_null(&component["score"]) {
                        "no_data"
                    } else if component["sample"].as_u64().unwrap_or(0) < minimum(&source) {
                        "below_minimum"
                    } else {
                        "not_weighted"
                    };
                    component["status"] = json!(status);
                    component["minimum"] = json!(minimum(&source));
                }
            }
        }
    }
    body["rules"] = rules;
    body
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        manager
            .alter_table(
                Table::alter().table("campaign_units").add_column(string_len_null("ranking_group", 64)).to_owned(),
            )
            .await?;
        db.execute_unprepared("UPDATE campaign_units SET ranking_group = 'district' WHERE role = 'district_key'")
            .await?;
        let townships = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT campaign_units.campaign_id AS campaign_id, campaign_units.unit_id AS unit_id, \
                 units.parent_id AS parent_id FROM campaign_units JOIN units ON units.id = campaign_units.unit_id \
                 WHERE campaign_units.role = 'township_key' AND units.parent_id IS NOT NULL",
            ))
            .await?;
        for row in townships {
            let campaign: Uuid = row.try_get("", "campaign_id")?;
            let unit: Uuid = row.try_get("", "unit_id")?;
            let parent: Uuid = row.try_get("", "parent_id")?;
            let update = Query::update()
                .table("campaign_units")
                .value("ranking_group", format!("township:{parent}"))
                .and_where(Expr::col("campaign_id").eq(campaign))
                .and_where(Expr::col("unit_id").eq(unit))
                .to_owned();
            manager.exec_stmt(update).await?;
        }

        manager
            .alter_table(Table::alter().table("conference_sessions").add_column(json_null("scales")).to_owned())
            .await?;
        for (table, column, convert) in [
            ("campaigns", "settings", settings as fn(Value) -> Value),
            ("result_versions", "results", result as fn(Value) -> Value),
        ] {
            let rows = db
                .query_all_raw(Statement::from_string(backend, format!("SELECT id, {column} AS body FROM {table}")))
                .await?;
            for row in rows {
                let id: Uuid = row.try_get("", "id")?;
                let body: Value = row.try_get("", "body")?;
                let update = Query::update()
                    .table(table)
                    .value(column, convert(body))
                    .and_where(Expr::col("id").eq(id))
                    .to_owned();
                manager.exec_stmt(update).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "ranking groups are not rolled back: restore a backup taken before the upgrade instead".to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_minimum_becomes_one_per_source_and_kept_components_say_why() {
        let old = json!({"weights": {}, "min_sample": 30, "supervision_mode": "points"});
        assert_eq!(settings(old)["min_samples"], json!({"conference": 30, "third_party": 30, "citizen_links": 30}));
        let body = json!({"rules": {"min_sample": 10, "supervision_mode": "points"}, "units": [
            {"rank": 1, "components": [
                {"source": "conference", "score": 80.0, "sample": 12, "counted": true},
                {"source": "citizen_links", "score": 90.0, "sample": 3, "counted": false},
                {"source": "supervision", "score": null, "sample": null, "counted": false}]},
            {"rank": null, "components": [{"source": "third_party", "score": null, "sample": null, "counted": false}]}]});
        let new = result(body);
        assert_eq!(new["units"][0]["group"], "district");
        assert_eq!(new["units"][1]["group"], Value::Null);
        let statuses: Vec<&str> = new["units"][0]["components"]
            .as_array()
            .map(|components| components.iter().filter_map(|c| c["status"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(statuses, ["counted", "below_minimum", "applied_as_points"]);
        assert_eq!(new["units"][1]["components"][0]["status"], "no_data");
    }
}
