//! Writing what training learned in the shop's own export formats, so `[catalog]` reads it
//! like any export: `product_id,table,products` (recommendations, ids separated by spaces) and
//! `list,key,products` (lists: `trending` with an empty key for the overall list, and the
//! category as the key for each category's list). Rows are sorted by product id, so a retrain
//! that changed little is a small diff.

use std::io::Write;

use crate::Tables;

/// The name of the trending list.
pub const TRENDING: &str = "trending";

/// Writes the `also_viewed` and `also_bought` tables as `product_id,table,products` rows.
pub fn recommendations(tables: &Tables, out: impl Write) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["product_id", "table", "products"])?;
    let mut order: Vec<usize> = (0..tables.names.len()).collect();
    order.sort_by(|&a, &b| tables.names[a].cmp(&tables.names[b]));
    for i in order {
        for (table, lists) in [
            ("also_viewed", &tables.also_viewed),
            ("also_bought", &tables.also_bought),
        ] {
            let list = &lists[i];
            if !list.is_empty() {
                w.write_record([&*tables.names[i], table, &ids(tables, list)])?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

/// Writes the trending lists as `list,key,products` rows.
pub fn lists(tables: &Tables, out: impl Write) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["list", "key", "products"])?;
    if !tables.trending.is_empty() {
        w.write_record([TRENDING, "", &ids(tables, &tables.trending)])?;
    }
    for (category, list) in &tables.trending_by_category {
        w.write_record([TRENDING, category, &ids(tables, list)])?;
    }
    w.flush()?;
    Ok(())
}

fn ids(tables: &Tables, list: &[u32]) -> String {
    let names: Vec<&str> = list.iter().map(|&p| tables.name(p)).collect();
    names.join(" ")
}
