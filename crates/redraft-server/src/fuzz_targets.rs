//! The bodies of the server's fuzz targets: the RESP request decoder and the inline parser.
//! Shared by the cargo-fuzz targets under `fuzz/` and the corpus replay of every test run
//! (`tests/tests/fuzz_corpus.rs`); always compiled, for the reason the engine's
//! `fuzz_targets` gives.

use bytes::BytesMut;
use redraft_engine::fuzz_targets::Target;
use redraft_engine::Argv;

use crate::frame::{split_inline, Decoder, Limits, ProtocolError};

/// The server's targets.
pub const TARGETS: &[Target] = &[
    Target {
        name: "resp_decoder",
        run: resp_decoder,
        seeds: resp_seeds,
    },
    Target {
        name: "inline_parser",
        run: inline_parser,
        seeds: inline_seeds,
    },
];

/// The limits a server runs with, but for bulk strings: 1 MiB keeps each run's memory small
/// while still far above any input the fuzzer writes.
fn limits() -> Limits {
    Limits {
        max_bulk_bytes: 1 << 20,
        ..Limits::default()
    }
}

/// Everything decoding `input` gives, fed in pieces of the given sizes (at once when
/// empty): the commands, then the error that stopped decoding, if any.
fn decode(input: &[u8], pieces: &[usize]) -> (Vec<Argv>, Option<ProtocolError>) {
    let limits = limits();
    let mut decoder = Decoder::new(limits);
    let mut buf = BytesMut::new();
    let mut commands = Vec::new();
    let mut fed = 0;
    let mut sizes = pieces.iter().copied();
    while fed < input.len() {
        let take = sizes
            .next()
            .unwrap_or(input.len())
            .clamp(1, input.len() - fed);
        buf.extend_from_slice(&input[fed..fed + take]);
        fed += take;
        loop {
            match decoder.next_command(&mut buf) {
                Ok(Some(argv)) => {
                    assert!(!argv.is_empty() && argv.len() <= limits.max_args);
                    assert!(argv.iter().all(|arg| arg.len() <= limits.max_bulk_bytes));
                    commands.push(argv);
                }
                Ok(None) => break,
                Err(error) => return (commands, Some(error)),
            }
        }
    }
    (commands, None)
}

/// A command as a client library writes it.
fn multibulk(argv: &Argv) -> Vec<u8> {
    let mut out = format!("*{}\r\n", argv.len()).into_bytes();
    for arg in argv {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Any bytes a client may send: decoding never panics, keeps within the limits, gives the
/// same commands (and fails alike) whether the bytes come at once or in pieces (sizes drawn
/// from the input itself), and each command, written again as a client would, decodes to
/// itself.
pub fn resp_decoder(input: &[u8]) {
    let whole = decode(input, &[]);
    let pieces: Vec<usize> = input
        .iter()
        .take(32)
        .map(|b| 1 + usize::from(b % 17))
        .collect();
    let piecemeal = decode(input, &pieces);
    assert!(whole.0 == piecemeal.0, "decoded differently in pieces");
    assert_eq!(whole.1.is_some(), piecemeal.1.is_some());
    for argv in &whole.0 {
        let (again, error) = decode(&multibulk(argv), &[]);
        assert!(error.is_none() && again.len() == 1 && again[0] == *argv);
    }
}

/// A word as redis-cli would quote it: in double quotes, with escapes for quotes, backslashes
/// and every byte that is not printable ASCII.
fn quote(word: &[u8]) -> Vec<u8> {
    let mut out = vec![b'"'];
    for &byte in word {
        match byte {
            b'"' | b'\\' => out.extend_from_slice(&[b'\\', byte]),
            b' '..=b'~' => out.push(byte),
            _ => out.extend_from_slice(format!("\\x{byte:02x}").as_bytes()),
        }
    }
    out.push(b'"');
    out
}

/// One line, as a telnet user types it (up to the first newline, without a final `\r`): the
/// words it splits into, quoted again, split into the same words; and the decoder reads the
/// line sent with `\r\n` as those words (a blank line as nothing), or refuses it as the
/// parser does.
pub fn inline_parser(input: &[u8]) {
    let line = input.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let words = split_inline(line);
    if let Ok(words) = &words {
        let requoted: Vec<Vec<u8>> = words.iter().map(|word| quote(word)).collect();
        let again = split_inline(&requoted.join(&b' '));
        assert!(
            again.as_ref() == Ok(words),
            "quoted words split differently"
        );
    }
    let limits = limits();
    if line.first() == Some(&b'*') || line.len() > limits.max_inline_bytes {
        return;
    }
    let mut buf = BytesMut::from(line);
    buf.extend_from_slice(b"\r\n");
    let decoded = Decoder::new(limits).next_command(&mut buf);
    match (&words, decoded) {
        (Ok(words), Ok(command)) if words.len() <= limits.max_args => {
            assert!(command == (!words.is_empty()).then(|| words.clone()));
        }
        (Ok(_), Err(_)) | (Err(_), Err(_)) => {}
        (_, decoded) => panic!("the decoder and the parser disagree: {decoded:?}, {words:?}"),
    }
}

fn resp_seeds() -> Vec<Vec<u8>> {
    let requests: &[&[u8]] = &[
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n",
        b"*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
        b"*5\r\n$4\r\nHSET\r\n$1\r\nh\r\n$1\r\nf\r\n$1\r\nv\r\n$0\r\n\r\n",
        b"*2\r\n$4\r\nECHO\r\n$7\r\nva\r\nl\x00e\r\n",
        b"*0\r\n*-1\r\nPING\r\n",
        b"PING\r\nSET k \"a b\" 'c\\x00'\r\n",
        b"*1048576\r\n$1\r\na\r\n",
        b"*1\r\n$536870912\r\nab",
        b"*3\r\n$5\r\nMULTI\r\n",
        b"*2\r\n$x\r\n",
        b"*1\r\n+OK\r\n",
    ];
    requests.iter().map(|request| request.to_vec()).collect()
}

fn inline_seeds() -> Vec<Vec<u8>> {
    let lines: &[&[u8]] = &[
        b"PING",
        b"SET k \"a b\\x41\\n\\t\\\\\" 'it\\'s'\r\n",
        b"  GET   key  ",
        b"ECHO \"unbalanced",
        b"ECHO \"a\"b",
        b"ECHO '' \"\"",
        b"SET k \"\\xzz\\q\\a\\b\\r\"",
    ];
    lines.iter().map(|line| line.to_vec()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_words_split_back_into_themselves() {
        let words: Argv = vec![b"a b".to_vec(), vec![0, b'"', b'\\', 255], Vec::new()];
        let line: Vec<Vec<u8>> = words.iter().map(|word| quote(word)).collect();
        assert_eq!(split_inline(&line.join(&b' ')), Ok(words));
    }

    #[test]
    fn every_seed_decodes_without_breaking_an_invariant() {
        for target in TARGETS {
            for seed in (target.seeds)() {
                (target.run)(&seed);
            }
        }
        assert_eq!(decode(&resp_seeds()[0], &[3, 1]).0.len(), 1);
    }
}
