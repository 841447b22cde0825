"""A webhook receiver for the tests, independent of the service's code.

Checks every request's Standard Webhooks signature with the reference
`standardwebhooks` package, answers 500 to the first N attempts of each
message, and appends one JSON line per request to a file:
{"id", "attempt", "verified", "status", "event"}.

Usage: webhook_receiver.py PORT SECRET FAIL_FIRST OUT_FILE
"""

import collections
import http.server
import json
import sys

from standardwebhooks.webhooks import Webhook

port, secret, fail_first, out = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
webhook = Webhook(secret)
attempts = collections.Counter()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            webhook.verify(body, headers)
            verified = True
        except Exception:
            verified = False
        message = headers.get("webhook-id", "")
        attempts[message] += 1
        if not verified:
            status = 401
        elif attempts[message] <= fail_first:
            status = 500
        else:
            status = 204
        with open(out, "a") as f:
            f.write(json.dumps({"id": message, "attempt": attempts[message], "verified": verified,
                                "status": status, "event": json.loads(body or b"null")}) + "\n")
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
print("ready", flush=True)
server.serve_forever()
