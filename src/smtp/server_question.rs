//! The server's open question: at most one [`Decision`] outstanding, its kind checked
//! against the token's marker type, and asked again with a new token when an answer is
//! refused as invalid. What an answer does to the session is decided in `server.rs`.

use super::server_event::{question, HelloVerb, ServerEvent};
use crate::{Decision, SendError};
use alloc::boxed::Box;

mod sealed {
    pub trait Sealed {}
}

/// A question a [`Server`](super::Server) asks: the marker types in [`question`]. Sealed:
/// only those markers implement it, which is what lets the answer methods be generic.
///
/// ```
/// use wirestate::smtp::{question, Question};
/// fn asks<K: Question>() {}
/// asks::<question::Rcpt>();
/// ```
pub trait Question: sealed::Sealed {
    #[doc(hidden)]
    const KIND: u8;
}

macro_rules! questions {
    ($($name:ident = $k:expr),*) => {$(
        impl sealed::Sealed for question::$name {}
        impl Question for question::$name {
            const KIND: u8 = $k;
        }
    )*};
}
questions!(
    Hello = 0,
    Mail = 1,
    Rcpt = 2,
    DataStart = 3,
    DataEnd = 4,
    Auth = 5,
    StartTls = 6,
    Verify = 7
);

#[derive(Clone, Copy, Debug)]
pub(super) enum Ask {
    Hello(HelloVerb),
    Mail { smtputf8: bool, binary: bool },
    Rcpt,
    DataStart { bdat: Option<(u64, bool)> },
    DataEnd { recipients: usize },
    Auth,
    StartTls,
    Verify,
}

impl Ask {
    fn kind(self) -> u8 {
        match self {
            Ask::Hello(_) => 0,
            Ask::Mail { .. } => 1,
            Ask::Rcpt => 2,
            Ask::DataStart { .. } => 3,
            Ask::DataEnd { .. } => 4,
            Ask::Auth => 5,
            Ask::StartTls => 6,
            Ask::Verify => 7,
        }
    }
}

/// An open question: its id, what it decides, and how to ask it again.
struct Asked {
    id: u64,
    ask: Ask,
    /// Rebuilds the event with a new decision id: an answer refused as invalid asks the
    /// question again, so the caller always holds a token for it.
    event: Box<dyn Fn(u64) -> ServerEvent + Send>,
}

impl core::fmt::Debug for Asked {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Asked")
            .field("id", &self.id)
            .field("ask", &self.ask)
            .finish_non_exhaustive()
    }
}

/// The one open question, and the sequence its tokens are numbered from.
#[derive(Debug, Default)]
pub(super) struct Questions {
    open: Option<Asked>,
    next_id: u64,
}

impl Questions {
    /// Whether the caller owes an answer.
    pub(super) fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Numbers a new question and builds its event; unless `keep` is false (a default
    /// answer the configuration opted into), it stays open until answered.
    pub(super) fn ask<K: 'static>(
        &mut self,
        ask: Ask,
        keep: bool,
        event: impl Fn(Decision<K>) -> ServerEvent + Send + 'static,
    ) -> ServerEvent {
        let id = self.next_id;
        self.next_id += 1;
        let first = event(Decision::new(id));
        if keep {
            let event = Box::new(move |id| event(Decision::new(id)));
            self.open = Some(Asked { id, ask, event });
        }
        first
    }

    /// The open question, if `d` is its token (id and kind).
    pub(super) fn peek<K: Question>(&self, d: &Decision<K>) -> Result<Ask, SendError> {
        match &self.open {
            Some(p) if p.id == d.id() && p.ask.kind() == K::KIND => Ok(p.ask),
            _ => Err(SendError::OutOfTurn(
                "this decision is not the one the server waits for",
            )),
        }
    }

    /// Closes the open question (it was answered).
    pub(super) fn close(&mut self) {
        self.open = None;
    }

    /// An answer was refused as invalid (and its token used up): the same question
    /// again, with a new token, so the caller can still answer it.
    pub(super) fn ask_again(&mut self) -> Option<ServerEvent> {
        let id = self.next_id;
        self.next_id += 1;
        let p = self.open.as_mut()?;
        p.id = id;
        Some((p.event)(id))
    }
}
