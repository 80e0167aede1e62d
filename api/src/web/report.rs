//! The results report: a table and a bar chart of the composite per unit, with lines at the
//! grade bounds and grades in colour, rendered here as SVG (no chart library, no CDN).

use std::fmt::Write;

use crate::domain::composite::{Grade, GroupLine, Rules};
use crate::domain::questionnaire::Lang;
use crate::services::evaluation::results::{Report, ReportRow};
use crate::web::html::{escape, page};

/// The report's own style (the page's CSP allows no `style` attributes). Grade colours as
/// `colour` gives them.
const REPORT_STYLE: &str = "<style>.results{width:100%;border-collapse:collapse;margin-top:1rem;font-size:.9rem}\
.results th{text-align:left;border-bottom:2px solid #1f2328}\
.g-excellent{color:#1a7f37}.g-qualified{color:#0b57a4}.g-unqualified{color:#a4161a}.g-not-scored{color:#57606a}</style>";

fn grade_class(grade: Grade) -> &'static str {
    match grade {
        Grade::Excellent => "g-excellent",
        Grade::Qualified => "g-qualified",
        Grade::Unqualified => "g-unqualified",
        Grade::NotScored => "g-not-scored",
    }
}

fn colour(grade: Grade) -> &'static str {
    match grade {
        Grade::Excellent => "#1a7f37",
        Grade::Qualified => "#0b57a4",
        Grade::Unqualified => "#a4161a",
        Grade::NotScored => "#8c959f",
    }
}

