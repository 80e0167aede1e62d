//! Exports for spreadsheets: CSV (UTF-8 with a BOM, so that Excel shows Chinese correctly)
//! and XLSX. Response exports are produced page by page — CSV streamed to the client, XLSX
//! written through rust_xlsxwriter's constant-memory mode into an anonymous temporary file
//! that is then streamed — so neither is held whole in memory.

use std::io::{Seek, SeekFrom};

use actix_web::web::Bytes;
use futures_util::Stream;
use rust_xlsxwriter::{Workbook, Worksheet};
use sea_orm::DatabaseConnection;

use crate::error::{ApiError, ApiResult};
use crate::services::evaluation::results::ReportRow;
use crate::services::query::rows::{self, Cursor, ResponseRow, RowQuery};
use crate::totals::reports::{Cell, SatisfactionReport};

pub const BOM: &[u8] = b"\xEF\xBB\xBF";
const PAGE: u64 = 1000;

pub const RESPONSE_HEADER: [&str; 10] = [
    "response_id",
    "source",
    "unit_id",
    "questionnaire_id",
    "channel",
    "hour",
    "interview_date",
    "excluded",
    "question_key",
    "answer",
];

pub const CELL_HEADER: [&str; 12] = [
    "unit_id",
    "dimension",
    "channel",
    "source",
    "period",
    "responses",
    "valid_answers",
    "satisfaction_rate",
    "interval_low",
    "interval_high",
    "suppressed",
    "levels",
];

/// One line per answer: the long format keeps every questionnaire version in one sheet.
fn response_lines(row: &ResponseRow) -> Vec<[String; 10]> {
    row.answers
        .iter()
        .map(|(question, answer)| {
            [
                row.id.to_string(),
                row.source.as_str().to_owned(),
                row.unit_id.to_string(),
                row.questionnaire_id.to_string(),
                row.channel.clone(),
                row.hour.to_rfc3339(),
                row.interview_date.map(|d| d.to_string()).unwrap_or_default(),
                row.excluded.to_string(),
                question.clone(),
                answer.clone(),
            ]
        })
        .collect()
}

pub fn cell_line(cell: &Cell) -> [String; 12] {
    let number = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let levels = cell
        .levels
        .as_ref()
        .map(|levels| levels.iter().map(|l| format!("{}={}", l.option, l.count)).collect::<Vec<_>>().join(";"))
        .unwrap_or_default();
    [
        cell.unit_id.map(|u| u.to_string()).unwrap_or_default(),
        cell.dimension.clone().unwrap_or_default(),
        cell.channel.clone().unwrap_or_default(),
        cell.source.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        cell.period.clone().unwrap_or_default(),
        cell.responses.to_string(),
        cell.valid_answers.to_string(),
        number(cell.satisfaction_rate),
        number(cell.interval.map(|i| i.low)),
        number(cell.interval.map(|i| i.high)),
        cell.suppressed.to_string(),
        levels,
    ]
}

pub fn csv_bytes<I: IntoIterator<Item = S>, S: AsRef<[u8]>>(
    records: impl IntoIterator<Item = I>,
) -> ApiResult<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in records {
        writer.write_record(record).map_err(ApiError::internal)?;
    }
    writer.into_inner().map_err(|e| ApiError::Internal(e.to_string().into()))
}

/// The report as CSV, BOM first.
pub fn report_csv(report: &SatisfactionReport) -> ApiResult<Vec<u8>> {
    let mut bytes = BOM.to_vec();
    bytes.extend(csv_bytes(std::iter::once(CELL_HEADER.map(str::to_owned)).chain(report.cells.iter().map(cell_line)))?);
    Ok(bytes)
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
                    let mut bytes = BOM.to_vec();
                    bytes.extend(csv_bytes([RESPONSE_HEADER])?);
                    Ok(Some((Bytes::from(bytes), Step::Page(None))))
                }
                Step::Page(after) => {
                    query.after = after;
                    let page = rows::page(&db, &query).await?;
                    let next = match page.next_cursor.as_deref() {
                        Some(cursor) => Step::Page(Some(Cursor::decode(cursor)?)),
                        None => Step::Done,
                    };
                    let bytes = csv_bytes(page.items.iter().flat_map(response_lines))?;
                    Ok(Some((Bytes::from(bytes), next)))
                }
                Step::Done => Ok(None),
            }
        }
    })
}

fn write_row(sheet: &mut Worksheet, row: u32, values: &[String]) -> ApiResult<()> {
    for (column, value) in values.iter().enumerate() {
        let column = u16::try_from(column).map_err(ApiError::internal)?;
        match value.parse::<f64>() {
            Ok(number) if !value.is_empty() && value.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-') => {
                sheet.write_number(row, column, number)
            }
            _ => sheet.write_string(row, column, value),
        }
        .map_err(ApiError::internal)?;
    }
    Ok(())
}

/// Writes a workbook with one sheet into an anonymous temporary file and returns it rewound.
pub fn workbook_file(
    sheet_name: &str,
    header: &[&str],
    lines: impl Iterator<Item = Vec<String>>,
) -> ApiResult<std::fs::File> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory().map_err(ApiError::internal)?;
    sheet.set_name(sheet_name).map_err(ApiError::internal)?;
    write_row(sheet, 0, &header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>())?;
    for (index, line) in lines.enumerate() {
        let row = u32::try_from(index + 1).map_err(ApiError::internal)?;
        write_row(sheet, row, &line)?;
    }
    let mut file = tempfile::tempfile().map_err(ApiError::internal)?;
    workbook.save_to_writer(&mut file).map_err(ApiError::internal)?;
    file.seek(SeekFrom::Start(0)).map_err(ApiError::internal)?;
    Ok(file)
}

pub fn report_xlsx(report: &SatisfactionReport) -> ApiResult<std::fs::File> {
    workbook_file("satisfaction", &CELL_HEADER, report.cells.iter().map(|c| cell_line(c).to_vec()))
}

/// All response rows as an XLSX file (constant memory), read page by page.
pub async fn responses_xlsx(db: &DatabaseConnection, mut query: RowQuery) -> ApiResult<std::fs::File> {
    query.limit = PAGE;
    query.include_current_hour = true;
    let spool = tempfile::tempfile().map_err(ApiError::internal)?;
    // Rows go to a CSV spool first so that the workbook is written in one blocking pass.
    let mut writer = csv::Writer::from_writer(spool);
    loop {
        let page = rows::page(db, &query).await?;
        for line in page.items.iter().flat_map(response_lines) {
            writer.write_record(&line).map_err(ApiError::internal)?;
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
        let lines = reader.records().map_while(Result::ok).map(|r| r.iter().map(str::to_owned).collect::<Vec<_>>());
        workbook_file("responses", &RESPONSE_HEADER, lines)
    })
    .await
    .map_err(ApiError::internal)?
}

/// The columns of a results report in CSV and XLSX.
pub const HEADER: [&str; 11] = [
    "rank",
    "unit_code",
    "unit_name",
    "conference",
    "third_party",
    "citizen_links",
    "supervision",
    "composite",
    "grade",
    "violation",
    "bottom",
];

/// The cells of one line of a results report.
pub fn cells(row: &ReportRow) -> Vec<String> {
    let number = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_default();
    vec![
        row.rank.map(|r| r.to_string()).unwrap_or_default(),
        row.unit_code.clone(),
        row.unit_name.clone(),
        number(row.conference),
        number(row.third_party),
        number(row.citizen_links),
        number(row.supervision),
        number(row.composite),
        row.grade.label().to_owned(),
        row.violation.to_string(),
        row.bottom.to_string(),
    ]
}
