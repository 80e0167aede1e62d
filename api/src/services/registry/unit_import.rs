//! The register in bulk: import from a spreadsheet (XLSX) or CSV, and export in the same
//! columns, so that a register exported, edited and imported again changes only what was
//! edited.
//!
//! A file is a table with a header row naming its columns, in English or in Chinese:
//! `code` 代码, `name` 名称, `category` 类别, `kind` 类型 and, optionally, `parent_code`
//! 上级单位代码. Categories and kinds are written as the stored word (`government`) or as the
//! plan names them (政府部门类). A row whose code is in the register updates that unit; any
//! other row adds one; a parent is named by its code, in the register or in the file.
//! Every row is checked before anything is written, and every problem is named by its line
//! (the header is line 1) and column; a file with a problem writes nothing.

use std::collections::{HashMap, HashSet};

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, Set, TransactionSession, TransactionTrait};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use entity::unit;

use crate::auth::{Permission, Principal};
use crate::domain::questionnaire::Lang;
use crate::domain::vocabulary::{Category, UnitKind, category_name, kind_name};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::services::query::exports::{Cell, Column as ExportColumn, Kind};

/// The most rows one file may hold: a district's register is a few hundred units.
pub const MAX_ROWS: usize = 5000;

/// The largest file taken.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// A column of the file: its stored name and the names a header may give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Code,
    Name,
    Category,
    Kind,
    ParentCode,
}

impl Column {
    pub const ALL: [Self; 5] = [Self::Code, Self::Name, Self::Category, Self::Kind, Self::ParentCode];

    pub fn key(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Name => "name",
            Self::Category => "category",
            Self::Kind => "kind",
            Self::ParentCode => "parent_code",
        }
    }

    /// The column's Chinese header, as exports write it.
    pub fn chinese(self) -> &'static str {
        match self {
            Self::Code => "代码",
            Self::Name => "名称",
            Self::Category => "类别",
            Self::Kind => "类型",
            Self::ParentCode => "上级单位代码",
        }
    }

    fn named(header: &str) -> Option<Self> {
        let header = header.trim().trim_start_matches('\u{feff}').to_lowercase();
        let aliases: &[(&str, Self)] = &[
            ("单位代码", Self::Code),
            ("单位名称", Self::Name),
            ("上级代码", Self::ParentCode),
            ("上级单位", Self::ParentCode),
        ];
        Self::ALL
            .into_iter()
            .find(|c| header == c.key() || header == c.chinese())
            .or_else(|| aliases.iter().find(|(alias, _)| header == *alias).map(|(_, c)| *c))
    }
}

/// What is wrong with a file or with one of its cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Neither an XLSX workbook nor CSV text.
    NotATable,
    /// No row below the header.
    NoRows,
    TooManyRows,
    /// The header lacks a required column.
    NoColumn(Column),
    Empty,
    /// A code other than letters, digits, `_` and `-`, at most 64.
    BadCode,
    /// A name longer than 200 characters or with a line break.
    BadName,
    UnknownCategory,
    UnknownKind,
    /// The code is on an earlier line too (that line).
    SameCodeAs(usize),
    /// No unit with this code in the register or the file.
    UnknownParent,
    OwnParent,
    /// The parents lead back to the unit.
    ParentLoop,
}

/// A problem at a line of the file (the header is line 1; 0 is the file as a whole) and a
/// column, with the cell's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: usize,
    pub column: Option<Column>,
    pub text: String,
    pub problem: Problem,
}

impl RowProblem {
    fn file(problem: Problem) -> Self {
        Self { line: 0, column: None, text: String::new(), problem }
    }

