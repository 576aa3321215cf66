//! Line folding in responses: RFC 9112 5.2 makes a user agent replace each obs-fold
//! with SP before interpreting a field value. Kept apart from the field parser, which
//! rejects every fold, so the common head without one never runs this code.

use super::chars::{first_invalid_value_byte, is_token};
use super::config::Limits;

/// Replaces, in place, the line ending of every obs-fold inside a field value with SP,
/// for the field lines of a complete head starting at `pos`; returns how many it
/// replaced.
///
/// RFC 9112 5.2: "A user agent that receives an obs-fold in a response message ...
/// MUST replace each received obs-fold with one or more SP octets prior to
/// interpreting the field value." `obs-fold = OWS CRLF RWS`: the CR and LF become two
/// SP (a bare LF, where [`Limits::allow_bare_lf`] accepts it as a line ending, becomes
/// one), the RWS stays, so the head keeps its length and every offset into it. A line
/// is continued only when it reads as a field line up to its ending (token name,
/// colon, field-value bytes); at the first line that does not, the walk stops and the
/// field parse reports that line's fault. Whitespace at the start of the first field
/// line is not a fold: nothing precedes it to continue (RFC 9112 2.2), so it is left
/// for the parse to reject.
pub(crate) fn unfold_fields(h: &mut [u8], mut pos: usize, limits: &Limits) -> usize {
    let mut folds = 0;
    loop {
        let name_end = pos
            + h.get(pos..)
                .unwrap_or_default()
                .iter()
                .position(|&c| !is_token(c))
                .unwrap_or(h.len().saturating_sub(pos));
        // The empty line, the end of the input, or a line that is not a field line.
        if name_end == pos || h.get(name_end) != Some(&b':') {
            return folds;
        }
        let mut v = name_end + 1;
        loop {
            let end = v + first_invalid_value_byte(&h[v..]).unwrap_or(h.len() - v);
            let next = match (h.get(end), h.get(end + 1)) {
                (Some(b'\r'), Some(b'\n')) => end + 2,
                (Some(b'\n'), _) if limits.allow_bare_lf => end + 1,
                // A bare CR, a bare LF refused, a control byte, or no line end: the
                // parse reports it.
                _ => return folds,
            };
            if !matches!(h.get(next), Some(b' ' | b'\t')) {
                pos = next;
                break;
            }
            h[end..next].fill(b' ');
            folds += 1;
            v = next;
        }
    }
}
