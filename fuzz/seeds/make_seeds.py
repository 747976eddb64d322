#!/usr/bin/env python3
"""Writes the hand-made seed inputs of every target into fuzz/corpus/<target>/
(seed-*); `make fuzz` grows the corpora from them and cmin keeps them small."""
import base64, json, os, random, struct, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus")
def put(target, name, data):
    d = os.path.join(root, target); os.makedirs(d, exist_ok=True)
    if isinstance(data, str): data = data.encode()
    open(os.path.join(d, "seed-" + name), "wb").write(data)

def jwt(payload):
    b = lambda o: base64.urlsafe_b64encode(json.dumps(o).encode()).rstrip(b"=").decode()
    return b({"alg": "RS256"}) + "." + b(payload) + ".c2ln"

# --- google: kind byte, status (BE u16), body
def g(name, kind, status, body):
    put("google", name, bytes([kind]) + struct.pack(">H", status) + (body.encode() if isinstance(body, str) else body))
tok = {"access_token": "ya29.a0Af", "expires_in": 3599, "refresh_token": "1//0g", "token_type": "Bearer",
       "scope": "openid email https://www.googleapis.com/auth/calendar.events",
       "id_token": jwt({"email": "arthur.morgan@mycompanyabc.com", "email_verified": True})}
g("token", 0, 200, json.dumps(tok))
g("token-noscope", 0, 200, json.dumps({**tok, "scope": "openid", "token_type": "bearer"}))
g("token-400", 0, 400, '{"error":"invalid_grant","error_description":"Bad Request"}')
g("device", 1, 200, '{"device_code":"AH-1Ng","user_code":"GQVQ-JKEC","verification_url":"https://www.google.com/device","expires_in":1800,"interval":5}')
g("device-uri", 1, 200, '{"device_code":"AH","user_code":"X","verification_uri":"https://www.google.com/device","expires_in":1800}')
g("poll-pending", 2, 428, '{"error":"authorization_pending","error_description":"Precondition Required"}')
g("poll-slow", 2, 403, '{"error":"slow_down"}')
g("poll-ok", 2, 200, json.dumps(tok))
g("oauth-rapt", 3, 400, '{"error":"invalid_grant","error_description":"reauth related error (invalid_rapt)","error_subtype":"invalid_rapt"}')
g("oauth-admin", 3, 400, '{"error":"admin_policy_enforced","error_description":"blocked"}')
g("oauth-rate", 3, 403, '{"error_code":"rate_limit_exceeded"}')
g("oauth-500", 3, 503, '<html>Service Unavailable</html>')
err = lambda code, reason, msg: json.dumps({"error": {"errors": [{"domain": "usageLimits", "reason": reason, "message": msg}], "code": code, "message": msg}})
g("api-notenabled", 4, 403, b"\x00" + err(403, "accessNotConfigured", "Google Calendar API has not been used in project 123456789 before or it is disabled.").encode())
g("api-quota", 4, 403, b"\x05" + err(403, "quotaExceeded", "Calendar usage limits exceeded.").encode())
g("api-rate", 4, 429, b"\x09" + err(429, "rateLimitExceeded", "Rate Limit Exceeded").encode())
g("api-409", 4, 409, b"\x00" + err(409, "duplicate", "The requested identifier already exists.").encode())
g("api-html", 4, 502, b"\x00<html><body>Bad Gateway</body></html>")
ev = {"kind": "calendar#event", "etag": "\"3181161784712000\"", "id": "gsabcdef0123", "status": "confirmed",
      "htmlLink": "https://www.google.com/calendar/event?eid=Z3NhYmNk", "updated": "2024-05-06T09:01:02.356Z",
      "summary": "Weekly", "start": {"dateTime": "2024-05-06T10:00:00+02:00", "timeZone": "Europe/Berlin"},
      "end": {"dateTime": "2024-05-06T11:00:00+02:00", "timeZone": "Europe/Berlin"},
      "extendedProperties": {"private": {"gsGcalMeetingId": "m-1"}},
      "attendees": [{"email": "a@example.com", "self": True, "responseStatus": "accepted"}]}
