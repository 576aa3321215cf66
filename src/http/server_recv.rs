//! The server's receive side: reading each request head (the fast path for a clean
//! head, then the full grammar; RFC 9112 2.2 and 3), recording it as pending, and reading
//! its body to the end (RFC 9112 6-7). What is sent back is in `server.rs`.

use super::{Expect, Pending, Server};
use crate::http::body::BodyEvent;
use crate::http::conn::{Lead, Recv, Send};
use crate::http::error::ErrorKind;
use crate::http::event::{Connection, ServerEvent};
use crate::http::fast::fast_request;
use crate::http::framing::{request_body, BodyKind, HeadInfo};
use crate::http::grammar::{build_request, parse_request, Count, RequestLine};
use crate::http::head::{Method, Version};
use crate::http::headers::Headers;
use crate::http::request_ref::RequestRef;
use crate::http::scan::{HeadScanner, Scan};
use crate::{CloseReason, Decision};
use bytes::Bytes;

/// A head the one-pass read took: where its parts are in the buffer and what follows.
pub(in crate::http) struct FastHead {
    pub rl: RequestLine,
    pub fields: usize,
    pub len: usize,
    pub body: BodyKind,
    pub connection: Connection,
}

impl Server {
    /// Reads the next request head in one pass when it is complete and clean, and
    /// admits it; its bytes stay in the buffer for the caller to discard. `None` in
    /// every other case, and then nothing has changed (but for leading empty lines
    /// skipped, RFC 9112 2.2, which skipping again leaves as they are), so that
    /// `poll_event` reads the head, or reports its error, as if this had not run.
    #[inline(always)]
    fn read_in_place(&mut self) -> Option<FastHead> {
        if self.pending.len() >= self.core.limits.max_pipeline {
            return None;
        }
        let core = &mut self.core;
        if !matches!(&core.recv, Recv::Head(s) if *s == HeadScanner::default()) {
            return None;
        }
        if !matches!(core.skip_empty_lines(), Lead::Start) {
            return None;
        }
        let adjusted = core.head_limits();
        let limits = adjusted.as_ref().unwrap_or(&core.limits);
        let mut fields = Count(0);
        let (rl, info, len) = fast_request(core.buf.as_slice(), limits, &mut fields)?;
        let method = &core.buf.as_slice()[..rl.sp1];
        let (connect, head_only) = (method == b"CONNECT", method == b"HEAD");
        let body = request_body(rl.version, &info, connect).ok()?;
        let connection = self.admit(rl.version, head_only, connect, &info, body);
        Some(FastHead {
            rl,
            fields: fields.0,
            len,
            body,
            connection,
        })
    }

