"""Drive a POP3 server with Python's poplib and print what it saw as JSON.

Usage: poplib_client.py HOST PORT MODE, where MODE is one of
  keep    USER/PASS, CAPA, STAT, LIST, UIDL, RETR every message, TOP 1 2, QUIT
  delete  the same, then DELE 1 before QUIT (download-and-delete)
  stls    STLS first (certificate not checked: the test server's is self-signed)
  apop    APOP instead of USER/PASS
Bodies are base64 so that the Go test can compare them byte for byte.
"""
import base64
import json
import poplib
import ssl
import sys


def main():
    host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    out = {}
    p = poplib.POP3(host, port, timeout=20)
    out["welcome"] = p.getwelcome().decode()
    if mode == "stls":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        out["stls"] = p.stls(ctx).decode()
    if mode == "apop":
        out["login"] = p.apop("alice", "alice").decode()
    else:
        p.user("alice")
        out["login"] = p.pass_("alice").decode()
    out["capa"] = sorted(p.capa().keys())
    count, size = p.stat()
    out["stat"] = [count, size]
    _, listing, _ = p.list()
    out["list"] = [l.decode() for l in listing]
    _, uidl, _ = p.uidl()
    out["uidl"] = [l.decode() for l in uidl]
    out["retr"] = []
    for i in range(1, count + 1):
        resp, lines, octets = p.retr(i)
        body = b"".join(l + b"\r\n" for l in lines)
        out["retr"].append({"resp": resp.decode(), "octets": octets, "body": base64.b64encode(body).decode()})
    if count > 0:
        _, lines, _ = p.top(1, 2)
        out["top"] = base64.b64encode(b"".join(l + b"\r\n" for l in lines)).decode()
    if mode == "delete":
        out["dele"] = p.dele(1).decode()
    out["quit"] = p.quit().decode()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
