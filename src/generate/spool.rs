//! Where a plan keeps what it derived until it is written and reported: an unnamed temporary
//! file. The rendered files of a history of small migrations come to about nine times its SQL,
//! and `--all` can only name, check and write them once every migration is derived; held in
//! memory, they made `generate`'s memory grow with the whole history's undo. Spooled, only a
//! few offsets per migration stay in memory, and each text is read back when it is checked,
//! printed or written. The file has no name, so the system removes it however the run ends.

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Where one text stands in the spool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Span {
    offset: u64,
    len: usize,
}

/// An append-only temporary file of texts, read back by [`Span`].
#[derive(Debug)]
pub(super) struct Spool {
    /// Buffered so that small texts are written in large blocks; a text larger than the
    /// buffer goes straight to the file, so the buffer never grows to the largest text.
    out: BufWriter<File>,
    /// Bytes appended so far, buffered or not: where the next text starts.
    end: u64,
}

/// The size of the write buffer.
const BLOCK: usize = 256 * 1024;

impl Spool {
    pub(super) fn new() -> io::Result<Spool> {
        Ok(Spool {
            out: BufWriter::with_capacity(BLOCK, tempfile::tempfile()?),
            end: 0,
        })
    }

    /// Appends `bytes`; they can be read once the spool is flushed ([`Write::flush`]).
    #[cfg(test)]
    pub(super) fn put(&mut self, bytes: &[u8]) -> io::Result<Span> {
        let offset = self.end;
        self.write_all(bytes)?;
        Ok(Span {
            offset,
            len: bytes.len(),
        })
    }

    /// Appends `value` as JSON, serialised straight into the file; see [`Spool::put`].
    pub(super) fn put_json(&mut self, value: &impl Serialize) -> io::Result<Span> {
        let offset = self.end;
        serde_json::to_writer(&mut *self, value)?;
        let len = usize::try_from(self.end - offset).map_err(io::Error::other)?;
        Ok(Span { offset, len })
    }

    /// Appends the text `render` writes, straight into the file (a large undo is never held
    /// whole); see [`Spool::put`].
    pub(super) fn put_text(
        &mut self,
        render: impl FnOnce(&mut TextOut<'_>) -> fmt::Result,
    ) -> io::Result<Span> {
        let offset = self.end;
        let mut out = TextOut {
            spool: self,
            error: None,
        };
        let rendered = render(&mut out);
        if let Some(e) = out.error {
            return Err(e);
        }
        rendered.map_err(|_| io::Error::other("internal error: a text could not be formatted"))?;
        let len = usize::try_from(self.end - offset).map_err(io::Error::other)?;
        Ok(Span { offset, len })
    }

    /// The text at `span`, which must have been flushed ([`Write::flush`]). It was written
    /// from a `String`, so anything but UTF-8 here means the file was changed under us, and
    /// is an error.
    pub(super) fn text(&self, span: Span) -> io::Result<String> {
        let flushed = self.end - self.out.buffer().len() as u64;
        if span.offset + span.len as u64 > flushed {
            return Err(io::Error::other(
                "internal error: spooled text read before a flush",
            ));
        }
        // Reading moves the file's position; it is put back to the end, where the buffer
        // writes next.
        let mut file = self.out.get_ref();
        let mut bytes = vec![0; span.len];
        file.seek(SeekFrom::Start(span.offset))?;
        let read = file.read_exact(&mut bytes);
        file.seek(SeekFrom::End(0))?;
        read?;
        String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    /// The value [`Spool::put_json`] appended at `span`.
    pub(super) fn json<T: DeserializeOwned>(&self, span: Span) -> io::Result<T> {
        Ok(serde_json::from_str(&self.text(span)?)?)
    }
}

/// The spool as a text sink for [`Spool::put_text`]: keeps the first write error, which
/// `fmt::Write` cannot carry.
pub(super) struct TextOut<'s> {
    spool: &'s mut Spool,
    error: Option<io::Error>,
}

impl fmt::Write for TextOut<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.spool.write_all(s.as_bytes()).map_err(|e| {
            self.error.get_or_insert(e);
            fmt::Error
        })
    }
}

/// Appending, counted so that every text's [`Span`] is known without asking the file.
impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.out.write(buf)?;
        self.end += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_each_flushed_text_and_appends_after_a_read() {
        let mut spool = Spool::new().unwrap();
        let a = spool.put("ünïcode".as_bytes()).unwrap();
        let big = "x".repeat(BLOCK + 1);
        let b = spool.put(big.as_bytes()).unwrap();
        let c = spool.put(b"").unwrap();
        spool.flush().unwrap();
        assert_eq!(spool.text(a).unwrap(), "ünïcode");
        let d = spool.put(b"after a read").unwrap();
        assert!(spool.text(d).is_err(), "not flushed yet");
        spool.flush().unwrap();
        assert_eq!(spool.text(d).unwrap(), "after a read");
        assert_eq!(spool.text(b).unwrap(), big);
        assert_eq!(spool.text(c).unwrap(), "");
        assert_eq!(spool.text(a).unwrap(), "ünïcode");
        let e = spool.put_json(&vec!["a\"b", "ü"]).unwrap();
        spool.flush().unwrap();
        assert_eq!(spool.json::<Vec<String>>(e).unwrap(), ["a\"b", "ü"]);
    }
}
