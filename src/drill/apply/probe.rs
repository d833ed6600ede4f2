//! The blocking probe: while a traced statement runs, two other sessions, as the application
//! would, read and write the table it works on, and the time each waited is measured. This
//! turns "takes ACCESS EXCLUSIVE" into "blocked writes to `Booking` for 840 ms".
//!
//! Each probe session waits a moment after the statement starts (so the statement takes its
//! locks first), then runs its query: `SELECT * FROM t LIMIT 1` for a read, `DELETE FROM t
//! WHERE false` for a write (it takes the lock any INSERT, UPDATE or DELETE takes, and changes
//! nothing). A probe that conflicts with the statement's locks waits until the statement's
//! transaction ends: in batch mode that is the end of the whole file, which is exactly how
//! long the application would wait. Until a probe is answered no other probe is sent, so
//! probes never queue behind each other.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::Timeouts;
use crate::drill::outcome::{ProbeResult, ProbeWait};
use postgres::Client;

/// How long a probe waits after the statement starts before it sends its query.
pub const PROBE_DELAY: Duration = Duration::from_millis(5);

/// Two probe sessions, each on a thread of its own, kept for the whole drill.
pub struct Prober {
    reader: Session,
    writer: Session,
    /// The table probed by the job in flight, if one is.
    pending: Option<String>,
}

struct Session {
    jobs: Option<Sender<String>>,
    results: Receiver<ProbeWait>,
    thread: Option<JoinHandle<()>>,
}

impl Prober {
    /// Starts both sessions on two fresh connections to the scratch database, with the
    /// drill's own timeouts so a probe cannot hang.
    pub fn start(
        reader: Client,
        writer: Client,
        timeouts: &Timeouts,
    ) -> Result<Prober, postgres::Error> {
        Ok(Prober {
            reader: Session::start(reader, timeouts, |t| format!("SELECT * FROM {t} LIMIT 1"))?,
            writer: Session::start(writer, timeouts, |t| format!("DELETE FROM {t} WHERE false"))?,
            pending: None,
        })
    }

    /// Whether a probe is in flight (its answer not collected yet).
    pub fn busy(&self) -> bool {
        self.pending.is_some()
    }

    /// Sends a read and a write on `table` (a quoted name), each after [`PROBE_DELAY`].
    pub fn send(&mut self, table: &str) {
        debug_assert!(self.pending.is_none(), "one probe at a time");
        for session in [&self.reader, &self.writer] {
            if let Some(jobs) = &session.jobs {
                let _ = jobs.send(table.to_string());
            }
        }
        self.pending = Some(table.to_string());
    }

    /// Waits for the probe in flight to be answered; call once the statement's transaction
    /// has ended, so the probe can have its lock.
    pub fn collect(&mut self) -> Option<ProbeResult> {
        let table = self.pending.take()?;
        let lost = || ProbeWait {
            waited: Duration::ZERO,
            error: Some("the probe session was lost".into()),
        };
        Some(ProbeResult {
            table,
            read: self.reader.results.recv().unwrap_or_else(|_| lost()),
            write: self.writer.results.recv().unwrap_or_else(|_| lost()),
        })
    }
}

impl Session {
    fn start(
        mut client: Client,
        timeouts: &Timeouts,
        query: fn(&str) -> String,
    ) -> Result<Session, postgres::Error> {
        for (setting, value) in [
            ("statement_timeout", &timeouts.statement),
            ("lock_timeout", &timeouts.lock),
        ] {
            if let Some(value) = value {
                client.execute("SELECT set_config($1, $2, false)", &[&setting, value])?;
            }
        }
        client.batch_execute("SET application_name = 'unmigrate probe'")?;
        let (jobs, inbox) = channel::<String>();
        let (outbox, results) = channel();
        let thread = thread::spawn(move || {
            for table in inbox {
                thread::sleep(PROBE_DELAY);
                let sql = query(&table);
                let started = Instant::now();
                let outcome = client.batch_execute(&sql);
                let elapsed = started.elapsed();
                // What the query costs when nothing blocks it: measured right after, when
                // the statement's transaction has ended.
                let unblocked = {
                    let again = Instant::now();
                    let _ = client.batch_execute(&sql);
                    again.elapsed()
                };
                let wait = ProbeWait {
                    waited: elapsed.saturating_sub(unblocked),
                    error: outcome.err().map(|e| match e.as_db_error() {
                        Some(db) => format!("{} ({})", db.message(), db.code().code()),
                        None => e.to_string(),
                    }),
                };
                if outbox.send(wait).is_err() {
                    break;
                }
            }
        });
        Ok(Session {
            jobs: Some(jobs),
            results,
            thread: Some(thread),
        })
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.jobs.take(); // ends the thread's loop
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
