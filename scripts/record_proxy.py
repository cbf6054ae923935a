#!/usr/bin/env python3
"""Loopback TCP recording proxy and trace checker for scripts/capture.sh.

Standard library only.

  record_proxy.py proxy --upstream PORT --out FILE --port-file FILE
                        [--timeout SECONDS]
      Listen on 127.0.0.1 (ephemeral port, written to --port-file), accept
      exactly one connection, connect it to 127.0.0.1:PORT and relay bytes in
      both directions until both sides have closed.  Every chunk returned by
      recv() is recorded, in order, with its direction, and written to --out
      as "c2s <hex>" / "s2c <hex>" lines (the trace body; capture.sh adds
      the "# ..." header, see tests/data/captures/README.md).

  record_proxy.py summary FILE
      Parse the TLS records of a trace and print one fact per line
      (handshake messages, ClientHello/ServerHello extensions, record types,
      the last record of each direction).  capture.sh greps this output.
"""

import argparse
import os
import select
import socket
import sys
import time

LOOPBACK = "127.0.0.1"


# --------------------------------------------------------------------------
# proxy
# --------------------------------------------------------------------------

def run_proxy(args):
    deadline = time.monotonic() + args.timeout
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((LOOPBACK, 0))
    lsock.listen(1)
    port = lsock.getsockname()[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, args.port_file)  # atomic: the reader never sees a partial file

    lsock.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        client, _ = lsock.accept()
    except socket.timeout:
        sys.exit("record_proxy: no client connected within %.0fs" % args.timeout)
    lsock.close()
    server = socket.create_connection((LOOPBACK, args.upstream), timeout=5)
    server.settimeout(None)
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    chunks = []  # (direction, bytes)
    peer = {client: server, server: client}
    direction = {client: "c2s", server: "s2c"}
    open_in = {client, server}  # sockets we still read from
    timed_out = False
    while open_in:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        readable, _, _ = select.select(list(open_in), [], [], remaining)
        for s in readable:
            try:
                data = s.recv(65536)
            except ConnectionResetError:
                data = b""
            if data:
                chunks.append((direction[s], data))
                try:
                    peer[s].sendall(data)
                except OSError:
                    # the peer already closed (e.g. a close_notify answered
                    # after the server closed its socket): keep the record
                    # of what was sent, stop reading from that peer.
                    open_in.discard(peer[s])
            else:
                # EOF from s: propagate the half-close to the other side
                open_in.discard(s)
                try:
                    peer[s].shutdown(socket.SHUT_WR)
                except OSError:
                    pass
    client.close()
    server.close()

    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        for d, data in chunks:
            f.write("%s %s\n" % (d, data.hex()))
    os.replace(tmp, args.out)
    if timed_out:
        sys.exit("record_proxy: connection still open after %.0fs" % args.timeout)


# --------------------------------------------------------------------------
# trace parsing / summary
# --------------------------------------------------------------------------

CONTENT_TYPES = {20: "change_cipher_spec", 21: "alert", 22: "handshake",
                 23: "application_data"}
HS_TYPES = {0: "hello_request", 1: "client_hello", 2: "server_hello",
            4: "new_session_ticket", 11: "certificate",
            12: "server_key_exchange", 13: "certificate_request",
            14: "server_hello_done", 15: "certificate_verify",
            16: "client_key_exchange", 20: "finished",
            22: "certificate_status"}
EXT_TYPES = {0: "server_name", 5: "status_request", 10: "supported_groups",
             11: "ec_point_formats", 13: "signature_algorithms",
             16: "application_layer_protocol_negotiation",
             18: "signed_certificate_timestamp", 22: "encrypt_then_mac",
             23: "extended_master_secret", 35: "session_ticket",
             43: "supported_versions", 45: "psk_key_exchange_modes",
             51: "key_share", 65281: "renegotiation_info"}


def read_trace(path):
    chunks = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            d, _, h = line.partition(" ")
            if d not in ("c2s", "s2c"):
                raise ValueError("%s:%d: bad direction %r" % (path, n, d))
            chunks.append((d, bytes.fromhex(h)))
    return chunks


