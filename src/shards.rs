//! Catalog shards for recommendations: before deciding, read the shards holding the products
//! this request's recommendation candidates would look at (their recently viewed products,
//! lists, the anchor product and then its related products), so the decision finds them.
//!
//! Two rounds at most: the first loads the seeds (including the anchor product, whose shard
//! holds its `also_viewed`/`also_bought` tables), the second the related products. Each shard
//! is read once per version per isolate ([`crate::store`]); a shard that fails stays missing
//! and its products are skipped, like sold-out ones. The core builds the same context for this as for
//! the decision, so the candidates asked about are exactly those that can qualify.

use worker::Env;

use crate::config::Config;
use crate::store;
use vitrine_core::cookie::visitor::Visitor;
use vitrine_core::view::missing_shards;
use vitrine_core::{PageRequest, Snapshot};

/// Loads the shards the recommendations of this request need (at most two rounds).
pub async fn prefetch(
    env: &Env,
    cfg: &Config,
    snapshot: &std::rc::Rc<Snapshot>,
    visitor: &Visitor,
    req: &PageRequest<'_>,
) {
    for _round in 0..2 {
        let missing = missing_shards(snapshot, visitor, req);
        if missing.is_empty() {
            return;
        }
        store::load_listed(env, cfg, snapshot, &missing).await;
    }
}
