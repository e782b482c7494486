//! Compiling expression nodes (`{ segment = … }`, `{ all = […] }`, `{ attr = …, gte = … }`, …)
//! and named segments, which are inlined where referenced. A reference to a name that is not a
//! named segment is a segment id from the profile cookie. Sensitive attributes and segment ids
//! are noted as [`Hit`]s for the warning pass.

use toml::Spanned;

use super::run::{Hit, Run};
use super::source::{ExprSrc, Scalar};
use vitrine_core::snapshot::expr::{
    ActivityTest, Device, Expr, RequestTest, Test, UtmField, Value,
};

/// Name tokens that mark sensitive data (precise location, age, gender, ethnicity, health…).
const SENSITIVE: &[&str] = &[
    "lat",
    "latitude",
    "lon",
    "lng",
    "longitude",
    "geo",
    "geolocation",
    "gps",
    "postcode",
    "zip",
    "zipcode",
    "address",
    "age",
    "birth",
    "birthday",
    "birthdate",
    "dob",
    "gender",
    "sex",
    "ethnicity",
    "ethnic",
    "race",
    "health",
    "medical",
    "pregnant",
    "pregnancy",
    "diagnosis",
    "religion",
    "disability",
    "orientation",
];

/// Whether an attribute or segment name refers to sensitive data.
pub fn is_sensitive(name: &str) -> bool {
    name.to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|token| SENSITIVE.contains(&token))
}

const HEADS: &[&str] = &[
    "segment",
    "all",
    "any",
    "not",
    "anonymous",
    "attr",
    "path",
    "param",
    "referrer",
    "country",
    "device",
    "viewed",
    "category_views",
    "visits",
    "returning",
    "local_time",
    "utm",
];