g("written", 5, 200, json.dumps(ev))
allday = {"id": "allday1", "status": "confirmed", "transparency": "transparent", "start": {"date": "2024-05-06"}, "end": {"date": "2024-05-07"}}
ooo = {"id": "ooo1", "eventType": "outOfOffice", "start": {"dateTime": "2024-05-07T00:00:00Z"}, "end": {"dateTime": "2024-05-08T00:00:00Z"}}
gone = {"id": "gone1", "status": "cancelled"}
page = {"kind": "calendar#events", "timeZone": "Europe/Berlin", "nextPageToken": "CigK", "items": [ev, allday, ooo, gone]}
g("events-page", 6, 200, json.dumps(page))
g("events-last", 6, 200, json.dumps({"items": [ev], "nextSyncToken": "CPDAlvWDx70CEPDAlvWDx70CGAU="}))
cals = {"kind": "calendar#calendarList", "items": [{"id": "primary@example.com", "summary": "Me", "primary": True, "accessRole": "owner", "timeZone": "Europe/Berlin"},
        {"id": "c_188@resource.calendar.google.com", "summaryOverride": "Room 1", "accessRole": "reader"}]}
g("calendars", 7, 200, json.dumps(cals))
for i, v in enumerate(["120", " 0 ", "86401", "Sun, 06 Nov 1994 08:49:37 GMT", "Wed, 21 Oct 2015 07:28:00 GMT", "-1"]):
    g(f"retry-{i}", 8, 10, v)
for i, v in enumerate(["Sun, 06 Nov 1994 08:49:37 GMT", "Mon, 29 Feb 2016 23:59:59 GMT", "Thu, 01 Jan 1970 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT"]):
    g(f"date-{i}", 9, 0, v)

# --- rfc3339
for i, s in enumerate(["2024-04-20T09:00:00.356Z", "2024-04-20 09:00:00+02:00", "2016-12-31T23:59:60Z", "1969-12-31T23:59:59.5Z",
                       "9999-12-31T23:59:59.999999999-23:59", "0000-01-01T00:00:00Z", "2024-04-20T09:00:00.1234567891234+05:45"]):
    put("rfc3339", f"parse-{i}", b"\x00" + s.encode())
for i, n in enumerate([0, -1, 1_700_000_000, 253_402_300_799, -62_167_219_200, 2**63 - 1]):
    put("rfc3339", f"format-{i}", b"\x01" + struct.pack("<q", n))

# --- json_diff
put("json_diff", "event", json.dumps(ev))
put("json_diff", "escaped", '{"id":"a\\u00e9\\ud83d\\ude00","htmlLink":null,"x":[1,-2.5e+3,true,false,null,{"y":"\\n"}]}')
put("json_diff", "nested", '{"id":"x","deep":' + "[" * 127 + "]" * 127 + "}")
put("json_diff", "array", '["a","b","c"]')
put("json_diff", "dup", '{"id":"a","id":"b"}')

# --- authorize
state = "@STATE@"
for i, s in enumerate(["4/0AX4XfWhabc-DEF_123", "4%2F0AX4XfWh", "  4/0AX4XfWh \n",
        f"https://pbx.example.com/oauth2callback?state={state}&code=4%2F0AX4XfWh&scope=email%20openid",
        f"https://pbx.example.com/oauth2callback?error=access_denied&state={state}",
        "https://pbx.example.com/oauth2callback?state=forged&code=4/0A",
        f"http://pbx.example.com/oauth2callback?code=4/0A&state={state}#frag", "error=access_denied", ""]):
    put("authorize", f"paste-{i}", s)

# --- import
state_doc = {"version": 1, "client": {"client_id": "123-abc.apps.googleusercontent.com", "client_secret": "s3cret", "redirect_uri": "https://pbx.example.com/oauth2callback"},
    "tokens": {"access_token": "ya29.a0", "access_expires_at": 1717000000, "refresh_token": "1//0g", "scope": "https://www.googleapis.com/auth/calendar.events", "authorized_at": 1716000000, "authorized_at_google": 1716000001, "refreshed_at": None},
    "account": "arthur.morgan@mycompanyabc.com", "reauth_required": None, "used_codes": ["ab" * 32],
    "pending_revocations": [{"refresh_token": "1//old", "account": "old@example.com"}], "device": None,
    "generations": {"m-1": 1}, "pushed": {"m-1": {"event_id": "gsabc", "written_ms": 1716000000000}}, "quota_pause_until": None, "parked": []}
