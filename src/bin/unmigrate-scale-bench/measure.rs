//! Running the release `unmigrate` binary as a child process and measuring its wall time
//! and peak resident memory (`wait4`'s `ru_maxrss`, which covers the child and every
//! descendant it waited for: for a drill, the embedded PostgreSQL server's processes too).
//!
//! The child is started by a fresh copy of this binary (a trampoline, [`TRAMPOLINE`]), not by
//! the benchmark itself: Linux counts the memory of the process that starts a program into
//! that program's `ru_maxrss` (the peak of the address space `exec` replaces), so a child of
//! the benchmark, which holds its inputs, reported the benchmark's own memory as its peak
//! whenever that was larger. The trampoline has done nothing but start, so what it adds is
//! the start-up of a small program, below any measured peak.

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// One run of the binary.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub time: Duration,
    /// CPU time (user and system) of the child and the descendants it waited for: unlike
    /// wall time, it does not grow when other processes share the machine.
    pub cpu: Duration,
    /// Peak resident set size in bytes.
    pub peak: u64,
}

/// The first argument that makes this binary the trampoline: `TRAMPOLINE TIMEOUT_MS
/// STDERR_FILE PROGRAM [ARG]...`.
pub const TRAMPOLINE: &str = "--measure-one";

/// Runs `command` with standard output discarded and standard error kept in `stderr_file`;
/// fails when it exits with a code not in `ok_codes`, is killed by a signal, or outlives
/// `timeout` (then it is killed). It is started through the trampoline (see the module doc).
pub fn run(
    command: Command,
    ok_codes: &[i32],
    stderr_file: &Path,
    timeout: Duration,
) -> Result<Sample, String> {
    let this = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    let output = Command::new(this)
        .arg(TRAMPOLINE)
        .arg(timeout.as_millis().to_string())
        .arg(stderr_file)
        .arg(command.get_program())
        .args(command.get_args())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start the measuring trampoline: {e}"))?;
    let report = String::from_utf8_lossy(&output.stdout);
    let (code, sample) = parse_report(report.trim())?;
    if !ok_codes.contains(&code) {
        let tail = std::fs::read_to_string(stderr_file).unwrap_or_default();
        let tail: String = tail.lines().rev().take(5).collect::<Vec<_>>().join(" / ");
        return Err(format!("exited with {code}: {tail}"));
    }
    Ok(sample)
}

/// The trampoline's line: `ok CODE WALL_NS CPU_NS PEAK_BYTES`, or `error MESSAGE`.
fn parse_report(report: &str) -> Result<(i32, Sample), String> {
    let Some(fields) = report.strip_prefix("ok ") else {
        return Err(report.strip_prefix("error ").unwrap_or(report).to_string());
    };
    let fields: Vec<&str> = fields.split(' ').collect();
    let number = |i: usize| -> Result<u64, String> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| format!("the trampoline's report is malformed: {report:?}"))
    };
    let code = i32::try_from(number(0)?).map_err(|e| e.to_string())?;
    let sample = Sample {
        time: Duration::from_nanos(number(1)?),
        cpu: Duration::from_nanos(number(2)?),
        peak: number(3)?,
    };
    Ok((code, sample))
}

/// The trampoline: runs the program its arguments name and prints its report line (see
/// [`parse_report`]) on standard output. Called first thing in `main`, before the benchmark
/// allocates anything.
pub fn trampoline(mut args: impl Iterator<Item = OsString>) -> ExitCode {
    let report = match measure_one(&mut args) {
        Ok((code, sample)) => format!(
            "ok {code} {} {} {}",
            sample.time.as_nanos(),
            sample.cpu.as_nanos(),
            sample.peak
        ),
        Err(message) => format!("error {message}"),
    };
    println!("{report}");
    ExitCode::SUCCESS
}

fn measure_one(args: &mut impl Iterator<Item = OsString>) -> Result<(i32, Sample), String> {
    let usage = "usage: TRAMPOLINE TIMEOUT_MS STDERR_FILE PROGRAM [ARG]...";
    let timeout_ms: u64 = args
        .next()
        .and_then(|t| t.to_str()?.parse().ok())
        .ok_or(usage)?;
    let stderr_file = PathBuf::from(args.next().ok_or(usage)?);
    let mut command = Command::new(args.next().ok_or(usage)?);
    command.args(args);
    let stderr =
        File::create(&stderr_file).map_err(|e| format!("{}: {e}", stderr_file.display()))?;
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(stderr));
    let started = Instant::now();
    let child = command
        .spawn()
        .map_err(|e| format!("cannot start {command:?}: {e}"))?;
    let pid = libc::pid_t::try_from(child.id()).map_err(|e| e.to_string())?;
    let (status, usage) = wait_with_usage(pid, started, Duration::from_millis(timeout_ms))?;
    let time = started.elapsed();
    let code = exit_code(status)?;
    // Linux reports ru_maxrss in kilobytes.
    let peak = u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024;
    let cpu = duration(usage.ru_utime) + duration(usage.ru_stime);
    Ok((code, Sample { time, cpu, peak }))
}

/// Waits for `pid` (polling, so a run past `timeout` can be killed) and returns its wait
/// status with its resource usage.
fn wait_with_usage(
    pid: libc::pid_t,
    started: Instant,
    timeout: Duration,
) -> Result<(i32, libc::rusage), String> {
    let mut pause = Duration::from_micros(200);
    loop {
        let mut status = 0;
        // SAFETY: rusage is plain data; all-zero bytes are a valid value.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: pid is our own child; status and usage point at live locals.
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if reaped == pid {
            return Ok((status, usage));
        }
        if reaped < 0 {
            return Err(format!("wait4: {}", std::io::Error::last_os_error()));
        }
        if started.elapsed() > timeout {
            // SAFETY: pid is our own child and has not been reaped yet.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::wait4(pid, &mut status, 0, &mut usage);
            }
            return Err(format!("took longer than {} s; killed", timeout.as_secs()));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(5));
    }
}

fn duration(t: libc::timeval) -> Duration {
    let secs = u64::try_from(t.tv_sec).unwrap_or(0);
    let micros = u32::try_from(t.tv_usec).unwrap_or(0);
    Duration::from_secs(secs) + Duration::from_micros(u64::from(micros))
}

fn exit_code(status: i32) -> Result<i32, String> {
    if libc::WIFEXITED(status) {
        Ok(libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        Err(format!("killed by signal {}", libc::WTERMSIG(status)))
    } else {
        Err(format!("stopped with wait status {status}"))
    }
}
