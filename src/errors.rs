//! How an error reads as one line: its message, then each cause that the message does not
//! already quote. Many of our errors quote their source in their own text (`cannot read x:
//! <io error>`) and also name it as their source; printing every cause would say it twice.

use std::error::Error;

/// The error and its causes, each said once, joined by `: `.
pub fn one_line(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let part = cause.to_string();
        if !text.contains(&part) {
            text = format!("{text}: {part}");
        }
        next = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read x.sql: {source}")]
    struct Quoting {
        #[source]
        source: std::io::Error,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("generate failed")]
    struct Outer(#[source] Quoting);

    #[test]
    fn a_cause_already_quoted_by_its_error_is_said_once() {
        let io = std::io::Error::from_raw_os_error(28);
        let text = io.to_string();
        let error = Outer(Quoting { source: io });
        assert_eq!(
            one_line(&error),
            format!("generate failed: cannot read x.sql: {text}")
        );
    }

    #[test]
    fn causes_not_quoted_are_chained() {
        let error = anyhow::anyhow!("inner").context("outer");
        assert_eq!(one_line(error.as_ref()), "outer: inner");
    }
}