/// Horizontal bars, 0–100, a line at each grade bound.
pub fn chart(rows: &[ReportRow], rules: &Rules) -> String {
    const LABEL: f64 = 180.0;
    const WIDTH: f64 = 560.0;
    const BAR: f64 = 26.0;
    let height = BAR * rows.len() as f64 + 50.0;
    let x = |score: f64| LABEL + WIDTH * score.clamp(0.0, 100.0) / 100.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {height}\" width=\"100%\" role=\"img\" aria-label=\"composite score per unit\" font-size=\"13\">",
        LABEL + WIDTH + 60.0
    );
    for (i, r) in rows.iter().enumerate() {
        let y = 10.0 + BAR * i as f64;
        let score = r.composite.unwrap_or(0.0);
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{LABEL}\" y=\"{y}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect><text x=\"{}\" y=\"{}\">{}</text>",
            LABEL - 8.0,
            y + 17.0,
            escape(&r.unit_name),
            x(score) - LABEL,
            BAR - 6.0,
            colour(r.grade),
            escape(r.grade.label()),
            x(score) + 4.0,
            y + 17.0,
            r.composite.map(|c| format!("{c:.2}")).unwrap_or_else(|| "—".to_owned())
        );
    }
    let bottom = 10.0 + BAR * rows.len() as f64;
    for bound in [rules.qualified_min, rules.excellent_min] {
        let _ = write!(
            svg,
            "<line x1=\"{0}\" x2=\"{0}\" y1=\"4\" y2=\"{bottom}\" stroke=\"#1f2328\" stroke-dasharray=\"4 3\"/><text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\">{bound}</text>",
            x(bound),
            bottom + 18.0
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The printable page: per ranking group a heading, a chart, a table and what is to know
/// about its bottom-N line; then the units graded in no group.
pub fn html(title: &str, version: i32, report: &Report) -> String {
    let mut body = format!("{REPORT_STYLE}<h1>{}</h1><p class=\"note\">第 {version} 版 · 已公布</p>", escape(title));
    let mut groups: Vec<Option<&str>> = Vec::new();
    for row in &report.rows {
        if !groups.contains(&row.group.as_deref()) {
            groups.push(row.group.as_deref());
        }
    }
    for group in groups {
        let rows: Vec<ReportRow> = report.rows.iter().filter(|r| r.group.as_deref() == group).cloned().collect();
        let heading = match (group, rows.first().and_then(|r| r.group_name.as_deref())) {
            (None, _) => "未列入排名的单位".to_owned(),
            (Some(key), name) => format!("{}排名", name.unwrap_or(key)),
        };
        let _ = write!(body, "<h2>{}</h2>", escape(&heading));
        body.push_str(&chart(&rows, &report.rules));
        body.push_str(&table(&rows));
        if let Some(line) = group.and_then(|key| report.lines.iter().find(|l| l.group == key)) {
            body.push_str(&line_notes(line, report));
        }
    }
    page(Lang::ZhCn, title, &body, None)
}

fn table(rows: &[ReportRow]) -> String {
    let mut out = "<table class=\"results\"><thead><tr>".to_owned();
    for h in ["名次", "单位", "大会测评", "第三方", "群众评议", "督查", "综合得分", "等次", "评先评优", "说明"]
    {
        let _ = write!(out, "<th>{h}</th>");
    }
    out.push_str("</tr></thead><tbody>");
    let number = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_default();
    for r in rows {
        let flag = if r.violation {
            " ⚠ 违纪违法"
        } else if r.bottom {
            " ▼ 末位"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><b>{}</b></td><td class=\"{}\">{}{}</td><td>{}</td><td>{}</td></tr>",
            r.rank.map(|rank| rank.to_string()).unwrap_or_default(),
            escape(&r.unit_name),
            number(r.conference),
            number(r.third_party),
            number(r.citizen_links),
            number(r.supervision),
            number(r.composite),
            grade_class(r.grade),
            escape(r.grade.label()),
            flag,
            if r.award_eligible { "" } else { "取消当年评先评优资格" },
            escape(&r.notes.join(";"))
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// The tie at a group's line and how it was decided, and whether the line is within the
/// samples' uncertainty.
fn line_notes(line: &GroupLine, report: &Report) -> String {
    let name = |id: &uuid::Uuid| report.names.get(id).map_or_else(|| id.to_string(), |n| escape(n));
    let mut notes = Vec::new();
    if let Some(tie) = &line.tie {
        let units: Vec<String> = tie.units.iter().map(name).collect();
        notes.push(format!(
            "末位{}名的界线处并列：{}同列第{}名，末位名额余{}个。",
            line.bottom_n,
            units.join("、"),
            tie.rank,
            tie.places
        ));
        match report.decisions.iter().find(|d| d.group == line.group) {
            Some(decision) => {
                let chosen: Vec<String> = decision.bottom.iter().map(name).collect();
                notes.push(format!("领导小组决定列入末位：{}。理由：{}", chosen.join("、"), escape(&decision.reason)));
            }
            None => notes.push("未作决定，按规则并列单位均列入末位。".to_owned()),
        }
    }
    if !line.uncertain.is_empty() {
        let units: Vec<String> = line.uncertain.iter().map(name).collect();
        notes.push(format!("提示：{}的综合得分区间跨越末位界线，界线位置在抽样误差范围内。", units.join("、")));
    }
    notes.iter().map(|n| format!("<p class=\"note\">{n}</p>")).collect()
}

#[cfg(test)]
mod tests {
    use crate::domain::composite::{MinSamples, SupervisionMode, Weights};
    use crate::web::report::*;

    #[test]
    fn the_chart_has_a_bar_per_unit_in_grade_colours_and_both_bound_lines() {
        let rules = Rules {
            weights: Weights { conference: 0.4, third_party: 0.4, citizen_links: 0.2, supervision: 0.0 },
            qualified_min: 70.0,
            excellent_min: 90.0,
            bottom_n: 3,
            group_bottom_n: 0,
            min_samples: MinSamples { conference: 1, third_party: 1, citizen_links: 1 },
            supervision_mode: SupervisionMode::Points,
        };
        let make = |name: &str, composite: f64, grade| ReportRow {
            group: None,
            group_name: None,
            rank: Some(1),
            unit_code: name.into(),
            unit_name: name.into(),
            conference: None,
            third_party: None,
            citizen_links: None,
            supervision: None,
            composite: Some(composite),
            grade,
            violation: false,
            bottom: false,
            award_eligible: true,
            notes: Vec::new(),
        };
        let svg = chart(&[make("甲", 92.0, Grade::Excellent), make("<乙>", 65.0, Grade::Unqualified)], &rules);
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("#1a7f37") && svg.contains("#a4161a"));
        assert_eq!(svg.matches("<line").count(), 2);
        assert!(svg.contains("&lt;乙&gt;"), "names are escaped");
        // 92 on a 560-wide axis starting at 180: the bar is 515.2 long.
        assert!(svg.contains("width=\"515.2\""));
    }
}
