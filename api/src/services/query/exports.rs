//! Exports for spreadsheets: CSV (UTF-8 with a BOM, so that Excel shows Chinese correctly)
//! and XLSX. Response exports are produced page by page — CSV streamed to the client, XLSX
//! written through rust_xlsxwriter's constant-memory mode into an anonymous temporary file
//! that is then streamed — so neither is held whole in memory.
//!
//! Every cell is typed by its column, never by what its text looks like: codes and text stay
//! text (unit code `0812` stays `0812`), counts are whole numbers, scores are numbers shown
//! with two decimals and rates are numbers shown as percentages. Text that a spreadsheet
//! would run as a formula — beginning with `=`, `+`, `-`, `@`, a tab or a carriage return, or
//! the full-width `＝`, `＋`, `－`, `＠` — is neutralised: CSV writes it after an apostrophe
//! (`'=1+1`), the convention spreadsheets read as "text follows"; XLSX stores it as text with
//! the quote-prefix flag, so it shows exactly as it was typed and never runs.

use std::io::{Seek, SeekFrom};

use actix_web::web::Bytes;
use futures_util::Stream;
use rust_xlsxwriter::{Format, Workbook, Worksheet};
use sea_orm::DatabaseConnection;

use crate::error::{ApiError, ApiResult};
use crate::services::evaluation::results::ReportRow;
use crate::services::query::rows::{self, Cursor, ResponseRow, RowQuery};
use crate::totals::reports::{Cell as ReportCell, SatisfactionReport};

pub const BOM: &[u8] = b"\xEF\xBB\xBF";
const PAGE: u64 = 1000;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A whole number.
    Count,
    /// A score, shown with two decimals.
    Score,
    /// A share from 0 to 1, shown as a percentage with two decimals.
    Rate,
    /// true or false.
    Flag,
}

/// A column of an export: its header and what it holds.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
}

const fn column(name: &'static str, kind: Kind) -> Column {
    Column { name, kind }
}

/// One cell; its column's kind decides how it is written.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Flag(bool),
    Empty,
}

impl Cell {
    pub fn text(value: impl Into<String>) -> Self {
        Cell::Text(value.into())
    }

    pub fn number(value: Option<f64>) -> Self {
        value.map_or(Cell::Empty, Cell::Number)
    }

    pub fn count(value: impl Into<i64>) -> Self {
        Cell::Number(value.into() as f64)
    }

    /// The cell as its column's kind reads it back from its CSV text (for the XLSX spool).
    fn parse(kind: Kind, text: &str) -> Self {
        match kind {
            _ if text.is_empty() => Cell::Empty,
            Kind::Text => Cell::Text(text.to_owned()),
            Kind::Flag => Cell::Flag(text == "true"),
            Kind::Count | Kind::Score | Kind::Rate => text.parse().map_or(Cell::Empty, Cell::Number),
        }
    }
}

/// Whether a spreadsheet would take `text` for a formula.
pub fn runs_as_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'])
}

/// The CSV text of a cell of a `kind` column: text neutralised, numbers as the kind shows them.
pub fn csv_text(kind: Kind, cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Flag(value) => value.to_string(),
        Cell::Text(text) if runs_as_formula(text) => format!("'{text}"),
        Cell::Text(text) => text.clone(),
        Cell::Number(value) => match kind {
            Kind::Count => format!("{value:.0}"),
            Kind::Score => format!("{value:.2}"),
            Kind::Rate | Kind::Text | Kind::Flag => value.to_string(),
        },
    }
}

pub const RESPONSE_COLUMNS: [Column; 10] = [
    column("response_id", Kind::Text),
    column("source", Kind::Text),
    column("unit_id", Kind::Text),
    column("questionnaire_id", Kind::Text),
    column("channel", Kind::Text),
    column("hour", Kind::Text),
    column("interview_date", Kind::Text),
    column("excluded", Kind::Flag),
    column("question_key", Kind::Text),
    column("answer", Kind::Text),
];

