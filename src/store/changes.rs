//! Which listings a piece of database work changed: the outbox names them as it records them,
//! and [`Db::run`](super::Db::run) hands them to the one listener (the response cache) once the
//! work is over, its transactions committed or rolled back.

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

/// Told the ids of listings whose public face may have changed.
pub type Listener = Arc<dyn Fn(&[i64]) + Send + Sync>;

/// The listener of one database handle, set once (by the server at start-up).
#[derive(Clone, Default)]
pub struct ChangeFeed {
    listener: Arc<OnceLock<Listener>>,
}

impl ChangeFeed {
    /// Sets who is told; a second listener is refused (returns false).
    pub fn listen(&self, listener: Listener) -> bool {
        self.listener.set(listener).is_ok()
    }

    /// Runs `work` on this thread, then tells the listener which listings it changed (even when
    /// it failed: a rolled-back change only costs the cache a re-read).
    pub(super) fn around<T>(&self, work: impl FnOnce() -> T) -> T {
        let Some(listener) = self.listener.get() else {
            return work();
        };
        let watch = Watch {
            outer: Some(CHANGED.with(|c| c.borrow_mut().replace(Vec::new()))),
        };
        let result = work();
        let changed = CHANGED.with(|c| c.borrow_mut().take());
        drop(watch);
        if let Some(ids) = changed.filter(|ids| !ids.is_empty()) {
            listener(&ids);
        }
        result
    }
}

/// Puts back what the thread followed before, even when the work panicked.
struct Watch {
    outer: Option<Option<Vec<i64>>>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Some(outer) = self.outer.take() {
            CHANGED.with(|c| *c.borrow_mut() = outer);
        }
    }
}

thread_local! {
    /// The listings changed by the database work running on this thread, while someone listens.
    static CHANGED: RefCell<Option<Vec<i64>>> = const { RefCell::new(None) };
}

/// Notes that these listings changed (called where the outbox records them). Work outside
/// [`ChangeFeed::around`] (the CLI, tests' own connections) is not followed here: the indexer
/// reports every outbox row it applies anyway.
pub fn record(listing_ids: &[i64]) {
    CHANGED.with(|c| {
        if let Some(ids) = c.borrow_mut().as_mut() {
            ids.extend_from_slice(listing_ids);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn the_listener_hears_the_listings_the_work_recorded() {
        let heard = Arc::new(Mutex::new(Vec::new()));
        let feed = ChangeFeed::default();
        let sink = heard.clone();
        assert!(feed.listen(Arc::new(move |ids: &[i64]| {
            sink.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(ids.to_vec())
        })));
        feed.around(|| record(&[7, 9]));
        // Nothing recorded: nobody is bothered.
        feed.around(|| ());
        // Outside any work: not followed.
        record(&[11]);
        let heard = heard.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert_eq!(heard, vec![vec![7, 9]]);
    }
}
