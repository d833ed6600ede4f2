//! A server URL as the user gave it, and as Prisma writes it: `DATABASE_URL` and
//! `SHADOW_DATABASE_URL` carry parameters only Prisma reads (`?schema=public`,
//! `connection_limit`, `pgbouncer`, …), which the postgres client rejects as unknown options.
//! Here `schema` is honoured (the drill runs inside that schema, as Prisma migrates into it),
//! Prisma's other parameters are taken out with a note each saying why they do not apply, and
//! what is left goes to the client unchanged.

use percent_encoding::percent_decode_str;

use super::{tls, ScratchError};

/// Where a URL came from: said in notes and errors, and it decides whether the database it
/// names may be reset ([`ServerUrl::disposable`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `--database-url`, or a drill script's `[database] url`: a server to create scratch
    /// databases on. Its own database is never changed.
    Server(String),
    /// Given as a shadow database (`SHADOW_DATABASE_URL`, `--shadow-database-url`): Prisma
    /// resets it before each use, so a drill may too when it cannot create a database of its
    /// own there.
    Shadow(String),
    /// A server unmigrate started itself (an embedded cluster shared by parallel ranges).
    Internal,
}

impl Origin {
    /// How the origin is named to the user: `--database-url`, `SHADOW_DATABASE_URL (from
    /// prisma/.env)`.
    pub fn describe(&self) -> &str {
        match self {
            Origin::Server(what) | Origin::Shadow(what) => what,
            Origin::Internal => "the embedded server",
        }
    }
}

/// A server URL, ready for the postgres client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    /// The URL without the parameters only Prisma reads.
    text: String,
    /// `?schema=`: the schema the migrations run in (their `search_path`), as Prisma's; `None`
    /// for the server's default (`public`).
    schema: Option<String>,
    origin: Origin,
    /// One line per Prisma parameter that does not apply to a drill.
    notes: Vec<String>,
}

/// Prisma's connection parameters that a drill has no use for, with the reason given in the
/// note. Everything not listed here and not `schema` goes to the postgres client, which knows
/// libpq's parameters (`sslmode`, `connect_timeout`, `application_name`, `options`, `host`, …).
const PRISMA_ONLY: [(&str, &str); 11] = [
    ("connection_limit", "a Prisma Client pool size; a drill opens its own few sessions"),
    ("pool_timeout", "a Prisma Client pool setting; a drill has no pool"),
    ("max_connection_lifetime", "a Prisma Client pool setting; a drill has no pool"),
    ("max_idle_connection_lifetime", "a Prisma Client pool setting; a drill has no pool"),
    ("statement_cache_size", "a Prisma Client setting; a drill prepares few statements"),
    ("socket_timeout", "a Prisma Client setting; the drill bounds statements with --statement-timeout"),
    (
        "pgbouncer",
        "a drill needs a session of its own (SET, advisory locks, prepared statements); through \
         PgBouncer in transaction mode it may fail: give the server's direct URL (Prisma's directUrl)",
    ),
    (
        "sslaccept",
        "unmigrate encrypts as sslmode=require does and does not verify the server's certificate",
    ),
    ("sslcert", "unmigrate does not verify the server's certificate against a file"),
    ("sslidentity", "unmigrate does not present a client certificate"),
    ("sslpassword", "unmigrate does not present a client certificate"),
];

/// The URL parameters the postgres client reads (libpq's, as far as it knows them).
const CLIENT_PARAMETERS: [&str; 18] = [
    "user",
    "password",
    "dbname",
    "options",
    "application_name",
    "sslmode",
    "host",
    "hostaddr",
    "port",
    "connect_timeout",
    "tcp_user_timeout",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_retries",
    "target_session_attrs",
    "channel_binding",
    "load_balance_hosts",
];

impl ServerUrl {
    /// Reads a URL given by the user. Prisma's parameters are taken out (with a note each);
    /// `schema` is kept for the drill. Fails on what the postgres client cannot parse, and on
    /// `sslmode`s it cannot honour.
    pub fn parse(text: &str, origin: Origin) -> Result<ServerUrl, ScratchError> {
        let (client_text, schema, notes) = take_prisma_parameters(text);
        if let Some(unknown) = unknown_parameter(&client_text) {
            let known = CLIENT_PARAMETERS
                .iter()
                .chain(PRISMA_ONLY.iter().map(|(name, _)| name))
                .chain(&["schema"])
                .copied();
            return Err(ScratchError::UnknownUrlParameter {
                origin: origin.describe().to_string(),
                hint: crate::suggest::nearest(&unknown, known)
                    .map(|near| format!("did you mean {near}? "))
                    .unwrap_or_default(),
                name: unknown,
            });
        }
        tls::check_url(&client_text)?;
        client_text
            .parse::<postgres::Config>()
            .map_err(|source| ScratchError::BadUrl {
                origin: origin.describe().to_string(),
                source,
            })?;
        Ok(ServerUrl {
            text: client_text,
            schema,
            origin,
            notes,
        })
    }

    /// A URL of a server unmigrate started itself.
    pub fn internal(text: String) -> ServerUrl {
        ServerUrl {
            text,
            schema: None,
            origin: Origin::Internal,
            notes: Vec::new(),
        }
    }