pub const CELL_COLUMNS: [Column; 14] = [
    column("unit_id", Kind::Text),
    column("unit_code", Kind::Text),
    column("unit_name", Kind::Text),
    column("dimension", Kind::Text),
    column("channel", Kind::Text),
    column("source", Kind::Text),
    column("period", Kind::Text),
    column("responses", Kind::Count),
    column("valid_answers", Kind::Count),
    column("satisfaction_rate", Kind::Rate),
    column("interval_low", Kind::Rate),
    column("interval_high", Kind::Rate),
    column("suppressed", Kind::Flag),
    column("levels", Kind::Text),
];

/// One line per answer: the long format keeps every questionnaire version in one sheet.
fn response_lines(row: &ResponseRow) -> Vec<Vec<Cell>> {
    row.answers
        .iter()
        .map(|(question, answer)| {
            vec![
                Cell::text(row.id.to_string()),
                Cell::text(row.source.as_str()),
                Cell::text(row.unit_id.to_string()),
                Cell::text(row.questionnaire_id.to_string()),
                Cell::text(row.channel.clone()),
                Cell::text(row.hour.to_rfc3339()),
                row.interview_date.map_or(Cell::Empty, |d| Cell::text(d.to_string())),
                Cell::Flag(row.excluded),
                Cell::text(question.clone()),
                Cell::text(answer.clone()),
            ]
        })
        .collect()
}

pub fn cell_line(cell: &ReportCell) -> Vec<Cell> {
    let optional = |v: Option<String>| v.map_or(Cell::Empty, Cell::Text);
    let levels = cell
        .levels
        .as_ref()
        .map(|levels| levels.iter().map(|l| format!("{}={}", l.option, l.count)).collect::<Vec<_>>().join(";"));
    vec![
        optional(cell.unit_id.map(|u| u.to_string())),
        optional(cell.unit_code.clone()),
        optional(cell.unit_name.clone()),
        optional(cell.dimension.clone()),
        optional(cell.channel.clone()),
        optional(cell.source.map(|s| s.as_str().to_owned())),
        optional(cell.period.clone()),
        Cell::count(cell.responses),
        Cell::count(cell.valid_answers),
        Cell::number(cell.satisfaction_rate),
        Cell::number(cell.interval.map(|i| i.low)),
        Cell::number(cell.interval.map(|i| i.high)),
        Cell::Flag(cell.suppressed),
        optional(levels),
    ]
}

/// CSV text of the header and the lines, BOM first.
pub fn csv_file(columns: &[Column], lines: impl IntoIterator<Item = Vec<Cell>>) -> ApiResult<Vec<u8>> {
    let mut bytes = BOM.to_vec();
    bytes.extend(csv_bytes(
        std::iter::once(columns.iter().map(|c| c.name.to_owned()).collect())
            .chain(lines.into_iter().map(|line| csv_record(columns, &line))),
    )?);
    Ok(bytes)
}

fn csv_record(columns: &[Column], line: &[Cell]) -> Vec<String> {
    columns.iter().zip(line).map(|(column, cell)| csv_text(column.kind, cell)).collect()
}

fn csv_bytes(records: impl IntoIterator<Item = Vec<String>>) -> ApiResult<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in records {
        writer.write_record(record).map_err(ApiError::internal)?;
    }
    writer.into_inner().map_err(|e| ApiError::Internal(e.to_string().into()))
}

/// The report as CSV, BOM first.
pub fn report_csv(report: &SatisfactionReport) -> ApiResult<Vec<u8>> {
    csv_file(&CELL_COLUMNS, report.cells.iter().map(cell_line))
}