    /// The field a JSON client is told: `file`, or `rows[{line}].{column}`.
    pub fn field(&self) -> String {
        match (self.line, self.column) {
            (0, None) => "file".to_owned(),
            (line, Some(column)) => format!("rows[{line}].{}", column.key()),
            (line, None) => format!("rows[{line}]"),
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        let zh = lang == Lang::ZhCn;
        let text = &self.text;
        match &self.problem {
            Problem::NotATable if zh => "不是 XLSX 工作簿或 CSV 文件".to_owned(),
            Problem::NotATable => "is neither an XLSX workbook nor a CSV file".to_owned(),
            Problem::NoRows if zh => "表头下面没有单位".to_owned(),
            Problem::NoRows => "has no unit below its header".to_owned(),
            Problem::TooManyRows if zh => format!("超过 {MAX_ROWS} 行"),
            Problem::TooManyRows => format!("has more than {MAX_ROWS} rows"),
            Problem::NoColumn(c) if zh => format!("表头缺少“{}”列", c.chinese()),
            Problem::NoColumn(c) => format!("has no \"{}\" column in its header", c.key()),
            Problem::Empty if zh => "不能为空".to_owned(),
            Problem::Empty => "is empty".to_owned(),
            Problem::BadCode if zh => format!("“{text}”只能由字母、数字、_ 和 - 组成，最多 64 个字符"),
            Problem::BadCode => format!("\"{text}\" may hold only letters, digits, _ and -, at most 64"),
            Problem::BadName if zh => "最多 200 个字符，不能换行".to_owned(),
            Problem::BadName => "must be one line of at most 200 characters".to_owned(),
            Problem::UnknownCategory if zh => format!("“{text}”不是政府部门类或公共服务行业类"),
            Problem::UnknownCategory => format!("\"{text}\" is neither government nor public_service"),
            Problem::UnknownKind if zh => {
                format!("“{text}”不是部门、乡镇（街道）、基层站所、窗口单位、公共服务企业或村（居）委会")
            }
            Problem::UnknownKind => format!(
                "\"{text}\" is none of department, township, station, service_window, company, village_committee"
            ),
            Problem::SameCodeAs(line) if zh => format!("“{text}”与第 {line} 行重复"),
            Problem::SameCodeAs(line) => format!("\"{text}\" is on line {line} too"),
            Problem::UnknownParent if zh => format!("名录和文件中都没有代码为“{text}”的单位"),
            Problem::UnknownParent => format!("no unit has the code \"{text}\", in the register or the file"),
            Problem::OwnParent if zh => "单位不能是自己的上级".to_owned(),
            Problem::OwnParent => "a unit cannot be its own parent".to_owned(),
            Problem::ParentLoop if zh => "上级单位绕回了本单位".to_owned(),
            Problem::ParentLoop => "its parents lead back to the unit".to_owned(),
        }
    }
}

/// Every problem of a file, as a JSON client is told them.
pub fn validation_error(problems: &[RowProblem]) -> ApiError {
    ApiError::Validation(problems.iter().map(|p| FieldError::new(p.field(), p.message(Lang::En))).collect())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportOutcome {
    /// Units added.
    pub created: usize,
    /// Units of the register the file changed.
    pub updated: usize,
    /// Rows that matched a unit of the register exactly.
    pub unchanged: usize,
    /// Nothing was written: the file was only checked.
    pub dry_run: bool,
}

/// The cells of a file, row by row, the header first: an XLSX workbook's first sheet (by
/// its bytes, whatever its name), or CSV in UTF-8 or, as Chinese Excel saves it, GB18030.
pub fn read_table(bytes: &[u8]) -> Result<Vec<Vec<String>>, RowProblem> {
    if bytes.starts_with(b"PK\x03\x04") {
        return read_workbook(bytes);
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text.trim_start_matches('\u{feff}')),
        Err(_) => {
            let (text, malformed) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            if malformed {
                return Err(RowProblem::file(Problem::NotATable));
            }
            text
        }
    };
    if text.contains('\0') {
        return Err(RowProblem::file(Problem::NotATable));
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|_| RowProblem::file(Problem::NotATable))?;
        rows.push(record.iter().map(|cell| cell.trim().to_owned()).collect());
        if rows.len() > MAX_ROWS + 1 {
            return Err(RowProblem::file(Problem::TooManyRows));
        }
    }
    Ok(rows)
}

