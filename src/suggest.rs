//! "Did you mean …?": the one place that finds the name a user most likely meant, for every
//! error about an unknown rule id or migration name.

/// The candidate closest to `typed`, if at most about a third of it has to change to reach it
/// (a letter swapped, dropped or mistyped), by optimal string alignment distance.
pub fn nearest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (typed.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (strsim::osa_distance(typed, c), c))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_finds_its_name_and_nonsense_finds_none() {
        let ids = ["drop-column", "rename-column", "missing-lock-timeout"];
        assert_eq!(nearest("drop-colum", ids), Some("drop-column"));
        assert_eq!(
            nearest("missing-lock-timout", ids),
            Some("missing-lock-timeout")
        );
        assert_eq!(nearest("nope", ids), None);
    }
}
