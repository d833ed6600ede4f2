//! A progress bar for long drills: an 800-migration drill runs for minutes, and a silent
//! terminal looks hung. Hidden when disabled, so the drill calls it the same way either way.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar over `total` migrations on stderr, or one that draws nothing when not `enabled`
    /// (not a terminal, or a machine-readable format on stdout).
    pub fn new(total: u64, enabled: bool) -> Self {
        let target = if enabled {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let style = ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = ProgressBar::with_draw_target(Some(total), target).with_style(style);
        Progress { bar }
    }

    /// Shows which migration is being drilled, so a slow one can be named.
    pub fn start(&self, name: &str) {
        self.bar.set_message(name.to_string());
    }

    pub fn finish_one(&self) {
        self.bar.inc(1);
    }

    /// Removes the bar, so the report printed next starts on a clean line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::Progress;

    /// Disabled, the bar draws nothing (stdout may be JSON, stderr a log), yet counts the
    /// same way, so the drill calls it the same way either way.
    #[test]
    fn disabled_draws_nothing_and_still_counts() {
        let progress = Progress::new(3, false);
        assert!(progress.bar.is_hidden());
        progress.start("20240101000000_init");
        progress.finish_one();
        assert_eq!(progress.bar.position(), 1);
        assert_eq!(progress.bar.message(), "20240101000000_init");
        progress.finish();
        assert!(progress.bar.is_finished());
    }
}