fn read_workbook(bytes: &[u8]) -> Result<Vec<Vec<String>>, RowProblem> {
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|_| RowProblem::file(Problem::NotATable))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| RowProblem::file(Problem::NoRows))?
        .map_err(|_| RowProblem::file(Problem::NotATable))?;
    if range.height() > MAX_ROWS + 1 {
        return Err(RowProblem::file(Problem::TooManyRows));
    }
    Ok(range.rows().map(|row| row.iter().map(|cell| cell.to_string().trim().to_owned()).collect()).collect())
}

/// One row of the file, as written.
#[derive(Debug, Clone)]
struct Row {
    code: String,
    name: String,
    category: Category,
    kind: UnitKind,
    parent_code: Option<String>,
}

fn category_of(text: &str) -> Option<Category> {
    Category::parse(text).or_else(|| {
        Category::ALL
            .iter()
            .copied()
            .find(|c| text == category_name(Lang::ZhCn, *c) || (text == "公共服务类" && *c == Category::PublicService))
    })
}

fn kind_of(text: &str) -> Option<UnitKind> {
    UnitKind::parse(text).or_else(|| {
        UnitKind::ALL.iter().copied().find(|k| {
            let name = kind_name(Lang::ZhCn, *k);
            // 乡镇（街道） may be written 乡镇 or 街道, 村（居）委会 as 村委会 or 居委会.
            text == name || name.replace(['（', '）'], "") == text || name.split('（').next() == Some(text)
        })
    })
}

/// A row's code and parent, for the checks that need the whole file: every row that has a
/// code, good or not.
#[derive(Debug, Clone)]
struct Key {
    line: usize,
    code: String,
    parent_code: Option<String>,
}

/// The table read row by row: the rows that are good on their own, every row's key, and
/// the problems of each row.
#[derive(Debug, Default)]
struct Parsed {
    rows: Vec<Row>,
    keys: Vec<Key>,
    problems: Vec<RowProblem>,
}

/// The table's rows, each checked on its own; `Err` when the file as a whole cannot be read
/// as a register (no header, no row).
fn parse_rows(table: &[Vec<String>]) -> Result<Parsed, Vec<RowProblem>> {
    let Some((header, body)) = table.split_first() else { return Err(vec![RowProblem::file(Problem::NoRows)]) };
    let mut at: HashMap<Column, usize> = HashMap::new();
    for (index, cell) in header.iter().enumerate() {
        if let Some(column) = Column::named(cell) {
            at.entry(column).or_insert(index);
        }
    }
    let missing: Vec<RowProblem> = [Column::Code, Column::Name, Column::Category, Column::Kind]
        .into_iter()
        .filter(|c| !at.contains_key(c))
        .map(|c| RowProblem { line: 1, column: Some(c), text: String::new(), problem: Problem::NoColumn(c) })
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    let mut parsed = Parsed::default();
    let problems = &mut parsed.problems;
    let (rows, keys) = (&mut parsed.rows, &mut parsed.keys);
    for (index, cells) in body.iter().enumerate() {
        let line = index + 2;
        let cell = |column: Column| at.get(&column).and_then(|i| cells.get(*i)).map(String::as_str).unwrap_or("");
        if Column::ALL.iter().all(|c| cell(*c).is_empty()) {
            continue;
        }
        let mut problem = |column: Column, problem: Problem| {
            problems.push(RowProblem { line, column: Some(column), text: cell(column).to_owned(), problem });
        };
        let code = cell(Column::Code);
        if code.is_empty() {
            problem(Column::Code, Problem::Empty);
        } else if crate::domain::text::key(code).is_err() {
            problem(Column::Code, Problem::BadCode);
        }
        let name = cell(Column::Name);
        if name.is_empty() {
            problem(Column::Name, Problem::Empty);
        } else if name.chars().count() > 200 || crate::domain::text::single_line(name).is_err() {
            problem(Column::Name, Problem::BadName);
        }
        let category = category_of(cell(Column::Category));
        if category.is_none() {
            problem(
                Column::Category,
                if cell(Column::Category).is_empty() { Problem::Empty } else { Problem::UnknownCategory },
            );
        }
        let kind = kind_of(cell(Column::Kind));
        if kind.is_none() {
            problem(Column::Kind, if cell(Column::Kind).is_empty() { Problem::Empty } else { Problem::UnknownKind });
        }
        let parent_code = Some(cell(Column::ParentCode)).filter(|p| !p.is_empty()).map(str::to_owned);
        if parent_code.as_deref() == Some(code) && !code.is_empty() {
            problem(Column::ParentCode, Problem::OwnParent);
        }
        if !code.is_empty() {
            keys.push(Key { line, code: code.to_owned(), parent_code: parent_code.clone() });
        }
        if let (Some(category), Some(kind)) = (category, kind) {
            rows.push(Row { code: code.to_owned(), name: name.to_owned(), category, kind, parent_code });
        }
    }
    if parsed.keys.is_empty() && parsed.problems.is_empty() {
        return Err(vec![RowProblem::file(Problem::NoRows)]);
    }
    if parsed.keys.len() > MAX_ROWS {
        return Err(vec![RowProblem::file(Problem::TooManyRows)]);
    }
    Ok(parsed)
}

