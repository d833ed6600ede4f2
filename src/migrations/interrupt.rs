//! Ctrl-C, SIGTERM and SIGHUP while new folders are being written: the signal is held back
//! until the writer reaches a point where it can put everything back, so a history never
//! keeps some of a run's folders and not the others. Outside a [`Deferral`] these signals act
//! as they always do (the process ends at once).
//!
//! A process that runs scratch servers has its own handler ([`crate::scratch`]); it never
//! writes folders, so the two never meet.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Mutex, OnceLock};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::low_level;

/// The signal that arrived during the deferral, 0 if none.
static PENDING: AtomicI32 = AtomicI32::new(0);
static DEFERRING: AtomicBool = AtomicBool::new(false);
/// One deferral at a time (the unit tests run in parallel threads).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// While alive, SIGINT, SIGTERM and SIGHUP (the terminal closed) are recorded instead of
/// ending the process; the writer asks [`Deferral::take`] between steps. Dropped with a
/// signal still pending (one that came after the last question), the process ends as that
/// signal would have ended it.
pub(super) struct Deferral {
    _one: std::sync::MutexGuard<'static, ()>,
}

impl Deferral {
    pub(super) fn start() -> Result<Deferral, String> {
        install()?;
        let one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        PENDING.store(0, Ordering::SeqCst);
        DEFERRING.store(true, Ordering::SeqCst);
        Ok(Deferral { _one: one })
    }

    /// The signal that arrived so far, if any; the caller puts things back and reports it,
    /// so the process need not end by it later.
    pub(super) fn take(&self) -> Option<i32> {
        match PENDING.swap(0, Ordering::SeqCst) {
            0 => None,
            signal => Some(signal),
        }
    }
}

impl Drop for Deferral {
    fn drop(&mut self) {
        DEFERRING.store(false, Ordering::SeqCst);
        let late = PENDING.swap(0, Ordering::SeqCst);
        if late != 0 {
            // The work is complete (all folders are in place); end as the signal asked.
            let _ = low_level::emulate_default_handler(late);
        }
    }
}

/// Installs the handlers once per process. They only touch atomics (async-signal-safe), and
/// outside a deferral run the signal's default action, as if they were not there.
fn install() -> Result<(), String> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            for signal in [SIGINT, SIGTERM, SIGHUP] {
                let action = move || {
                    if DEFERRING.load(Ordering::SeqCst) {
                        PENDING.store(signal, Ordering::SeqCst);
                    } else {
                        let _ = low_level::emulate_default_handler(signal);
                    }
                };
                // SAFETY: the action only uses atomics and emulate_default_handler, which
                // signal-hook documents as usable inside a signal handler.
                unsafe { low_level::register(signal, action) }.map_err(|e| e.to_string())?;
            }
            Ok(())
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_during_a_deferral_is_recorded_not_acted_on() {
        let deferral = Deferral::start().unwrap();
        assert_eq!(deferral.take(), None);
        low_level::raise(SIGTERM).unwrap();
        assert_eq!(deferral.take(), Some(SIGTERM));
        assert_eq!(deferral.take(), None);
    }
}