impl Run<'_> {
    /// A named segment's compiled expression (compiled once; cycles are errors).
    pub fn named_segment(&mut self, name: &str) -> Option<(Expr, Vec<Hit>)> {
        if let Some(done) = self.segment_done.get(name) {
            return done.clone();
        }
        let (file, src) = self.segment_src.remove(name)?;
        if self.visiting.iter().any(|v| v == name) {
            return None;
        }
        self.visiting.push(name.to_owned());
        let outer = std::mem::take(&mut self.hits);
        let expr = self.expr(file, &src, &format!("segments.{name}"));
        let hits = std::mem::replace(&mut self.hits, outer);
        self.visiting.pop();
        let done = expr.map(|e| (e, hits));
        self.segment_done.insert(name.to_owned(), done.clone());
        self.segment_src.insert(name.to_owned(), (file, src));
        done
    }

    /// A reference by name: a named segment if one is defined, else a cookie segment id.
    pub fn segment_ref(
        &mut self,
        file: usize,
        name: &Spanned<String>,
        field: &str,
    ) -> Option<Expr> {
        let id = name.get_ref();
        if self.visiting.iter().any(|v| v == id) {
            let chain = self.visiting.join(" → ");
            self.error(
                file,
                name.span(),
                "segment-cycle",
                field,
                format!("segment `{id}` refers to itself ({chain} → {id})"),
                "break the cycle between these named segments",
            );
            return None;
        }
        if self.segment_src.contains_key(id) || self.segment_done.contains_key(id) {
            let (expr, hits) = self.named_segment(id)?;
            self.hits.extend(hits);
            return Some(expr);
        }
        if !valid_id(id) {
            self.error(
                file,
                name.span(),
                "segment-name",
                field,
                format!("`{id}` is not a valid segment id"),
                "use 1-64 of [A-Za-z0-9_-]",
            );
            return None;
        }
        if is_sensitive(id) {
            self.hits.push(Hit {
                file,
                span: name.span(),
                name: id.clone(),
            });
        }
        Some(Expr::Segment(self.sym(id)))
    }

    /// Compiles one expression node.
    pub fn expr(&mut self, file: usize, node: &Spanned<ExprSrc>, field: &str) -> Option<Expr> {
        let span = node.span();
        let e = node.get_ref();
        let present: Vec<&str> = HEADS
            .iter()
            .copied()
            .filter(|h| head_present(e, h))
            .collect();
        let head = match present.as_slice() {
            [one] => *one,
            [] => {
                self.error(file, span, "expression", field, "the condition has no test".into(), "use one of: segment, all, any, not, anonymous, attr, path, param, referrer, country, device, viewed, category_views, visits, returning, local_time, utm");
                return None;
            }
            many => {
                self.error(
                    file,
                    span,
                    "expression",
                    field,
                    format!("one condition has several tests ({})", many.join(", ")),
                    "split them with `all = [{ … }, { … }]` or `any = [...]`",
                );
                return None;
            }
        };
        let list = |run: &mut Self, items: &[Spanned<ExprSrc>], key: &str| -> Option<Vec<Expr>> {
            let mut out = Vec::new();
            let mut ok = true;
            for (i, item) in items.iter().enumerate() {
                match run.expr(file, item, &format!("{field}.{key}[{i}]")) {
                    Some(x) => out.push(x),
                    None => ok = false,
                }
            }
            ok.then_some(out)
        };
        match head {
            "segment" => self.segment_ref(file, e.segment.as_ref()?, &format!("{field}.segment")),
            "all" => list(self, e.all.as_deref()?, "all").map(Expr::All),
            "any" => list(self, e.any.as_deref()?, "any").map(Expr::Any),
            "not" => Some(Expr::Not(Box::new(self.expr(
                file,
                e.not.as_deref()?,
                &format!("{field}.not"),
            )?))),
            "anonymous" => Some(if e.anonymous? {
                Expr::Anonymous
            } else {
                Expr::Not(Box::new(Expr::Anonymous))
            }),
            "attr" => self.attr(file, span, e, field),
            "path" => Some(Expr::Request(RequestTest::Path(
                self.sym(e.path.as_deref()?),
            ))),
            "param" => {
                let Some(value) = e.value.as_deref() else {
                    self.error(
                        file,
                        span,
                        "expression",
                        field,
                        "`param` needs a `value`".into(),
                        "write { param = \"utm_source\", value = \"newsletter\" }",
                    );
                    return None;
                };
                let value = self.sym(value);
                Some(Expr::Request(RequestTest::Param {
                    name: self.sym(e.param.as_deref()?),
                    value,
                }))
            }
            "referrer" => Some(Expr::Request(RequestTest::Referrer(
                self.sym(e.referrer.as_deref()?),
            ))),
            "country" => {
                let list = e
                    .country
                    .as_deref()?
                    .iter()
                    .map(|c| self.sym(&c.to_ascii_uppercase()))
                    .collect();
                Some(Expr::Request(RequestTest::Country(list)))
            }
            "device" => {
                let d = e.device.as_ref()?;
                let device = [Device::Mobile, Device::Tablet, Device::Desktop]
                    .into_iter()
                    .find(|x| x.keyword() == d.get_ref());
                if device.is_none() {
                    self.error(
                        file,
                        d.span(),
                        "expression",
                        &format!("{field}.device"),
                        format!("unknown device `{}`", d.get_ref()),
                        "use mobile, tablet or desktop",
                    );
                }
                Some(Expr::Request(RequestTest::Device(device?)))
            }
            "viewed" => {
                let within_secs = match &e.within {
                    Some(w) => match parse_duration(w.get_ref()) {
                        Some(s) => s,
                        None => {
                            self.error(
                                file,
                                w.span(),
                                "duration",
                                &format!("{field}.within"),
                                format!("`{}` is not a duration", w.get_ref()),
                                "write a number with s, m, h or d, for example \"7d\"",
                            );
                            return None;
                        }
                    },
                    None => 30 * 86_400,
                };
                let id = e.viewed.as_deref()?;
                let product = (id != "current").then(|| self.sym(id));
                Some(Expr::Activity(ActivityTest::ViewedProduct {
                    product,
                    at_least: e.at_least.unwrap_or(1),
                    within_secs,
                }))
            }
            "category_views" => Some(Expr::Activity(ActivityTest::CategoryViews {
                category: self.sym(e.category_views.as_deref()?),
                at_least: e.at_least.unwrap_or(1),
            })),
            "visits" => Some(Expr::Activity(ActivityTest::Visits(e.visits?))),
            "returning" => Some(Expr::Activity(ActivityTest::Returning(e.returning?))),
            "local_time" => self.local_time(file, e.local_time.as_ref()?, field),
            "utm" => self.utm(file, e.utm.as_ref()?, field),
            _ => None,
        }
    }

    fn attr(
        &mut self,
        file: usize,
        span: std::ops::Range<usize>,
        e: &ExprSrc,
        field: &str,
    ) -> Option<Expr> {
        let name = e.attr.as_ref()?;
        if is_sensitive(name.get_ref()) {
            self.hits.push(Hit {
                file,
                span: name.span(),
                name: name.get_ref().clone(),
            });
        }
        let mut tests: Vec<Test> = Vec::new();
        if let Some(x) = e.exists {
            tests.push(Test::Exists(x));
        }
        if let Some(v) = &e.eq {
            tests.push(Test::Eq(self.value(v)));
        }
        if let Some(list) = &e.in_ {
            tests.push(Test::In(list.iter().map(|v| self.value(v)).collect()));
        }
        tests.extend(e.gte.map(Test::Gte));
        tests.extend(e.lte.map(Test::Lte));
        tests.extend(e.gt.map(Test::Gt));
        tests.extend(e.lt.map(Test::Lt));
        if let Some(c) = &e.contains {
            tests.push(Test::Contains(self.sym(c)));
        }
        if tests.is_empty() {
            self.error(
                file,
                span,
                "expression",
                field,
                format!("attribute `{}` has no test", name.get_ref()),
                "add one of: exists, eq, in, gte, lte, gt, lt, contains",
            );
            return None;
        }
        let name = self.sym(name.get_ref());
        let mut exprs: Vec<Expr> = tests
            .into_iter()
            .map(|test| Expr::Attr { name, test })
            .collect();
        Some(if exprs.len() == 1 {
            exprs.remove(0)
        } else {
            Expr::All(exprs)
        })
    }

    fn local_time(&mut self, file: usize, w: &Spanned<String>, field: &str) -> Option<Expr> {
        let window = parse_time_window(w.get_ref());
        if window.is_none() {
            self.error(
                file,
                w.span(),
                "local-time",
                &format!("{field}.local_time"),
                format!("`{}` is not a time window", w.get_ref()),
                "write \"HH:MM-HH:MM\" in 24-hour time, for example \"18:00-22:00\" or \"22:00-06:00\" (past midnight)",
            );
        }
        let (from, to) = window?;
        Some(Expr::Request(RequestTest::LocalTime { from, to }))
    }

    fn utm(
        &mut self,
        file: usize,
        table: &Spanned<std::collections::BTreeMap<String, String>>,
        field: &str,
    ) -> Option<Expr> {
        let mut tests = Vec::new();
        for (key, glob) in table.get_ref() {
            let Some(f) = UtmField::ALL.into_iter().find(|f| f.keyword() == key) else {
                self.error(
                    file,
                    table.span(),
                    "expression",
                    &format!("{field}.utm"),
                    format!("unknown UTM parameter `{key}`"),
                    "use source, medium, campaign, term or content",
                );
                return None;
            };
            let glob = self.sym(&glob.to_ascii_lowercase());
            tests.push(Expr::Request(RequestTest::Utm { field: f, glob }));
        }
        match tests.len() {
            0 => {
                self.error(
                    file,
                    table.span(),
                    "expression",
                    &format!("{field}.utm"),
                    "`utm` has no parameter".into(),
                    "write for example utm = { source = \"newsletter\" }",
                );
                None
            }
            1 => tests.pop(),
            _ => Some(Expr::All(tests)),
        }
    }

    fn value(&mut self, v: &Scalar) -> Value {
        match v {
            Scalar::Bool(b) => Value::Bool(*b),
            Scalar::Int(i) => Value::Number(*i as f64),
            Scalar::Float(f) => Value::Number(*f),
            Scalar::Text(t) => Value::Text(self.sym(t)),
        }
    }
}