/// What the rows ask of the register as it is: the problems that only the register and the
/// whole file show (a code twice, an unknown parent, a loop of parents).
fn check_against(rows: &[Key], register: &[unit::Model]) -> Vec<RowProblem> {
    let mut problems = Vec::new();
    let mut first_line: HashMap<&str, usize> = HashMap::new();
    for row in rows {
        if let Some(line) = first_line.get(row.code.as_str()) {
            problems.push(RowProblem {
                line: row.line,
                column: Some(Column::Code),
                text: row.code.clone(),
                problem: Problem::SameCodeAs(*line),
            });
        } else {
            first_line.insert(&row.code, row.line);
        }
    }
    // Each code's parent once the file is applied: the file's word over the register's.
    let code_of: HashMap<Uuid, &str> = register.iter().map(|u| (u.id, u.code.as_str())).collect();
    let mut parent: HashMap<&str, Option<&str>> =
        register.iter().map(|u| (u.code.as_str(), u.parent_id.and_then(|p| code_of.get(&p).copied()))).collect();
    for row in rows {
        parent.insert(&row.code, row.parent_code.as_deref());
    }
    for row in rows {
        let Some(parent_code) = row.parent_code.as_deref() else { continue };
        if parent_code == row.code {
            continue;
        }
        if !parent.contains_key(parent_code) {
            problems.push(RowProblem {
                line: row.line,
                column: Some(Column::ParentCode),
                text: parent_code.to_owned(),
                problem: Problem::UnknownParent,
            });
            continue;
        }
        let mut seen = HashSet::from([row.code.as_str()]);
        let mut next = Some(parent_code);
        while let Some(code) = next {
            if !seen.insert(code) {
                if code == row.code {
                    problems.push(RowProblem {
                        line: row.line,
                        column: Some(Column::ParentCode),
                        text: parent_code.to_owned(),
                        problem: Problem::ParentLoop,
                    });
                }
                break;
            }
            next = parent.get(code).copied().flatten();
        }
    }
    problems.sort_by_key(|p| p.line);
    problems
}