    /// Connection settings for the database the URL names.
    pub fn config(&self) -> Result<postgres::Config, ScratchError> {
        self.text.parse().map_err(|source| ScratchError::BadUrl {
            origin: self.origin.describe().to_string(),
            source,
        })
    }

    /// The URL as the postgres client reads it (Prisma's parameters taken out).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `?schema=`, when the URL names one.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// Whether the database the URL names was given as disposable (a shadow database), so
    /// that a drill may reset it when it cannot create one of its own.
    pub fn disposable(&self) -> bool {
        matches!(self.origin, Origin::Shadow(_))
    }

    /// What was ignored, one line each.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The URL without its password, for reports.
    pub fn redacted(&self) -> String {
        let url = &self.text;
        match url.split_once("://") {
            Some((scheme, rest)) => match rest.rsplit_once('@') {
                Some((userinfo, host)) => {
                    let user = userinfo.split(':').next().unwrap_or("");
                    format!("{scheme}://{user}@{host}")
                }
                None => url.clone(),
            },
            None => "the server given by URL".into(),
        }
    }
}

/// The first parameter of a URL's query that neither the client nor Prisma knows.
fn unknown_parameter(url: &str) -> Option<String> {
    let is_url = url.starts_with("postgresql://") || url.starts_with("postgres://");
    let (_, query) = url.split_once('?').filter(|_| is_url)?;
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let key = pair.split_once('=').map_or(pair, |(key, _)| key);
            percent_decode_str(key).decode_utf8_lossy().into_owned()
        })
        .find(|key| !CLIENT_PARAMETERS.contains(&key.as_str()))
}

/// The URL without Prisma's parameters, the `schema` it names, and a note per ignored one.
/// Key-value connection strings (`host=… dbname=…`) are not Prisma's and pass unchanged.
fn take_prisma_parameters(text: &str) -> (String, Option<String>, Vec<String>) {
    let is_url = text.starts_with("postgresql://") || text.starts_with("postgres://");
    let Some((base, query)) = text.split_once('?').filter(|_| is_url) else {
        return (text.to_string(), None, Vec::new());
    };
    let decode = |part: &str| percent_decode_str(part).decode_utf8_lossy().into_owned();
    let mut kept = Vec::new();
    let mut schema = None;
    let mut notes = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(key);
        if key == "schema" {
            let value = decode(value);
            schema = (!value.is_empty()).then_some(value);
        } else if let Some((_, why)) = PRISMA_ONLY.iter().find(|(name, _)| *name == key) {
            notes.push(format!("{key}={} ignored: {why}", decode(value)));
        } else {
            kept.push(pair);
        }
    }
    let client_text = match kept.is_empty() {
        true => base.to_string(),
        false => format!("{base}?{}", kept.join("&")),
    };
    (client_text, schema, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag() -> Origin {
        Origin::Server("--database-url".into())
    }

    #[test]
    fn schema_is_kept_and_prisma_parameters_are_noted() {
        let url = ServerUrl::parse(
            "postgresql://app:pw@db.example:5433/app?schema=tenant%201&connection_limit=5\
             &sslmode=require&pgbouncer=true&connect_timeout=10",
            flag(),
        )
        .unwrap();
        assert_eq!(url.schema(), Some("tenant 1"));
        assert_eq!(
            url.as_str(),
            "postgresql://app:pw@db.example:5433/app?sslmode=require&connect_timeout=10"
        );
        assert_eq!(url.notes().len(), 2, "{:?}", url.notes());
        assert!(url.notes()[0].starts_with("connection_limit=5 ignored: "));
        assert!(url.notes()[1].contains("directUrl"), "{:?}", url.notes());
        assert_eq!(
            url.redacted(),
            "postgresql://app@db.example:5433/app?sslmode=require&connect_timeout=10"
        );
    }

    #[test]
    fn a_url_of_only_prisma_parameters_loses_its_query() {
        let url = ServerUrl::parse("postgres://u@h/db?schema=public", flag()).unwrap();
        assert_eq!(url.as_str(), "postgres://u@h/db");
        assert_eq!(url.schema(), Some("public"));
        assert!(url.notes().is_empty());
    }

    #[test]
    fn unknown_parameters_are_refused_with_the_near_one_and_the_origin() {
        let error = ServerUrl::parse("postgres://u@h/db?sslmdoe=require", flag()).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("--database-url"), "{message}");
        assert!(message.contains("sslmdoe"), "{message}");
        assert!(message.contains("did you mean sslmode?"), "{message}");
    }

    #[test]
    fn key_value_strings_pass_unchanged() {
        let url = ServerUrl::parse("host=/tmp dbname=x", flag()).unwrap();
        assert_eq!(url.as_str(), "host=/tmp dbname=x");
        assert_eq!(url.schema(), None);
    }

    #[test]
    fn only_shadow_urls_are_disposable() {
        let text = "postgres://u@h/shadow";
        assert!(
            ServerUrl::parse(text, Origin::Shadow("SHADOW_DATABASE_URL".into()))
                .unwrap()
                .disposable()
        );
        assert!(!ServerUrl::parse(text, flag()).unwrap().disposable());
        assert!(!ServerUrl::internal(text.into()).disposable());
    }
}
