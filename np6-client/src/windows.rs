//! Exports of any size over a time window: [`Export`] asks NP6 for a
//! window whole or in pieces, in time order, streams each answer
//! ([`Items`]), and asks again in halves a window NP6 cannot answer whole.
//!
//! It serves every operation the spec marks as reading a window
//! (`x-np6-item-time` with `x-np6-ordered-params`): their requests
//! implement [`Windowed`] (generated, `build/windowed.rs`), so nothing
//! here names an operation.

use std::fmt;

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use serde::de::DeserializeOwned;

use crate::error::{Error, ErrorKind};
use crate::items::Items;

/// The shortest window split: a window this long or shorter that fails
/// ends the export with the error. Also the shortest `chunk`.
pub const FLOOR: TimeDelta = TimeDelta::minutes(1);

/// How long before a window's start NP6 is asked from: its API does not
/// say whether it includes the start, so an item on the start is asked
/// for either way, and items before it are dropped by their time.
pub const ASKED_BEFORE: TimeDelta = TimeDelta::seconds(1);

pub(crate) mod sealed {
    /// Only the generated requests implement [`Windowed`](super::Windowed),
    /// so that it can grow: nothing outside the crate can name this.
    pub trait Sealed {}
}

/// A request of an operation that reads a time window and answers an
/// array of items placed in time (in the spec: `x-np6-ordered-params` and
/// `x-np6-item-time`), e.g.
/// [`GetMailRedlist`](crate::requests::GetMailRedlist). Implemented by
/// the generated requests only.
pub trait Windowed: sealed::Sealed + Sized {
    /// The items of the answer.
    type Item: DeserializeOwned;

    /// The request for the window `[start, end]` as NP6 reads it (no
    /// start: from the beginning).
    fn between(self, start: Option<DateTime<Utc>>, end: DateTime<Utc>) -> Self;

    /// Where `item` sits in time, if it says.
    fn item_time(item: &Self::Item) -> Option<DateTime<Utc>>;

    /// Sends the request and streams its answer (`stream()`).
    fn stream(self) -> impl Future<Output = Result<Items<Self::Item>, Error>> + Send;
}

/// A window of time, `[start, end)`: an item belongs to it when its time
/// is at or after `start` (when there is one) and before `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Window {
    /// The first instant in the window; `None`: from the beginning.
    pub start: Option<DateTime<Utc>>,
    /// The first instant after the window.
    pub end: DateTime<Utc>,
}

impl Window {
    /// Whether an item of time `at` belongs here; an item with no time
    /// belongs to every window.
    pub fn holds(&self, at: Option<DateTime<Utc>>) -> bool {
        at.is_none_or(|at| at < self.end && self.start.is_none_or(|start| at >= start))
    }

    /// The window as two halves at a whole second; `None` when it has no
    /// start, is `floor` or shorter, or is under two seconds.
    fn halves(self, floor: TimeDelta) -> Option<(Window, Window)> {
        let start = self.start?;
        let length = self.end.signed_duration_since(start);
        if length <= floor || length.num_seconds() < 2 {
            return None;
        }
        let middle = start.checked_add_signed(TimeDelta::seconds(length.num_seconds() / 2))?;
        Some((
            Window {
                start: Some(start),
                end: middle,
            },
            Window {
                start: Some(middle),
                end: self.end,
            },
        ))
    }
}

/// What an [`Export`] says next.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<T> {
    /// NP6 began answering this window: its items follow.
    Begin(Window),
    /// An item of the window begun last.
    Item(T),
    /// Every item of this window has come: what was taken from it is
    /// final (a good time to save progress).
    Done(Window),
    /// This window failed (`error`, e.g. NP6 cut its answer): the items
    /// taken since its [`Begin`](Event::Begin), if it began, are not final
    /// and will come again; it is asked again as two halves.
    Split {
        /// The window that failed.
        window: Window,
        /// Why.
        error: Error,
    },
}

/// An export of a window of time, every item once, in time order of the
/// windows asked, in flat memory.
///
/// NP6 has no paging: a large window is one large answer, which it may
/// fail to give (a timeout, a 5xx, a cut answer). The export asks the
/// window whole, or in pieces of [`chunk`](Self::chunk); a window that
/// fails after the client's retries is asked again as two halves, down to
/// [`FLOOR`] (or [`floor`](Self::floor)), so the export completes when
/// NP6 can answer small enough windows. Each window is asked from
/// [`ASKED_BEFORE`] its start and its items are kept by their time
/// ([`Window::holds`]), so an item on the edge of two windows comes once,
/// whichever ends NP6 includes. An item without a time comes from every
/// window whose answer has it.
///
/// Items come as [`Event`]s: a window's items between its
/// [`Begin`](Event::Begin) and [`Done`](Event::Done), or a
/// [`Split`](Event::Split) that takes them back. A reader that cannot take
/// items back keeps a window's items aside until its `Done` (with small
/// pieces, little is kept).
///
/// ```no_run
/// use chrono::{TimeDelta, Utc};
/// use np6_client::windows::{Event, Export};
///
/// # async fn run(client: np6_client::Client) -> Result<(), np6_client::Error> {
/// let end = Utc::now();
/// let start = end - TimeDelta::days(365);
/// let mut export = Export::new(client.get_mail_redlist(), Some(start), end)
///     .chunk(TimeDelta::days(7));
/// let mut window = Vec::new();
/// while let Some(event) = export.next().await {
///     match event? {
///         Event::Item(entry) => window.push(entry),
///         Event::Done(done) => {
///             println!("{} entries before {}", window.len(), done.end);
///             window.clear();
///         }
///         Event::Split { .. } => window.clear(),
///         _ => {}
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub struct Export<R: Windowed> {
    request: R,
    /// Halves of windows that failed, still to ask, next last: asked
    /// before the rest.
    halves: Vec<Window>,
    /// The rest of the export, not asked yet: cut into pieces of `piece`
    /// one at a time as they are asked (whole without a piece or a start).
    rest: Option<Window>,
    piece: Option<TimeDelta>,
    floor: TimeDelta,
    /// The window being read, and its items.
    current: Option<(Window, Items<R::Item>)>,
}

