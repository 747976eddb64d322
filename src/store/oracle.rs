//! The tests' reference: 0.1.0's serde-derived records, copied from
//! records.rs as they were before the library stopped using serde (secrets
//! as plain `String`s, so this does not depend on `Secret`'s derives), and
//! the same for the cache's types. `records` and `cache` must write these
//! bytes and read what these read.

use crate::events::{CachedEvent, Reply};
use crate::meeting::recurrence::{End, Freq, MonthlyBy, Repeat};
use crate::meeting::{Meeting, Person};
use crate::outbox::{Change, Entry, MeetingId, Op};
use crate::secret::Secret;
use crate::state::{
    Cache, CalendarCache, ClientConfig, DeviceAuth, Drift, Parked, PendingAuth, Pushed, Revocation, ServiceAccount, SetAside, State,
    Tokens,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

// The range checks and format numbers are the library's own (the
// oracle is the old serde layout, not an old copy of the checks).
use super::records::{opt_time, time, JOURNAL_FORMAT, MAX_TIME, STATE_FORMAT};

fn secret(s: &Secret) -> String {
    s.expose().to_owned()
}

#[derive(Serialize, Deserialize)]
pub(crate) struct StateRecord {
    pub version: u32,
    #[serde(default)]
    client: Option<ClientRecord>,
    #[serde(default)]
    pending: Vec<PendingRecord>,
    #[serde(default)]
    tokens: Option<TokensRecord>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    reauth_required: Option<String>,
    #[serde(default)]
    used_codes: Vec<String>,
    #[serde(default)]
    pending_revocations: Vec<RevocationRecord>,
    #[serde(default)]
    device: Option<DeviceRecord>,
    #[serde(default)]
    generations: BTreeMap<String, u32>,
    #[serde(default)]
    pushed: PushedRecords,
    #[serde(default)]
    quota_pause_until: Option<i64>,
    #[serde(default)]
    parked: Vec<ParkedRecord>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    set_aside: Vec<SetAsideRecord>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    zone_substitutions: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    service_account: Option<ServiceAccountRecord>,
}

#[derive(Serialize, Deserialize)]
struct ServiceAccountRecord {
    client_email: String,
    client_id: String,
    private_key_id: String,
    private_key: String,
    token_uri: String,
    #[serde(default)]
    project_id: Option<String>,
    default_subject: String,
}

#[derive(Serialize, Deserialize)]
struct ClientRecord {
    client_id: String,
    client_secret: String,
    redirect_uri: String,
}

#[derive(Serialize, Deserialize)]
struct PendingRecord {
    state: String,
    code_verifier: String,
    created_at: i64,
}

#[derive(Serialize, Deserialize)]
struct TokensRecord {
    access_token: String,
    access_expires_at: i64,
    refresh_token: String,
    scope: String,
    authorized_at: i64,
    #[serde(default)]
    authorized_at_google: Option<i64>,
    #[serde(default)]
    refreshed_at: Option<i64>,
}

#[derive(Serialize, Deserialize)]
struct RevocationRecord {
    refresh_token: String,
    account: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct DeviceRecord {
    device_code: String,
    user_code: String,
    verification_url: String,
    expires_at: i64,
    interval: u32,
    #[serde(default)]
    scopes: String,
}

#[derive(Serialize, Deserialize)]
struct PushedRecord {
    event_id: String,
    written_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    calendar: Option<String>,
}

#[derive(Default)]
struct PushedRecords(Vec<(String, PushedRecord)>);

impl Serialize for PushedRecords {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl<'de> Deserialize<'de> for PushedRecords {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = PushedRecords;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<PushedRecords, A::Error> {
                let mut v = Vec::new();
                while let Some(e) = m.next_entry()? {
                    v.push(e);
                }
                Ok(PushedRecords(v))
            }
        }
        d.deserialize_map(Visit)
    }
}

#[derive(Serialize, Deserialize)]
struct ParkedRecord {
    meeting_id: String,
    occurrence: Option<String>,
    op: String,
    code: i32,
    message: String,
    at: i64,
}

#[derive(Serialize, Deserialize)]
struct SetAsideRecord {
    file: String,
    what: String,
    at: i64,
}

impl StateRecord {
    pub(crate) fn from_state(s: &State) -> StateRecord {
        StateRecord {
            version: STATE_FORMAT,
            client: s.client.as_ref().map(|c| ClientRecord {
                client_id: c.client_id.clone(),
                client_secret: secret(&c.client_secret),
                redirect_uri: c.redirect_uri.clone(),
            }),
            pending: s
                .pending
                .iter()
                .map(|p| PendingRecord { state: p.state.clone(), code_verifier: secret(&p.code_verifier), created_at: p.created_at })
                .collect(),
            tokens: s.tokens.as_ref().map(|t| TokensRecord {
                access_token: secret(&t.access_token),
                access_expires_at: t.access_expires_at,
                refresh_token: secret(&t.refresh_token),
                scope: t.scope.clone(),
                authorized_at: t.authorized_at,
                authorized_at_google: t.authorized_at_google,
                refreshed_at: t.refreshed_at,
            }),
            account: s.account.clone(),
            reauth_required: s.reauth_required.clone(),
            used_codes: s.used_codes.clone(),
            pending_revocations: s
                .pending_revocations
                .iter()
                .map(|r| RevocationRecord { refresh_token: secret(&r.refresh_token), account: r.account.clone() })
                .collect(),
            device: s.device.as_ref().map(|d| DeviceRecord {
                device_code: secret(&d.device_code),
                user_code: d.user_code.clone(),
                verification_url: d.verification_url.clone(),
                expires_at: d.expires_at,
                interval: d.interval,
                scopes: d.scopes.clone(),
            }),
            generations: s.generations.clone(),
            pushed: PushedRecords(
                s.pushed
                    .iter()
                    .map(|(k, p)| (k.clone(), PushedRecord { event_id: p.event_id.clone(), written_ms: p.written_ms, calendar: p.calendar.clone() }))
                    .collect(),
            ),
            quota_pause_until: s.quota_pause_until,
            parked: s
                .parked
                .iter()
                .map(|p| ParkedRecord {
                    meeting_id: p.meeting_id.clone(),
                    occurrence: p.occurrence.clone(),
                    op: p.op.clone(),
                    code: p.code,
                    message: p.message.clone(),
                    at: p.at,
                })
                .collect(),
            set_aside: s.set_aside.iter().map(|a| SetAsideRecord { file: a.file.clone(), what: a.what.clone(), at: a.at }).collect(),
            zone_substitutions: s.zone_substitutions.clone(),
            service_account: s.service_account.as_ref().map(|a| ServiceAccountRecord {
                client_email: a.client_email.clone(),
                client_id: a.client_id.clone(),
                private_key_id: a.private_key_id.clone(),
                private_key: secret(&a.private_key),
                token_uri: a.token_uri.clone(),
                project_id: a.project_id.clone(),
                default_subject: a.default_subject.clone(),
            }),
        }
    }

    pub(crate) fn into_state(self) -> Result<State, String> {
        let tokens = match self.tokens {
            None => None,
            Some(t) => Some(Tokens {
                access_token: t.access_token.into(),
                access_expires_at: time("tokens.access_expires_at", t.access_expires_at)?,
                refresh_token: t.refresh_token.into(),
                scope: t.scope,
                authorized_at: time("tokens.authorized_at", t.authorized_at)?,
                authorized_at_google: opt_time("tokens.authorized_at_google", t.authorized_at_google)?,
                refreshed_at: opt_time("tokens.refreshed_at", t.refreshed_at)?,
            }),
        };
        let mut pending = Vec::with_capacity(self.pending.len());
        for p in self.pending {
            pending.push(PendingAuth { created_at: time("pending.created_at", p.created_at)?, state: p.state, code_verifier: p.code_verifier.into() });
        }
        let device = match self.device {
            None => None,
            Some(d) => {
                if d.interval > 3600 {
                    return Err(format!("device.interval = {} is over 3600 seconds", d.interval));
                }
                Some(DeviceAuth {
                    expires_at: time("device.expires_at", d.expires_at)?,
                    device_code: d.device_code.into(),
                    user_code: d.user_code,
                    verification_url: d.verification_url,
                    interval: d.interval,
                    scopes: d.scopes,
                })
            }
        };
        let mut pushed = BTreeMap::new();
        for (k, p) in self.pushed.0 {
            pushed.insert(k, Pushed { event_id: p.event_id, written_ms: p.written_ms, calendar: p.calendar });
        }
        for p in pushed.values() {
            if !(0..=MAX_TIME.saturating_mul(1000)).contains(&p.written_ms) {
                return Err(format!("pushed.written_ms = {} is out of range", p.written_ms));
            }
        }
        let mut parked = Vec::with_capacity(self.parked.len());
        for p in self.parked {
            parked.push(Parked {
                at: time("parked.at", p.at)?,
                meeting_id: p.meeting_id,
                occurrence: p.occurrence,
                op: p.op,
                code: p.code,
                message: p.message,
            });
        }
        let mut set_aside = Vec::with_capacity(self.set_aside.len());
        for a in self.set_aside {
            set_aside.push(SetAside { at: time("set_aside.at", a.at)?, file: a.file, what: a.what });
        }
        Ok(State {
            client: self.client.map(|c| ClientConfig {
                client_id: c.client_id,
                client_secret: c.client_secret.into(),
                redirect_uri: c.redirect_uri,
            }),
            pending,
            tokens,
            account: self.account,
            reauth_required: self.reauth_required,
            used_codes: self.used_codes,
            pending_revocations: self
                .pending_revocations
                .into_iter()
                .map(|r| Revocation { refresh_token: r.refresh_token.into(), account: r.account })
                .collect(),
            device,
            generations: self.generations,
            pushed,
            quota_pause_until: opt_time("quota_pause_until", self.quota_pause_until)?,
            parked,
            set_aside,
            zone_substitutions: self.zone_substitutions,
            service_account: self.service_account.map(|a| ServiceAccount {
                client_email: a.client_email,
                client_id: a.client_id,
                private_key_id: a.private_key_id,
                private_key: a.private_key.into(),
                token_uri: a.token_uri,
                project_id: a.project_id,
                default_subject: a.default_subject,
            }),
        })
    }
}

/// 0.1.0's `parse_state`: Err(None) for a newer format, Err(Some(why))
/// for damage.
pub(crate) fn parse_state(bytes: &[u8]) -> Result<State, Option<String>> {
    #[derive(Deserialize)]
    struct Version {
        version: u32,
    }
    let v = serde_json::from_slice::<Version>(bytes).map_err(|e| Some(e.to_string()))?;
    if v.version > STATE_FORMAT {
        return Err(None);
    }
    if v.version == 0 {
        return Err(Some("version 0".into()));
    }
    let rec: StateRecord = serde_json::from_slice(bytes).map_err(|e| Some(e.to_string()))?;
    rec.into_state().map_err(Some)
}

pub(crate) fn state_bytes(s: &State) -> Vec<u8> {
    serde_json::to_vec(&StateRecord::from_state(s)).unwrap()
}

// --- the outbox journal --------------------------------------------------

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LineRecord {
    Put(EntryRecord),
    Del(u64),
    Batch(Vec<LineRecord>),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JournalHeader {
    pub journal: u32,
    #[serde(default)]
    pub next_seq: u64,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct EntryRecord {
    pub seq: u64,
    meeting_id: String,
    occurrence: Option<String>,
    op: OpRecord,
    enqueued_at: i64,
    attempts: u32,
    next_attempt_at: i64,
    maybe_sent: bool,
    last_error: Option<(i32, String)>,
}

#[derive(Serialize, Deserialize)]
enum OpRecord {
    Push(Box<MeetingRecord>),
    Cancel { time_zone: Option<String> },
}

#[derive(Serialize, Deserialize)]
struct MeetingRecord {
    meeting_id: String,
    subject: String,
    start: String,
    end: String,
    time_zone: String,
    room: Option<String>,
    agenda: Option<String>,
    host: Option<PersonRecord>,
    invitees: Vec<PersonRecord>,
    email_reminder_minutes: u32,
    participant_password: Option<String>,
    share_participant_password: bool,
    repeat: Option<RepeatRecord>,
    occurrence: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct PersonRecord {
    name: String,
    email: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct RepeatRecord {
    freq: FreqRecord,
    interval: u32,
    weekdays: u8,
    monthly_by: MonthlyByRecord,
    end: EndRecord,
}

#[derive(Serialize, Deserialize)]
enum FreqRecord {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

#[derive(Serialize, Deserialize)]
enum MonthlyByRecord {
    DayOfMonth,
    NthWeekday,
}

#[derive(Serialize, Deserialize)]
enum EndRecord {
    Never,
    Count(u32),
    Until((i32, u16)),
}

impl EntryRecord {
    pub(crate) fn from_entry(e: &Entry) -> EntryRecord {
        EntryRecord {
            seq: e.seq,
            meeting_id: e.meeting_id.to_string(),
            occurrence: e.occurrence.clone(),
            op: match &e.op {
                Op::Push(m) => OpRecord::Push(Box::new(MeetingRecord::from_meeting(m))),
                Op::Cancel { time_zone } => OpRecord::Cancel { time_zone: time_zone.clone() },
            },
            enqueued_at: e.enqueued_at,
            attempts: e.attempts,
            next_attempt_at: e.next_attempt_at,
            maybe_sent: e.maybe_sent,
            last_error: e.last_error.clone(),
        }
    }

    pub(crate) fn into_entry(self) -> Result<Entry, String> {
        let mut e = Entry {
            seq: self.seq,
            meeting_id: MeetingId::new(self.meeting_id),
            occurrence: self.occurrence,
            op: match self.op {
                OpRecord::Push(m) => Op::Push(Box::new(m.into_meeting()?)),
                OpRecord::Cancel { time_zone } => Op::Cancel { time_zone },
            },
            enqueued_at: time("enqueued_at", self.enqueued_at)?,
            attempts: self.attempts,
            next_attempt_at: time("next_attempt_at", self.next_attempt_at)?,
            maybe_sent: self.maybe_sent,
            last_error: self.last_error,
            bytes: 0,
        };
        e.bytes = e.approx_bytes();
        Ok(e)
    }
}

impl MeetingRecord {
    fn from_meeting(m: &Meeting) -> MeetingRecord {
        let person = |p: &Person| PersonRecord { name: p.name.clone(), email: p.email.clone() };
        MeetingRecord {
            meeting_id: m.meeting_id.clone(),
            subject: m.subject.clone(),
            start: m.start.clone(),
            end: m.end.clone(),
            time_zone: m.time_zone.clone(),
            room: m.room.clone(),
            agenda: m.agenda.clone(),
            host: m.host.as_ref().map(person),
            invitees: m.invitees.iter().map(person).collect(),
            email_reminder_minutes: m.email_reminder_minutes,
            participant_password: m.participant_password.clone().filter(|_| m.share_participant_password),
            share_participant_password: m.share_participant_password,
            repeat: m.repeat.map(|r| RepeatRecord {
                freq: match r.freq {
                    Freq::Daily => FreqRecord::Daily,
                    Freq::Weekly => FreqRecord::Weekly,
                    Freq::Monthly => FreqRecord::Monthly,
                    Freq::Yearly => FreqRecord::Yearly,
                },
                interval: r.interval,
                weekdays: r.weekdays,
                monthly_by: match r.monthly_by {
                    MonthlyBy::DayOfMonth => MonthlyByRecord::DayOfMonth,
                    MonthlyBy::NthWeekday => MonthlyByRecord::NthWeekday,
                },
                end: match r.end {
                    End::Never => EndRecord::Never,
                    End::Count(n) => EndRecord::Count(n),
                    End::Until(d) => EndRecord::Until((d.year(), d.ordinal())),
                },
            }),
            occurrence: m.occurrence.clone(),
        }
    }

    fn into_meeting(self) -> Result<Meeting, String> {
        let person = |p: PersonRecord| Person { name: p.name, email: p.email };
        let repeat = match self.repeat {
            None => None,
            Some(r) => Some(Repeat {
                freq: match r.freq {
                    FreqRecord::Daily => Freq::Daily,
                    FreqRecord::Weekly => Freq::Weekly,
                    FreqRecord::Monthly => Freq::Monthly,
                    FreqRecord::Yearly => Freq::Yearly,
                },
                interval: r.interval,
                weekdays: r.weekdays,
                monthly_by: match r.monthly_by {
                    MonthlyByRecord::DayOfMonth => MonthlyBy::DayOfMonth,
                    MonthlyByRecord::NthWeekday => MonthlyBy::NthWeekday,
                },
                end: match r.end {
                    EndRecord::Never => End::Never,
                    EndRecord::Count(n) => End::Count(n),
                    EndRecord::Until((y, d)) => End::Until(
                        time::Date::from_ordinal_date(y, d).map_err(|_| format!("repeat until ({y}, {d}) is not a date"))?,
                    ),
                },
            }),
        };
        Ok(Meeting {
            meeting_id: self.meeting_id,
            subject: self.subject,
            start: self.start,
            end: self.end,
            time_zone: self.time_zone,
            room: self.room,
            agenda: self.agenda,
            host: self.host.map(person),
            invitees: self.invitees.into_iter().map(person).collect(),
            email_reminder_minutes: self.email_reminder_minutes,
            participant_password: self.participant_password.filter(|_| self.share_participant_password),
            share_participant_password: self.share_participant_password,
            repeat,
            occurrence: self.occurrence,
        })
    }
}

fn change_record(c: &Change) -> LineRecord {
    match c {
        Change::Put(e) => LineRecord::Put(EntryRecord::from_entry(e)),
        Change::Del(s) => LineRecord::Del(*s),
    }
}

/// 0.1.0's bytes of one append (`[one]` or a batch), without the newline.
pub(crate) fn change_line(changes: &[Change]) -> Vec<u8> {
    let rec = match changes {
        [one] => change_record(one),
        many => LineRecord::Batch(many.iter().map(change_record).collect()),
    };
    serde_json::to_vec(&rec).unwrap()
}

pub(crate) fn header_line(next_seq: u64) -> Vec<u8> {
    serde_json::to_vec(&JournalHeader { journal: JOURNAL_FORMAT, next_seq }).unwrap()
}

/// 0.1.0's reading of one (non-header) line: Err when serde refused it,
/// else per change (seq, entry or its range error) in order, as `apply`
/// walked them.
pub(crate) type Changes = Vec<(u64, Option<Result<Entry, String>>)>;

pub(crate) fn read_line(raw: &[u8]) -> Result<Changes, String> {
    let rec = serde_json::from_slice::<LineRecord>(raw).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let mut stack = vec![rec];
    while let Some(r) = stack.pop() {
        match r {
            LineRecord::Put(e) => out.push((e.seq, Some(e.into_entry()))),
            LineRecord::Del(s) => out.push((s, None)),
            LineRecord::Batch(v) => stack.extend(v.into_iter().rev()),
        }
    }
    Ok(out)
}

pub(crate) fn read_header(raw: &[u8]) -> Option<(u32, u64)> {
    serde_json::from_slice::<JournalHeader>(raw).ok().map(|h| (h.journal, h.next_seq))
}

// --- the cache -------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct CacheRecord {
    version: u32,
    #[serde(default)]
    calendars: BTreeMap<String, CalendarRecord>,
    #[serde(default)]
    undelivered: Vec<DriftRecord>,
}

#[derive(Serialize, Deserialize)]
struct CalendarRecord {
    sync_token: Option<String>,
    time_zone: Option<String>,
    events: BTreeMap<String, EventRecord>,
}

#[derive(Serialize, Deserialize)]
struct DriftRecord {
    meeting_id: String,
    event_id: String,
    change: String,
}

#[derive(Serialize, Deserialize)]
struct EventRecord {
    id: String,
    summary: Option<String>,
    status: String,
    transparency: String,
    visibility: String,
    event_type: String,
    all_day: bool,
    start: String,
    end: String,
    time_zone: Option<String>,
    start_utc: i64,
    end_utc: i64,
    self_response: Option<String>,
    meeting_id: Option<String>,
    recurring_event_id: Option<String>,
    etag: String,
    #[serde(default)]
    updated_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    replies: Vec<ReplyRecord>,
}

#[derive(Serialize, Deserialize)]
struct ReplyRecord {
    email: String,
    response: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    resource: bool,
}

impl EventRecord {
    fn from(e: &CachedEvent) -> EventRecord {
        EventRecord {
            id: e.id.clone(),
            summary: e.summary.clone(),
            status: e.status.clone(),
            transparency: e.transparency.clone(),
            visibility: e.visibility.clone(),
            event_type: e.event_type.clone(),
            all_day: e.all_day,
            start: e.start.clone(),
            end: e.end.clone(),
            time_zone: e.time_zone.clone(),
            start_utc: e.start_utc,
            end_utc: e.end_utc,
            self_response: e.self_response.clone(),
            meeting_id: e.meeting_id.clone(),
            recurring_event_id: e.recurring_event_id.clone(),
            etag: e.etag.clone(),
            updated_ms: e.updated_ms,
            replies: e.replies.iter().map(|r| ReplyRecord { email: r.email.clone(), response: r.response.clone(), resource: r.resource }).collect(),
        }
    }

    fn into_event(self) -> CachedEvent {
        CachedEvent {
            id: self.id,
            summary: self.summary,
            status: self.status,
            transparency: self.transparency,
            visibility: self.visibility,
            event_type: self.event_type,
            all_day: self.all_day,
            start: self.start,
            end: self.end,
            time_zone: self.time_zone,
            start_utc: self.start_utc,
            end_utc: self.end_utc,
            self_response: self.self_response,
            meeting_id: self.meeting_id,
            recurring_event_id: self.recurring_event_id,
            etag: self.etag,
            updated_ms: self.updated_ms,
            replies: self.replies.into_iter().map(|r| Reply { email: r.email, response: r.response, resource: r.resource }).collect(),
        }
    }
}

pub(crate) fn cache_bytes(c: &Cache) -> Vec<u8> {
    let rec = CacheRecord {
        version: c.version,
        calendars: c
            .calendars
            .iter()
            .map(|(k, cal)| {
                let events = cal.events.iter().map(|(k, e)| (k.clone(), EventRecord::from(e))).collect();
                (k.clone(), CalendarRecord { sync_token: cal.sync_token.clone(), time_zone: cal.time_zone.clone(), events })
            })
            .collect(),
        undelivered: c
            .undelivered
            .iter()
            .map(|d| DriftRecord { meeting_id: d.meeting_id.clone(), event_id: d.event_id.clone(), change: d.change.clone() })
            .collect(),
    };
    serde_json::to_vec(&rec).unwrap()
}

pub(crate) fn read_cache(bytes: &[u8]) -> Option<Cache> {
    let rec = serde_json::from_slice::<CacheRecord>(bytes).ok()?;
    Some(Cache {
        version: rec.version,
        calendars: rec
            .calendars
            .into_iter()
            .map(|(k, c)| {
                let events = c.events.into_iter().map(|(k, e)| (k, e.into_event())).collect();
                (k, CalendarCache { sync_token: c.sync_token, time_zone: c.time_zone, events })
            })
            .collect(),
        undelivered: rec
            .undelivered
            .into_iter()
            .map(|d| Drift { meeting_id: d.meeting_id, event_id: d.event_id, change: d.change })
            .collect(),
    })
}
