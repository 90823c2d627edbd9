//! Dates and times as the API sends them.
//!
//! Extern writes one instant in two forms: in UTC with `Z` (`2020-02-26T06:51:08.4636938Z`) and as
//! Moscow local time without an offset (`2020-02-26T09:51:08.4636938`), with up to 7 fractional
//! digits; some fields carry an explicit offset (`+03:00`). [`ExternDateTime`] reads all of them,
//! compares and converts by the instant, and writes back exactly the text it read, so a
//! read-modify-write sends what was read. [`ExternDate`] does the same for calendar dates, which the
//! API sends both as `2024-01-01` and as `2024-01-01T00:00:00.0000000`.
//!
//! Every `date-time` and `date` of the spec has these types in [`crate::raw::types`].

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Moscow's offset from UTC, which offset-less times of the API are in (UTC+3 all year since 2014).
pub const MOSCOW_OFFSET_SECONDS: i32 = 3 * 3600;

/// The fixed offset of Moscow time.
pub fn moscow() -> FixedOffset {
    FixedOffset::east_opt(MOSCOW_OFFSET_SECONDS).expect("UTC+3 is a valid offset")
}

/// A text the API sent (or the caller gave) that is not a date or time of a form the API uses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not {expected}")]
pub struct InvalidDate {
    text: String,
    expected: &'static str,
}

impl InvalidDate {
    /// The text that could not be read.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// An instant of the API: compared, ordered and hashed by the instant, written back as it was read.
///
/// ```
/// use kontur_extern::ExternDateTime;
///
/// let utc: ExternDateTime = "2020-02-26T06:51:08.4636938Z".parse()?;
/// let moscow: ExternDateTime = "2020-02-26T09:51:08.4636938".parse()?;
/// assert_eq!(utc, moscow); // the same instant
/// assert_eq!(moscow.to_string(), "2020-02-26T09:51:08.4636938"); // written as it came
/// assert!(!moscow.has_offset());
/// # Ok::<(), kontur_extern::datetime::InvalidDate>(())
/// ```
#[derive(Clone)]
pub struct ExternDateTime {
    text: String,
    instant: DateTime<FixedOffset>,
    has_offset: bool,
}

impl ExternDateTime {
    /// Reads `text` in any form the API uses: RFC 3339 with `Z` or an offset, or a local Moscow time
    /// without an offset; `T` or a space between date and time; any number of fractional digits up
    /// to 9. A bare date (`2024-01-01`) is midnight in Moscow.
    pub fn parse(text: &str) -> Result<Self, InvalidDate> {
        let trimmed = text.trim();
        let invalid = || InvalidDate {
            text: text.to_owned(),
            expected: "a date and time (`2020-02-26T06:51:08Z` or Moscow time `2020-02-26T09:51:08`)",
        };
        if let Ok(instant) = DateTime::parse_from_rfc3339(trimmed) {
            return Ok(Self { text: text.to_owned(), instant, has_offset: true });
        }
        let local = parse_local(trimmed).ok_or_else(invalid)?;
        let instant = local.and_local_timezone(moscow()).single().ok_or_else(invalid)?;
        Ok(Self { text: text.to_owned(), instant, has_offset: false })
    }

    /// The current instant, written in UTC.
    pub fn now() -> Self {
        Utc::now().into()
    }

    /// A Moscow local time, written without an offset as the API does.
    pub fn from_moscow(local: NaiveDateTime) -> Self {
        let instant = local.and_local_timezone(moscow()).single().expect("a fixed offset has no gaps");
        Self { text: local.format("%Y-%m-%dT%H:%M:%S%.f").to_string(), instant, has_offset: false }
    }

    /// The instant in UTC, for comparison and arithmetic.
    pub fn to_utc(&self) -> DateTime<Utc> {
        self.instant.with_timezone(&Utc)
    }

    /// The instant with the offset it was written in (UTC+3 for an offset-less value).
    pub fn to_fixed_offset(&self) -> DateTime<FixedOffset> {
        self.instant
    }

    /// The instant in Moscow time.
    pub fn to_moscow(&self) -> DateTime<FixedOffset> {
        self.instant.with_timezone(&moscow())
    }