impl<R: Windowed + Clone> Export<R> {
    /// An export of `[start, end)` (no start: everything before `end`)
    /// with `request` (its other parameters as set), asked whole.
    pub fn new(request: R, start: Option<DateTime<Utc>>, end: DateTime<Utc>) -> Self {
        Self {
            request,
            halves: Vec::new(),
            rest: start
                .is_none_or(|start| start < end)
                .then_some(Window { start, end }),
            piece: None,
            floor: FLOOR,
            current: None,
        }
    }

    /// Asks the rest of the export in pieces NP6 is asked for as windows
    /// at most `length` long (a piece is [`ASKED_BEFORE`] shorter), at
    /// least [`FLOOR`]; each piece is cut when it is asked. An export with
    /// no start is asked whole.
    pub fn chunk(mut self, length: TimeDelta) -> Self {
        self.piece = Some(length.max(FLOOR) - ASKED_BEFORE);
        self
    }

    /// The shortest window split in halves (default [`FLOOR`]; a window
    /// under two seconds is never split).
    pub fn floor(mut self, length: TimeDelta) -> Self {
        self.floor = length;
        self
    }

    /// The window to ask next, left in place until it is asked.
    fn peek(&self) -> Option<Window> {
        if let Some(window) = self.halves.last() {
            return Some(*window);
        }
        let rest = self.rest?;
        match (rest.start, self.piece) {
            (Some(start), Some(piece)) => Some(Window {
                start: Some(start),
                end: start
                    .checked_add_signed(piece)
                    .map_or(rest.end, |end| end.min(rest.end)),
            }),
            _ => Some(rest),
        }
    }

    /// `window` (the one [`peek`](Self::peek) gave) was asked: the next.
    fn advance(&mut self, window: Window) {
        if self.halves.pop().is_some() {
            return;
        }
        self.rest = self.rest.and_then(|rest| {
            (window.end < rest.end).then_some(Window {
                start: Some(window.end),
                end: rest.end,
            })
        });
    }

    /// The next event; `None` once every window is done. An error ends
    /// the export: a window of the floor or shorter failed, or a failure
    /// that a smaller window would meet as well (a refused key, an item
    /// that does not decode or is too large). Dropping the future this
    /// returns loses nothing: the window being asked is asked again.
    pub async fn next(&mut self) -> Option<Result<Event<R::Item>, Error>> {
        loop {
            if let Some((window, items)) = &mut self.current {
                let window = *window;
                match futures_util::StreamExt::next(items).await {
                    Some(Ok(item)) if window.holds(R::item_time(&item)) => {
                        return Some(Ok(Event::Item(item)));
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(error)) => {
                        self.current = None;
                        return Some(self.failed(window, error));
                    }
                    None => {
                        self.current = None;
                        return Some(Ok(Event::Done(window)));
                    }
                }
            }
            let window = self.peek()?;
            let asked_from = window
                .start
                .map(|start| start.checked_sub_signed(ASKED_BEFORE).unwrap_or(start));
            // Dates are sent at whole seconds: the end is asked at the
            // next one, so that a window ending within a second misses
            // nothing whichever ends NP6 includes.
            let asked_to = ceil_second(window.end);
            let asked = self
                .request
                .clone()
                .between(asked_from, asked_to)
                .stream()
                .await;
            self.advance(window);
            match asked {
                Ok(items) => {
                    self.current = Some((window, items));
                    return Some(Ok(Event::Begin(window)));
                }
                Err(error) => return Some(self.failed(window, error)),
            }
        }
    }

    /// After `window` failed with `error`: its halves are asked next, or
    /// the error ends the export.
    fn failed(&mut self, window: Window, error: Error) -> Result<Event<R::Item>, Error> {
        let halves = worth_splitting(&error)
            .then(|| window.halves(self.floor))
            .flatten();
        match halves {
            Some((first, second)) => {
                self.halves.push(second);
                self.halves.push(first);
                Ok(Event::Split { window, error })
            }
            None => {
                self.halves.clear();
                self.rest = None;
                Err(error)
            }
        }
    }
}

/// `at`, or the next whole second when it has a fraction.
fn ceil_second(at: DateTime<Utc>) -> DateTime<Utc> {
    let whole = at.trunc_subsecs(0);
    if whole == at {
        return at;
    }
    whole
        .checked_add_signed(TimeDelta::seconds(1))
        .unwrap_or(whole)
}

/// Whether a smaller window may succeed where this one failed: NP6 timed
/// out, failed (5xx), cut its answer, or answered more than the client
/// takes whole. An item too large (the error of a stream, after
/// [`Error::delivered`] items) is as large in any window.
fn worth_splitting(error: &Error) -> bool {
    match error.kind() {
        ErrorKind::Timeout | ErrorKind::Transport => true,
        ErrorKind::ResponseTooLarge => error.delivered().is_none(),
        ErrorKind::Status => error.status().is_some_and(|s| s >= 500),
        _ => false,
    }
}

impl<R: Windowed> fmt::Debug for Export<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Export")
            .field(
                "pending",
                &self
                    .halves
                    .len()
                    .saturating_add(usize::from(self.rest.is_some())),
            )
            .field("floor", &self.floor)
            .field("current", &self.current.as_ref().map(|(w, _)| w))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[path = "windows/tests.rs"]
mod tests;
