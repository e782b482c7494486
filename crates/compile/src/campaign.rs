//! One `[[campaign]]` → one [`Candidate`]: targeting (segments / audience / when, minus
//! exclude), op, HTML (see `template`), per-segment messages and schedule (see `schedule`).

use std::collections::HashMap;

use toml::Spanned;

use super::expr::valid_id;
use super::run::{Placed, Run};
use super::source::{CampaignSrc, MessageSrc};
use vitrine_core::snapshot::expr::Expr;
use vitrine_core::snapshot::{Candidate, Message, Op, Part, Template};

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
        let arm = self.arm_ref(file, &c, &id);
        let offer = self.offer(file, &c, &template, &messages, &id);
        let product = self.product_binding(file, &c, &template, &messages, &id);
        let recommend = self.recommend(file, c.recommend.as_ref(), &template, &id, c.id.span());
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
                arm: arm?,
                product: product?,
                offer: offer?,
                recommend: recommend?,
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
}
