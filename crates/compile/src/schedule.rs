//! `schedule = { start = …, end = … }` → a UTC [`Window`]: TOML offset date-times only, so a
//! schedule never depends on the machine's time zone.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use toml::Spanned;

use super::run::Run;
use super::source::ScheduleSrc;
use vitrine_core::snapshot::Window;

impl Run<'_> {
    /// `Some(None)`: no bounds given; `None`: an error was reported.
    pub fn schedule(
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
