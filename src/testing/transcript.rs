//! [`Transcript`]s in the `C:`/`S:` format, and the byte-exact replayer.

use super::drain;
use crate::{Instant, Machine};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Who sent a transcript line.
///
/// ```
/// use wirestate::testing::{Side, Transcript};
///
/// let t = Transcript::parse("S: +OK ready\nC: QUIT\n");
/// assert_eq!(t.lines[0].0, Side::S);
/// assert_eq!(Side::S.peer(), Side::C);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The client.
    C,
    /// The server.
    S,
}

impl Side {
    /// The other side.
    ///
    /// ```
    /// use wirestate::testing::Side;
    /// assert_eq!(Side::C.peer(), Side::S);
    /// ```
    #[must_use]
    pub fn peer(self) -> Side {
        match self {
            Side::C => Side::S,
            Side::S => Side::C,
        }
    }
}

/// A `C:`/`S:` transcript of one connection, the format of every transcript in the
/// crate's own tests:
///
/// * `C: text` / `S: text`: `text` followed by CRLF, sent by the client / server;
/// * `c: text` / `s: text`: `text` exactly, with no line ending (a message of the
///   greeting protocol's chunk framing, a body without a final CRLF);
/// * one space after the colon is part of the tag, any further ones are text;
/// * `#` lines and empty lines are comments.
///
/// Replay one against a machine with [`replay_server`] or [`replay_client`].
///
/// ```
/// use wirestate::testing::{Side, Transcript};
///
/// let t = Transcript::parse(
///     "# RFC 1939 section 10, abridged\n\
///      S: +OK POP3 server ready\n\
///      C: STAT\n\
///      S: +OK 2 320\n\
///      C: QUIT\n\
///      S: +OK bye\n",
/// );
/// assert_eq!(t.lines.len(), 5);
/// assert_eq!(t.side(Side::C), b"STAT\r\nQUIT\r\n");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Transcript {
    /// The lines in order, each with its terminator (if any) already appended.
    pub lines: Vec<(Side, Vec<u8>)>,
}

/// Why [`Transcript::try_parse`] refused a transcript: a line without a known tag.
///
/// ```
/// use wirestate::testing::Transcript;
///
/// let e = Transcript::try_parse("S: 220 ready\nX: what\n").unwrap_err();
/// assert_eq!(e.line, 2);
/// assert_eq!(e.text, "X: what");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TranscriptError {
    /// The line's number, from 1.
    pub line: usize,
    /// The line itself.
    pub text: String,
}

impl fmt::Display for TranscriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "transcript line {} has no C:, S:, c: or s: tag: {:?}",
            self.line, self.text
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for TranscriptError {}

