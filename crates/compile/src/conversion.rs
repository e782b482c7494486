//! `[[conversion]]` tables: what the edge counts as a conversion.
//!
//! ```toml
//! [[conversion]]
//! name = "purchase"                        # the event name in reports
//! path = "/order/confirmed*"               # a request for a matching page is the conversion
//! value_param = "total"                    # its value: ?total=49.90 (optional)
//! value = { min = 0, max = 10000 }         # values outside are not trusted
//! dedupe_param = "order"                   # ?order=A-1001 counts once per visitor (optional)
//!
//! [[conversion]]
//! name = "purchase_signed"
//! path = "/checkout/done*"
//! signed = true                            # counts only with ?vitrine_conversion=<token>, which
//! value = { min = 0, max = 10000 }         # the shop's backend signed (value and order in it)
//!
//! [[conversion]]
//! name = "add_to_cart"
//! beacon = true                            # navigator.sendBeacon("/__vitrine/event", …)
//! value = { min = 0, max = 1000 }          # without `value`, a beacon carrying one is refused
//! ```

use toml::Spanned;

use super::run::Run;
use super::source::ConversionSrc;
use vitrine_core::snapshot::goal::{Goal, Range};

/// Most conversions a snapshot may declare (the edge scans them per request).
pub(super) const MAX_CONVERSIONS: usize = 64;

/// Largest magnitude a value bound may have.
const MAX_BOUND: f64 = 1e12;