def records(chunks, d):
    """Reassemble one direction's byte stream into TLS records."""
    stream = b"".join(c for dd, c in chunks if dd == d)
    out, i = [], 0
    while i + 5 <= len(stream):
        ctype, ver, ln = stream[i], stream[i + 1:i + 3], int.from_bytes(stream[i + 3:i + 5], "big")
        if i + 5 + ln > len(stream):
            break
        out.append((ctype, ver, stream[i + 5:i + 5 + ln]))
        i += 5 + ln
    return out, len(stream) - i


def parse_exts(body, pos):
    exts = []
    if pos + 2 > len(body):
        return exts
    end = pos + 2 + int.from_bytes(body[pos:pos + 2], "big")
    pos += 2
    while pos + 4 <= end:
        et = int.from_bytes(body[pos:pos + 2], "big")
        el = int.from_bytes(body[pos + 2:pos + 4], "big")
        exts.append((et, body[pos + 4:pos + 4 + el]))
        pos += 4 + el
    return exts


def summarize(path):
    chunks = read_trace(path)
    out = ["chunks c2s %d s2c %d" % (sum(d == "c2s" for d, _ in chunks),
                                     sum(d == "s2c" for d, _ in chunks))]
    hello = {}
    for d in ("c2s", "s2c"):
        recs, leftover = records(chunks, d)
        if leftover:
            out.append("error %s trailing %d bytes" % (d, leftover))
        encrypted = False
        hsbuf = b""
        for ctype, ver, frag in recs:
            out.append("record %s %s %s len %d" % (
                d, CONTENT_TYPES.get(ctype, str(ctype)), ver.hex(), len(frag)))
            if ctype == 20:
                encrypted = True
                continue
            if ctype != 22:
                continue
            if encrypted:
                out.append("hs %s encrypted_handshake" % d)  # Finished
                continue
            hsbuf += frag
            while len(hsbuf) >= 4:
                mt = hsbuf[0]
                ml = int.from_bytes(hsbuf[1:4], "big")
                if len(hsbuf) < 4 + ml:
                    break
                body, hsbuf = hsbuf[4:4 + ml], hsbuf[4 + ml:]
                out.append("hs %s %s" % (d, HS_TYPES.get(mt, str(mt))))
                if mt in (1, 2):
                    hello[mt] = body
        if recs:
            ctype, _, frag = recs[-1]
            out.append("last %s %s len %d" % (d, CONTENT_TYPES.get(ctype, str(ctype)), len(frag)))
    if 1 in hello:
        b = hello[1]
        out.append("ch version %s" % b[0:2].hex())
        sid_len = b[34]
        pos = 35 + sid_len
        out.append("ch session_id_len %d" % sid_len)
        cs_len = int.from_bytes(b[pos:pos + 2], "big")
        out.append("ch cipher_suites %d" % (cs_len // 2))
        pos += 2 + cs_len
        pos += 1 + b[pos]
        for et, ed in parse_exts(b, pos):
            name = EXT_TYPES.get(et, str(et))
            out.append("ch_ext %s" % name)
            if et == 35:
                out.append("ch ticket_len %d" % len(ed))
        ch_sid = b[35:35 + sid_len]
    if 2 in hello:
        b = hello[2]
        out.append("sh version %s" % b[0:2].hex())
        sid_len = b[34]
        sid = b[35:35 + sid_len]
        out.append("sh session_id_len %d" % sid_len)
        if 1 in hello and sid_len and sid == ch_sid:
            out.append("sh session_id echoes client")
        pos = 35 + sid_len
        out.append("sh cipher_suite %s" % b[pos:pos + 2].hex())
        pos += 3
        for et, ed in parse_exts(b, pos):
            out.append("sh_ext %s" % EXT_TYPES.get(et, str(et)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("proxy")
    p.add_argument("--upstream", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--timeout", type=float, default=20.0)
    s = sub.add_parser("summary")
    s.add_argument("file")
    args = ap.parse_args()
    if args.cmd == "proxy":
        run_proxy(args)
    else:
        print("\n".join(summarize(args.file)))


if __name__ == "__main__":
    main()