/// Imports the register from a file's bytes; with `dry_run`, only checks it. `Err` carries
/// every problem of the file (`Ok(Err(..))`), or a failure of the service.
pub async fn import<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    who: &Principal,
    bytes: &[u8],
    dry_run: bool,
) -> ApiResult<Result<ImportOutcome, Vec<RowProblem>>> {
    who.require(Permission::ManageCampaigns)?;
    let table = match read_table(bytes) {
        Ok(table) => table,
        Err(problem) => return Ok(Err(vec![problem])),
    };
    let Parsed { rows, keys, mut problems } = match parse_rows(&table) {
        Ok(parsed) => parsed,
        Err(problems) => return Ok(Err(problems)),
    };
    let txn = crate::store::begin_write(db).await?;
    let register = unit::Entity::find().order_by_asc(unit::Column::Code).all(&txn).await?;
    problems.extend(check_against(&keys, &register));
    if !problems.is_empty() {
        // By line; within a line, in the order of the columns.
        problems.sort_by_key(|p| (p.line, p.column.map(|c| Column::ALL.iter().position(|x| *x == c))));
        return Ok(Err(problems));
    }
    let existing: HashMap<&str, &unit::Model> = register.iter().map(|u| (u.code.as_str(), u)).collect();
    let mut ids: HashMap<String, Uuid> = register.iter().map(|u| (u.code.clone(), u.id)).collect();
    let mut outcome = ImportOutcome { created: 0, updated: 0, unchanged: 0, dry_run };
    let mut pending_parents = Vec::new();
    for row in &rows {
        let parent_known = row.parent_code.as_ref().map(|code| ids.get(code).copied());
        match existing.get(row.code.as_str()) {
            Some(unit) => {
                let same = unit.name == row.name
                    && unit.category == row.category
                    && unit.kind == row.kind
                    && parent_known.flatten() == unit.parent_id
                    && parent_known.is_none_or(|p| p.is_some());
                if same {
                    outcome.unchanged += 1;
                    continue;
                }
                outcome.updated += 1;
                if !dry_run {
                    unit::ActiveModel {
                        id: Set(unit.id),
                        name: Set(row.name.clone()),
                        category: Set(row.category),
                        kind: Set(row.kind),
                        parent_id: Set(None),
                        ..Default::default()
                    }
                    .update(&txn)
                    .await?;
                }
                pending_parents.push((unit.id, row.parent_code.clone()));
            }
            None => {
                outcome.created += 1;
                let id = Uuid::new_v4();
                ids.insert(row.code.clone(), id);
                if !dry_run {
                    unit::ActiveModel {
                        id: Set(id),
                        code: Set(row.code.clone()),
                        name: Set(row.name.clone()),
                        category: Set(row.category),
                        kind: Set(row.kind),
                        parent_id: Set(None),
                        supervising_authority: Set(None),
                        created_at: Set(crate::store::now()),
                    }
                    .insert(&txn)
                    .await?;
                }
                pending_parents.push((id, row.parent_code.clone()));
            }
        }
    }
    if dry_run {
        return Ok(Ok(outcome));
    }
    // Parents last: a parent may be a row further down the file.
    for (id, parent_code) in pending_parents {
        let Some(code) = parent_code else { continue };
        let parent = ids.get(&code).copied().ok_or_else(|| ApiError::Internal("a checked parent has no id".into()))?;
        unit::ActiveModel { id: Set(id), parent_id: Set(Some(parent)), ..Default::default() }.update(&txn).await?;
    }
    crate::services::audit::record(
        &txn,
        &who.subject,
        "units.imported",
        "unit",
        "register",
        None,
        Some(serde_json::json!({"created": outcome.created, "updated": outcome.updated, "rows": rows.len()})),
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(outcome))
}

/// The columns of an export, with Chinese headers; the import reads them back.
pub const EXPORT_COLUMNS: [ExportColumn; 5] = [
    ExportColumn { name: "代码", kind: Kind::Text },
    ExportColumn { name: "名称", kind: Kind::Text },
    ExportColumn { name: "类别", kind: Kind::Text },
    ExportColumn { name: "类型", kind: Kind::Text },
    ExportColumn { name: "上级单位代码", kind: Kind::Text },
];

