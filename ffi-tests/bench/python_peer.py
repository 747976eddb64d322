"""The Python peer of `make bench`: Google's own client
(google-api-python-client + google-auth over httplib2) inserting the same
events as push_one into the emulator, as a firmware team running Python on
the PBX would.

    python_peer.py CREDS_FILE TOKEN_URL CALENDAR_API_BASE CA_FILE PREFIX COUNT

CREDS_FILE: client id, client secret, refresh token (one per line). The
client starts without an access token, so the first insert refreshes it
(like push_one's cold push). Bodies are push_one's events (same id scheme).
"""
import hashlib
import struct
import sys

import google_auth_httplib2
import httplib2
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build


def event_id(meeting_id):
    h = hashlib.sha256()
    for part in ("gs-gcal/event/v1", "", meeting_id):
        b = part.encode()
        h.update(struct.pack(">Q", len(b)))
        h.update(b)
    return "gs" + h.hexdigest()[:40]


def event(meeting_id):
    tz = "Etc/GMT-1"
    return {
        "attendees": [
            {"displayName": "1000", "email": "host1000@mycompanyabc.com"},
            {"displayName": "1001", "email": "john.doe@mycompanyabc.com"},
            {"displayName": "1003", "email": "jane.roe@partner.example"},
        ],
        "description": "Status of all projects\n\nJoin: dial meeting room 6300.",
        "end": {"dateTime": "2024-04-29T11:00:00", "timeZone": tz},
        "extendedProperties": {"private": {"gsGcalMeetingId": meeting_id}},
        "id": event_id(meeting_id),
        "location": "Meeting room 6300",
        "reminders": {"overrides": [{"method": "email", "minutes": 60}], "useDefault": False},
        "start": {"dateTime": "2024-04-29T10:00:00", "timeZone": tz},
        "summary": "Weekly_Meeting",
    }


def main():
    creds_file, token_url, api_base, ca_file, prefix, count = sys.argv[1:7]
    client_id, client_secret, refresh_token = open(creds_file).read().split("\n")[:3]
    creds = Credentials(
        token=None,
        refresh_token=refresh_token,
        token_uri=token_url,
        client_id=client_id,
        client_secret=client_secret,
    )
    http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(ca_certs=ca_file))
    service = build(
        "calendar",
        "v3",
        http=http,
        client_options={"api_endpoint": api_base.rstrip("/") + "/"},
        static_discovery=True,
        cache_discovery=False,
    )
    last = None
    for i in range(1, int(count) + 1):
        mid = "%s-%04d" % (prefix, i)
        last = service.events().insert(calendarId="primary", body=event(mid), sendUpdates="all").execute()
    print("pushed %s, last event %s" % (count, last["id"]))


if __name__ == "__main__":
    main()