    /// True when the text named its offset (`Z`, `+03:00`); false for a Moscow local time.
    pub fn has_offset(&self) -> bool {
        self.has_offset
    }

    /// The text as read (or as made by a constructor): what serialising writes.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// The forms of a local time, in the order they are tried, as the items chrono would make of
/// `%Y-%m-%dT%H:%M:%S%.f`, `%Y-%m-%d %H:%M:%S%.f`, `%Y-%m-%dT%H:%M` and `%Y-%m-%d %H:%M`: spelled
/// out, so that reading a time does not parse a format string first (that was most of its cost).
mod local_forms {
    use chrono::format::{Fixed, Item, Numeric, Pad};

    const fn number(what: Numeric) -> Item<'static> {
        Item::Numeric(what, Pad::Zero)
    }

    macro_rules! form {
        ($separator:literal $(, $rest:expr)*) => {
            &[
                number(Numeric::Year), Item::Literal("-"), number(Numeric::Month), Item::Literal("-"),
                number(Numeric::Day), Item::Literal($separator), number(Numeric::Hour), Item::Literal(":"),
                number(Numeric::Minute) $(, $rest)*
            ]
        };
    }

    pub(super) const DATE: &[Item<'static>] =
        &[number(Numeric::Year), Item::Literal("-"), number(Numeric::Month), Item::Literal("-"), number(Numeric::Day)];
    pub(super) const TIMES: [&[Item<'static>]; 4] = [
        form!("T", Item::Literal(":"), number(Numeric::Second), Item::Fixed(Fixed::Nanosecond)),
        form!(" ", Item::Literal(":"), number(Numeric::Second), Item::Fixed(Fixed::Nanosecond)),
        form!("T"),
        form!(" "),
    ];
}

/// `text` read as `form` (what `parse_from_str` does with the form's format string).
fn parse_form(text: &str, form: &[chrono::format::Item<'static>]) -> Option<chrono::format::Parsed> {
    let mut parsed = chrono::format::Parsed::new();
    chrono::format::parse(&mut parsed, text, form.iter()).ok()?;
    Some(parsed)
}

/// `text` as a calendar date (`2024-01-01`).
fn parse_date(text: &str) -> Option<NaiveDate> {
    parse_form(text, local_forms::DATE)?.to_naive_date().ok()
}

/// `text` as a local time in any of the forms, or a bare date at midnight.
fn parse_local(text: &str) -> Option<NaiveDateTime> {
    local_forms::TIMES
        .iter()
        .find_map(|form| parse_form(text, form)?.to_naive_datetime_with_offset(0).ok())
        .or_else(|| parse_date(text).and_then(|date| date.and_hms_opt(0, 0, 0)))
}

impl From<DateTime<Utc>> for ExternDateTime {
    fn from(instant: DateTime<Utc>) -> Self {
        Self {
            text: instant.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            instant: instant.fixed_offset(),
            has_offset: true,
        }
    }
}

impl From<DateTime<FixedOffset>> for ExternDateTime {
    fn from(instant: DateTime<FixedOffset>) -> Self {
        Self { text: instant.to_rfc3339_opts(SecondsFormat::AutoSi, true), instant, has_offset: true }
    }
}

impl From<ExternDateTime> for DateTime<Utc> {
    fn from(value: ExternDateTime) -> Self {
        value.to_utc()
    }
}

impl FromStr for ExternDateTime {
    type Err = InvalidDate;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<&str> for ExternDateTime {
    type Error = InvalidDate;
    fn try_from(text: &str) -> Result<Self, Self::Error> {
        Self::parse(text)
    }
}

impl TryFrom<String> for ExternDateTime {
    type Error = InvalidDate;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl fmt::Display for ExternDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for ExternDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExternDateTime({:?} = {})", self.text, self.to_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}

impl PartialEq for ExternDateTime {
    fn eq(&self, other: &Self) -> bool {
        self.instant == other.instant
    }
}

impl Eq for ExternDateTime {}

impl PartialOrd for ExternDateTime {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ExternDateTime {
    fn cmp(&self, other: &Self) -> Ordering {
        self.instant.cmp(&other.instant)
    }
}

impl Hash for ExternDateTime {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.instant.timestamp(), self.instant.timestamp_subsec_nanos()).hash(state);
    }
}

impl Serialize for ExternDateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for ExternDateTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A calendar date of the API (period bounds, deadlines), written back as it was read.
///
/// The API sends dates both as `2024-01-01` and as a midnight without an offset,
/// `2024-01-01T00:00:00.0000000`; both read as the same date.
///
/// ```
/// use kontur_extern::ExternDate;
///
/// let begin: ExternDate = "2024-01-01T00:00:00.0000000".parse()?;
/// assert_eq!(begin, "2024-01-01".parse()?);
/// assert_eq!(begin.to_string(), "2024-01-01T00:00:00.0000000");
/// # Ok::<(), kontur_extern::datetime::InvalidDate>(())
/// ```
#[derive(Clone)]
pub struct ExternDate {
    text: String,
    date: NaiveDate,
}

impl ExternDate {
    /// Reads a date (`2024-01-01`) or a date with a time (any form [`ExternDateTime`] reads; the
    /// date is the one written, whatever the time and offset).
    pub fn parse(text: &str) -> Result<Self, InvalidDate> {
        let trimmed = text.trim();
        let date = parse_date(trimmed)
            .or_else(|| DateTime::parse_from_rfc3339(trimmed).ok().map(|instant| instant.date_naive()))
            .or_else(|| parse_local(trimmed).map(|local| local.date()))
            .ok_or_else(|| InvalidDate {
                text: text.to_owned(),
                expected: "a date (`2024-01-01` or `2024-01-01T00:00:00`)",
            })?;
        Ok(Self { text: text.to_owned(), date })
    }

    /// The date.
    pub fn to_naive_date(&self) -> NaiveDate {
        self.date
    }

    /// The text as read (or as made from a [`NaiveDate`]): what serialising writes.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl From<NaiveDate> for ExternDate {
    fn from(date: NaiveDate) -> Self {
        Self { text: date.format("%Y-%m-%d").to_string(), date }
    }
}

impl From<ExternDate> for NaiveDate {
    fn from(value: ExternDate) -> Self {
        value.date
    }
}

impl FromStr for ExternDate {
    type Err = InvalidDate;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl TryFrom<&str> for ExternDate {
    type Error = InvalidDate;
    fn try_from(text: &str) -> Result<Self, Self::Error> {
        Self::parse(text)
    }
}

impl TryFrom<String> for ExternDate {
    type Error = InvalidDate;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl fmt::Display for ExternDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for ExternDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ExternDate({:?} = {})", self.text, self.date)
    }
}

impl PartialEq for ExternDate {
    fn eq(&self, other: &Self) -> bool {
        self.date == other.date
    }
}

impl Eq for ExternDate {}

impl PartialOrd for ExternDate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ExternDate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.date.cmp(&other.date)
    }
}

impl Hash for ExternDate {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.date.hash(state);
    }
}

impl Serialize for ExternDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for ExternDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_of_one_instant_are_equal_and_keep_their_text() {
        let utc = ExternDateTime::parse("2020-02-26T06:51:08.4636938Z").unwrap();
        let local = ExternDateTime::parse("2020-02-26T09:51:08.4636938").unwrap();
        let offset = ExternDateTime::parse("2020-02-26T09:51:08.4636938+03:00").unwrap();
        assert_eq!(utc, local);
        assert_eq!(utc, offset);
        assert_eq!(local.to_utc(), utc.to_utc());
        assert_eq!(utc.to_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true), "2020-02-26T06:51:08.463693800Z");
        assert_eq!(serde_json::to_string(&local).unwrap(), "\"2020-02-26T09:51:08.4636938\"");
        assert_eq!(serde_json::to_string(&offset).unwrap(), "\"2020-02-26T09:51:08.4636938+03:00\"");
        assert!(utc.has_offset() && !local.has_offset());
    }

