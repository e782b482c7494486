//! Reading the rows of a shop export (CSV with a header line, or a JSON array of objects),
//! each with the line and column it starts at, so a bad row is reported where it is.

use serde::Deserialize;

use super::diagnostic::{CompileError, Level};

const MAX_ROW_ERRORS: usize = 20;

/// Rows of a CSV or JSON export, each with its 1-based line.
pub fn rows<T: for<'de> Deserialize<'de>>(
    name: &str,
    text: &str,
    errors: &mut Vec<CompileError>,
) -> Vec<(usize, T)> {
    let mut out = Vec::new();
    let mut bad = 0;
    let mut push_err =
        |line: usize, column: usize, message: String, errors: &mut Vec<CompileError>| {
            bad += 1;
            if bad <= MAX_ROW_ERRORS {
                errors.push(data_error(name, line, column, message));
            }
        };
    if name.ends_with(".json") {
        match serde_json::from_str::<Vec<serde_json::Value>>(text) {
            Ok(values) => {
                let starts = item_starts(text);
                for (i, v) in values.into_iter().enumerate() {
                    let (line, column) = starts.get(i).copied().unwrap_or((1, 1));
                    match serde_json::from_value::<T>(v) {
                        Ok(row) => out.push((line, row)),
                        Err(e) => push_err(line, column, format!("item {}: {e}", i + 1), errors),
                    }
                }
            }
            Err(e) => push_err(e.line(), e.column(), e.to_string(), errors),
        }
    } else {
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = reader.headers().cloned().unwrap_or_default();
        for record in reader.records() {
            let parsed = record.and_then(|r| {
                let line = r.position().map_or(1, |p| p.line() as usize);
                r.deserialize::<T>(Some(&headers)).map(|row| (line, row))
            });
            match parsed {
                Ok(row) => out.push(row),
                Err(e) => {
                    let line = e.position().map_or(1, |p| p.line() as usize);
                    push_err(line, 1, csv_message(&e, &headers), errors);
                }
            }
        }
    }
    if bad > MAX_ROW_ERRORS {
        errors.push(data_error(
            name,
            1,
            1,
            format!("… and {} more rows with errors", bad - MAX_ROW_ERRORS),
        ));
    }
    out
}

/// A CSV error in the author's terms: the column name rather than its index.
fn csv_message(e: &csv::Error, headers: &csv::StringRecord) -> String {
    match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => {
            let column = err
                .field()
                .and_then(|i| headers.get(i as usize))
                .map_or(String::new(), |h| format!("column `{h}`: "));
            format!("{column}{}", err.kind())
        }
        _ => e.to_string(),
    }
}

pub fn data_error(name: &str, line: usize, column: usize, message: String) -> CompileError {
    CompileError {
        level: Level::Error,
        code: "catalog",
        file: name.to_owned(),
        line,
        column,
        span: 0..0,
        field: "row".into(),
        message,
        hint: "fix the export; see docs/marketers.md#catalog for the expected columns".into(),
        acknowledge: None,
    }
}

/// (line, column) where each element of a top-level JSON array starts.
fn item_starts(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let (mut depth, mut in_string, mut escaped, mut expect) = (0usize, false, false, false);
    let (mut line, mut column) = (1, 0);
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            column = 0;
        } else {
            column += 1;
        }
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if expect && !c.is_whitespace() && c != ']' {
            out.push((line, column));
            expect = false;
        }
        match c {
            '"' => in_string = true,
            '[' | '{' => {
                depth += 1;
                expect = depth == 1 && c == '[';
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 1 => expect = true,
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::item_starts;

    #[test]
    fn json_items_are_located() {
        let text = "[\n  {\"a\": \"[,]\"},\n  {\"b\": [1, 2]}, {\"c\": \"\\\"\"}\n]";
        assert_eq!(item_starts(text), vec![(2, 3), (3, 3), (3, 18)]);
    }
}
