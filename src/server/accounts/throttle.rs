//! Sign-in throttling, per client address and per account at that address.
//! An address that fails too often in a window waits out the window; an
//! account that fails at one address waits longer after each failure there.
//! Failures elsewhere never delay the account's owner at their own address:
//! nobody can lock someone else out.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures from one address, any account, within `WINDOW`.
const ADDRESS_LIMIT: u32 = 10;
const WINDOW: Duration = Duration::from_secs(5 * 60);
/// Failures of one account at one address after which each further
/// attempt waits (1 s, then doubling).
const PAIR_FREE: u32 = 5;
const PAIR_FIRST_WAIT: Duration = Duration::from_secs(1);
const PAIR_LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);
/// Past this many remembered entries, old ones are dropped.
const REMEMBERED: usize = 100_000;

#[derive(Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

#[derive(Clone, Copy)]
struct Backoff {
    failures: u32,
    until: Instant,
}

#[derive(Default)]
struct State {
    by_address: HashMap<IpAddr, Window>,
    by_pair: HashMap<(String, IpAddr), Backoff>,
}

#[derive(Default)]
pub(crate) struct Throttle {
    state: Mutex<State>,
}

impl Throttle {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `Err(wait)` when `address` (or `account` at it) must wait before
    /// trying again.
    pub(crate) fn check(
        &self,
        address: IpAddr,
        account: &str,
        now: Instant,
    ) -> Result<(), Duration> {
        let state = self.state();
        if let Some(window) = state.by_address.get(&address)
            && window.failures >= ADDRESS_LIMIT
            && now < window.started + WINDOW
        {
            return Err(window.started + WINDOW - now);
        }
        if let Some(backoff) = state.by_pair.get(&(account.to_lowercase(), address))
            && now < backoff.until
        {
            return Err(backoff.until - now);
        }
        Ok(())
    }

    pub(crate) fn failed(&self, address: IpAddr, account: &str, now: Instant) {
        let mut state = self.state();
        if state.by_address.len() + state.by_pair.len() > REMEMBERED {
            state.by_address.retain(|_, w| now < w.started + WINDOW);
            state
                .by_pair
                .retain(|_, b| now < b.until + PAIR_LONGEST_WAIT);
        }
        let window = state.by_address.entry(address).or_insert(Window {
            started: now,
            failures: 0,
        });
        if now >= window.started + WINDOW {
            *window = Window {
                started: now,
                failures: 0,
            };
        }
        window.failures += 1;
        let backoff = state
            .by_pair
            .entry((account.to_lowercase(), address))
            .or_insert(Backoff {
                failures: 0,
                until: now,
            });
        backoff.failures += 1;
        if backoff.failures >= PAIR_FREE {
            let doublings = (backoff.failures - PAIR_FREE).min(20);
            let wait = PAIR_FIRST_WAIT
                .saturating_mul(1 << doublings)
                .min(PAIR_LONGEST_WAIT);
            backoff.until = now + wait;
        }
    }

    /// A sign-in worked: the account at this address starts afresh.
    pub(crate) fn succeeded(&self, address: IpAddr, account: &str) {
        self.state()
            .by_pair
            .remove(&(account.to_lowercase(), address));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_waits_out_its_window_and_others_are_not_held_up() {
        let throttle = Throttle::default();
        let (attacker, owner): (IpAddr, IpAddr) = (
            "10.0.0.1".parse().expect("ip"),
            "10.0.0.2".parse().expect("ip"),
        );
        let now = Instant::now();
        for n in 0..ADDRESS_LIMIT {
            assert!(throttle.check(attacker, &format!("user{n}"), now).is_ok());
            throttle.failed(attacker, &format!("user{n}"), now);
        }
        let wait = throttle
            .check(attacker, "anyone", now)
            .expect_err("throttled");
        assert_eq!(wait, WINDOW);
        assert!(throttle.check(attacker, "anyone", now + WINDOW).is_ok());
        assert!(
            throttle.check(owner, "user0", now).is_ok(),
            "the owner is not locked out"
        );
    }

    #[test]
    fn an_account_at_one_address_backs_off_doubling() {
        let throttle = Throttle::default();
        let address: IpAddr = "10.0.0.3".parse().expect("ip");
        let now = Instant::now();
        for _ in 0..PAIR_FREE - 1 {
            throttle.failed(address, "Ada", now);
        }
        assert!(throttle.check(address, "ada", now).is_ok());
        throttle.failed(address, "ada", now);
        assert_eq!(throttle.check(address, "ADA", now), Err(PAIR_FIRST_WAIT));
        throttle.failed(address, "ada", now);
        assert_eq!(
            throttle.check(address, "ada", now),
            Err(PAIR_FIRST_WAIT * 2)
        );
        assert!(throttle.check(address, "bob", now).is_ok());
        throttle.succeeded(address, "ada");
        assert!(throttle.check(address, "ada", now).is_ok());
    }
}
