//! A synthetic shop with a **known** co-view structure, to test and measure training.
//!
//! Products fall into clusters of [`Shop::cluster_size`] (think "a pair of boots, the laces,
//! the polish"); a cluster belongs to a category. Overall popularity is Zipf-like (product `i`
//! is drawn with weight `1 / (i + 1)`), so a few products are viewed by everyone. A visitor
//! picks a cluster (by the popularity of its products) and views 2 to 9 products: each is,
//! with probability [`Shop::focus`], a product of that cluster, else a globally popular one.
//! One visitor in ten then buys 1 to 3 of the products they viewed (a conversion naming them).
//! So the right "also viewed" for a product is the rest of its cluster, and the popularity
//! baseline can only guess the global head.
//!
//! Deterministic: SplitMix64 seeded by [`Shop::seed`] (a few lines, and it keeps the events
//! identical across platforms and crate versions).

use vitrine_core::measure::events::{Common, Conversion, Event, Via, View, SCHEMA};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Shop {
    /// Products (`p000000`…).
    pub products: usize,
    /// Products per cluster.
    pub cluster_size: usize,
    /// Clusters per category.
    pub clusters_per_category: usize,
    /// Probability that a view stays in the visitor's cluster.
    pub focus: f64,
    /// First event time, Unix seconds.
    pub start: u64,
    /// Visitors arrive evenly over this many seconds.
    pub span_secs: u64,
    /// Random seed.
    pub seed: u64,
}

impl Default for Shop {
    fn default() -> Self {
        Shop {
            products: 1_000,
            cluster_size: 10,
            clusters_per_category: 10,
            focus: 0.8,
            start: 1_764_000_000,
            span_secs: 14 * 86_400,
            seed: 7,
        }
    }
}

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        ((self.unit() * n as f64) as usize).min(n.saturating_sub(1))
    }
}

/// Zipf-like draws over `0..n`: index `i` with weight `1 / (i + 1)`, by inverting the
/// cumulative weights (binary search).
struct Zipf(Vec<f64>);

impl Zipf {
    fn new(n: usize) -> Self {
        let mut total = 0.0;
        Zipf(
            (0..n)
                .map(|i| {
                    total += 1.0 / (i + 1) as f64;
                    total
                })
                .collect(),
        )
    }

    fn draw(&self, rng: &mut Rng) -> usize {
        let last = self.0.last().copied().unwrap_or(0.0);
        let x = rng.unit() * last;
        self.0
            .partition_point(|&c| c <= x)
            .min(self.0.len().saturating_sub(1))
    }
}

impl Shop {
    /// The id of product `i`.
    pub fn id(&self, i: usize) -> String {
        format!("p{i:06}")
    }

    /// The cluster of product `i` (the ground truth of "also viewed").
    pub fn cluster(&self, i: usize) -> usize {
        self.shuffled(i) / self.cluster_size.max(1)
    }

    /// The category of product `i`.
    pub fn category(&self, i: usize) -> String {
        format!(
            "c{:03}",
            self.cluster(i) / self.clusters_per_category.max(1)
        )
    }

    /// Popularity rank → position in the cluster layout: a fixed permutation of `0..products`
    /// (an affine bijection modulo the next power of two, cycle-walked into range), so popular
    /// products are spread over clusters instead of filling the first one.
    fn shuffled(&self, i: usize) -> usize {
        let n = self.products.max(1);
        let bits = usize::BITS - (n - 1).leading_zeros();
        let mask = (1usize << bits).wrapping_sub(1);
        let mut x = i;
        loop {
            x = x.wrapping_mul(0x9e37_79b1).wrapping_add(0x5bd1) & mask;
            if x < n {
                return x;
            }
        }
    }

    /// The products export (`id,name,price_cents,url,image,category,in_stock`) for
    /// `vitrine check`.
    pub fn products_csv(&self) -> String {
        let mut out = String::from("id,name,price_cents,url,image,category,in_stock\n");
        for i in 0..self.products {
            let id = self.id(i);
            out.push_str(&format!(
                "{id},Product {i},{},/p/{id},,{},1\n",
                100 + i % 9_000,
                self.category(i)
            ));
        }
        out
    }

    /// Calls `each` with the events of `visitors` visitors, in time order per visitor.
    pub fn events(&self, visitors: usize, mut each: impl FnMut(Event)) {
        let mut rng = Rng(self.seed);
        let zipf = Zipf::new(self.products);
        let n_clusters = self.products.div_ceil(self.cluster_size.max(1));
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_clusters];
        for i in 0..self.products {
            members[self.cluster(i).min(n_clusters - 1)].push(i);
        }
        let step = self.span_secs / visitors.max(1) as u64;
        for v in 0..visitors {
            let visitor = format!("{:016x}{:016x}", rng.next(), rng.next());
            let mut ts = self.start + v as u64 * step;
            let home = &members[self.cluster(zipf.draw(&mut rng))];
            let views = 2 + rng.below(8);
            let mut seen = Vec::with_capacity(views);
            for _ in 0..views {
                let p = if rng.unit() < self.focus {
                    home[rng.below(home.len())]
                } else {
                    zipf.draw(&mut rng)
                };
                each(Event::View(View {
                    common: common(&visitor, ts),
                    product: self.id(p),
                }));
                seen.push(p);
                ts += 20 + rng.below(120) as u64;
            }
            if rng.unit() < 0.1 {
                let n = 1 + rng.below(3);
                let bought: Vec<String> = seen.iter().take(n).map(|&p| self.id(p)).collect();
                each(Event::Conversion(Conversion {
                    common: common(&visitor, ts),
                    name: "purchase".into(),
                    value: Some(50.0),
                    source: Via::Beacon,
                    assignments: Default::default(),
                    campaigns: Default::default(),
                    products: bought,
                }));
            }
        }
    }
}

fn common(visitor: &str, ts: u64) -> Common {
    Common {
        schema: SCHEMA,
        ts,
        day: ts / 86_400,
        snapshot: "synthetic".into(),
        visitor: Some(visitor.to_owned()),
        global_holdout: false,
    }
}
