//! The shop's products export (the `[catalog] products` file, CSV or JSON), read for the two
//! columns training needs: `id`, so the tables name only products the catalog has, and
//! `category`, for the per-category trending lists.

use serde::Deserialize;

/// Why a products file cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// A CSV row or header could not be read.
    #[error("line {line}: {message} (expected the products export: id,name,price_cents,url[,image,category,in_stock])")]
    Csv {
        /// 1-based line.
        line: u64,
        /// What was wrong.
        message: String,
    },
    /// The JSON is not an array of product objects.
    #[error("not a JSON array of products with an `id`: {0}")]
    Json(String),
}

/// A product of a JSON export.
#[derive(Deserialize)]
struct Row {
    id: String,
    #[serde(default)]
    category: String,
}

/// `(id, category)` of every product in a products export; `json` picks the format.
pub fn products(text: &str, json: bool) -> Result<Vec<(String, String)>, CatalogError> {
    if json {
        let rows: Vec<Row> =
            serde_json::from_str(text).map_err(|e| CatalogError::Json(e.to_string()))?;
        return Ok(rows.into_iter().map(|r| (r.id, r.category)).collect());
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let csv_error = |e: csv::Error| CatalogError::Csv {
        line: e.position().map_or(1, |p| p.line()),
        message: e.to_string(),
    };
    let header = reader.headers().map_err(csv_error)?.clone();
    let column = |name: &str| header.iter().position(|h| h.trim() == name);
    let Some(id) = column("id") else {
        return Err(CatalogError::Csv {
            line: 1,
            message: "no `id` column".into(),
        });
    };
    let category = column("category");
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let cell = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .unwrap_or("")
                .trim()
                .to_owned()
        };
        out.push((cell(Some(id)), cell(category)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::products;

    #[test]
    fn reads_ids_and_categories_from_csv_and_json() {
        let csv = "id,name,price_cents,url,image,category\np1,A,100,/p/p1,,shoes\np2,B,100,/p/p2\n";
        assert_eq!(
            products(csv, false).unwrap(),
            [("p1".into(), "shoes".into()), ("p2".into(), String::new())]
        );
        let json = r#"[{"id":"p1","name":"A","category":"hats"}]"#;
        assert_eq!(
            products(json, true).unwrap(),
            [("p1".into(), "hats".into())]
        );
        assert!(products("name\nx\n", false).is_err());
        assert!(products("{}", true).is_err());
    }
}
