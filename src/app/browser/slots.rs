//! A tiny async semaphore for the browser's single thread: at most
//! `PARALLEL_UPLOADS` uploads send at once, the rest wait in order.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

use futures::channel::oneshot;

use crate::app::tus_protocol::PARALLEL_UPLOADS;

struct Slots {
    free: Cell<usize>,
    waiters: RefCell<VecDeque<oneshot::Sender<()>>>,
}

thread_local! {
    static SLOTS: Slots = const {
        Slots {
            free: Cell::new(PARALLEL_UPLOADS),
            waiters: RefCell::new(VecDeque::new()),
        }
    };
}

pub async fn acquire() {
    let waiting = SLOTS.with(|s| {
        if s.free.get() > 0 {
            s.free.set(s.free.get() - 1);
            None
        } else {
            let (tx, rx) = oneshot::channel();
            s.waiters.borrow_mut().push_back(tx);
            Some(rx)
        }
    });
    if let Some(rx) = waiting {
        // The releaser hands its slot over directly.
        let _ = rx.await;
    }
}

pub fn release() {
    SLOTS.with(|s| {
        let mut waiters = s.waiters.borrow_mut();
        while let Some(next) = waiters.pop_front() {
            if next.send(()).is_ok() {
                return;
            }
        }
        s.free.set(s.free.get() + 1);
    });
}
