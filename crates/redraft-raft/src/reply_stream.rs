//! A forwarded run's replies travel from the leader in pieces (`rpc Forward` streams them): a
//! run's replies can be far larger than one gRPC message may be (255 GETEX of a 2.4 MB value
//! make 612 MB), and a run the leader applied must reach its client, never "outcome unknown".
//! Each reply is encoded only when its turn comes and cut into pieces of at most
//! [`PIECE_BYTES`], so the leader holds the replies plus one encoded reply, and HTTP/2's flow
//! control paces the stream.

use prost::bytes::Bytes;
use redraft_engine::Reply;

use crate::pb::ReplyPiece;

/// Most bytes of one piece.
pub(crate) const PIECE_BYTES: usize = 1024 * 1024;
/// Most bytes of one reply's encoding a follower accepts (a leader's whole memory, in
/// practice).
const MAX_REPLY_BYTES: usize = 4 * 1024 * 1024 * 1024;

/// The pieces of `replies`, in order, each reply encoded as its turn comes.
pub(crate) struct Pieces {
    replies: std::vec::IntoIter<Reply>,
    current: Bytes,
}

impl Pieces {
    pub(crate) fn new(replies: Vec<Reply>) -> Pieces {
        Pieces {
            replies: replies.into_iter(),
            current: Bytes::new(),
        }
    }
}

impl Iterator for Pieces {
    type Item = Result<ReplyPiece, postcard::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.current.is_empty() {
            let reply = self.replies.next()?;
            match postcard::to_allocvec(&reply) {
                Ok(encoded) => self.current = Bytes::from(encoded),
                Err(e) => return Some(Err(e)),
            }
        }
        let data = self.current.split_to(self.current.len().min(PIECE_BYTES));
        Some(Ok(ReplyPiece {
            data,
            ends_reply: self.current.is_empty(),
        }))
    }
}

/// Puts a run's replies back together from their pieces, on the follower.
pub(crate) struct Assembler {
    expected: usize,
    replies: Vec<Reply>,
    partial: Vec<u8>,
}

impl Assembler {
    /// For a run of `expected` commands: one reply each.
    pub(crate) fn new(expected: usize) -> Assembler {
        Assembler {
            expected,
            replies: Vec::with_capacity(expected),
            partial: Vec::new(),
        }
    }

    /// Whether any piece arrived.
    pub(crate) fn started(&self) -> bool {
        !self.replies.is_empty() || !self.partial.is_empty()
    }

    pub(crate) fn push(&mut self, piece: ReplyPiece) -> Result<(), String> {
        if self.replies.len() == self.expected {
            return Err(format!("more than {} replies", self.expected));
        }
        if self.partial.len() + piece.data.len() > MAX_REPLY_BYTES {
            return Err(format!("a reply of more than {MAX_REPLY_BYTES} bytes"));
        }
        self.partial.extend_from_slice(&piece.data);
        if piece.ends_reply {
            let reply = postcard::from_bytes(&self.partial)
                .map_err(|e| format!("undecodable reply: {e}"))?;
            self.replies.push(reply);
            self.partial = Vec::new();
        }
        Ok(())
    }

    /// The replies, once every one arrived whole.
    pub(crate) fn finish(self) -> Result<Vec<Reply>, String> {
        if self.replies.len() != self.expected || !self.partial.is_empty() {
            return Err(format!(
                "{} of {} replies arrived",
                self.replies.len(),
                self.expected
            ));
        }
        Ok(self.replies)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through_pieces(replies: Vec<Reply>) -> (usize, Result<Vec<Reply>, String>) {
        let mut assembler = Assembler::new(replies.len());
        let mut count = 0;
        for piece in Pieces::new(replies) {
            let piece = piece.unwrap();
            assert!(piece.data.len() <= PIECE_BYTES && !piece.data.is_empty());
            count += 1;
            assembler.push(piece).unwrap();
        }
        (count, assembler.finish())
    }

    #[test]
    fn replies_larger_than_a_piece_come_back_whole_and_in_order() {
        let big = Reply::Bulk(vec![7; 2 * PIECE_BYTES + 5]);
        let replies = vec![Reply::Integer(1), big.clone(), Reply::Nil, big];
        let (pieces, back) = through_pieces(replies.clone());
        assert_eq!(pieces, 1 + 3 + 1 + 3);
        assert_eq!(back.unwrap(), replies);
    }

    #[test]
    fn a_run_without_replies_has_no_piece() {
        let (pieces, back) = through_pieces(Vec::new());
        assert_eq!(pieces, 0);
        assert_eq!(back.unwrap(), Vec::new());
    }

    #[test]
    fn missing_extra_or_cut_replies_are_refused() {
        let piece = |data: &[u8], ends_reply| ReplyPiece {
            data: Bytes::copy_from_slice(data),
            ends_reply,
        };
        let one = postcard::to_allocvec(&Reply::Integer(3)).unwrap();
        let mut short = Assembler::new(2);
        short.push(piece(&one, true)).unwrap();
        assert!(short.finish().is_err(), "one of two replies");
        let mut extra = Assembler::new(1);
        extra.push(piece(&one, true)).unwrap();
        assert!(
            extra.push(piece(&one, true)).is_err(),
            "a second reply of one"
        );
        let mut cut = Assembler::new(1);
        cut.push(piece(&one, false)).unwrap();
        assert!(cut.finish().is_err(), "a reply without its last piece");
        let mut garbage = Assembler::new(1);
        assert!(garbage.push(piece(&[0xff; 3], true)).is_err());
    }
}