/// The response rows as a stream of CSV chunks, one page at a time, BOM first.
pub fn responses_csv(db: DatabaseConnection, mut query: RowQuery) -> impl Stream<Item = Result<Bytes, ApiError>> {
    query.limit = PAGE;
    query.include_current_hour = true;
    enum Step {
        Header,
        Page(Option<Cursor>),
        Done,
    }
    futures_util::stream::try_unfold(Step::Header, move |step| {
        let db = db.clone();
        let mut query = RowQuery { after: None, channel: query.channel.clone(), ..query };
        async move {
            match step {
                Step::Header => {
                    let bytes = csv_file(&RESPONSE_COLUMNS, [])?;
                    Ok(Some((Bytes::from(bytes), Step::Page(None))))
                }
                Step::Page(after) => {
                    query.after = after;
                    let page = rows::page(&db, &query).await?;
                    let next = match page.next_cursor.as_deref() {
                        Some(cursor) => Step::Page(Some(Cursor::decode(cursor)?)),
                        None => Step::Done,
                    };
                    let records = page.items.iter().flat_map(response_lines);
                    let bytes = csv_bytes(records.map(|line| csv_record(&RESPONSE_COLUMNS, &line)))?;
                    Ok(Some((Bytes::from(bytes), next)))
                }
                Step::Done => Ok(None),
            }
        }
    })
}

/// The formats an XLSX export writes with.
struct Formats {
    score: Format,
    rate: Format,
    quoted: Format,
}

impl Formats {
    fn new() -> Self {
        Self {
            score: Format::new().set_num_format("0.00"),
            rate: Format::new().set_num_format("0.00%"),
            quoted: Format::new().set_quote_prefix(),
        }
    }
}

fn write_row(sheet: &mut Worksheet, formats: &Formats, row: u32, columns: &[Column], line: &[Cell]) -> ApiResult<()> {
    for (index, (column, cell)) in columns.iter().zip(line).enumerate() {
        let at = u16::try_from(index).map_err(ApiError::internal)?;
        match cell {
            Cell::Empty => continue,
            Cell::Text(text) if runs_as_formula(text) => sheet.write_string_with_format(row, at, text, &formats.quoted),
            Cell::Text(text) => sheet.write_string(row, at, text),
            Cell::Flag(value) => sheet.write_boolean(row, at, *value),
            Cell::Number(value) => match column.kind {
                Kind::Score => sheet.write_number_with_format(row, at, *value, &formats.score),
                Kind::Rate => sheet.write_number_with_format(row, at, *value, &formats.rate),
                Kind::Count | Kind::Text | Kind::Flag => sheet.write_number(row, at, *value),
            },
        }
        .map_err(ApiError::internal)?;
    }
    Ok(())
}

/// Writes a workbook with one sheet into an anonymous temporary file and returns it rewound.
pub fn workbook_file(
    sheet_name: &str,
    columns: &[Column],
    lines: impl Iterator<Item = Vec<Cell>>,
) -> ApiResult<std::fs::File> {
    let formats = Formats::new();
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory().map_err(ApiError::internal)?;
    sheet.set_name(sheet_name).map_err(ApiError::internal)?;
    let header: Vec<Cell> = columns.iter().map(|c| Cell::text(c.name)).collect();
    let header_columns: Vec<Column> = columns.iter().map(|c| column(c.name, Kind::Text)).collect();
    write_row(sheet, &formats, 0, &header_columns, &header)?;
    for (index, line) in lines.enumerate() {
        let row = u32::try_from(index + 1).map_err(ApiError::internal)?;
        write_row(sheet, &formats, row, columns, &line)?;
    }
    let mut file = tempfile::tempfile().map_err(ApiError::internal)?;
    workbook.save_to_writer(&mut file).map_err(ApiError::internal)?;
    file.seek(SeekFrom::Start(0)).map_err(ApiError::internal)?;
    Ok(file)
}

pub fn report_xlsx(report: &SatisfactionReport) -> ApiResult<std::fs::File> {
    workbook_file("satisfaction", &CELL_COLUMNS, report.cells.iter().map(cell_line))
}

