//! Catalog shards for recommendations: before deciding, read the shards holding the products
//! this request's recommendation candidates would look at (their recently viewed products,
//! lists, the anchor product and then its related products), so the decision finds them.
//!
//! Two rounds at most: the first loads the seeds (including the anchor product, whose shard
//! holds its `also_viewed`/`also_bought` tables), the second the related products. Each shard
//! is read once per version per isolate ([`super::store`]); a shard that fails stays missing
//! and its products are skipped, like sold-out ones.

use worker::Env;

use super::config::Config;
use super::store;
use crate::cookie::visitor::Visitor;
use crate::decide::recommend::missing_shards;
use crate::decide::{Activity, Context, NoActivity};
use crate::Snapshot;

/// What the decision will see of the request, as far as recommendations need it.
pub struct Facts<'a> {
    /// URL path.
    pub path: &'a str,
    /// Raw query string.
    pub query: &'a str,
    /// The current page's product id, if it is a product page.
    pub product: Option<&'a str>,
    /// Unix seconds.
    pub now: i64,
}

/// Loads the shards the recommendations of this request need (at most two rounds).
pub async fn prefetch(
    env: &Env,
    cfg: &Config,
    snapshot: &Snapshot,
    visitor: &Visitor,
    f: Facts<'_>,
) {
    let activity: &dyn Activity = match &visitor.activity {
        Some(a) => a,
        None => &NoActivity,
    };
    let mut ctx = Context::new(&visitor.identity, f.now).with_url(f.path, f.query);
    ctx.activity = activity;
    ctx.request.product = f.product;
    for _round in 0..2 {
        let missing = missing_shards(snapshot, &ctx);
        if missing.is_empty() {
            return;
        }
        store::load_listed(env, cfg, snapshot, &missing).await;
    }
}