impl Run<'_> {
    /// Checks every `[[conversion]]` across files; returns the valid ones.
    pub(super) fn conversions(&mut self, all: Vec<(usize, Spanned<ConversionSrc>)>) -> Vec<Goal> {
        let mut goals: Vec<Goal> = Vec::new();
        for (file, src) in all {
            let span = src.get_ref().name.span();
            if goals.len() == MAX_CONVERSIONS {
                self.error(
                    file,
                    span,
                    "conversion-count",
                    "conversion",
                    format!("more than {MAX_CONVERSIONS} conversions"),
                    "count fewer kinds of conversion; use the value for amounts",
                );
                break;
            }
            let Some(goal) = self.conversion(file, src.into_inner()) else {
                continue;
            };
            if goals.iter().any(|g| g.name == goal.name) {
                let name = goal.name;
                self.error(
                    file,
                    span,
                    "duplicate-conversion",
                    &format!("conversion.{name}"),
                    format!("conversion `{name}` is already declared"),
                    "give every conversion a unique name",
                );
            } else {
                goals.push(goal);
            }
        }
        goals
    }

    fn conversion(&mut self, file: usize, c: ConversionSrc) -> Option<Goal> {
        let name = c.name.get_ref().clone();
        let field = format!("conversion.{name}");
        let mut ok = true;
        if !valid_name(&name) {
            self.error(
                file,
                c.name.span(),
                "conversion-name",
                "conversion.name",
                format!("`{name}` is not a conversion name"),
                "use 1-64 of a-z, 0-9, `_`, `.` and `-`, e.g. \"add_to_cart\"",
            );
            ok = false;
        }
        let beacon = c.beacon.as_ref().is_some_and(|b| *b.get_ref());
        if beacon == c.path.is_some() {
            self.error(
                file,
                c.name.span(),
                "conversion-kind",
                &field,
                "a conversion is either a page (`path`) or a beacon (`beacon = true`)".into(),
                "set exactly one of `path = \"/order/confirmed*\"` and `beacon = true`",
            );
            ok = false;
        }
        if let Some(p) = &c.path {
            ok &= self.conversion_path(file, p, &field);
        }
        let signed = c.signed.as_ref().is_some_and(|s| *s.get_ref());
        if let Some(s) = c.signed.as_ref().filter(|_| signed) {
            ok &= self.signed(file, s.span(), &field, &c);
        }
        if signed {
            // The token carries the value and the order: no query parameter is read.
        } else if let Some(param) = &c.value_param {
            ok &= self.value_param(file, param, &field, c.path.is_some(), c.value.is_some());
        } else if let (Some(v), Some(_)) = (&c.value, &c.path) {
            self.error(
                file,
                v.span(),
                "conversion-value",
                &field,
                "a page conversion with `value` needs `value_param`".into(),
                "name the query parameter holding the value, e.g. value_param = \"total\"",
            );
            ok = false;
        }
        if let Some(param) = &c.dedupe_param {
            ok &= self.dedupe_param(file, param, &field, c.path.is_some());
        }
        let value = match c.value {
            Some(v) => Some(self.value_range(file, v, &field)?),
            None => None,
        };
        ok.then(|| Goal {
            name,
            path: c.path.map(Spanned::into_inner),
            value_param: c.value_param.map(Spanned::into_inner),
            dedupe_param: c.dedupe_param.map(Spanned::into_inner),
            beacon,
            signed,
            value,
        })
    }

    /// `signed = true`: a page conversion whose value and order come from the token, so it
    /// names no query parameter for them.
    fn signed(
        &mut self,
        file: usize,
        span: std::ops::Range<usize>,
        field: &str,
        c: &ConversionSrc,
    ) -> bool {
        let problem = if c.path.is_none() {
            Some((
                "`signed` belongs to a page conversion".to_owned(),
                "a beacon is sent by the page itself; remove `signed`, or give a `path`",
            ))
        } else if c.value_param.is_some() || c.dedupe_param.is_some() {
            Some((
                "a signed conversion reads its value and order from its token, not the query"
                    .to_owned(),
                "remove `value_param` and `dedupe_param`; keep `value` to bound the signed value",
            ))
        } else {
            None
        };
        let Some((message, hint)) = problem else {
            return true;
        };
        self.error(
            file,
            span,
            "conversion-signed",
            &format!("{field}.signed"),
            message,
            hint,
        );
        false
    }

    fn conversion_path(&mut self, file: usize, p: &Spanned<String>, field: &str) -> bool {
        let path = p.get_ref();
        let good = path.starts_with('/')
            && path.len() <= 256
            && !path.contains(['?', '#'])
            && !path.bytes().any(|b| b.is_ascii_control() || b == b' ');
        if !good {
            self.error(
                file,
                p.span(),
                "conversion-path",
                &format!("{field}.path"),
                format!("`{path}` is not a path pattern"),
                "write a path starting with `/`, `*` for any characters, without query or \
                 fragment, e.g. \"/order/confirmed*\"",
            );
        }
        good
    }

    fn value_param(
        &mut self,
        file: usize,
        param: &Spanned<String>,
        field: &str,
        page: bool,
        ranged: bool,
    ) -> bool {
        let problem = if !page {
            Some((
                "`value_param` belongs to a page conversion",
                "a beacon sends its value in its body; remove `value_param`",
            ))
        } else if !ranged {
            Some((
                "`value_param` needs a `value` range",
                "say which values to trust, e.g. value = { min = 0, max = 10000 }",
            ))
        } else {
            None
        };
        self.query_param(
            file,
            param,
            field,
            "value_param",
            "conversion-value",
            problem,
        )
    }

    fn dedupe_param(
        &mut self,
        file: usize,
        param: &Spanned<String>,
        field: &str,
        page: bool,
    ) -> bool {
        let problem = (!page).then_some((
            "`dedupe_param` belongs to a page conversion",
            "a beacon is sent once by the page; remove `dedupe_param`",
        ));
        self.query_param(
            file,
            param,
            field,
            "dedupe_param",
            "conversion-dedupe",
            problem,
        )
    }

    /// Reports `problem` (message, hint) about the query parameter named by `field.key`, or
    /// else a name that is not a query parameter name; true when there is nothing to report.
    fn query_param(
        &mut self,
        file: usize,
        param: &Spanned<String>,
        field: &str,
        key: &str,
        code: &'static str,
        problem: Option<(&str, &'static str)>,
    ) -> bool {
        let name = param.get_ref();
        let (message, hint) = match problem {
            Some((message, hint)) => (message.to_owned(), hint),
            None if !valid_param(name) => (
                format!("`{name}` is not a query parameter name"),
                "use 1-64 of A-Z, a-z, 0-9, `_`, `.` and `-`",
            ),
            None => return true,
        };
        self.error(
            file,
            param.span(),
            code,
            &format!("{field}.{key}"),
            message,
            hint,
        );
        false
    }

    fn value_range(
        &mut self,
        file: usize,
        v: Spanned<super::source::ValueSrc>,
        field: &str,
    ) -> Option<Range> {
        let span = v.span();
        let v = v.into_inner();
        let bounded = |x: f64| x.is_finite() && x.abs() <= MAX_BOUND;
        if bounded(v.min) && bounded(v.max) && v.min <= v.max {
            return Some(Range {
                min: v.min,
                max: v.max,
            });
        }
        self.error(
            file,
            span,
            "conversion-value",
            &format!("{field}.value"),
            format!("value range {}..{} is not usable", v.min, v.max),
            "give finite bounds with min <= max, each at most 1e12 in size",
        );
        None
    }
}

fn valid_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
}

fn valid_param(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}
