//! [`Row`]: one row of a conformance table.

use alloc::format;
use alloc::string::String;

/// One row of a conformance table: one RFC rule, the input that tests it, and what the
/// machine must do. A conformance table is a list of these, checked in a loop that cites
/// the row when it fails.
///
/// ```
/// use wirestate::greeting::{Framing, Server, ServerConfig, ServerEvent};
/// use wirestate::testing::{feed_cut, Row};
///
/// let rows = [Row {
///     rfc: "greeting",
///     section: "line framing",
///     rule: "a CR not followed by LF ends the session with an error",
///     input: b"Ada\rexit\n",
///     expect: true,
/// }];
/// for row in &rows {
///     let (events, _) = feed_cut(Server::new(ServerConfig::new(Framing::Line)), row.input, &[]);
///     let failed = events.iter().any(|e| matches!(e, ServerEvent::Error(_)));
///     assert_eq!(failed, row.expect, "{}", row.cite());
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row<E> {
    /// The RFC, e.g. `"RFC 5321"`.
    pub rfc: &'static str,
    /// Its section, e.g. `"4.5.3.1.4"`.
    pub section: &'static str,
    /// The rule in the RFC's words (MUST / MUST NOT ...).
    pub rule: &'static str,
    /// The bytes fed to the machine.
    pub input: &'static [u8],
    /// What must come out.
    pub expect: E,
}

impl<E> Row<E> {
    /// `RFC 5321 4.5.3.1.4: rule`, for assertion messages.
    ///
    /// ```
    /// use wirestate::testing::Row;
    ///
    /// let row = Row {
    ///     rfc: "RFC 5321",
    ///     section: "4.5.3.1.4",
    ///     rule: "the maximum total length of a command line is 512 octets",
    ///     input: b"",
    ///     expect: (),
    /// };
    /// assert_eq!(
    ///     row.cite(),
    ///     "RFC 5321 4.5.3.1.4: the maximum total length of a command line is 512 octets"
    /// );
    /// ```
    pub fn cite(&self) -> String {
        format!("{} {}: {}", self.rfc, self.section, self.rule)
    }
}