/// The register in `EXPORT_COLUMNS` for people with a spreadsheet: by code, category and
/// kind as the plan names them, each parent by its code.
pub async fn export_lines(db: &impl ConnectionTrait, who: &Principal) -> ApiResult<Vec<Vec<Cell>>> {
    who.require(Permission::ReadRegister)?;
    let register = unit::Entity::find().order_by_asc(unit::Column::Code).all(db).await?;
    let code_of: HashMap<Uuid, String> = register.iter().map(|u| (u.id, u.code.clone())).collect();
    Ok(register
        .into_iter()
        .map(|u| {
            vec![
                Cell::text(u.code),
                Cell::text(u.name),
                Cell::text(category_name(Lang::ZhCn, u.category)),
                Cell::text(kind_name(Lang::ZhCn, u.kind)),
                Cell::text(u.parent_id.and_then(|p| code_of.get(&p).cloned()).unwrap_or_default()),
            ]
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(csv: &str) -> Result<Parsed, Vec<RowProblem>> {
        parse_rows(&read_table(csv.as_bytes()).map_err(|p| vec![p])?)
    }

    fn rows(csv: &str) -> Result<Vec<Row>, Vec<RowProblem>> {
        let parsed = parsed(csv)?;
        if parsed.problems.is_empty() { Ok(parsed.rows) } else { Err(parsed.problems) }
    }

    fn keys(csv: &str) -> Result<Vec<Key>, Vec<RowProblem>> {
        Ok(parsed(csv)?.keys)
    }

    fn problems(csv: &str) -> Vec<RowProblem> {
        match parsed(csv) {
            Ok(parsed) => parsed.problems,
            Err(problems) => problems,
        }
    }

    #[test]
    fn chinese_headers_and_names_are_read_like_the_stored_words() -> Result<(), Vec<RowProblem>> {
        let rows = rows(
            "代码,名称,类别,类型,上级单位代码\nyb,元坝镇,政府部门类,乡镇,\nyb-gt,元坝镇国土资源所,government,station,yb\n",
        )?;
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].category, rows[0].kind), (Category::Government, UnitKind::Township));
        assert_eq!(rows[1].parent_code.as_deref(), Some("yb"));
        Ok(())
    }

    #[test]
    fn every_bad_cell_is_named_by_line_and_column() {
        let problems = problems("code,name,category,kind\nok,好,government,department\nbad code,,政府,科室\n");
        let named: Vec<String> = problems.iter().map(RowProblem::field).collect();
        assert_eq!(named, ["rows[3].code", "rows[3].name", "rows[3].category", "rows[3].kind"]);
        assert!(problems[2].message(Lang::ZhCn).contains("“政府”"));
    }

    #[test]
    fn a_header_without_a_required_column_is_refused() {
        let problems = problems("code,name,kind\nx,y,department\n");
        assert_eq!(problems[0].problem, Problem::NoColumn(Column::Category));
        assert_eq!(problems[0].field(), "rows[1].category");
    }

    #[test]
    fn codes_twice_unknown_parents_and_loops_are_found_against_the_register() -> Result<(), Vec<RowProblem>> {
        let twice = keys(
            "code,name,category,kind,parent_code\na,A,government,department,\nc,C,government,department,zz\na,A2,government,department,\n",
        )?;
        let found: Vec<(usize, Problem)> =
            check_against(&twice, &[]).into_iter().map(|p| (p.line, p.problem)).collect();
        assert_eq!(found, [(3, Problem::UnknownParent), (4, Problem::SameCodeAs(2))]);
        let looped =
            keys("code,name,category,kind,parent_code\na,A,government,department,b\nb,B,government,department,a\n")?;
        let problems: Vec<Problem> = check_against(&looped, &[]).into_iter().map(|p| p.problem).collect();
        assert_eq!(problems, [Problem::ParentLoop, Problem::ParentLoop]);
        Ok(())
    }

    #[test]
    fn gb18030_csv_from_chinese_excel_is_read() -> Result<(), Vec<RowProblem>> {
        let (bytes, _, _) = encoding_rs::GB18030.encode("代码,名称,类别,类型\nx,区教育局,政府部门类,部门\n");
        let parsed = parse_rows(&read_table(&bytes).map_err(|p| vec![p])?)?;
        assert_eq!(parsed.rows[0].name, "区教育局");
        Ok(())
    }

    #[test]
    fn binary_that_is_no_table_is_refused() {
        assert_eq!(read_table(b"PK\x03\x04not a zip").map_err(|p| p.problem), Err(Problem::NotATable));
        assert_eq!(read_table(&[0xff, 0xfe, 0x00, 0x41]).map_err(|p| p.problem), Err(Problem::NotATable));
    }
}
