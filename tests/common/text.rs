//! Test payloads that every peer passes through untouched, and what `openssl s_server -rev`
//! makes of them (shared with spectls-tokio's tests, which include this file by `#[path]`).

/// `lines` lines of `width` pseudo-random letters and digits, each ending in `\n`: text every
/// peer passes through untouched (no `\r`, no `*` for gnutls-serv's commands, no command words).
pub fn text(seed: u64, lines: usize, width: usize) -> Vec<u8> {
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(lines * (width + 1));
    for _ in 0..lines {
        for _ in 0..width {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.push(ALNUM[(x % ALNUM.len() as u64) as usize]);
        }
        out.push(b'\n');
    }
    out
}

/// Every line reversed, as `openssl s_server -rev` answers.
pub fn reverse_lines(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for line in text.split_inclusive(|&b| b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        out.extend(body.iter().rev());
        out.push(b'\n');
    }
    out
}
