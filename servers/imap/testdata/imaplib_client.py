# A real IMAP client session with Python's imaplib, driven by the Go test
# TestPythonImaplib: python3 imaplib_client.py PORT
import imaplib
import ssl
import sys

port = int(sys.argv[1])
M = imaplib.IMAP4("127.0.0.1", port)
typ, caps = M.capability()
print("capability", typ, caps[0].decode())
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
typ, data = M.starttls(ssl_context=ctx)
print("starttls", typ, data)
typ, data = M.login("alice@a.example", "alice")
print("login", typ)
typ, data = M.list()
print("list", typ, len(data), " | ".join(d.decode() for d in data))
typ, data = M.create("Homework")
print("create", typ)
typ, data = M.select("INBOX")
print("select", typ, data[0].decode())
typ, data = M.fetch("1", "(FLAGS BODY[])")
print("fetch", typ, data[0][0].decode())
sys.stdout.write("body " + repr(data[0][1]) + "\n")
typ, data = M.store("1", "+FLAGS", "(\\Flagged $Python)")
print("store", typ, data[0].decode())
typ, data = M.copy("1", "Homework")
print("copy", typ, data[0].decode())
typ, data = M.store("1", "+FLAGS", "\\Deleted")
typ, data = M.expunge()
print("expunge", typ, [d.decode() for d in data if d])
# imaplib sends every literal synchronizing, this one over 4096 octets.
big = b"Subject: big\r\n\r\n" + b"x" * 6000 + b"\r\n"
typ, data = M.append("Homework", None, None, big)
print("append", typ, data[0].decode())
typ, data = M.status("Homework", "(MESSAGES)")
print("status", typ, data[0].decode())
typ, data = M.logout()
print("logout", typ)
