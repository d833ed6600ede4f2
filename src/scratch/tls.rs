//! TLS for servers given by URL, as libpq does it for `sslmode=prefer` (the default) and
//! `sslmode=require`: the connection is encrypted when the server offers it (`prefer`) or must
//! be (`require`), and the server's certificate is not verified. That is what managed servers
//! expect of a client given only a URL; `verify-ca` and `verify-full` are refused with a
//! message (see [`check_url`]) rather than silently weakened.

use std::sync::OnceLock;

use percent_encoding::percent_decode_str;
use postgres_native_tls::MakeTlsConnector;

use super::ScratchError;

/// The connector, built once per process (it loads the system's trust store).
pub(crate) fn connector() -> Result<MakeTlsConnector, ScratchError> {
    static CONNECTOR: OnceLock<Result<MakeTlsConnector, String>> = OnceLock::new();
    CONNECTOR
        .get_or_init(|| {
            native_tls::TlsConnector::builder()
                .danger_accept_invalid_certs(true)
                .danger_accept_invalid_hostnames(true)
                .build()
                .map(MakeTlsConnector::new)
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(ScratchError::Tls)
}

/// The `sslmode` values the client cannot honour, found before the URL is parsed: the
/// postgres client would report only "invalid value for option `sslmode`".
pub(crate) fn check_url(url: &str) -> Result<(), ScratchError> {
    let decode = |text: &str| percent_decode_str(text).decode_utf8_lossy().into_owned();
    let query = url.split_once('?').map_or("", |(_, query)| query);
    let in_query = query.split('&').filter_map(|pair| pair.split_once('='));
    let in_words = url
        .split_whitespace()
        .filter_map(|word| word.split_once('='));
    let modes = in_query
        .map(|(key, value)| (decode(key), decode(value)))
        .chain(in_words.map(|(key, value)| (key.to_string(), value.trim_matches('\'').into())))
        .filter(|(key, _)| key == "sslmode")
        .map(|(_, value)| value);
    for mode in modes {
        if matches!(mode.as_str(), "verify-ca" | "verify-full") {
            return Err(ScratchError::UnsupportedSslMode { mode });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifying_modes_are_refused_in_urls_and_key_value_strings() {
        for url in [
            "postgresql://u@db.example/app?sslmode=verify-full",
            "postgres://u@db.example/app?connect_timeout=5&sslmode=verify-ca",
            "host=db.example sslmode=verify-full dbname=app",
        ] {
            assert!(
                matches!(check_url(url), Err(ScratchError::UnsupportedSslMode { .. })),
                "{url}"
            );
        }
        for url in [
            "postgresql://u@db.example/app?sslmode=require",
            "postgresql://u@db.example/app",
            "host=db.example sslmode=prefer",
        ] {
            assert!(check_url(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn the_connector_builds() {
        assert!(connector().is_ok());
    }
}