fn head_present(e: &ExprSrc, head: &str) -> bool {
    match head {
        "segment" => e.segment.is_some(),
        "all" => e.all.is_some(),
        "any" => e.any.is_some(),
        "not" => e.not.is_some(),
        "anonymous" => e.anonymous.is_some(),
        "attr" => e.attr.is_some(),
        "path" => e.path.is_some(),
        "param" => e.param.is_some(),
        "referrer" => e.referrer.is_some(),
        "country" => e.country.is_some(),
        "device" => e.device.is_some(),
        "viewed" => e.viewed.is_some(),
        "category_views" => e.category_views.is_some(),
        "visits" => e.visits.is_some(),
        "returning" => e.returning.is_some(),
        "local_time" => e.local_time.is_some(),
        "utm" => e.utm.is_some(),
        _ => false,
    }
}

/// Segment ids, slot names and campaign ids: 1–64 of `[A-Za-z0-9_-]`.
pub fn valid_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `"18:00-22:00"` → minutes after midnight `(1080, 1320)`; the end may be `24:00`, and a
/// window may wrap past midnight (`"22:00-06:00"`), but never be empty.
///
/// ```
/// # use vitrine_compile::parse_time_window;
/// assert_eq!(parse_time_window("18:00-22:30"), Some((1080, 1350)));
/// assert_eq!(parse_time_window("22:00-06:00"), Some((1320, 360)));
/// assert_eq!(parse_time_window("10:00-10:00"), None);
/// ```
pub fn parse_time_window(s: &str) -> Option<(u16, u16)> {
    let (a, b) = s.split_once('-')?;
    let (from, to) = (clock(a.trim())?, clock(b.trim())?);
    (from < 1440 && from != to).then_some((from, to))
}

/// `"HH:MM"` → minutes after midnight, `24:00` included.
fn clock(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    let total = h * 60 + m;
    (m < 60 && total <= 1440).then_some(total)
}

/// `"90s"`, `"30m"`, `"24h"`, `"7d"` → seconds.
///
/// ```
/// # use vitrine_compile::parse_duration;
/// assert_eq!(parse_duration("7d"), Some(604_800));
/// assert_eq!(parse_duration("7é"), None);
/// ```
pub fn parse_duration(s: &str) -> Option<u32> {
    let (at, _) = s.char_indices().last()?;
    let (n, unit) = s.split_at(at);
    let n: u32 = n.parse().ok()?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(mult)
}
