//! Measurement: what a page view emits so marketers can read results, and in what form.
//!
//! [`exposure`] decides which experiment arms and campaigns a page view counts (once per
//! visitor and day, with consent), [`conversion`] which goals a page or a beacon reached,
//! [`views`] which product-page views become `vitrine.view` events (consent, sampled,
//! rate-limited), [`events`] is the record all three write (schema-versioned, pseudonymous), and [`sink`] lays the
//! records out for Analytics Engine and reads them back. Nothing here sees a raw visitor id in
//! an event: events carry keyed pseudonyms.

pub mod conversion;
pub mod events;
pub mod exposure;
pub mod sink;
pub mod views;