put("import", "sealed-state", b"\x01\x01correct horse battery\n" + json.dumps(state_doc).encode())
put("import", "sealed-min", b"\x01\x02passphrase\n" + b'{"version":1}')
put("import", "sealed-v2", b"\x01\x01passphrase\n" + b'{"version":2}')
put("import", "raw-prefix", b"\x00passphrase\ngsgcal-backup-v1:" + base64.b64encode(struct.pack(">I", 1) + bytes(16 + 12 + 40)))
put("import", "raw-v2", b"\x00passphrase\ngsgcal-backup-v2:AAAA")
put("import", "raw-b64", b"\x00passphrase\ngsgcal-backup-v1:!!!")

# --- state_dir: state, outbox, cache separated by "\n=====\n"
meeting = {"meeting_id": "m-1", "subject": "Weekly", "start": "2024-05-06T10:00", "end": "11:00", "time_zone": "Europe/Berlin",
           "room": "6300", "agenda": None, "host": {"name": "1001", "email": "host@example.com"}, "invitees": [{"name": "1002", "email": None}],
           "email_reminder_minutes": 15, "participant_password": None, "share_participant_password": False,
           "repeat": {"freq": "Weekly", "interval": 1, "weekdays": 1, "monthly_by": "DayOfMonth", "end": {"Count": 10}}, "occurrence": None}
entry = {"seq": 1, "meeting_id": "m-1", "occurrence": None, "op": {"Push": meeting}, "enqueued_at": 1716000000, "attempts": 2,
         "next_attempt_at": 0, "maybe_sent": False, "last_error": [402, "network"]}
cancel = {**entry, "seq": 2, "meeting_id": "m-2", "occurrence": "2024-05-13T10:00", "op": {"Cancel": {"time_zone": "Europe/Berlin"}}}
outbox = "\n".join(json.dumps(l) for l in [{"put": entry}, {"put": cancel}, {"del": 7}, {"put": {**entry, "seq": 3}}]) + '\n{"put":{"seq":'
cached = {"id": "gsabc", "summary": "Weekly", "status": "confirmed", "transparency": "opaque", "visibility": "default", "event_type": "default",
          "all_day": False, "start": "2024-05-29T16:00:00Z", "end": "2024-05-29T17:00:00Z", "time_zone": None, "start_utc": 1717000000,
          "end_utc": 1717003600, "self_response": "accepted", "meeting_id": "m-1", "recurring_event_id": None, "etag": "\"1\"", "updated_ms": 1}
cache = {"version": 1, "calendars": {"primary": {"sync_token": "CPD", "time_zone": "Europe/Berlin", "events": {"gsabc": cached}}},
         "undelivered": [{"meeting_id": "m-1", "event_id": "gsabc", "change": "modified"}]}
sep = "\n=====\n"
put("state_dir", "full", json.dumps(state_doc, indent=2) + sep + outbox + sep + json.dumps(cache))
put("state_dir", "no-state", "-" + sep + outbox + sep + "-")
put("state_dir", "empty", "")
put("state_dir", "corrupt", '{"version":1,"client":' + sep + "" + sep + "{}")
put("state_dir", "unconfigured", '{"version":1}' + sep + "-" + sep + json.dumps(cache))

# --- tzif: the host's own zone files
zi = "/usr/share/zoneinfo"
for z in ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Antarctica/Troll", "Asia/Kolkata", "Pacific/Apia", "UTC", "Africa/Casablanca"]:
    p = os.path.join(zi, z)
    if os.path.isfile(p):
        put("tzif", z.replace("/", "_"), open(p, "rb").read())

# --- structure-aware targets (arbitrary): random bytes to start from
rnd = random.Random(18)
for t in ["meeting", "options"]:
    for i in range(16):
        put(t, f"random-{i}", bytes(rnd.randrange(256) for _ in range(rnd.choice([32, 96, 256, 700]))))
