//! Campaign HTML → [`Template`]: sanitize, split around placeholders, and check that
//! `{{product.…}}` is only used with a product bound from the catalog.

use toml::Spanned;

use super::html::{self, Piece};
use super::run::Run;
use super::source::CampaignSrc;
use vitrine_core::snapshot::{Message, Offer, Part, Sym, Template};

impl Run<'_> {
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
                Piece::OfferExpires(ctx) => Part::OfferExpires { ctx },
                Piece::Items => Part::Items,
            })
            .collect();
        Some(Template { parts })
    }

    /// The bound product, checked against the catalog; templates may only use
    /// `{{product.…}}` with one. `Some(None)`: no binding.
    pub fn product_binding(
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

    /// The campaign's time-limited offer (`offer_minutes`); templates may only use
    /// `{{offer.expires}}` with one. `Some(None)`: no offer.
    pub fn offer(
        &mut self,
        file: usize,
        c: &CampaignSrc,
        template: &Option<Template>,
        messages: &Option<Vec<Message>>,
        id: &str,
    ) -> Option<Option<Offer>> {
        let uses = |t: &Template| {
            t.parts
                .iter()
                .any(|p| matches!(p, Part::OfferExpires { .. }))
        };
        let used = template.as_ref().is_some_and(uses)
            || messages.iter().flatten().any(|m| uses(&m.template));
        let field = format!("campaign[{id}].offer_minutes");
        let Some(minutes) = &c.offer_minutes else {
            if used {
                self.error(
                    file,
                    c.id.span(),
                    "offer",
                    &field,
                    "the html uses {{offer.expires}} but the campaign has no offer".into(),
                    "add `offer_minutes = 30` (how long the offer lasts)",
                );
                return None;
            }
            return Some(None);
        };
        // At most a week: an "offer" that outlives the activity cookie's entries is no offer.
        let secs = u32::try_from(*minutes.get_ref())
            .ok()
            .filter(|m| (1..=7 * 24 * 60).contains(m))
            .map(|m| m * 60);
        if secs.is_none() {
            self.error(
                file,
                minutes.span(),
                "offer",
                &field,
                format!("offer_minutes {} is out of range", minutes.get_ref()),
                "use 1 to 10080 minutes (one week)",
            );
        }
        Some(Some(Offer { secs: secs? }))
    }
}
