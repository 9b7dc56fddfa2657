//! Key-space commands (DEL, EXPIRE, SCAN, ...).
