//! One `[[campaign]]` → one [`Candidate`]: targeting (segments / audience / when, minus
//! exclude), op, sanitized and split HTML, per-segment messages and schedule.

use std::collections::HashMap;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use toml::Spanned;

use super::expr::valid_id;
use super::html::{self, Piece};
use super::run::{Placed, Run};
use super::source::{CampaignSrc, MessageSrc, ScheduleSrc};
use crate::snapshot::expr::Expr;
use crate::snapshot::model::{Candidate, Message, Op, Part, Sym, Template, Window};

impl Run<'_> {
    pub fn campaign(
        &mut self,
        file: usize,
        order: usize,
        c: Spanned<CampaignSrc>,
        ids: &mut HashMap<String, usize>,
    ) -> Option<Placed> {
        let c = c.into_inner();
        let id = c.id.get_ref().clone();
        let f = |key: &str| format!("campaign[{id}].{key}");
        if !valid_id(&id) {
            self.error(
                file,
                c.id.span(),
                "campaign-id",
                &f("id"),
                format!("`{id}` is not a valid campaign id"),
                "use 1-64 of [A-Za-z0-9_-]",
            );
        }
        if let Some(&first) = ids.get(&id) {
            let first = self
                .files
                .get(first)
                .map(|x| x.0.clone())
                .unwrap_or_default();
            self.error(
                file,
                c.id.span(),
                "duplicate-id",
                &f("id"),
                format!("campaign id `{id}` is already used in {first}"),
                "give every campaign a unique id",
            );
        } else {
            ids.insert(id.clone(), file);
        }
        let slot = c.slot.get_ref().clone();
        let slot_ok = (1..=64).contains(&slot.len())
            && slot
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !slot_ok {
            self.error(
                file,
                c.slot.span(),
                "slot-name",
                &f("slot"),
                format!("slot `{slot}` is not a valid slot name"),
                "use 1-64 of [a-z0-9_-], as in <vitrine-slot name=\"hero\">",
            );
        }
        self.hits.clear();
        let when = self.targeting(file, &c, &id);
        let hits = std::mem::take(&mut self.hits);
        let op = match &c.op {
            None => Some(Op::Replace),
            Some(o) => {
                let op = Op::ALL.into_iter().find(|op| op.keyword() == o.get_ref());
                if op.is_none() {
                    self.error(
                        file,
                        o.span(),
                        "op",
                        &f("op"),
                        format!("unknown op `{}`", o.get_ref()),
                        "use replace, append, prepend, before, after or remove",
                    );
                }
                op
            }
        };
        let template = match (&c.html, op) {
            (_, Some(Op::Remove)) => Some(Template::default()),
            (Some(h), _) => self.template(file, h, &f("html")),
            (None, _) => {
                self.error(
                    file,
                    c.id.span(),
                    "html",
                    &f("html"),
                    "no `html` given".into(),
                    "add the banner markup, or use op = \"remove\"",
                );
                None
            }
        };
        let messages = self.messages(file, &c.messages, &id);
        let product = self.product_binding(file, &c, &template, &messages, &id);
        let schedule = c
            .schedule
            .as_ref()
            .and_then(|s| self.schedule(file, s, &f("schedule")));
        let priority = c.priority.as_ref().map_or(0, |p| *p.get_ref());
        let priority32 = i32::try_from(priority).ok();
        if let (None, Some(p)) = (priority32, &c.priority) {
            self.error(
                file,
                p.span(),
                "priority",
                &f("priority"),
                format!("priority {priority} is out of range"),
                "use a number between -2147483648 and 2147483647",
            );
        }
        if let (Some(t), Some(m)) = (&template, &messages) {
            let uses_message = t.parts.contains(&Part::Message);
            if !m.is_empty() && !uses_message {
                self.error(
                    file,
                    c.id.span(),
                    "messages",
                    &f("messages"),
                    "messages are given but the html has no {{message}}".into(),
                    "put {{message}} where the per-segment text goes",
                );
            }
        }
        Some(Placed {
            slot,
            priority,
            order,
            candidate: Candidate {
                campaign: self.sym(&id),
                priority: priority32?,
                when: when?,
                op: op?,
                template: template?,
                messages: messages?,
                schedule: schedule.unwrap_or(None),
                cap: None,
                arm: None,
                product: product?,
            },
            file,
            id_span: c.id.span(),
            hits,
        })
    }

    /// (segments any-of | audience) and when, and not exclude.
    fn targeting(&mut self, file: usize, c: &CampaignSrc, id: &str) -> Option<Expr> {
        let field = format!("campaign[{id}]");
        let mut parts = Vec::new();
        let mut ok = true;
        match (&c.segments, &c.audience) {
            (Some(s), Some(_)) => {
                self.error(
                    file,
                    s.span(),
                    "audience",
                    &format!("{field}.segments"),
                    "both `segments` and `audience` are set".into(),
                    "keep one of them",
                );
                ok = false;
            }
            (Some(s), None) => match self.any_of(file, s, &format!("{field}.segments")) {
                Some(e) => parts.push(e),
                None => ok = false,
            },
            (None, Some(a)) => match a.get_ref().as_str() {
                "anonymous" => parts.push(Expr::Anonymous),
                "everyone" => parts.push(Expr::True),
                other => {
                    self.error(
                        file,
                        a.span(),
                        "audience",
                        &format!("{field}.audience"),
                        format!("unknown audience `{other}`"),
                        "use \"anonymous\" or \"everyone\", or list `segments`",
                    );
                    ok = false;
                }
            },
            (None, None) if c.when.is_none() => {
                self.error(
                    file,
                    c.id.span(),
                    "audience",
                    &format!("{field}.segments"),
                    "the campaign targets nobody".into(),
                    "add `segments = [\"…\"]`, `audience = \"everyone\"` or a `when` condition",
                );
                ok = false;
            }
            (None, None) => {}
        }
        if let Some(w) = &c.when {
            match self.expr(file, w, &format!("{field}.when")) {
                Some(e) => parts.push(e),
                None => ok = false,
            }
        }
        if let Some(x) = &c.exclude {
            match self.any_of(file, x, &format!("{field}.exclude")) {
                Some(e) => parts.push(Expr::Not(Box::new(e))),
                None => ok = false,
            }
        }
        ok.then(|| {
            if parts.len() == 1 {
                parts.remove(0)
            } else {
                Expr::All(parts)
            }
        })
    }

    fn any_of(
        &mut self,
        file: usize,
        list: &Spanned<Vec<Spanned<String>>>,
        field: &str,
    ) -> Option<Expr> {
        if list.get_ref().is_empty() {
            self.error(
                file,
                list.span(),
                "audience",
                field,
                "the list is empty".into(),
                "name at least one segment",
            );
            return None;
        }
        let mut out = Vec::new();
        for s in list.get_ref() {
            out.push(self.segment_ref(file, s, field));
        }
        let mut out: Vec<Expr> = out.into_iter().collect::<Option<_>>()?;
        Some(if out.len() == 1 {
            out.remove(0)
        } else {
            Expr::Any(out)
        })
    }

    fn messages(
        &mut self,
        file: usize,
        list: &[Spanned<MessageSrc>],
        id: &str,
    ) -> Option<Vec<Message>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (i, m) in list.iter().enumerate() {
            let field = format!("campaign[{id}].messages[{i}]");
            let src = m.get_ref();
            let mut parts = Vec::new();
            if let Some(s) = &src.segments {
                parts.push(self.any_of(file, s, &format!("{field}.segments")));
            }
            if let Some(w) = &src.when {
                parts.push(self.expr(file, w, &format!("{field}.when")));
            }
            if parts.is_empty() {
                self.error(
                    file,
                    m.span(),
                    "messages",
                    &field,
                    "the message targets nobody".into(),
                    "add `segments = [\"…\"]` or a `when` condition",
                );
            }
            let template = self.template(file, &src.html, &format!("{field}.html"));
            if template
                .as_ref()
                .is_some_and(|t| t.parts.contains(&Part::Message))
            {
                self.error(
                    file,
                    src.html.span(),
                    "placeholder",
                    &format!("{field}.html"),
                    "a message cannot contain {{message}}".into(),
                    "remove the placeholder",
                );
            }
            let parts: Option<Vec<Expr>> = parts.into_iter().collect();
            match (parts, template) {
                (Some(mut p), Some(template)) if !p.is_empty() => out.push(Message {
                    when: if p.len() == 1 {
                        p.remove(0)
                    } else {
                        Expr::All(p)
                    },
                    template,
                }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// Sanitizes and splits HTML into a template.
    pub fn template(
        &mut self,
        file: usize,
        html: &Spanned<String>,
        field: &str,
    ) -> Option<Template> {
        let clean = match html::sanitize(html.get_ref(), self.policy) {
            Ok(c) => c,
            Err(reasons) => {
                for why in reasons {
                    self.error(file, html.span(), "html", field, why, "use https: links or paths starting with /, and no raw-text elements or unclosed comments");
                }
                return None;
            }
        };
        let pieces = match html::split(&clean) {
            Ok(p) => p,
            Err(why) => {
                self.error(
                    file,
                    html.span(),
                    "placeholder",
                    field,
                    why,
                    "placeholders: {{message}} in text, {{attr.NAME}} in text or attributes",
                );
                return None;
            }
        };
        let parts = pieces
            .into_iter()
            .map(|p| match p {
                Piece::Lit(s) => Part::Lit(self.sym(s)),
                Piece::Attr(name, ctx) => Part::Attr {
                    name: self.sym(&name),
                    ctx,
                },
                Piece::Message => Part::Message,
                Piece::Product(field, ctx) => Part::Product { field, ctx },
            })
            .collect();
        Some(Template { parts })
    }

    /// The bound product, checked against the catalog; templates may only use
    /// `{{product.…}}` with one. `Some(None)`: no binding.
    fn product_binding(
        &mut self,
        file: usize,
        c: &CampaignSrc,
        template: &Option<Template>,
        messages: &Option<Vec<Message>>,
        id: &str,
    ) -> Option<Option<Sym>> {
        let uses = |t: &Template| t.parts.iter().any(|p| matches!(p, Part::Product { .. }));
        let used = template.as_ref().is_some_and(uses)
            || messages.iter().flatten().any(|m| uses(&m.template));
        let field = format!("campaign[{id}].product");
        match &c.product {
            None if used => {
                self.error(
                    file,
                    c.id.span(),
                    "product",
                    &field,
                    "the html uses {{product.…}} but no product is bound".into(),
                    "add `product = \"<product id>\"` (a product of the [catalog])",
                );
                None
            }
            None => Some(None),
            Some(p) => match &self.product_ids {
                None => {
                    self.error(
                        file,
                        p.span(),
                        "product",
                        &field,
                        "a product is bound but there is no [catalog]".into(),
                        "add a [catalog] table with the shop's products",
                    );
                    None
                }
                Some(ids) if !ids.contains(p.get_ref()) => {
                    self.error(
                        file,
                        p.span(),
                        "product",
                        &field,
                        format!("product `{}` is not in the catalog", p.get_ref()),
                        "use an id from the products file",
                    );
                    None
                }
                Some(_) => Some(Some(self.sym(p.get_ref()))),
            },
        }
    }

    /// `Some(None)`: no bounds given; `None`: an error was reported.
    fn schedule(
        &mut self,
        file: usize,
        s: &Spanned<ScheduleSrc>,
        field: &str,
    ) -> Option<Option<Window>> {
        let src = s.get_ref();
        let bound = |run: &mut Self,
                     v: &Option<Spanned<toml::value::Datetime>>,
                     key: &str|
         -> Result<Option<i64>, ()> {
            let Some(v) = v else { return Ok(None) };
            epoch(v.get_ref()).map(Some).map_err(|why| {
                run.error(file, v.span(), "schedule", &format!("{field}.{key}"), why, "write a date-time with its offset, for example 2026-12-01T09:00:00+01:00 or …Z");
            })
        };
        let start = bound(self, &src.start, "start");
        let end = bound(self, &src.end, "end");
        let (Ok(start), Ok(end)) = (start, end) else {
            return None;
        };
        if let (Some(a), Some(b)) = (start, end) {
            if b <= a {
                self.error(
                    file,
                    s.span(),
                    "schedule",
                    field,
                    "the schedule ends before it starts".into(),
                    "make `end` later than `start`",
                );
                return None;
            }
        }
        Some((start.is_some() || end.is_some()).then_some(Window { start, end }))
    }
}

/// A TOML offset date-time → Unix seconds.
fn epoch(dt: &toml::value::Datetime) -> Result<i64, String> {
    if dt.offset.is_none() || dt.date.is_none() || dt.time.is_none() {
        return Err(format!("`{dt}` has no date, time or UTC offset"));
    }
    OffsetDateTime::parse(&dt.to_string(), &Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|e| format!("`{dt}`: {e}"))
}