    /// The next request head read in place, when the next event would be a request
    /// whose head is complete in the buffer: a [`RequestRef`] borrowing it, instead of
    /// the owned head of [`ServerEvent::Request`]. Reading it so copies nothing, counts
    /// no references and allocates nothing, not even on a fresh connection; use it
    /// where a head is looked at and answered (or copied out with
    /// [`RequestRef::to_head`]) before the next call.
    ///
    /// `None` otherwise, and then [`poll_event`](crate::Machine::poll_event) gives the next
    /// event as always, which can still be a `Request`: a head split across inputs, one
    /// the full grammar has to read (obs-fold, an error to report, a limit reached),
    /// and any head while a body is being read. The request is read either way: its
    /// body, if any, then comes from `poll_event`, and it is answered as any other.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use wirestate::http::{ResponseHead, Server, ServerEvent, StatusCode};
    /// use wirestate::{Instant, Machine};
    ///
    /// let mut s = Server::new(Default::default());
    /// s.handle_input(Instant::ZERO, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHo");
    /// let mut targets = Vec::new();
    /// loop {
    ///     // What the answer needs is taken from the borrowed head, which is then
    ///     // dropped: that releases its bytes, and the server can be called again.
    ///     if let Some(target) = s.poll_request_ref().map(|r| r.target().to_vec()) {
    ///         targets.push(target);
    ///         s.respond(ResponseHead::new(StatusCode::OK), Bytes::new()).unwrap();
    ///         continue;
    ///     }
    ///     match s.poll_event() {
    ///         Some(ServerEvent::Request { head, .. }) => {
    ///             targets.push(head.target.as_bytes().to_vec());
    ///             s.respond(ResponseHead::new(StatusCode::OK), Bytes::new()).unwrap();
    ///         }
    ///         Some(_) => {}
    ///         // The second head came in two pieces, so poll_event reads it.
    ///         None if targets.len() == 1 => s.handle_input(Instant::ZERO, b"st: x\r\n\r\n"),
    ///         None => break,
    ///     }
    /// }
    /// assert_eq!(targets, [b"/a", b"/b"]);
    /// ```
    #[must_use = "a head handed out is already read: drop it only once it is answered"]
    pub fn poll_request_ref(&mut self) -> Option<RequestRef<'_>> {
        let head = self.read_in_place()?;
        Some(RequestRef::new(&mut self.core.buf, head))
    }

    pub(super) fn poll_head(&mut self) -> Option<ServerEvent> {
        if self.pending.len() >= self.core.limits.max_pipeline {
            return None;
        }
        let core = &mut self.core;
        let Recv::Head(scanner) = &mut core.recv else {
            return None;
        };
        // RFC 9112 2.2: a server SHOULD ignore empty lines received before the request-line.
        if *scanner == HeadScanner::default() {
            match core.skip_empty_lines() {
                Lead::Start => {}
                Lead::More => return self.eof_in_head(),
                Lead::TooLong(e) => return self.fail(e, true),
            }
        }
        let adjusted = core.head_limits();
        let Recv::Head(scanner) = &mut core.recv else {
            return None;
        };
        let limits = adjusted.as_ref().unwrap_or(&core.limits);
        let base = core.buf.consumed();
        // The one-pass parse first; a partial head, an error or a limit goes to the
        // resumable scan, which gives the exact error. It is written out here rather
        // than shared with `read_in_place`: with the head's parts handed back from a
        // shared read, this path ran 8-10% slower on short heads (benches/http_peers.rs).
        let mut fields = Count(0);
        let fast = if *scanner == HeadScanner::default() {
            fast_request(core.buf.as_slice(), limits, &mut fields)
        } else {
            None
        };
        if let Some((rl, info, len)) = fast {
            let head = core.buf.take(len);
            let method = &head[..rl.sp1];
            let (connect, head_only) = (method == b"CONNECT", method == b"HEAD");
            let kind = match request_body(rl.version, &info, connect) {
                Ok(k) => k,
                Err(e) => return self.fail(self.core.head_error(base, e), true),
            };
            let connection = self.admit(rl.version, head_only, connect, &info, kind);
            // Built where the event is returned: a head built first and moved into the
            // event afterwards cost a copy of it per request.
            return Some(ServerEvent::Request {
                head: build_request(head, &rl, fields.0),
                body: kind,
                connection,
            });
        }
        let scan = scanner.scan(
            core.buf.as_slice(),
            limits,
            Some(core.limits.max_request_line),
        );
        let len = match scan {
            Ok(Scan::Complete { len, .. }) => len,
            Ok(Scan::Partial) => return self.eof_in_head(),
            Err(e) => return self.fail(self.core.head_error(base, e), true),
        };
        let head = core.buf.take(len);
        let (req, info) = match parse_request(head, limits) {
            Ok(v) => v,
            Err(e) => return self.fail(self.core.head_error(base, e), true),
        };
        let connect = req.method == Method::Connect;
        let kind = match request_body(req.version, &info, connect) {
            Ok(k) => k,
            Err(e) => return self.fail(self.core.head_error(base, e), true),
        };
        let connection = self.admit(
            req.version,
            req.method == Method::Head,
            connect,
            &info,
            kind,
        );
        Some(ServerEvent::Request {
            head: req,
            body: kind,
            connection,
        })
    }

    /// Records a request whose head was read and framed as `kind`, readies the reader
    /// for its body, and says what becomes of the connection.
    #[inline]
    fn admit(
        &mut self,
        version: Version,
        head: bool,
        connect: bool,
        info: &HeadInfo,
        kind: BodyKind,
    ) -> Connection {
        let p = Pending {
            head,
            connect,
            version,
            keep_alive: info.keep_alive(version),
            upgrade: info.upgrade && info.conn_upgrade,
            expect: if info.expect_continue && !version.is_http10() && kind != BodyKind::Empty {
                Expect::Waiting
            } else {
                Expect::No
            },
            body_done: false,
        };
        let connection = if p.connect {
            Connection::Tunnel
        } else if !p.keep_alive {
            Connection::Close
        } else if p.upgrade {
            Connection::Upgrade
        } else {
            Connection::KeepAlive
        };
        self.pending.push_back(p);
        self.head_since = None;
        self.core.skipped = 0;
        self.core.recv = self.core.body_reader(kind);
        connection
    }

    /// More input is needed for a head: unless the peer has gone.
    fn eof_in_head(&mut self) -> Option<ServerEvent> {
        if !self.core.eof {
            return None;
        }
        // Nothing of a request was lost if nothing was buffered; otherwise the partial
        // head is dropped unanswered (there is no one left to read an answer).
        let unterminated = self.core.unterminated();
        self.core.recv = Recv::Closed;
        self.core
            .close_with(CloseReason::PeerClosed { unterminated });
        None
    }

    fn end_of_request(&mut self, trailers: Headers) -> Option<ServerEvent> {
        let mut next = Recv::Head(HeadScanner::default());
        if let Some(p) = self.pending.back_mut() {
            p.body_done = true;
            if !p.keep_alive {
                next = Recv::Closed;
            } else if p.upgrade || p.connect {
                next = Recv::Paused;
            }
        }
        if matches!(next, Recv::Head(_)) && self.pending.is_empty() {
            self.head_since = self.core.now;
        }
        self.core.recv = next;
        Some(ServerEvent::End { trailers })
    }

    pub(super) fn poll_body(&mut self) -> Option<ServerEvent> {
        let only = self.pending.len() == 1 && self.core.send == Send::Idle;
        if let Some(p) = self.pending.back_mut() {
            match p.expect {
                Expect::Waiting if only && self.config.auto_continue => {
                    // RFC 9110 10.1.1: the caller is reading the body, so ask for it.
                    self.core
                        .out
                        .push_back(Bytes::from_static(b"HTTP/1.1 100 Continue\r\n\r\n"));
                    p.expect = Expect::Sent;
                }
                Expect::Waiting if only => {
                    let id = self.decisions;
                    self.decisions += 1;
                    p.expect = Expect::Asked(id);
                    return Some(ServerEvent::Continue(Decision::new(id)));
                }
                // The body is not read until the caller has decided.
                Expect::Asked(_) => return None,
                _ => {}
            }
        }
        match self.core.decode_body()? {
            Ok(BodyEvent::Data(d)) => Some(ServerEvent::Data(d)),
            Ok(BodyEvent::Extension(x)) => Some(ServerEvent::ChunkExtension(x)),
            Ok(BodyEvent::End(t)) => self.end_of_request(t),
            Err(e) => {
                let reply = e.kind != ErrorKind::IncompleteMessage;
                self.fail(e, reply)
            }
        }
    }

    pub(super) fn deciding(&self) -> bool {
        self.pending
            .back()
            .is_some_and(|p| matches!(p.expect, Expect::Asked(_)))
            && matches!(self.core.recv, Recv::Body(_))
    }
}
