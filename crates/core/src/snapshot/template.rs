//! Templates: sanitized HTML split at publish time around its placeholders, each placeholder
//! with the escaping context it sits in. Campaign bodies, per-segment messages and
//! recommendation items all render through one [`Template`].

use serde::{Deserialize, Serialize};

use super::sym::Sym;

/// Sanitized HTML split around its placeholders.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Template {
    /// Literal and placeholder parts in order.
    pub parts: Vec<Part>,
}

/// One piece of a [`Template`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
// Exhaustive on purpose: the compiler builds and `vitrine_compile::diff` prints every variant,
// so a new one must be handled there too.
pub enum Part {
    /// Sanitized HTML, inserted as is.
    Lit(Sym),
    /// A profile attribute (`{{attr.NAME}}`), escaped for `ctx`; empty when absent.
    Attr {
        /// Attribute name.
        name: Sym,
        /// Escaping context fixed at publish time.
        ctx: Ctx,
    },
    /// The chosen per-segment message (`{{message}}`), already sanitized HTML.
    Message,
    /// A field of the product the slot shows (`{{product.FIELD}}`), escaped for `ctx`.
    Product {
        /// Which field.
        field: ProductField,
        /// Escaping context fixed at publish time.
        ctx: Ctx,
    },
    /// When the candidate's offer ends (`{{offer.expires}}`, "14:35 UTC"), escaped for `ctx`.
    OfferExpires {
        /// Escaping context fixed at publish time.
        ctx: Ctx,
    },
    /// The recommended products (`{{items}}`), each rendered with the item template.
    Items,
}

/// Where a placeholder sits in the markup, which decides how its value is escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ctx {
    /// Element text.
    Text,
    /// A quoted attribute value.
    Attr,
    /// A URL attribute (`href`, `src`): only `https:` or same-site paths are inserted.
    Url,
}

/// Product fields a template can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductField {
    /// Product id.
    Id,
    /// Display name.
    Name,
    /// Price, formatted from cents.
    Price,
    /// Product page URL.
    Url,
    /// Image URL.
    Image,
    /// Category id.
    Category,
}