/// All response rows as an XLSX file (constant memory), read page by page.
pub async fn responses_xlsx(db: &DatabaseConnection, mut query: RowQuery) -> ApiResult<std::fs::File> {
    query.limit = PAGE;
    query.include_current_hour = true;
    let spool = tempfile::tempfile().map_err(ApiError::internal)?;
    // Rows go to a CSV spool first so that the workbook is written in one blocking pass; each
    // column's kind types its cells again on the way out.
    let mut writer = csv::Writer::from_writer(spool);
    loop {
        let page = rows::page(db, &query).await?;
        for line in page.items.iter().flat_map(response_lines) {
            let raw: Vec<String> = line
                .iter()
                .map(|cell| match cell {
                    Cell::Text(text) => text.clone(),
                    other => csv_text(Kind::Text, other),
                })
                .collect();
            writer.write_record(&raw).map_err(ApiError::internal)?;
        }
        match page.next_cursor {
            Some(cursor) => query.after = Some(Cursor::decode(&cursor)?),
            None => break,
        }
    }
    let mut spool = writer.into_inner().map_err(|e| ApiError::Internal(e.to_string().into()))?;
    spool.seek(SeekFrom::Start(0)).map_err(ApiError::internal)?;
    actix_web::web::block(move || {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(spool);
        let lines = reader.records().map_while(Result::ok).map(|record| {
            RESPONSE_COLUMNS.iter().zip(record.iter()).map(|(column, text)| Cell::parse(column.kind, text)).collect()
        });
        workbook_file("responses", &RESPONSE_COLUMNS, lines)
    })
    .await
    .map_err(ApiError::internal)?
}

/// The columns of a results report in CSV and XLSX.
pub const RESULT_COLUMNS: [Column; 14] = [
    column("ranking_group", Kind::Text),
    column("rank", Kind::Count),
    column("unit_code", Kind::Text),
    column("unit_name", Kind::Text),
    column("conference", Kind::Score),
    column("third_party", Kind::Score),
    column("citizen_links", Kind::Score),
    column("supervision", Kind::Score),
    column("composite", Kind::Score),
    column("grade", Kind::Text),
    column("violation", Kind::Flag),
    column("bottom", Kind::Flag),
    column("award_eligible", Kind::Flag),
    column("notes", Kind::Text),
];

/// The cells of one line of a results report.
pub fn result_line(row: &ReportRow) -> Vec<Cell> {
    vec![
        row.group_name.clone().map_or(Cell::Empty, Cell::Text),
        row.rank.map_or(Cell::Empty, Cell::count),
        Cell::text(row.unit_code.clone()),
        Cell::text(row.unit_name.clone()),
        Cell::number(row.conference),
        Cell::number(row.third_party),
        Cell::number(row.citizen_links),
        Cell::number(row.supervision),
        Cell::number(row.composite),
        Cell::text(row.grade.label()),
        Cell::Flag(row.violation),
        Cell::Flag(row.bottom),
        Cell::Flag(row.award_eligible),
        if row.notes.is_empty() { Cell::Empty } else { Cell::Text(row.notes.join(";")) },
    ]
}

#[cfg(test)]
mod tests {
    use crate::services::query::exports::*;

    #[test]
    fn text_that_would_run_is_written_after_an_apostrophe_and_numbers_by_their_column() {
        for risky in ["=1+1", "+86 123", "-2", "@SUM(A1)", "\tx", "\rx", "＝1+1"] {
            assert_eq!(csv_text(Kind::Text, &Cell::text(risky)), format!("'{risky}"));
        }
        assert_eq!(csv_text(Kind::Text, &Cell::text("0812")), "0812");
        assert_eq!(csv_text(Kind::Text, &Cell::text("满意 =")), "满意 =");
        assert_eq!(csv_text(Kind::Score, &Cell::Number(-3.0)), "-3.00");
        assert_eq!(csv_text(Kind::Count, &Cell::Number(12.0)), "12");
        assert_eq!(csv_text(Kind::Rate, &Cell::Number(0.875)), "0.875");
        assert_eq!(Cell::parse(Kind::Text, "0812"), Cell::text("0812"));
        assert_eq!(Cell::parse(Kind::Flag, "true"), Cell::Flag(true));
    }
}
