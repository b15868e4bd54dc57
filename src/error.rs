//! The library's one error type: every fallible public function returns [`Result`].

use std::path::PathBuf;

/// Errors raised by the library. Each variant names what was wrong and where.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter failed validation (`check()`): `name` is the parameter key.
    #[error("invalid parameter `{name}` = {value}: expected {expected}")]
    InvalidParam {
        /// Parameter key, as written in configs (e.g. `eta`).
        name: &'static str,
        /// The offending value, formatted.
        value: String,
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// Two arrays that must agree in shape do not.
    #[error("shape mismatch for `{what}`: expected {expected:?}, got {got:?}")]
    Shape {
        /// Which argument or compartment.
        what: String,
        /// The shape that was required.
        expected: Vec<usize>,
        /// The shape that was given.
        got: Vec<usize>,
    },
    /// A component compartment that an operation needs holds no value.
    #[error("component `{component}`: compartment `{compartment}` is empty ({hint})")]
    EmptyCompartment {
        /// Component name.
        component: String,
        /// Compartment name (`in`, `out`, `x_pre`, `x_post`).
        compartment: &'static str,
        /// What the caller should have done first.
        hint: &'static str,
    },
    /// A config file (or a `--set` override) has a bad key or value.
    #[error("{file}: `{key}`: {message}")]
    Config {
        /// The config file.
        file: PathBuf,
        /// The offending key (dotted), or the position of a syntax error.
        key: String,
        /// What was wrong and what was expected.
        message: String,
    },
    /// A file could not be read, written, or parsed.
    #[error("{path}: {message}")]
    File {
        /// The file concerned.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// An I/O error with the file it concerns.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A numerical routine failed (e.g. a factorisation of a matrix that is
    /// not positive definite); the message says which and with what.
    #[error("numerical failure: {0}")]
    Numeric(String),
    /// A stop was requested ([`crate::interrupt`]: SIGTERM, SIGUSR1, Ctrl-C)
    /// and the run saved its state at the last example or step boundary.
    #[error(
        "stopped on request; state saved in {checkpoint}: run the same command again to resume"
    )]
    Interrupted {
        /// The checkpoint written.
        checkpoint: PathBuf,
    },
}

impl Error {
    /// Builds [`Error::Config`]: `file`'s `key` is bad, `message` says how.
    pub fn config(
        file: impl Into<PathBuf>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Config {
            file: file.into(),
            key: key.into(),
            message: message.into(),
        }
    }

    /// Builds [`Error::File`] from any displayable cause.
    pub fn file(path: impl Into<PathBuf>, message: impl std::fmt::Display) -> Self {
        Error::File {
            path: path.into(),
            message: message.to_string(),
        }
    }

    /// Builds [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Builds [`Error::Shape`].
    pub fn shape(what: impl Into<String>, expected: &[usize], got: &[usize]) -> Self {
        Error::Shape {
            what: what.into(),
            expected: expected.to_vec(),
            got: got.to_vec(),
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