    #[test]
    fn fractional_digits_from_none_to_seven_are_read() {
        for (text, nanos) in [
            ("2024-06-05T10:27:58", 0),
            ("2024-06-05T10:27:58.5", 500_000_000),
            ("2024-06-05T10:27:58.58", 580_000_000),
            ("2024-06-05T10:27:58.5805863", 580_586_300),
            ("2024-06-05T07:27:58.5805863Z", 580_586_300),
        ] {
            let value = ExternDateTime::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"));
            assert_eq!(chrono::Timelike::nanosecond(&value.to_utc()), nanos, "{text}");
            assert_eq!(value.as_str(), text);
        }
    }

    #[test]
    fn offset_less_values_are_moscow_time() {
        let value = ExternDateTime::parse("2024-01-01T00:00:00").unwrap();
        assert_eq!(value.to_utc().to_rfc3339(), "2023-12-31T21:00:00+00:00");
        let made =
            ExternDateTime::from_moscow(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap().and_hms_opt(3, 0, 0).unwrap());
        assert_eq!(made.as_str(), "2024-01-01T03:00:00");
        assert_eq!(made.to_utc().to_rfc3339(), "2024-01-01T00:00:00+00:00");
    }

    #[test]
    fn made_from_utc_writes_z() {
        let instant = DateTime::parse_from_rfc3339("2024-06-05T07:27:58.5Z").unwrap().with_timezone(&Utc);
        assert_eq!(ExternDateTime::from(instant).as_str(), "2024-06-05T07:27:58.500Z");
    }