impl Transcript {
    /// Parses transcript text, or says which line has no known tag.
    ///
    /// ```
    /// use wirestate::testing::{Side, Transcript};
    ///
    /// let t = Transcript::try_parse("s: Welcome!\nc: Ada\n").unwrap();
    /// assert_eq!(t.lines, [(Side::S, b"Welcome!".to_vec()), (Side::C, b"Ada".to_vec())]);
    /// assert!(Transcript::try_parse("Welcome!\n").is_err());
    /// ```
    pub fn try_parse(text: &str) -> Result<Transcript, TranscriptError> {
        let mut lines = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || TranscriptError {
                line: n + 1,
                text: line.into(),
            };
            let (tag, rest) = line.split_once(':').ok_or_else(bad)?;
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            let (side, crlf) = match tag {
                "C" => (Side::C, true),
                "S" => (Side::S, true),
                "c" => (Side::C, false),
                "s" => (Side::S, false),
                _ => return Err(bad()),
            };
            let mut bytes = rest.as_bytes().to_vec();
            if crlf {
                bytes.extend_from_slice(b"\r\n");
            }
            lines.push((side, bytes));
        }
        Ok(Transcript { lines })
    }

    /// Parses transcript text, panicking on a line without a known tag: transcripts are
    /// test fixtures, and a typo must not silently drop a line.
    ///
    /// ```
    /// use wirestate::testing::Transcript;
    ///
    /// let t = Transcript::parse("S: 220 ready\n\n# a comment\nC: QUIT\n");
    /// assert_eq!(t.lines.len(), 2);
    /// assert_eq!(t.lines[1].1, b"QUIT\r\n");
    /// ```
    ///
    /// ```should_panic
    /// wirestate::testing::Transcript::parse("S: 220 ready\nQUIT\n");
    /// ```
    pub fn parse(text: &str) -> Transcript {
        Transcript::try_parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Reads and parses the transcript file at `path`. A line without a known tag is an
    /// error of kind [`InvalidData`](std::io::ErrorKind::InvalidData).
    ///
    /// ```
    /// use wirestate::testing::Transcript;
    ///
    /// let path = std::env::temp_dir().join("wirestate-doc-from-file.txt");
    /// std::fs::write(&path, "s: Welcome!\nc: exit\n").unwrap();
    /// let t = Transcript::from_file(&path).unwrap();
    /// assert_eq!(t.lines.len(), 2);
    /// # std::fs::remove_file(&path).unwrap();
    /// assert!(Transcript::from_file("/no/such/transcript.txt").is_err());
    /// ```
    #[cfg(feature = "std")]
    pub fn from_file(path: impl AsRef<std::path::Path>) -> std::io::Result<Transcript> {
        let text = std::fs::read_to_string(path)?;
        Transcript::try_parse(&text)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }

    /// The names (file names without `.txt`) of every transcript in the directory `dir`,
    /// sorted; other files are left out.
    ///
    /// ```
    /// use wirestate::testing::Transcript;
    ///
    /// let dir = std::env::temp_dir().join("wirestate-doc-names-in");
    /// std::fs::create_dir_all(&dir).unwrap();
    /// std::fs::write(dir.join("b.txt"), "").unwrap();
    /// std::fs::write(dir.join("a.txt"), "").unwrap();
    /// std::fs::write(dir.join("notes.md"), "").unwrap();
    /// assert_eq!(Transcript::names_in(&dir).unwrap(), ["a", "b"]);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    #[cfg(feature = "std")]
    pub fn names_in(dir: impl AsRef<std::path::Path>) -> std::io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            if let Ok(name) = entry?.file_name().into_string() {
                if let Some(stem) = name.strip_suffix(".txt") {
                    names.push(stem.into());
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// Everything one side sent, concatenated.
    ///
    /// ```
    /// use wirestate::testing::{Side, Transcript};
    ///
    /// let t = Transcript::parse("s: Welcome!\nc: Ada\ns: Hello, Ada!\n");
    /// assert_eq!(t.side(Side::S), b"Welcome!Hello, Ada!");
    /// ```
    pub fn side(&self, side: Side) -> Vec<u8> {
        self.lines
            .iter()
            .filter(|(s, _)| *s == side)
            .flat_map(|(_, b)| b.iter().copied())
            .collect()
    }

    /// The transcript as writes: consecutive lines of one side joined into one.
    ///
    /// ```
    /// use wirestate::testing::{Side, Transcript};
    ///
    /// let t = Transcript::parse("S: 220 ready\nC: EHLO a\nC: QUIT\nS: 250 ok\n");
    /// let writes = t.writes();
    /// assert_eq!(writes.len(), 3);
    /// assert_eq!(writes[1], (Side::C, b"EHLO a\r\nQUIT\r\n".to_vec()));
    /// ```
    pub fn writes(&self) -> Vec<(Side, Vec<u8>)> {
        let mut out: Vec<(Side, Vec<u8>)> = Vec::new();
        for (side, bytes) in &self.lines {
            match out.last_mut() {
                Some((s, b)) if s == side => b.extend_from_slice(bytes),
                _ => out.push((*side, bytes.clone())),
            }
        }
        out
    }
}

/// Where a replayed machine's output first differed from its side of the transcript.
///
/// `offset` counts bytes of the machine's output from the start of the connection;
/// `expected` and `got` are what the transcript and the machine have from there up to
/// the point of the check (at most [`Mismatch::CONTEXT`] bytes each). Its `Display`
/// shows both escaped, so an assertion message says exactly what went wrong.
///
/// ```
/// use wirestate::greeting::{Server, ServerConfig};
/// use wirestate::testing::{replay_server, Transcript};
///
/// let t = Transcript::parse("s: Welcome!\nc: Ada\ns: Hello, Bob!\nc: exit\n");
/// let m = replay_server(&mut Server::new(ServerConfig::default()), &t).unwrap_err();
/// assert_eq!(m.offset, 15); // "Welcome!" and "Hello, " matched
/// assert_eq!(m.expected, b"Bob!");
/// assert_eq!(m.got, b"Ada!");
/// assert_eq!(m.before_line, Some(3)); // checked before the client's `exit`
/// assert_eq!(
///     m.to_string(),
///     "output differs at byte 15 (checked before lines[3]): expected \"Bob!\", got \"Ada!\""
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// The first byte of the machine's output that differs (or is missing, or extra).
    pub offset: usize,
    /// What the transcript has from `offset` on (empty: the machine sent too much).
    pub expected: Vec<u8>,
    /// What the machine sent from `offset` on (empty: it sent too little).
    pub got: Vec<u8>,
    /// The index in [`Transcript::lines`] of the peer's line about to be fed when the
    /// check failed, or `None` if it failed at the end, after the peer's EOF.
    pub before_line: Option<usize>,
}

impl Mismatch {
    /// Most bytes kept in `expected` and `got`.
    ///
    /// ```
    /// assert_eq!(wirestate::testing::Mismatch::CONTEXT, 64);
    /// ```
    pub const CONTEXT: usize = 64;
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "output differs at byte {} (", self.offset)?;
        match self.before_line {
            Some(line) => write!(f, "checked before lines[{line}]")?,
            None => f.write_str("at the end")?,
        }
        write!(
            f,
            "): expected \"{}\", got \"{}\"",
            self.expected.escape_ascii(),
            self.got.escape_ascii()
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Mismatch {}

/// Checks that `got` is exactly `expected`; if not, where they first differ.
fn compare(got: &[u8], expected: &[u8], before_line: Option<usize>) -> Result<(), Mismatch> {
    if got == expected {
        return Ok(());
    }
    let offset = got
        .iter()
        .zip(expected)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(expected.len()));
    let tail = |b: &[u8]| {
        b[offset..]
            .iter()
            .take(Mismatch::CONTEXT)
            .copied()
            .collect()
    };
    Err(Mismatch {
        offset,
        expected: tail(expected),
        got: tail(got),
        before_line,
    })
}

/// Lets `machine` say everything it has to say: events to `on_event`, transmits onto
/// `got`, a TLS switch done at once (the replay pipe needs no handshake).
fn settle<M: Machine>(
    machine: &mut M,
    got: &mut Vec<u8>,
    on_event: &mut impl FnMut(&mut M, M::Event),
) {
    loop {
        let mut moved = false;
        while let Some(e) = machine.poll_event() {
            on_event(machine, e);
            moved = true;
        }
        for b in drain(machine) {
            got.extend_from_slice(&b);
            moved = true;
        }
        if machine.wants_tls() {
            machine.handle_tls_established(Instant::ZERO);
            moved = true;
        }
        if !moved {
            return;
        }
    }
}

/// Replays `transcript` against `machine`, which plays the side `plays`, and checks its
/// output byte for byte, in lockstep.
///
/// The other side's lines are fed as they are written (consecutive lines of one side are
/// one write, one `handle_input` call). Before each of them, and at the end (after the
/// peer's EOF, delivered unless the machine has closed: a transcript is a whole
/// connection), the machine is let say everything it
/// has to say, events going to `on_event` (with the machine, to answer through its typed
/// methods), and everything it sent so far must be exactly its own side's lines that
/// come before that point: so a machine that answers late, early or differently fails,
/// with a [`Mismatch`] that says where. A TLS switch is done at once, as in
/// [`Pair`](super::Pair). The clock stays at `Instant::ZERO`.
///
/// A client usually needs its application's part first (the names, commands or requests
/// to send); queue them before the replay.
///
/// ```
/// use wirestate::greeting::{Framing, Server, ServerConfig, ServerEvent};
/// use wirestate::testing::{replay, Side, Transcript};
///
/// let t = Transcript::parse("s: Welcome!\nc: Ada\nc: Grace\ns: Hello, AdaGrace!\n");
/// let mut names = Vec::new();
/// let mut server = Server::new(ServerConfig::new(Framing::Chunk));
/// replay(&mut server, &t, Side::S, |_, e| {
///     if let ServerEvent::Message(m) = e {
///         names.push(m)
///     }
/// })
/// .unwrap();
/// // Under chunk framing one write is one message.
/// assert_eq!(names, ["AdaGrace"]);
/// ```
pub fn replay<M: Machine>(
    machine: &mut M,
    transcript: &Transcript,
    plays: Side,
    mut on_event: impl FnMut(&mut M, M::Event),
) -> Result<(), Mismatch> {
    let mut got = Vec::new();
    let mut expected = Vec::new();
    let mut line = 0;
    for (side, bytes) in transcript.writes() {
        let lines = transcript.lines[line..]
            .iter()
            .take_while(|(s, _)| *s == side)
            .count();
        if side == plays {
            expected.extend_from_slice(&bytes);
        } else {
            settle(machine, &mut got, &mut on_event);
            compare(&got, &expected, Some(line))?;
            machine.handle_input(Instant::ZERO, &bytes);
        }
        line += lines;
    }
    settle(machine, &mut got, &mut on_event);
    if !machine.is_closed() {
        machine.handle_eof(Instant::ZERO);
        settle(machine, &mut got, &mut on_event);
    }
    compare(&got, &expected, None)
}

/// Replays `transcript` against a server machine: feeds it the `C:` lines and checks
/// that it sends exactly the `S:` lines, in lockstep; events are dropped. See [`replay`],
/// which also hands over the events.
///
/// ```
/// use wirestate::greeting::{Server, ServerConfig};
/// use wirestate::testing::{replay_server, Transcript};
///
/// let t = Transcript::parse("s: Welcome!\nc: Zoë\ns: Hello, Zoë!\nc: exit\n");
/// replay_server(&mut Server::new(ServerConfig::default()), &t).unwrap();
/// ```
pub fn replay_server<M: Machine>(machine: &mut M, transcript: &Transcript) -> Result<(), Mismatch> {
    replay(machine, transcript, Side::S, |_, _| {})
}

/// Replays `transcript` against a client machine: feeds it the `S:` lines and checks
/// that it sends exactly the `C:` lines, in lockstep; events are dropped. Queue what the
/// client is to send first. See [`replay`], which also hands over the events.
///
/// ```
/// use wirestate::greeting::{Client, ClientConfig};
/// use wirestate::testing::{replay_client, Transcript};
///
/// let t = Transcript::parse("s: Welcome!\nc: Ada\ns: Hello, Ada!\nc: exit\n");
/// let mut client = Client::new(ClientConfig::default());
/// client.send_name(b"Ada").unwrap();
/// client.finish().unwrap();
/// replay_client(&mut client, &t).unwrap();
/// ```
pub fn replay_client<M: Machine>(machine: &mut M, transcript: &Transcript) -> Result<(), Mismatch> {
    replay(machine, transcript, Side::C, |_, _| {})
}