    #[test]
    fn garbage_is_an_error_that_quotes_it() {
        for text in ["", "yesterday", "2024-13-01T00:00:00", "2024-06-05T25:00:00Z", "26.02.2020"] {
            let error = ExternDateTime::parse(text).expect_err(text);
            assert_eq!(error.text(), text);
            assert!(error.to_string().contains(&format!("`{text}`")));
        }
        assert!(serde_json::from_str::<ExternDateTime>("12").is_err());
    }

    #[test]
    fn dates_read_bare_and_with_midnight() {
        let bare = ExternDate::parse("2024-03-31").unwrap();
        let midnight = ExternDate::parse("2024-03-31T00:00:00.0000000").unwrap();
        let utc = ExternDate::parse("2024-03-31T00:00:00Z").unwrap();
        assert_eq!(bare, midnight);
        assert_eq!(bare, utc);
        assert_eq!(serde_json::to_string(&midnight).unwrap(), "\"2024-03-31T00:00:00.0000000\"");
        assert_eq!(ExternDate::from(NaiveDate::from_ymd_opt(2024, 3, 31).unwrap()).as_str(), "2024-03-31");
        assert!(ExternDate::parse("31.03.2024").is_err());
    }

    /// Texts near the forms the API writes: numbers at and beyond their ranges, every separator
    /// the forms use and some they do not, optional seconds and fractions, and a stray suffix.
    fn near_api_dates() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let date = (0u32..=10_000, 0u32..=13, 0u32..=32);
        let separator = proptest::sample::select(vec!["T", " ", "t", "_"]);
        let seconds = proptest::option::of((0u32..=61, proptest::option::of("[0-9]{0,10}")));
        let time = proptest::option::of((separator, 0u32..=24, 0u32..=60, seconds));
        let suffix = proptest::sample::select(vec!["", "", "", "Z", " ", "+03:00"]);
        (date, time, suffix).prop_map(|((year, month, day), time, suffix)| {
            let mut text = format!("{year:04}-{month:02}-{day:02}");
            if let Some((separator, hour, minute, seconds)) = time {
                text += &format!("{separator}{hour:02}:{minute:02}");
                if let Some((second, fraction)) = seconds {
                    text += &format!(":{second:02}");
                    if let Some(fraction) = fraction {
                        text += &format!(".{fraction}");
                    }
                }
            }
            text + suffix
        })
    }

    proptest::proptest! {
        /// The spelled-out forms read every text exactly as chrono reads it with the format strings
        /// they stand for: the same value, and an error for the same texts.
        #[test]
        fn spelled_out_forms_read_as_their_format_strings(text in near_api_dates()) {
            const FORMATS: [&str; 4] = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"];
            let by_format_strings = FORMATS
                .iter()
                .find_map(|format| NaiveDateTime::parse_from_str(&text, format).ok())
                .or_else(|| NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok().and_then(|date| date.and_hms_opt(0, 0, 0)));
            proptest::prop_assert_eq!(parse_local(&text), by_format_strings);
            proptest::prop_assert_eq!(parse_date(&text), NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok());
        }
    }
}
